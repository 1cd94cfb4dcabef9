"""Filter forms for the HR insight pages (all GET: a search is a link that can be shared)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from staff.models import EmploymentType, JobFamily, PositionGrade, RecordAccess

from ..models import Skill, SkillLevel
from .departments import Dept
from .fiscal import fiscal_year_label, fiscal_year_of
from .help_texts import HELP_SKILL_HOLDING, HELP_VALID_ONLY


def _department_choices(departments: Sequence[Dept], empty: str) -> list[tuple[str, str]]:
    # Indented by depth with full-width spaces, so the tree reads in a plain <select>.
    return [("", empty)] + [(d.code, "　" * d.depth + d.display_name) for d in departments]


def _with_empty(choices: Sequence[tuple[str, Any]], empty: str) -> list[tuple[str, Any]]:
    return [("", empty), *choices]


class PeopleSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name or employee number"),
        required=False,
        max_length=100,
        help_text=_("Kanji or kana (hiragana finds katakana); separate words with a space."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    skill = forms.ChoiceField(label=_("Skill"), required=False)
    level = forms.TypedChoiceField(
        label=_("At level or above"), choices=SkillLevel.choices, coerce=int, required=False, empty_value=1
    )
    badge = forms.CharField(label=_("Badge"), required=False, max_length=100, help_text=_("Part of the badge's name."))
    course = forms.CharField(
        label=_("Course completed"),
        required=False,
        max_length=100,
        help_text=_("A course code, or part of its title."),
    )
    # Any code is accepted here: the view answers 403 for a department outside the person's scope.
    department = forms.CharField(
        label=_("Department (and everything below it)"), required=False, max_length=20, widget=forms.Select
    )
    grade = forms.ChoiceField(label=_("Position grade"), required=False)
    job_family = forms.ChoiceField(label=_("Job family"), required=False)
    employment_type = forms.ChoiceField(label=_("Employment type"), required=False)
    valid_only = forms.BooleanField(label=_("Valid badges only"), required=False, help_text=HELP_VALID_ONLY)

    def __init__(self, *args: Any, skills: Sequence[Skill], departments: Sequence[Dept], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = _with_empty([(s.code, s.display_name) for s in skills], _("Any skill"))
        self.fields["skill"].help_text = HELP_SKILL_HOLDING
        self.fields["department"].widget.choices = _department_choices(departments, _("Any department"))
        self.fields["grade"].choices = _with_empty(PositionGrade.choices, _("Any grade"))
        self.fields["job_family"].choices = _with_empty(JobFamily.choices, _("Any job family"))
        self.fields["employment_type"].choices = _with_empty(EmploymentType.choices, _("Any employment type"))


class MatrixForm(forms.Form):
    department = forms.CharField(label=_("Department"), required=False, max_length=20, widget=forms.Select)
    level = forms.TypedChoiceField(
        label=_("At level or above"), choices=SkillLevel.choices, coerce=int, required=False, empty_value=1
    )
    grade = forms.ChoiceField(label=_("Position grade"), required=False)
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Counts what people had earned by this day, and badges valid on it."),
    )
    valid_only = forms.BooleanField(label=_("Valid badges only"), required=False)

    def __init__(self, *args: Any, departments: Sequence[Dept], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].widget.choices = _department_choices(departments, _("Top level"))
        self.fields["grade"].choices = _with_empty(PositionGrade.choices, _("Any grade"))


class DashboardForm(forms.Form):
    fy_from = forms.TypedChoiceField(label=_("From fiscal year"), coerce=int, required=False)
    fy_to = forms.TypedChoiceField(label=_("To fiscal year"), coerce=int, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = fiscal_year_of(timezone.localdate())
        choices = [(fy, fiscal_year_label(fy)) for fy in range(current + 1, current - 10, -1)]
        self.fields["fy_from"].choices = choices
        self.fields["fy_to"].choices = choices
        # The default period, shown selected when the page opens: the last three fiscal years.
        self.fields["fy_from"].initial = current - 2
        self.fields["fy_to"].initial = current

    def years(self) -> tuple[int, int]:
        current = fiscal_year_of(timezone.localdate())
        data = self.cleaned_data if self.is_valid() else {}
        fy_to = data.get("fy_to") or current
        fy_from = data.get("fy_from") or fy_to - 2
        if fy_from > fy_to:
            fy_from, fy_to = fy_to, fy_from
        return fy_from, fy_to


class AccessLogForm(forms.Form):
    person = forms.CharField(label=_("Whose record (employee number)"), required=False, max_length=20)
    viewer = forms.CharField(label=_("Viewed by (employee number)"), required=False, max_length=20)
    purpose = forms.ChoiceField(
        label=_("Purpose"), required=False, choices=[("", _("Any")), *RecordAccess.Purpose.choices]
    )
    date_from = forms.DateField(
        label=_("From (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
