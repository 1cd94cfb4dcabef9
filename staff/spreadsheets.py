"""Text cells that spreadsheets must not run as formulas (CSV/formula injection).

Excel and LibreOffice treat a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some
that start with a tab or carriage return) as a formula, even in a CSV file, and Japanese Excel
does the same with the full-width ``＝ ＋ － ＠`` a Japanese input method types (issue 12): a
name or a badge title such as ``=HYPERLINK("http://…")`` in an export would run when HR
opens it. Every text cell the portal exports goes through :func:`escape_cell`, which puts an
apostrophe in front of such a cell (the spreadsheet convention for "this is text");
:func:`unescape_cell` takes it off again when the same file comes back as an import, so an
export still re-imports unchanged.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def escape_cell(value: Any) -> Any:
    """``value`` as a cell that no spreadsheet runs; anything but text is left as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """Undo :func:`escape_cell` (only an apostrophe that it would have added)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
