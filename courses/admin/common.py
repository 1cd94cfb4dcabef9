"""What the course admin's pages share: file formats, export file names in Japan time, and
the admin log of what HR did through a service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import Count, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from staff.formats import RosterCSV, RosterXLSX

from ..models import Enrolment, EnrolmentState

S = EnrolmentState


def _count_in(states: tuple[str, ...]) -> Coalesce:
    subquery = (
        Enrolment.objects.filter(course=OuterRef("pk"), state__in=states)
        .order_by()
        .values("course")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(subquery), Value(0))


# CSV in UTF-8, UTF-8 with BOM or CP932 (Excel), and XLSX: the same rules as the roster.
FILE_FORMATS = [RosterCSV, RosterXLSX]


class JapanDateExportMixin:
    """Export file names dated in Japan time: import-export's default uses the UTC date, which
    is yesterday's before 9:00 in Japan."""

    model: type[Model]

    def get_export_filename(self, request: HttpRequest, queryset: QuerySet[Any], file_format: Any) -> str:
        return f"{self.model.__name__}-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"


def log_admin_change(request: HttpRequest, objects: Iterable[Model], message: str) -> None:
    """Record what HR did through a service from the admin (actions, the enrolment page's
    buttons) as admin log entries, so that 「最近行った操作」 and each object's history list it:
    Django writes these only for its own add/change/delete forms."""
    objects = list(objects)
    if objects and request.user.is_authenticated:
        LogEntry.objects.log_actions(
            user_id=request.user.pk, queryset=objects, action_flag=CHANGE, change_message=message
        )
