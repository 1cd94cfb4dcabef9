"""Courses' kinds of background job (staff/jobs.py): HR's bulk completion of many enrolments.

The work is ``enrolments_bulk_complete``, unchanged, called once per ``COMPLETE_CHUNK``
enrolments (its own transaction size) so that the job page can show the progress after each.
The enrolments are put in the service's order (oldest request first) before they are cut into
chunks, so the result is the same as one call with all of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from staff.jobs import JobKind, Progress, input_digest, job_kind_register, job_start
from staff.models import BackgroundJob, StaffMember

from .models import Enrolment
from .services import COMPLETE_CHUNK, enrolments_bulk_complete

BULK_COMPLETE = "courses.bulk_complete"


def bulk_complete_job_start(
    *,
    enrolment_ids: list[int],
    actor: StaffMember,
    completed_on: dt.date | None,
    grade: str,
    result_note: str,
    date_reason: str,
) -> tuple[BackgroundJob, bool]:
    """HR's "mark selected completed" for many enrolments, as a background job. The same
    selection while a job on it waits or runs gives that job (a second click)."""
    ids = sorted(set(enrolment_ids))
    return job_start(
        kind=BULK_COMPLETE,
        actor=actor,
        input={
            "enrolment_ids": ids,
            "completed_on": completed_on.isoformat() if completed_on else None,
            "grade": grade,
            "result_note": result_note,
            "date_reason": date_reason,
        },
        total=len(ids),
        digest=input_digest(BULK_COMPLETE, ids),
    )


def bulk_complete_run(job: BackgroundJob, progress: Progress) -> dict[str, Any]:
    data = job.input
    ids = data["enrolment_ids"]
    found = {e.pk: e for e in Enrolment.objects.filter(pk__in=ids).select_related("staff", "course")}
    ordered = sorted(found.values(), key=lambda e: (e.recommended_at or e.requested_at, e.pk))
    completed_on = dt.date.fromisoformat(data["completed_on"]) if data.get("completed_on") else None
    counts = {"done": 0, "waitlisted": 0, "unchanged": 0, "errors": 0}
    errors = [gettext("Enrolment %(id)s no longer exists.") % {"id": pk} for pk in ids if pk not in found]
    counts["errors"] = len(errors)
    handled = len(errors)
    progress(handled)
    for start in range(0, len(ordered), COMPLETE_CHUNK):
        chunk = ordered[start : start + COMPLETE_CHUNK]
        outcome = enrolments_bulk_complete(
            enrolments=chunk,
            actor=job.started_by,
            completed_on=completed_on,
            grade=data.get("grade", ""),
            result_note=data.get("result_note", ""),
            date_reason=data.get("date_reason", ""),
        )
        counts["done"] += len(outcome.done)
        counts["waitlisted"] += len(outcome.waitlisted)
        counts["unchanged"] += len(outcome.unchanged)
        counts["errors"] += len(outcome.errors)
        errors.extend(f"{e.staff.full_name} / {e.course.code}: {message}" for e, message in outcome.errors)
        if outcome.done:
            # As the admin action does in the request: HR's "recent actions" and each
            # enrolment's history list the change.
            LogEntry.objects.log_actions(
                user_id=job.started_by_id,
                queryset=outcome.done,
                action_flag=CHANGE,
                change_message=gettext("Marked completed (admin action)"),
            )
        handled += len(chunk)
        progress(handled)
    return {"counts": counts, "errors": errors}


def register() -> None:
    job_kind_register(
        JobKind(
            name=BULK_COMPLETE,
            label=_("Mark enrolments completed"),
            run=bulk_complete_run,
            count_labels={
                "done": _("Marked completed"),
                "waitlisted": _("Put on the waiting list"),
                "unchanged": _("Already recorded that way (no change)"),
                "errors": _("Not done"),
            },
            back_url_name="admin:courses_enrolment_changelist",
        )
    )
