"""Exports of the promotion-selection candidate list and of the human-capital report: CSV
(UTF-8 with a BOM, CRLF: Excel reads Japanese correctly) and XLSX, columns always in Japanese
(the city's spreadsheets are), as ``courses.exports``. Pure formatting: the views choose the data,
check who asks and log the export.

A candidate list starts with what it is: the selection, the cutoff, frozen or not, by whom and
when, and the SHA-256 digest of the list's canonical content (``courses.promotion.digest``), so
that a printed copy can be checked against the portal's snapshot.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import formats, translation

from staff.spreadsheets import escape_cell

from . import hcreport

CANDIDATE_HEADERS = [
    "順位",
    "職員番号",
    "氏名",
    "カナ",
    "所属",
    "職層",
    "現職層の在職開始日",
    "在職年数",
    "区分別の点数",
    "合計点",
    "根拠",
]


def _status_ja(evidence: dict[str, Any]) -> str:
    if evidence["kind"] == "external":
        from badges.public.verification import STATUS_LABELS

        result = evidence["status"].split(":", 1)[-1]
        with translation.override("ja"):
            return f"人事課が承認（検証結果：{STATUS_LABELS.get(result, result)}）"
    return "発行済み・基準日に有効"


def candidate_preamble(content: dict[str, Any], *, digest: str, frozen: tuple[str, str] | None) -> list[list[str]]:
    """The lines before the table: what the list is, and its digest."""
    lines = [
        ["選考", f"{content['fiscal_year']}年度 {content['selection_name']}"],
        ["基準日", content["cutoff_on"]],
    ]
    if frozen is None:
        lines.append(["状態", "確定前（暫定）"])
    else:
        lines.append(["状態", f"確定済み {frozen[1]}（確定者：{frozen[0]}）"])
    lines.append(["SHA-256", digest])
    lines.append([])
    return lines


def candidate_rows(content: dict[str, Any]) -> Iterable[list[str]]:
    categories = {c["id"]: c for c in content["categories"]}
    for rank, c in enumerate(content["candidates"], start=1):
        points = " / ".join(
            f"{categories[p['category']]['name']} {p['points']}" for p in c["points"] if p["category"] in categories
        )
        evidence = " / ".join(
            f"{'外部バッジ' if e['kind'] == 'external' else 'バッジ'}「{e['name']}」 発行 {e['issued_on'] or ''}"
            + (f" 有効期限 {e['expires_on']}" if e["expires_on"] else "")
            + f" {_status_ja(e)} {categories.get(e['category'], {}).get('name', '')} {e['points']}点"
            for e in c["evidence"]
        )
        yield [
            str(rank),
            c["employee_number"],
            c["name"],
            c["kana"],
            c["department"],
            c["grade"],
            c["grade_since"] or "",
            "" if c["years_in_grade"] is None else str(c["years_in_grade"]),
            points,
            str(c["total"]),
            evidence,
        ]


def to_csv(preamble: Sequence[Sequence[str]], headers: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([escape_cell(cell) for cell in line] for line in preamble)
    writer.writerow(headers)
    writer.writerows([escape_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(
    preamble: Sequence[Sequence[str]],
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str,
    widths: Sequence[int] = (),
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    for line in preamble:
        sheet.append([escape_cell(cell) for cell in line])
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([escape_cell(cell) if isinstance(cell, str) else cell for cell in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- The human-capital report -------------------------------------------------------------

REPORT_HEADERS = [
    "年度",
    "区分",
    "職員数",
    "参加者数",
    "参加率(%)",
    "学習時間",
    "1人当たり学習時間",
    "市負担額(円)",
    "職員負担額(円)",
    "1人当たり市負担額(円)",
    "1人当たり職員負担額(円)",
    "バッジ発行数",
    "100人当たりバッジ数",
    "スキル保有者数",
    "スキル保有率(%)",
    "修了数",
    "うち昇任選考活用型",
    "昇任選考活用率(%)",
    "外部バッジ承認数",
]


def _num(value: float | None, digits: int = 1) -> Any:
    return "" if value is None else round(value, digits)


def report_rows(data: hcreport.Report) -> Iterable[list[Any]]:
    """One row per fiscal year and group (the city first, then each division)."""
    m = hcreport.METRICS_BY_KEY
    with translation.override("ja"):
        for fy in data.years:
            for group in [data.city, *data.divisions]:
                c = group.counts[fy]
                label = "全市" if group.dept is None else group.dept.name
                yield [
                    f"{fy}年度",
                    label,
                    c.headcount,
                    c.participants,
                    _num(group.value(m["participation"], fy)),
                    _num(c.hours),
                    _num(group.value(m["hours"], fy), 2),
                    c.subsidy,
                    c.staff_share,
                    _num(group.value(m["subsidy"], fy), 0),
                    _num(group.value(m["staff_share"], fy), 0),
                    c.badges,
                    _num(group.value(m["badges"], fy)),
                    c.skill_holders,
                    _num(group.value(m["coverage"], fy)),
                    c.completions,
                    c.promotion_completions,
                    _num(group.value(m["promotion"], fy)),
                    c.external_confirmed,
                ]


def report_csv(data: hcreport.Report) -> bytes:
    return to_csv([], REPORT_HEADERS, ([str(v) for v in row] for row in report_rows(data)))


def report_xlsx(data: hcreport.Report) -> bytes:
    return to_xlsx([], REPORT_HEADERS, report_rows(data), sheet_title="人的資本レポート", widths=(10, 24))


def date_ja(value: Any) -> str:
    with translation.override("ja"):
        return formats.date_format(value, "DATETIME_FORMAT")
