"""File formats for HR's personnel roster: CSV as Japanese Excel writes it, and XLSX.

django-import-export cannot choose a text encoding in the admin (stack notes, pitfall 8), and
Excel on a Japanese Windows PC saves "CSV (comma delimited)" as CP932, which strict
``shift_jis`` cannot decode (髙, ①, ㈱). ``RosterCSV`` therefore reports itself as binary, so
the admin hands it the raw bytes, and decodes them itself: UTF-8 (with or without a BOM) first,
then CP932. On export it writes UTF-8 with a BOM, which Excel opens correctly.

Anything that makes a file unreadable raises ``RosterFileError`` with a message for HR, and so
does a file beyond the import limits (``PORTAL_IMPORT_MAX_ROWS`` data rows, ``MAX_COLUMNS``
columns, an XLSX that unpacks to more than ``PORTAL_IMPORT_MAX_UNPACKED_BYTES``): a small
workbook can unpack to a gigabyte, and a sheet can claim a million rows, so these are checked
before and while the file is read, never after.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

import tablib
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from import_export.formats import base_formats

from .spreadsheets import escape_cell, unescape_cell

#: Characters that never occur in a text CSV but always in binary junk (tab, CR, LF allowed).
_CONTROL_CHARS = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\r\n")
_ZIP_MAGIC = b"PK\x03\x04"
#: No import has more than a few dozen columns (the roster has 12).
MAX_COLUMNS = 100


class RosterFileError(ValueError):
    """The uploaded file cannot be read as a roster. ``str(error)`` is the message for HR."""


def _expired() -> RosterFileError:
    # The confirm step came after the cached upload expired (CacheStorage keeps it a day).
    return RosterFileError(_("The uploaded file is no longer available: upload it again."))


def decode_roster_bytes(data: bytes | str | None) -> str:
    """Bytes from the upload to text: UTF-8 (BOM or not), else CP932 (Excel's "Shift_JIS")."""
    if data is None:
        raise _expired()
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if not data.strip():
        raise RosterFileError(_("The file is empty."))
    if data.startswith(_ZIP_MAGIC):
        raise RosterFileError(_("This file is an Excel workbook: choose the xlsx format."))
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL_CHARS.intersection(text):
            break
        return text
    raise RosterFileError(
        _(
            "The file is not a CSV text file in UTF-8 or Shift_JIS (CP932). "
            "In Excel, save it as “CSV UTF-8” or “CSV (comma delimited)”."
        )
    )


def _blank(cells: Iterable[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _too_many_rows() -> RosterFileError:
    return RosterFileError(
        _("The file has more than %(limit)s data rows: split it into smaller files.")
        % {"limit": f"{settings.PORTAL_IMPORT_MAX_ROWS:,}"}
    )


def bounded_rows(rows: Iterable[Sequence[Any]], *, empty: Any = "") -> list[list[Any]]:
    """The rows of a file, refused as soon as it has more than ``PORTAL_IMPORT_MAX_ROWS`` data
    rows (after the header) or a row with more than ``MAX_COLUMNS`` cells.

    Blank rows are only counted and kept once a row with data follows them (so line numbers
    stay right): blank rows at the end (Excel keeps formatted ones) cost neither memory nor a
    place under the limit. A kept blank row is ``empty`` in every column of the header row, as
    the format reads an empty cell.
    """
    limit = settings.PORTAL_IMPORT_MAX_ROWS + 1  # the header row
    kept: list[list[Any]] = []
    blank_run = 0
    for line, row in enumerate(rows, start=1):
        if len(row) > MAX_COLUMNS and not _blank(row[MAX_COLUMNS:]):
            raise RosterFileError(
                _("Line %(line)d has more than %(limit)d columns.") % {"line": line, "limit": MAX_COLUMNS}
            )
        if _blank(row):
            blank_run += 1
            continue
        if len(kept) + blank_run >= limit:
            raise _too_many_rows()
        width = len(kept[0]) if kept else 0
        kept.extend([empty] * width for _blank_row in range(blank_run))
        blank_run = 0
        kept.append(list(row[:MAX_COLUMNS]))
    return kept


def check_unpacked_size(data: bytes) -> None:
    """Refuse a workbook (a zip file) whose members unpack to more than the limit, before any
    of it is decompressed. The sizes are the ones the zip declares; Python's zipfile never
    inflates a member beyond its declared size (it stops there and fails the CRC check)."""
    limit = settings.PORTAL_IMPORT_MAX_UNPACKED_BYTES
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise RosterFileError(_("The file is not a valid Excel workbook (xlsx).")) from exc
    if unpacked > limit:
        raise RosterFileError(
            _("The workbook unpacks to more than %(limit)s: save only the sheet to import, or split it.")
            % {"limit": filesizeformat(limit)}
        )


def rows_to_dataset(rows: list[list[Any]]) -> tablib.Dataset:
    """The first row is the header row. Trailing blank rows (Excel leaves them) are dropped;
    short rows are padded, so the row numbers HR sees still match the spreadsheet's."""
    while rows and _blank(rows[-1]):
        rows.pop()
    if not rows:
        raise RosterFileError(_("The file is empty."))
    rows = [[unescape_cell(cell) for cell in row] for row in rows]
    headers = ["" if cell is None else str(cell).strip() for cell in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    if len(rows) == 1:
        raise RosterFileError(_("The file has a header row but no data rows."))
    width = len(headers)
    dataset = tablib.Dataset(headers=headers)
    for line, row in enumerate(rows[1:], start=2):
        if len(row) > width:
            if not _blank(row[width:]):
                raise RosterFileError(
                    _("Line %(line)d has more cells than the header row has columns.") % {"line": line}
                )
            row = row[:width]
        elif len(row) < width:
            row = list(row) + [""] * (width - len(row))
        dataset.append(row)
    return dataset


class RosterCSV(base_formats.CSV):
    """CSV in UTF-8, UTF-8 with BOM or CP932; exported as UTF-8 with BOM for Excel."""

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream: bytes | str | None, **kwargs: Any) -> tablib.Dataset:
        text = decode_roster_bytes(in_stream)
        try:
            rows = bounded_rows(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise RosterFileError(_("The file is not a valid CSV file (%(error)s).") % {"error": exc}) from exc
        return rows_to_dataset(rows)

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> bytes:
        return str(super().export_data(_escaped(dataset), **kwargs)).encode("utf-8-sig")


def _escaped(dataset: tablib.Dataset) -> tablib.Dataset:
    """A copy of ``dataset`` whose text cells no spreadsheet runs as formulas."""
    safe = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        safe.append([escape_cell(cell) for cell in row])
    return safe


def _xlsx_cell(value: Any) -> Any:
    """Numbers typed into Excel come back as int/float: make them the text HR typed."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date()
    return value


class RosterXLSX(base_formats.XLSX):
    """The first sheet of an Excel workbook."""

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> bytes:
        # openpyxl writes a string starting with "=" as a formula.
        return super().export_data(_escaped(dataset), **kwargs)

    def create_dataset(self, in_stream: bytes | None, **kwargs: Any) -> tablib.Dataset:
        import openpyxl

        if in_stream is None:
            raise _expired()
        if not in_stream:
            raise RosterFileError(_("The file is empty."))
        check_unpacked_size(in_stream)
        try:
            book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise RosterFileError(_("The file is not a valid Excel workbook (xlsx).")) from exc
        try:
            sheet = book.worksheets[0]
            # max_col: a sheet whose dimension claims 16,384 columns is not padded to them.
            cells = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
            rows = [[_xlsx_cell(value) for value in row] for row in bounded_rows(cells, empty=None)]
        finally:
            book.close()
        return rows_to_dataset(rows)


ROSTER_FORMATS = [RosterCSV, RosterXLSX]
