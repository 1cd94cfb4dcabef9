"""HR people-search exports: CSV (UTF-8 with a BOM, so Excel opens Japanese correctly) and XLSX.

The columns are always in Japanese (the city's spreadsheets are), whatever the page language:
職員番号, 氏名, カナ, 所属, 職層, 職種, 該当スキル, 根拠. These functions format rows only;
the view chooses the people, checks the scope and logs the export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.utils import formats, translation

from staff.spreadsheets import escape_cell

from .insight import PeopleFilters, PersonMatch

HEADERS = ["職員番号", "氏名", "カナ", "所属", "職層", "職種", "該当スキル", "根拠"]
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _date(value: object) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def _skill_cell(match: PersonMatch, filters: PeopleFilters) -> str:
    if filters.skill is None:
        return ""
    level = match.skill_level
    return f"{filters.skill.name} Lv{level}" if level else filters.skill.name


def _evidence_cell(match: PersonMatch) -> str:
    parts = []
    for e in match.completions:
        parts.append(f"講座「{e.course.title}」({e.course.code}) 修了 {_date(e.completed_on)}")
    for a in match.awards:
        text = f"バッジ「{a.badge_class.name}」 発行 {_date(a.issued_at)}"
        if a.expires_at:
            text += f" 有効期限 {_date(a.expires_at)}"
        if not getattr(a, "valid", True):
            text += " (失効)"
        parts.append(text)
    return " / ".join(parts)


def rows(matches: Iterable[PersonMatch], filters: PeopleFilters) -> Iterable[list[str]]:
    """The data rows, Japanese labels and dates (職層 and 職種 as their Japanese names)."""
    with translation.override("ja"):
        for m in matches:
            p = m.person
            yield [
                p.employee_number,
                p.full_name,
                p.full_name_kana,
                m.department_label,
                str(p.get_grade_display()) if p.grade else "",
                str(p.get_job_family_display()) if p.job_family else "",
                _skill_cell(m, filters),
                _evidence_cell(m),
            ]


def to_csv(data: Iterable[Sequence[str]]) -> bytes:
    """CSV with a byte-order mark and CRLF line ends: Excel on Windows reads it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows([escape_cell(cell) for cell in row] for row in data)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(
    data: Iterable[Sequence[str]],
    *,
    sheet_title: str = "職員検索",
    headers: Sequence[str] = HEADERS,
    widths: Sequence[int] = (12, 16, 20, 32, 14, 12, 18, 80),
) -> bytes:
    """An Excel workbook (openpyxl, write-only mode: memory stays flat for long lists); the
    people search's columns unless ``headers`` (and their ``widths``) say otherwise."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)
    for column, width in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", widths, strict=False):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in data:
        sheet.append([escape_cell(cell) for cell in row])  # openpyxl writes "=…" as a formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
