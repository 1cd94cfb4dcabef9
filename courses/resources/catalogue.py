"""The catalogue's import and export: courses (their skills as text; an import ends in
``course_update``, as the admin form does) and skills."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from import_export import fields, widgets

from ..models import Course, Delivery, Provider, Skill, SkillLevel
from ..services import course_update
from .columns import ChoiceLabelWidget, JapaneseColumnsResource, JapaneseDateWidget

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
