"""What a roster import reports (new, changed, unchanged, invalid rows and deactivations) and how
it finds the existing person of a row."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import Result, RowResult

from ..models import StaffMember
from .columns import EMPLOYEE_NUMBER, normalise_code

# --- Results --------------------------------------------------------------------------------


class RosterRowResult(RowResult):
    def __init__(self) -> None:
        super().__init__()
        self.line: int | None = None
        self.employee_number = ""
        self.name = ""
        self.changes: list[str] = []
        self.summary = ""


class RosterResult(Result):
    """What the preview shows: counts, the rows by kind, and who a full roster deactivates."""

    PREVIEW_LIMIT = 300

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.full_roster = False
        self.deactivations: list[tuple[int, str, str]] = []  # (pk, employee number, name)
        self.deactivated = 0

    def _of(self, import_type: str) -> list[RowResult]:
        return [row for row in self.rows if row.import_type == import_type]

    @cached_property
    def new_rows(self) -> list[RowResult]:
        return self._of(RowResult.IMPORT_TYPE_NEW)

    @cached_property
    def changed_rows(self) -> list[RowResult]:
        return self._of(RowResult.IMPORT_TYPE_UPDATE)

    @cached_property
    def unchanged_rows(self) -> list[RowResult]:
        return self._of(RowResult.IMPORT_TYPE_SKIP)

    @property
    def count_new(self) -> int:
        return self.totals[RowResult.IMPORT_TYPE_NEW]

    @property
    def count_changed(self) -> int:
        return self.totals[RowResult.IMPORT_TYPE_UPDATE]

    @property
    def count_unchanged(self) -> int:
        return self.totals[RowResult.IMPORT_TYPE_SKIP]

    @property
    def count_invalid(self) -> int:
        return self.totals[RowResult.IMPORT_TYPE_INVALID] + self.totals[RowResult.IMPORT_TYPE_ERROR]

    @property
    def count_deactivations(self) -> int:
        return len(self.deactivations)

    def limited(self, rows: list[Any]) -> list[Any]:
        return rows[: self.PREVIEW_LIMIT]

    @property
    def new_preview(self) -> list[RowResult]:
        return self.limited(self.new_rows)

    @property
    def changed_preview(self) -> list[RowResult]:
        return self.limited(self.changed_rows)

    @property
    def unchanged_preview(self) -> list[RowResult]:
        return self.limited(self.unchanged_rows)

    @property
    def invalid_preview(self) -> list[Any]:
        return self.limited(self.invalid_rows)

    @property
    def deactivations_preview(self) -> list[tuple[int, str, str]]:
        return self.limited(self.deactivations)


class RosterInstanceLoader(BaseInstanceLoader):
    """Existing staff come from the dict the resource loaded once for the whole file."""

    def get_instance(self, row: dict[str, Any]) -> StaffMember | None:
        return self.resource.existing.get(normalise_code(row.get(EMPLOYEE_NUMBER)))
