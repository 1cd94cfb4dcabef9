"""HR's personnel roster (職員名簿) for django-import-export: CSV or XLSX in, CSV or XLSX out.

The file is keyed by employee number (職員番号) and has Japanese headers (English aliases are
accepted). How a file is imported:

1. ``_prepare`` (once per file) renames alias headers, refuses a file without the required
   columns, and loads what the rows are checked against into dicts: all departments, the
   existing staff named in the file, who already uses each email address, duplicates within
   the file and, for a full roster, who would be deactivated. Rows then need no queries.
2. Each row is parsed and checked (``import_instance``); every problem becomes a reason in
   the preview, and a file with any invalid row imports nothing (``import_data`` always rolls
   back on validation errors, and deactivation is skipped).
3. A row equal to the person's current record is skipped (``skip_row``), so re-importing the
   same file or an export changes nothing.
4. The dry run (preview) only classifies rows; it writes nothing. The real import writes each
   changed row through ``staff_upsert`` (which records a transfer or grade change as an
   Assignment through ``staff_assign``, effective on 異動日 or today, and keeps the verified
   email address in step), creates all new people together through ``staff_create_many``
   (what ``staff_upsert`` does for a new person, in bulk: a first import is a whole city) and,
   for a full roster, deactivates the missing people through ``staff_deactivate``.

The package: ``columns`` (headers, aliases, normalisation), ``cells`` (the widgets),
``results`` (what an import reports) and ``roster`` (the resource); all re-exported here.
"""

from __future__ import annotations

from .cells import (
    DepartmentCodeWidget,
    EffectiveDateWidget,
    EmailWidget,
    JapaneseChoiceWidget,
    NormalisedTextWidget,
    TextWidget,
    japanese_word,
)
from .columns import HEADER_ALIASES, REQUIRED_COLUMNS, TRACKED, normalise_code, normalise_email
from .results import RosterInstanceLoader, RosterResult, RosterRowResult
from .roster import StaffRosterResource

__all__ = [
    "HEADER_ALIASES",
    "REQUIRED_COLUMNS",
    "TRACKED",
    "DepartmentCodeWidget",
    "EffectiveDateWidget",
    "EmailWidget",
    "JapaneseChoiceWidget",
    "NormalisedTextWidget",
    "RosterInstanceLoader",
    "RosterResult",
    "RosterRowResult",
    "StaffRosterResource",
    "TextWidget",
    "japanese_word",
    "normalise_code",
    "normalise_email",
]
