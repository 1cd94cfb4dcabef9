"""The record-access log as HR exports it, from the HR page (/hr/access-log/) or the admin:
CSV in UTF-8 with a byte-order mark (Excel reads it), CRLF line ends, the time in Japan time,
Japanese headers and each purpose as its Japanese label, whatever the page's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from django.utils import timezone, translation

from .models import RecordAccess
from .spreadsheets import escape_cell

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def access_log_filename() -> str:
    """``record-access-log-20260401-0930.csv``: the date and time in Japan (not UTC's date)."""
    return f"record-access-log-{timezone.localtime():%Y%m%d-%H%M}.csv"


#: The record-access log export's columns (always Japanese, as the people export's).
ACCESS_LOG_HEADERS = [
    "日時",
    "閲覧者の職員番号",
    "閲覧者",
    "閲覧された職員の職員番号",
    "閲覧された職員",
    "目的",
    "ページ",
]


def access_log_csv(entries: Iterable[RecordAccess]) -> Iterator[bytes]:
    """The record-access log as CSV lines: a byte-order mark first (Excel reads UTF-8), CRLF line
    ends, Japan time, and each purpose as its Japanese label. A generator, for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Sequence[str]) -> bytes:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([escape_cell(cell) for cell in cells])
        return buffer.getvalue().encode("utf-8")

    yield "\ufeff".encode()
    yield line(ACCESS_LOG_HEADERS)
    with translation.override("ja"):
        for e in entries:
            yield line(
                [
                    timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.viewer.employee_number,
                    e.viewer.full_name,
                    e.subject.employee_number,
                    e.subject.full_name,
                    str(e.get_purpose_display()),
                    e.path,
                ]
            )
