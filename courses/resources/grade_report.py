"""The university's grade report: completions and non-completions imported through the services,
with a preview of every line first (``enrolment_result_refusal``)."""

from __future__ import annotations

import copy
import datetime as dt
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from import_export import fields, resources
from import_export.results import Result, RowResult

from staff.models import StaffMember

from ..models import Enrolment
from ..services import (
    EnrolmentError,
    enrolment_actor_refusal,
    enrolment_complete,
    enrolment_mark_not_completed,
    enrolment_result_refusal,
)
from .columns import JapaneseDateWidget, S

GRADE_REPORT_ALIASES = {
    "職員番号": "employee_number",
    "科目コード": "course_code",
    "講座コード": "course_code",
    "結果": "result",
    "成績": "grade",
    "評価": "grade",
    "修了日": "completed_on",
    "備考": "note",
    # Optional: why a completion date is before the course starts (kept in the history).
    "修了日の理由": "date_reason",
}
#: The columns as HR's import page names them: the first Japanese name of each column.
GRADE_REPORT_COLUMNS = tuple(
    next(name for name, alias_of in GRADE_REPORT_ALIASES.items() if alias_of == field)
    for field in ("employee_number", "course_code", "result", "grade", "completed_on", "note", "date_reason")
)
COMPLETED_WORDS = {"", "completed", "complete", "pass", "passed", "修了", "合格", "完了"}
NOT_COMPLETED_WORDS = {"not_completed", "not completed", "fail", "failed", "未修了", "不合格", "欠席"}
REQUIRED_COLUMNS = ("employee_number", "course_code")


class GradeRowResult(RowResult):
    """One line of the grade report as HR sees it in the preview: the spreadsheet line (the
    header is line 1), who and which course, the change in words, or why the line fails."""

    def __init__(self) -> None:
        super().__init__()
        self.line = 0
        self.employee_number = ""
        self.name = ""
        self.course = ""
        self.change = ""
        self.details: list[str] = []

    @property
    def failed(self) -> bool:
        return self.import_type in (RowResult.IMPORT_TYPE_INVALID, RowResult.IMPORT_TYPE_ERROR)

    @property
    def reasons(self) -> list[str]:
        if self.validation_error is not None:
            return [str(message) for message in self.validation_error.messages]
        return [str(error.error) for error in self.errors]


class GradeReportResult(Result):
    """The counts and the preview's lines, in the spreadsheet's order."""

    #: Lines shown besides the failed ones, which are always all shown.
    PREVIEW_LIMIT = 500

    @property
    def count_new(self) -> int:
        return self.totals[RowResult.IMPORT_TYPE_NEW]

    @property
    def count_updated(self) -> int:
        return self.totals[RowResult.IMPORT_TYPE_UPDATE]

    @property
    def count_unchanged(self) -> int:
        return self.totals[RowResult.IMPORT_TYPE_SKIP]

    @property
    def count_failed(self) -> int:
        return self.totals[RowResult.IMPORT_TYPE_INVALID] + self.totals[RowResult.IMPORT_TYPE_ERROR]

    @cached_property
    def lines(self) -> list[GradeRowResult]:
        shown: list[GradeRowResult] = []
        others = self.PREVIEW_LIMIT
        for row in self.rows:
            if not isinstance(row, GradeRowResult):
                continue
            if row.failed:
                shown.append(row)
            elif others > 0:
                shown.append(row)
                others -= 1
        return shown

    @property
    def count_hidden(self) -> int:
        return len(self.rows) - len(self.lines)


def _state_word(state: str) -> str:
    return str(S(state).label) if state in S.values else state


def _day(day: dt.date | None) -> str:
    return formats.date_format(day, "DATE_FORMAT") if day else "-"


class GradeReportResource(resources.ModelResource):
    """The university's grade report: one row per person and course, matched to an enrolment.

    Columns: employee_number (職員番号), course_code (科目コード), result (結果: completed /
    not_completed, 修了 / 未修了, 合格 / 不合格; empty means completed), grade (成績),
    completed_on (修了日, default today), note (備考) and, optionally, date_reason (修了日の理由:
    why a completion date is before the course starts; without it such a line is refused).

    * Every row must match an approved (or already completed / not completed) enrolment;
      a row that matches none is an error, so the import stops and nothing is saved.
    * A row that repeats what is recorded is skipped, so re-importing a report changes
      nothing and requests no second badge.
    * Saving goes through ``enrolment_complete`` / ``enrolment_mark_not_completed``. The dry
      run (HR's preview) does not run them line by line inside a rolled-back transaction (40 s
      for 1,000 lines on the loaded machine, docs/benchmarks.md): it reads the file's
      enrolments in a few queries and checks each line with ``enrolment_result_refusal``, the
      services' rules without the writes, carrying each line's outcome to a later line of the
      same enrolment, so the preview shows the same lines and reasons the import would give.
    """

    # The sheet's columns are named in Japanese (GRADE_REPORT_COLUMNS); on import,
    # before_import renames any of GRADE_REPORT_ALIASES back to the field names the rows are read by.
    employee_number = fields.Field(attribute="staff__employee_number", column_name="職員番号", readonly=True)
    course_code = fields.Field(attribute="course__code", column_name="科目コード", readonly=True)
    result = fields.Field(attribute="state", column_name="結果", readonly=True)
    grade = fields.Field(attribute="grade", column_name="成績", readonly=True)
    completed_on = fields.Field(
        attribute="completed_on", column_name="修了日", widget=JapaneseDateWidget(), readonly=True
    )
    note = fields.Field(attribute="result_note", column_name="備考", readonly=True)

    class Meta:
        model = Enrolment
        fields = ("employee_number", "course_code", "result", "grade", "completed_on", "note")
        export_order = fields
        import_id_fields: tuple[str, ...] = ()
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False
        use_transactions = True
        # The preview describes each line in words (after_import_row), not as a diff: no copy
        # of each line's enrolment for one (skip_row compares with what import_instance kept).
        skip_html_diff = True
        skip_diff = True

    #: The dry run checks lines against enrolments read in bulk (False: runs the services per
    #: line in the rolled-back transaction, as before; the tests compare the two).
    checks_in_bulk = True
    #: Employee numbers per query when the dry run reads the file's enrolments.
    PRELOAD_CHUNK = 5000

    def __init__(self, actor: StaffMember | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.actor = actor
        self._current: Enrolment | None = None
        self._before: tuple[str, str, str, dt.date | None] | None = None
        # The dry run in bulk: the file's enrolments by (employee number, course code), what
        # earlier lines would have recorded for each (by pk), and the actor's refusal if any.
        self._found: dict[tuple[str, str], Enrolment] | None = None
        self._recorded: dict[int, tuple[str, str, str, dt.date | None]] = {}
        self._actor_refusal: EnrolmentError | None = None

    @classmethod
    def get_result_class(cls) -> type[GradeReportResult]:
        return GradeReportResult

    @classmethod
    def get_row_result_class(cls) -> type[GradeRowResult]:
        return GradeRowResult

    def import_row(self, row: Any, instance_loader: Any, **kwargs: Any) -> RowResult:
        self._current, self._before = None, None
        row_result = super().import_row(row, instance_loader, **kwargs)
        if isinstance(row_result, GradeRowResult):
            # Set here, not in after_import_row, which failed lines never reach. Data row i
            # (from 0) is line i + 2 of the spreadsheet: the header is line 1.
            row_result.line = kwargs.get("row_number", 0) + 1
            if not row_result.employee_number:
                row_result.employee_number = str(row.get("employee_number") or "").strip()
            if not row_result.course:
                row_result.course = str(row.get("course_code") or "").strip().upper()
        return row_result

    @classmethod
    def get_display_name(cls) -> str:
        return _("Grade report (university)")

    def import_data(self, dataset: Any, dry_run: bool = False, **kwargs: Any) -> Any:
        # All or nothing: one row that matches no enrolment stops the whole report.
        kwargs["rollback_on_validation_errors"] = True
        kwargs["use_transactions"] = True
        self._found, self._recorded = ({} if dry_run and self.checks_in_bulk else None), {}
        if self._found is not None:
            self._actor_refusal = enrolment_actor_refusal(self.actor)
        return super().import_data(dataset, dry_run=dry_run, **kwargs)

    def import_data_inner(
        self, dataset: Any, dry_run: bool, raise_errors: bool, using_transactions: bool, *args: Any, **kwargs: Any
    ) -> Any:
        # The dry run in bulk writes nothing: no savepoint around each line (two statements a
        # line, half its time). import_data's transaction around it all is still rolled back.
        if self._found is not None:
            using_transactions = False
        return super().import_data_inner(dataset, dry_run, raise_errors, using_transactions, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Enrolment]:
        return Enrolment.objects.select_related("staff", "course")

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        dataset.headers = [GRADE_REPORT_ALIASES.get(str(h).strip(), str(h).strip()) for h in dataset.headers]
        missing = [c for c in REQUIRED_COLUMNS if c not in dataset.headers]
        if missing:
            raise ValueError(_("The file needs the columns: %(columns)s.") % {"columns": ", ".join(missing)})
        if self._found is not None:
            self._preload(dataset)

    def _preload(self, dataset: Any) -> None:
        """The dry run's enrolments: those of the file's people and courses that a line can
        match (the states ``get_or_init_instance`` accepts), in one query per PRELOAD_CHUNK people."""
        if self._found is None:
            return
        numbers = sorted({str(v or "").strip() for v in dataset["employee_number"]} - {""})
        codes = sorted({str(v or "").strip().upper() for v in dataset["course_code"]} - {""})
        for start in range(0, len(numbers) if codes else 0, self.PRELOAD_CHUNK):
            for enrolment in Enrolment.objects.filter(
                staff__employee_number__in=numbers[start : start + self.PRELOAD_CHUNK],
                course__code__in=codes,
                state__in=(S.APPROVED, S.COMPLETED, S.NOT_COMPLETED),
            ).select_related("staff", "course"):
                self._found[(enrolment.staff.employee_number, enrolment.course.code)] = enrolment

    def _preloaded(self, employee_number: str, course_code: str) -> Enrolment | None:
        """The line's enrolment as the dry run's earlier lines would have left it."""
        if self._found is None:
            return None
        found = self._found.get((employee_number, course_code))
        if found is None:
            return None
        enrolment = copy.copy(found)
        if enrolment.pk in self._recorded:
            enrolment.state, enrolment.grade, enrolment.result_note, enrolment.completed_on = self._recorded[
                enrolment.pk
            ]
        return enrolment

    def get_or_init_instance(self, instance_loader: Any, row: Any) -> tuple[Enrolment, bool]:
        employee_number = str(row.get("employee_number") or "").strip()
        course_code = str(row.get("course_code") or "").strip().upper()
        if not employee_number or not course_code:
            raise ValidationError(_("Each row needs an employee number and a course code."))
        if self._found is not None:
            enrolment = self._preloaded(employee_number, course_code)
        else:
            enrolment = (
                Enrolment.objects.filter(
                    staff__employee_number=employee_number,
                    course__code=course_code,
                    state__in=(S.APPROVED, S.COMPLETED, S.NOT_COMPLETED),
                )
                .select_related("staff", "course")
                .first()
            )
        if enrolment is None:
            raise ValidationError(
                _("No approved enrolment of employee %(number)s in course %(code)s.")
                % {"number": employee_number, "code": course_code}
            )
        self._current = enrolment
        return enrolment, False

    def import_instance(self, instance: Enrolment, row: Any, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        word = str(row.get("result") or "").strip().lower()
        if word in COMPLETED_WORDS:
            target = S.COMPLETED
        elif word in NOT_COMPLETED_WORDS:
            target = S.NOT_COMPLETED
        else:
            errors["result"] = [
                _("Write completed or not_completed (修了 / 未修了), not “%(value)s”.") % {"value": word}
            ]
            target = instance.state
        try:
            completed_on = JapaneseDateWidget().clean(row.get("completed_on"))
        except ValueError as exc:
            errors["completed_on"] = [str(exc)]
            completed_on = None
        if errors:
            raise ValidationError(errors)
        grade = str(row.get("grade") or "").strip()
        note = str(row.get("note") or "").strip()
        if target == S.COMPLETED:
            completed_on = completed_on or instance.completed_on or timezone.localdate()
        # What the preview compares with; the service writes from a fresh, locked row.
        self._before = (instance.state, instance.grade, instance.result_note, instance.completed_on)
        instance.state, instance.grade, instance.result_note = target, grade, note
        if target == S.COMPLETED:
            instance.completed_on = completed_on
        instance._grade_row = (target, grade, note, completed_on)  # type: ignore[attr-defined]
        instance._date_reason = str(row.get("date_reason") or "").strip()  # type: ignore[attr-defined]

    def skip_row(
        self, instance: Enrolment, original: Enrolment, row: Any, import_validation_errors: Any = None
    ) -> bool:
        # ``original`` is None (skip_diff): the enrolment as it was is ``self._before``, set by
        # import_instance when the line has no error.
        if import_validation_errors or self._before is None:
            return False
        target, grade, note, completed_on = instance._grade_row  # type: ignore[attr-defined]
        old_state, old_grade, old_note, old_completed_on = self._before
        if old_state != target:
            return False
        if target == S.NOT_COMPLETED:
            return True
        return (old_grade, old_note, old_completed_on) == (grade, note, completed_on)

    def save_instance(self, instance: Enrolment, is_create: bool, row: Any, **kwargs: Any) -> None:
        target, grade, note, completed_on = instance._grade_row  # type: ignore[attr-defined]
        comment = _("Grade report import")
        try:
            if self._found is not None:
                self._check(instance)
            elif target == S.COMPLETED:
                enrolment_complete(
                    enrolment=instance,
                    actor=self.actor,
                    completed_on=completed_on,
                    grade=grade,
                    result_note=note,
                    comment=comment,
                    date_reason=getattr(instance, "_date_reason", ""),
                )
            else:
                enrolment_mark_not_completed(enrolment=instance, actor=self.actor, comment=note or comment)
        except EnrolmentError as exc:
            message = exc.message
            starts_on = instance.course.starts_on
            if target == S.COMPLETED and completed_on and starts_on and completed_on < starts_on:
                # In a file, the reason goes in its own column.
                message = f"{message} {_('In a grade report, write the reason in the column 修了日の理由.')}"
            raise ValidationError(message) from exc

    def _check(self, instance: Enrolment) -> None:
        """The dry run's save: raise what the service would refuse, else remember what it
        would record, for a later line of the same enrolment."""
        if self._actor_refusal is not None:
            raise self._actor_refusal
        if self._before is None:  # import_instance sets it before any save
            return
        target, grade, note, completed_on = instance._grade_row  # type: ignore[attr-defined]
        before = copy.copy(instance)
        before.state, before.grade, before.result_note, before.completed_on = self._before
        refusal = enrolment_result_refusal(
            enrolment=before,
            course=instance.course,
            to_state=target,
            completed_on=completed_on,
            grade=grade,
            result_note=note,
            date_reason=getattr(instance, "_date_reason", ""),
        )
        if refusal is not None:
            raise refusal
        if target == S.COMPLETED:
            self._recorded[instance.pk] = (S.COMPLETED, grade, note, completed_on or timezone.localdate())
        else:  # enrolment_mark_not_completed changes the state only
            self._recorded[instance.pk] = (S.NOT_COMPLETED, *self._before[1:])

    def save_m2m(self, instance: Enrolment, row: Any, **kwargs: Any) -> None:
        return None

    def after_import_row(self, row: Any, row_result: RowResult, **kwargs: Any) -> None:
        super().after_import_row(row, row_result, **kwargs)
        enrolment = self._current
        if not isinstance(row_result, GradeRowResult) or enrolment is None or self._before is None:
            return
        row_result.employee_number = enrolment.staff.employee_number
        row_result.name = enrolment.staff.full_name
        row_result.course = f"{enrolment.course.code} {enrolment.course.title}"
        row_result.change, row_result.details = self._describe(enrolment._grade_row, self._before)  # type: ignore[attr-defined]
        reason = getattr(enrolment, "_date_reason", "")
        starts_on = enrolment.course.starts_on
        completed_on = enrolment._grade_row[3]  # type: ignore[attr-defined]
        if reason and completed_on and starts_on and completed_on < starts_on:
            row_result.details.append(_("Reason for the date: %(reason)s") % {"reason": reason})

    @staticmethod
    def _describe(
        after: tuple[str, str, str, dt.date | None], before: tuple[str, str, str, dt.date | None]
    ) -> tuple[str, list[str]]:
        """The change in words: 「受講決定 → 修了」 and the grade, date and note it records."""
        target, grade, note, completed_on = after
        old_state, old_grade, old_note, old_completed_on = before
        if old_state != target:
            change = _("%(old)s → %(new)s") % {"old": _state_word(old_state), "new": _state_word(target)}
        else:
            change = _state_word(target)
        details: list[str] = []
        correcting = old_state == S.COMPLETED == target
        if target == S.COMPLETED:
            if correcting and old_grade != grade:
                details.append(_("Grade: %(old)s → %(new)s") % {"old": old_grade or "-", "new": grade or "-"})
            elif grade:
                details.append(_("Grade: %(grade)s") % {"grade": grade})
            if correcting and old_completed_on != completed_on:
                details.append(
                    _("Completed on: %(old)s → %(new)s") % {"old": _day(old_completed_on), "new": _day(completed_on)}
                )
            else:
                details.append(_("Completed on: %(day)s") % {"day": _day(completed_on)})
        if note and note != old_note:
            details.append(_("Note: %(note)s") % {"note": note})
        return change, details

    def dehydrate_result(self, enrolment: Enrolment) -> str:
        # An exported approved enrolment is a blank line for the university to fill in.
        # Written as the import reads it back: 修了 / 未修了, not the codes.
        if enrolment.state == S.APPROVED:
            return ""
        return {S.COMPLETED: "修了", S.NOT_COMPLETED: "未修了"}.get(S(enrolment.state), _state_word(enrolment.state))
