from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .models import Course, Delivery, Provider, Skill, UseType
from .selectors import DEFAULT_SORT

SORT_CHOICES = [
    ("start", _("Start date")),
    ("deadline", _("Application deadline")),
    ("title", _("Title")),
    ("code", _("Course code")),
    ("newest", _("Newest first")),
]


class CatalogueFilterForm(forms.Form):
    """The catalogue's search and filters (GET). Unknown values are ignored, never an error page."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Title, description, skill or provider. Part of a word is enough (e.g. 行政)."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    provider = forms.ChoiceField(label=_("Provider"), required=False)
    skill = forms.ChoiceField(label=_("Skill"), required=False)
    delivery = forms.ChoiceField(label=_("Delivery"), required=False, choices=[("", _("Any")), *Delivery.choices])
    use_type = forms.ChoiceField(label=_("Use type"), required=False, choices=[("", _("Any")), *UseType.choices])
    open_now = forms.BooleanField(label=_("Open for application now"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, providers: list[Provider], skills: list[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", _("Any"))] + [(p.code, p.display_name) for p in providers]
        self.fields["skill"].choices = [("", _("Any"))] + [(s.code, s.display_name) for s in skills]

    def params(self) -> dict[str, Any]:
        """The valid values only, with defaults for the rest."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": data.get("q") or "",
            "provider": data.get("provider") or "",
            "skill": data.get("skill") or "",
            "delivery": data.get("delivery") or "",
            "use_type": data.get("use_type") or "",
            "open_now": bool(data.get("open_now")),
            "sort": data.get("sort") or DEFAULT_SORT,
        }


class EnrolmentRequestForm(forms.Form):
    use_type = forms.ChoiceField(label=_("Use type"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        help_text=_("A few sentences for your head of section and HR: why this course, and how you will use it."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(t, UseType(t).label) for t in course.use_types]
        self.fields["use_type"].choices = choices
        if len(choices) == 1:
            self.fields["use_type"].initial = choices[0][0]

    def use_type_label(self) -> str:
        return str(UseType(self.cleaned_data["use_type"]).label)


class HeadDecisionForm(forms.Form):
    RECOMMEND, DECLINE = "recommend", "decline"
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(RECOMMEND, _("Recommend")), (DECLINE, _("Decline"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=1000,
        help_text=_("Required when you decline."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == self.DECLINE and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Please say why you decline the request."))
        return data


class ApproveForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class CompleteForm(forms.Form):
    completed_on = forms.DateField(
        label=_("Completed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    grade = forms.CharField(label=_("Grade"), max_length=20, required=False, help_text=_("e.g. 優, A, 合格, 85"))
    result_note = forms.CharField(label=_("Result"), max_length=200, required=False)
    date_reason = forms.CharField(
        label=_("Reason for a date before the course starts"),
        max_length=500,
        required=False,
        help_text=_("Needed only when the completion date is before the course starts; it is kept in the history."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, latest_start: dt.date | None = None, **kwargs: Any) -> None:
        """``latest_start``: the latest start date among the courses concerned, so that the form
        asks for the reason at once instead of the service refusing each enrolment."""
        super().__init__(*args, **kwargs)
        self.latest_start = latest_start
        self.fields["completed_on"].initial = timezone.localdate()

    def clean_completed_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["completed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The completion date cannot be in the future."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day = data.get("completed_on")
        if day and self.latest_start and day < self.latest_start and not (data.get("date_reason") or "").strip():
            self.add_error(
                "date_reason",
                _("The date is before the course starts (%(start)s): say why, or correct the date.")
                % {"start": formats.date_format(self.latest_start, "DATE_FORMAT")},
            )
        return data


class NotCompletedForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
