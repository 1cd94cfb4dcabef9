"""django-import-export resources: the catalogue (courses, skills) and the university's grade report.

File encodings (UTF-8, UTF-8 with BOM, CP932) are handled by the shared formats in
``staff/formats.py``; the admin classes choose them.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import unicodedata
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.results import Result, RowResult

from staff.models import StaffMember

from .models import Course, Delivery, Enrolment, EnrolmentState, Provider, Skill, SkillLevel, UseType
from .services import (
    EnrolmentError,
    course_update,
    enrolment_actor_refusal,
    enrolment_complete,
    enrolment_mark_not_completed,
    enrolment_result_refusal,
)

S = EnrolmentState


class JapaneseDateWidget(widgets.DateWidget):
    """Dates as Japanese spreadsheets write them: 2026-04-01, 2026/04/01, 2026/4/1, 2026年4月1日."""

    FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        for fmt in self.FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
            except ValueError:
                continue
        raise ValueError(_("“%(value)s” is not a date (write it as 2026-04-01).") % {"value": text})


# --- Japanese columns -----------------------------------------------------------------------


def _header_key(header: object) -> str:
    text = unicodedata.normalize("NFKC", str(header or "")).strip().lower()
    return re.sub(r"[\s_]+", " ", text)


class ChoiceLabelWidget(widgets.Widget):
    """A choice written as its Japanese label (通信教育, 修了 …); the code and the English label
    are read too, so files exported before issue 13 (raw codes) still import."""

    def __init__(self, choices: Any) -> None:
        super().__init__()
        self.choices = choices

    def _labels(self) -> dict[str, str]:
        with translation.override("ja"):
            return {str(value): str(label) for value, label in self.choices.choices}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = unicodedata.normalize("NFKC", str(value or "")).strip()
        if not text:
            return ""
        spellings: dict[str, str] = {}
        for code, label in self.choices.choices:
            with translation.override(None):
                english = str(label)
            for spelling in (code, english, self._labels()[str(code)]):
                spellings[_header_key(spelling)] = code
        try:
            return spellings[_header_key(text)]
        except KeyError:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": text, "choices": "、".join(self._labels().values())}
            ) from None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return self._labels().get(str(value or ""), str(value or ""))


class JapaneseColumnsResource(resources.ModelResource):
    """Files (and the import and export screens) name the columns in Japanese: ``COLUMNS``
    maps each field to its column. A file with the English field names, as exported before
    issue 13, is still read: ``before_import`` renames its headers."""

    COLUMNS: dict[str, str] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, column in self.COLUMNS.items():
            self.fields[name].column_name = column

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        names = {_header_key(name): column for name, column in self.COLUMNS.items()}
        names.update({_header_key(column): column for column in self.COLUMNS.values()})
        if dataset.headers:
            dataset.headers = [names.get(_header_key(h), str(h or "").strip()) for h in dataset.headers]
        super().before_import(dataset, **kwargs)


# --- Catalogue ----------------------------------------------------------------------------


def _skills_text(course: Course) -> str:
    return "|".join(f"{cs.skill.code}:{cs.level}" for cs in course.course_skills.all())


def parse_skills(text: str, known: dict[str, Skill]) -> dict[Skill, int]:
    """``"LAW:2|DX:1"`` (level optional, 1 to 3) → {skill: level}. Unknown codes are errors."""
    levels: dict[Skill, int] = {}
    for part in str(text or "").replace(";", "|").split("|"):
        part = part.strip()
        if not part:
            continue
        code, _sep, level_text = part.partition(":")
        skill = known.get(code.strip().upper())
        if skill is None:
            raise ValueError(_("Unknown skill code “%(code)s”.") % {"code": code.strip()})
        try:
            level = int(level_text) if level_text.strip() else SkillLevel.BASIC
        except ValueError:
            level = 0
        if level not in SkillLevel.values:
            raise ValueError(_("Skill levels are 1, 2 or 3 (“%(part)s”).") % {"part": part})
        levels[skill] = level
    return levels


_COURSE_FIELDS = Course._meta.concrete_fields


class CourseResource(JapaneseColumnsResource):
    COLUMNS = {
        "code": "講座コード",
        "title": "講座名",
        "title_en": "講座名（英語）",
        "description": "説明",
        "description_en": "説明（英語）",
        "provider": "実施機関コード",
        "delivery": "実施形態",
        "term": "実施時期",
        "starts_on": "開始日",
        "ends_on": "終了日",
        "hours": "時間数",
        "credits": "単位数",
        "capacity": "定員",
        "application_opens_on": "申込開始日",
        "application_closes_on": "申込締切日",
        "prerequisites": "受講要件",
        "cost": "受講料（円）",
        "city_subsidy": "市の補助（円）",
        "for_self_development": "自己啓発型",
        "for_promotion": "昇任選考活用型",
        "is_published": "講座一覧に表示",
        "skills": "スキル",
    }

    provider = fields.Field(
        attribute="provider", column_name="provider", widget=widgets.ForeignKeyWidget(Provider, field="code")
    )
    skills = fields.Field(column_name="skills", attribute=None)

    class Meta:
        model = Course
        import_id_fields = ("code",)
        fields = (
            "code",
            "title",
            "title_en",
            "description",
            "description_en",
            "provider",
            "delivery",
            "term",
            "starts_on",
            "ends_on",
            "hours",
            "credits",
            "capacity",
            "application_opens_on",
            "application_closes_on",
            "prerequisites",
            "cost",
            "city_subsidy",
            "for_self_development",
            "for_promotion",
            "is_published",
            "skills",
        )
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        widgets = {
            "starts_on": {"format": "%Y-%m-%d"},
            "ends_on": {"format": "%Y-%m-%d"},
            "application_opens_on": {"format": "%Y-%m-%d"},
            "application_closes_on": {"format": "%Y-%m-%d"},
        }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in ("starts_on", "ends_on", "application_opens_on", "application_closes_on"):
            self.fields[name].widget = JapaneseDateWidget()
        self.fields["delivery"].widget = ChoiceLabelWidget(Delivery)
        self._known_skills: dict[str, Skill] | None = None
        self._before: tuple[bool, dict[str, Any]] = (True, {})

    def get_queryset(self) -> QuerySet[Course]:
        return Course.objects.select_related("provider").prefetch_related("course_skills__skill")

    def dehydrate_skills(self, course: Course) -> str:
        return _skills_text(course) if course.pk else ""

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        code = self.COLUMNS["code"]
        if row.get(code):
            row[code] = str(row[code]).strip().upper()

    def import_instance(self, instance: Course, row: Any, **kwargs: Any) -> None:
        # The row's course as it was, to tell course_update what the row changed.
        self._before = (instance.pk is None, {f.attname: getattr(instance, f.attname) for f in _COURSE_FIELDS})
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if self.COLUMNS["skills"] in row:
            if self._known_skills is None:
                self._known_skills = {s.code: s for s in Skill.objects.all()}
            try:
                instance._skill_levels = parse_skills(row[self.COLUMNS["skills"]], self._known_skills)  # type: ignore[attr-defined]
            except ValueError as exc:
                errors["skills"] = [str(exc)]
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance: Course, original: Course, row: Any, import_validation_errors: Any = None) -> bool:
        skip = super().skip_row(instance, original, row, import_validation_errors)
        levels = getattr(instance, "_skill_levels", None)
        if skip and levels is not None and original is not None and original.pk:
            current = {cs.skill_id: cs.level for cs in original.course_skills.all()}
            skip = current == {skill.pk: level for skill, level in levels.items()}
        return skip

    def after_save_instance(self, instance: Course, row: Any, **kwargs: Any) -> None:
        # What follows an edit is the same as in the admin form: badge alignments, skill
        # holdings, and free seats to the waiting list when the capacity went up.
        created, before = self._before
        course_update(
            course=instance,
            changed={f.name for f in _COURSE_FIELDS if before[f.attname] != getattr(instance, f.attname)},
            created=created,
            skill_levels=getattr(instance, "_skill_levels", None),
        )


class SkillResource(JapaneseColumnsResource):
    COLUMNS = {
        "code": "スキルコード",
        "name": "スキル名",
        "name_en": "スキル名（英語）",
        "description": "説明",
        "description_en": "説明（英語）",
        "sort_order": "表示順",
        "is_active": "有効",
    }

    class Meta:
        model = Skill
        import_id_fields = ("code",)
        fields = ("code", "name", "name_en", "description", "description_en", "sort_order", "is_active")
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        code = self.COLUMNS["code"]
        if row.get(code):
            row[code] = str(row[code]).strip().upper()


# --- Enrolments ---------------------------------------------------------------------------


class EnrolmentExportResource(JapaneseColumnsResource):
    """Every enrolment with the person, department, course, state and cost split (export only)."""

    COLUMNS = {
        "id": "申込番号",
        "employee_number": "職員番号",
        "staff_name": "氏名",
        "department_code": "所属コード",
        "department": "所属",
        "course_code": "講座コード",
        "course_title": "講座名",
        "use_type": "活用区分",
        "state": "状態",
        "requested_at": "申請日時",
        "recommended_at": "推薦日時",
        "decided_at": "決定日時",
        "cost": "受講料（円）",
        "city_subsidy": "市の補助（円）",
        "staff_share": "本人負担（円）",
        "grade": "成績",
        "result_note": "結果の備考",
        "completed_on": "修了日",
    }

    employee_number = fields.Field(attribute="staff__employee_number", column_name="employee_number")
    staff_name = fields.Field(attribute="staff__full_name", column_name="staff_name")
    department_code = fields.Field(attribute="staff__department__code", column_name="department_code")
    department = fields.Field(attribute="staff__department__name", column_name="department")
    course_code = fields.Field(attribute="course__code", column_name="course_code")
    course_title = fields.Field(attribute="course__title", column_name="course_title")

    class Meta:
        model = Enrolment
        fields = (
            "id",
            "employee_number",
            "staff_name",
            "department_code",
            "department",
            "course_code",
            "course_title",
            "use_type",
            "state",
            "requested_at",
            "recommended_at",
            "decided_at",
            "cost",
            "city_subsidy",
            "staff_share",
            "grade",
            "result_note",
            "completed_on",
        )
        export_order = fields

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields["use_type"].widget = ChoiceLabelWidget(UseType)
        self.fields["state"].widget = ChoiceLabelWidget(EnrolmentState)

    @classmethod
    def get_display_name(cls) -> str:
        return _("Enrolments (full export)")

    def get_queryset(self) -> QuerySet[Enrolment]:
        return Enrolment.objects.select_related("staff", "staff__department", "course")


#: Column names HR may use instead of the English ones (the university's sheet is Japanese).
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
