"""The pieces of the enrolment admin: its history inline, its list filters and the decisions its
page offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from staff.models import Department

from ..models import Course, Enrolment, EnrolmentEvent
from ..selectors import AWAITING_HR_STATES
from .common import S


class EnrolmentEventInline(admin.TabularInline):
    """The history: read-only, nothing added or removed by hand."""

    model = EnrolmentEvent
    template = "admin/courses/enrolment/history_inline.html"
    extra = 0
    can_delete = False
    fields = ["at", "from_state", "to_state", "actor", "comment"]
    readonly_fields = fields
    verbose_name_plural = _("history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[EnrolmentEvent]:
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"
    AWAITING_HR = "awaiting_hr"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(self.AWAITING_HR, _("Awaiting HR (recommended or waiting)")), *S.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
        value = self.value()
        if value == self.AWAITING_HR:
            return queryset.filter(state__in=AWAITING_HR_STATES)
        if value in S.values:
            return queryset.filter(state=value)
        return queryset


class CourseFilter(admin.SimpleListFilter):
    """Courses with requests awaiting HR, soonest deadline first (at most 40 listed).

    Listing every course would put a thousand links on the page; any course can still be
    chosen with ``?course=<id>`` (the course list links here) or found with the search box.
    """

    title = _("course")
    parameter_name = "course"
    LIMIT = 40

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        pending = Enrolment.objects.filter(course=OuterRef("pk"), state__in=(S.RECOMMENDED, S.WAITLISTED))
        courses = (
            Course.objects.filter(Exists(pending))
            .order_by(F("application_closes_on").asc(nulls_last=True), "code")
            .only("pk", "code", "title")[: self.LIMIT]
        )
        choices = [(str(c.pk), f"{c.code} {c.title}") for c in courses]
        value = self.value()
        if value and value not in {pk for pk, _label in choices} and value.isdigit():
            chosen = Course.objects.filter(pk=value).only("pk", "code", "title").first()
            if chosen is not None:
                choices.insert(0, (value, f"{chosen.code} {chosen.title}"))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(course_id=value) if value.isdigit() else queryset.none()


class DepartmentFilter(admin.SimpleListFilter):
    """Divisions and sections; a choice includes everything below it (the path prefix)."""

    title = _("department")
    parameter_name = "department"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        departments = Department.objects.filter(level__in=("division", "section"), is_active=True).order_by("path")
        return [(d.code, ("　" if d.level == "section" else "") + d.name) for d in departments]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
        if not self.value():
            return queryset
        department = Department.objects.filter(code=self.value()).first()
        if department is None:
            return queryset.none()
        return queryset.filter(staff__department__path__startswith=department.path)


@dataclass(frozen=True)
class Decision:
    """One decision HR can take on the enrolment's own page (the list actions' services)."""

    name: str
    title: str
    button: str
    form: forms.Form
    url: str
    primary: bool = False
