"""django-import-export resources: the catalogue (courses, skills) and the university's grade report.

File encodings (UTF-8, UTF-8 with BOM, CP932) are handled by the shared formats in
``staff/formats.py``; the admin classes choose them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from staff.models import StaffMember

from .models import Course, Enrolment, EnrolmentState, Provider, Skill, SkillLevel
from .services import EnrolmentError, course_set_skills, enrolment_complete, enrolment_mark_not_completed

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


class CourseResource(resources.ModelResource):
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
        self._known_skills: dict[str, Skill] | None = None

    def get_queryset(self) -> QuerySet[Course]:
        return Course.objects.select_related("provider").prefetch_related("course_skills__skill")

    def dehydrate_skills(self, course: Course) -> str:
        return _skills_text(course) if course.pk else ""

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        if row.get("code"):
            row["code"] = str(row["code"]).strip().upper()

    def import_instance(self, instance: Course, row: Any, **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if "skills" in row:
            if self._known_skills is None:
                self._known_skills = {s.code: s for s in Skill.objects.all()}
            try:
                instance._skill_levels = parse_skills(row["skills"], self._known_skills)  # type: ignore[attr-defined]
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
        levels = getattr(instance, "_skill_levels", None)
        if levels is not None:
            course_set_skills(course=instance, levels=levels)  # also refreshes the skill holdings


class SkillResource(resources.ModelResource):
    class Meta:
        model = Skill
        import_id_fields = ("code",)
        fields = ("code", "name", "name_en", "description", "description_en", "sort_order", "is_active")
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        if row.get("code"):
            row["code"] = str(row["code"]).strip().upper()


# --- Enrolments ---------------------------------------------------------------------------


class EnrolmentExportResource(resources.ModelResource):
    """Every enrolment with the person, department, course, state and cost split (export only)."""

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
}
COMPLETED_WORDS = {"", "completed", "complete", "pass", "passed", "修了", "合格", "完了"}
NOT_COMPLETED_WORDS = {"not_completed", "not completed", "fail", "failed", "未修了", "不合格", "欠席"}
REQUIRED_COLUMNS = ("employee_number", "course_code")


class GradeReportResource(resources.ModelResource):
    """The university's grade report: one row per person and course, matched to an enrolment.

    Columns: employee_number (職員番号), course_code (科目コード), result (結果: completed /
    not_completed, 修了 / 未修了, 合格 / 不合格; empty means completed), grade (成績),
    completed_on (修了日, default today) and note (備考).

    * Every row must match an approved (or already completed / not completed) enrolment;
      a row that matches none is an error, so the import stops and nothing is saved.
    * A row that repeats what is recorded is skipped, so re-importing a report changes
      nothing and requests no second badge.
    * Saving goes through ``enrolment_complete`` / ``enrolment_mark_not_completed``; the dry
      run calls them too, inside the transaction that is rolled back, so the preview shows
      the same errors the real import would meet.
    """

    employee_number = fields.Field(attribute="staff__employee_number", column_name="employee_number", readonly=True)
    course_code = fields.Field(attribute="course__code", column_name="course_code", readonly=True)
    result = fields.Field(attribute="state", column_name="result", readonly=True)
    grade = fields.Field(attribute="grade", column_name="grade", readonly=True)
    completed_on = fields.Field(
        attribute="completed_on", column_name="completed_on", widget=JapaneseDateWidget(), readonly=True
    )
    note = fields.Field(attribute="result_note", column_name="note", readonly=True)

    class Meta:
        model = Enrolment
        fields = ("employee_number", "course_code", "result", "grade", "completed_on", "note")
        export_order = fields
        import_id_fields: tuple[str, ...] = ()
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False
        use_transactions = True

    def __init__(self, actor: StaffMember | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.actor = actor

    @classmethod
    def get_display_name(cls) -> str:
        return _("Grade report (university)")

    def import_data(self, dataset: Any, dry_run: bool = False, **kwargs: Any) -> Any:
        # All or nothing: one row that matches no enrolment stops the whole report.
        kwargs["rollback_on_validation_errors"] = True
        kwargs["use_transactions"] = True
        return super().import_data(dataset, dry_run=dry_run, **kwargs)

    def get_queryset(self) -> QuerySet[Enrolment]:
        return Enrolment.objects.select_related("staff", "course")

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        dataset.headers = [GRADE_REPORT_ALIASES.get(str(h).strip(), str(h).strip()) for h in dataset.headers]
        missing = [c for c in REQUIRED_COLUMNS if c not in dataset.headers]
        if missing:
            raise ValueError(_("The file needs the columns: %(columns)s.") % {"columns": ", ".join(missing)})

    def get_or_init_instance(self, instance_loader: Any, row: Any) -> tuple[Enrolment, bool]:
        employee_number = str(row.get("employee_number") or "").strip()
        course_code = str(row.get("course_code") or "").strip().upper()
        if not employee_number or not course_code:
            raise ValidationError(_("Each row needs an employee number and a course code."))
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
        # Shown in the preview's diff; the service writes from a fresh, locked row.
        instance.state, instance.grade, instance.result_note = target, grade, note
        if target == S.COMPLETED:
            instance.completed_on = completed_on
        instance._grade_row = (target, grade, note, completed_on)  # type: ignore[attr-defined]

    def skip_row(
        self, instance: Enrolment, original: Enrolment, row: Any, import_validation_errors: Any = None
    ) -> bool:
        if import_validation_errors or original is None:
            return False
        target, grade, note, completed_on = instance._grade_row  # type: ignore[attr-defined]
        if original.state != target:
            return False
        if target == S.NOT_COMPLETED:
            return True
        return (original.grade, original.result_note, original.completed_on) == (grade, note, completed_on)

    def save_instance(self, instance: Enrolment, is_create: bool, row: Any, **kwargs: Any) -> None:
        target, grade, note, completed_on = instance._grade_row  # type: ignore[attr-defined]
        comment = _("Grade report import")
        try:
            if target == S.COMPLETED:
                enrolment_complete(
                    enrolment=instance,
                    actor=self.actor,
                    completed_on=completed_on,
                    grade=grade,
                    result_note=note,
                    comment=comment,
                )
            else:
                enrolment_mark_not_completed(enrolment=instance, actor=self.actor, comment=note or comment)
        except EnrolmentError as exc:
            raise ValidationError(exc.message) from exc

    def save_m2m(self, instance: Enrolment, row: Any, **kwargs: Any) -> None:
        return None

    def dehydrate_result(self, enrolment: Enrolment) -> str:
        # An exported approved enrolment is a blank line for the university to fill in.
        return "" if enrolment.state == S.APPROVED else enrolment.state
