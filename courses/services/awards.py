"""The completion event's award requests: the course's badge, and every programme's badge whose
last course this was (``enrolment_complete`` and the bulk completion both end here)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from badges.models import BadgeClass
from badges.services import AwardRequest, awards_request_many

from ..models import Enrolment, EnrolmentState, Programme
from .base import _date, _today

S = EnrolmentState


def _evidence(enrolment: Enrolment) -> dict[str, Any]:
    """What the award's badge says was completed. The grade is kept apart (``result``): the
    badge states it only where its class publishes grades (badges/grades.py)."""
    course = enrolment.course
    narrative = gettext("Completed “%(title)s” (%(provider)s, %(term)s).") % {
        "title": course.title,
        "provider": course.provider.name,
        "term": course.term or _date(course.starts_on),
    }
    return {
        "name": course.title,
        "narrative": narrative,
        "genre": "Course",
        "course_code": course.code,
        "result": enrolment.grade,
        "completed_on": (enrolment.completed_on or _today()).isoformat(),
    }


def _request_awards(completed: list[Enrolment]) -> None:
    """The completion event, for one or many completions (the caller holds their locks and has
    written them): ask badges for each course's badge and for every programme whose last course
    this was. ``awards_request_many`` is idempotent per source key and queues the issuing after
    the commit, so a re-marked or re-imported completion never produces a second award. A
    constant number of queries whatever the count."""
    requests: list[AwardRequest] = []
    badge_ids = {e.course.badge_class_id for e in completed if e.course.badge_class_id}
    badges = {b.pk: b for b in BadgeClass.objects.filter(pk__in=badge_ids, is_active=True)}
    for enrolment in completed:
        badge_class = badges.get(enrolment.course.badge_class_id)  # type: ignore[arg-type]
        if badge_class is None:
            continue
        with translation.override(enrolment.staff.preferred_language or "ja"):
            evidence = [_evidence(enrolment)]
        requests.append(
            AwardRequest(
                recipient=enrolment.staff,
                badge_class=badge_class,
                source_key=f"enrolment:{enrolment.pk}",
                achieved_on=enrolment.completed_on or _today(),
                evidence=evidence,
            )
        )
    programmes = list(
        Programme.objects.filter(
            courses__in={e.course_id for e in completed}, badge_class__isnull=False, badge_class__is_active=True
        )
        .distinct()
        .select_related("badge_class")
        .prefetch_related("courses")
    )
    if programmes:
        needed_by_programme = {p.pk: {c.pk for c in p.courses.all()} for p in programmes}
        all_needed = set().union(*needed_by_programme.values())
        staff_ids = {e.staff_id for e in completed}
        done: dict[int, dict[int, Enrolment]] = {}
        for e in Enrolment.objects.filter(
            staff_id__in=staff_ids, course_id__in=all_needed, state=S.COMPLETED
        ).select_related("course", "course__provider", "staff"):
            done.setdefault(e.staff_id, {})[e.course_id] = e
        seen: set[tuple[int, int]] = set()
        for enrolment in completed:
            for programme in programmes:
                needed = needed_by_programme[programme.pk]
                key = (programme.pk, enrolment.staff_id)
                if enrolment.course_id not in needed or key in seen:
                    continue
                seen.add(key)
                mine = done.get(enrolment.staff_id, {})
                if needed - mine.keys():
                    continue
                parts = sorted((mine[c] for c in needed), key=lambda e: e.course.code)
                with translation.override(enrolment.staff.preferred_language or "ja"):
                    evidence = [_evidence(e) for e in parts]
                requests.append(
                    AwardRequest(
                        recipient=enrolment.staff,
                        badge_class=programme.badge_class,  # type: ignore[arg-type]
                        source_key=f"programme:{programme.pk}:staff:{enrolment.staff_id}",
                        achieved_on=max(e.completed_on or _today() for e in parts),
                        evidence=evidence,
                    )
                )
    if requests:
        awards_request_many(requests)
