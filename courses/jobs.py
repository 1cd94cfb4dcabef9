"""Courses' kinds of background job (staff/jobs.py): HR's bulk completion of many enrolments,
and the confirmation of a large grade report (成績) import.

Bulk completion: ``enrolments_bulk_complete``, unchanged, called once per ``COMPLETE_CHUNK``
enrolments (its own transaction size) so that the job page can show the progress after each.
The enrolments are put in the service's order (oldest request first) before they are cut into
chunks, so the result is the same as one call with all of them.

Grade report: the import the admin's confirm step does (``GradeReportResource``), unchanged:
one transaction, all or nothing, each line through ``enrolment_complete`` /
``enrolment_mark_not_completed``; a line that repeats what is recorded is skipped, so a job run
again (a worker that died) changes nothing twice and requests no second badge. Its progress is
reported through the cache (``staff.jobs.job_progress``). Both write the admin log entries the
request would have written, so 「最近行った操作」 lists what HR did.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from staff.formats import ROSTER_FORMATS
from staff.jobs import (
    JobKind,
    Progress,
    input_digest,
    job_kind_register,
    job_start,
    upload_import_run,
)
from staff.models import BackgroundJob, StaffMember

from .models import Enrolment, EnrolmentState
from .resources import GradeReportResource, GradeRowResult
from .services import COMPLETE_CHUNK, enrolments_bulk_complete

BULK_COMPLETE = "courses.bulk_complete"
GRADE_IMPORT = "courses.grade_import"
# The grade report's file formats, in the admin's order (the job is told the index).
GRADE_FORMATS = ROSTER_FORMATS
PROGRESS_EVERY = 200
MAX_DETAILS = 50
LOG_CHUNK = 1000  # admin log entries per INSERT


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


# --- The grade report ------------------------------------------------------------------------


class _ReportingGradeResource(GradeReportResource):
    """The grade report resource, telling the job how many lines it has read, and counting
    what each line did: completed (or a completion's result corrected), not completed."""

    def __init__(self, *, progress: Progress, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._progress = progress
        self._lines = 0

    def import_row(self, row: Any, instance_loader: Any, **kwargs: Any) -> Any:
        row_result = super().import_row(row, instance_loader, **kwargs)
        self._lines += 1
        if self._lines % PROGRESS_EVERY == 0:
            self._progress(self._lines)
        return row_result


def grade_report_log(*, user_id: int, rows: list[Any]) -> None:
    """Admin log entries for the enrolments a grade report changed (「最近行った操作」 and each
    enrolment's history), in words: the request's confirmation and the job write the same."""
    changed = [
        row.instance
        for row in rows
        if isinstance(row, GradeRowResult) and row.import_type == GradeRowResult.IMPORT_TYPE_UPDATE and row.instance
    ]
    for state, message in (
        (EnrolmentState.COMPLETED, gettext("Marked completed (grade report import)")),
        (EnrolmentState.NOT_COMPLETED, gettext("Marked not completed (grade report import)")),
    ):
        enrolments = [e for e in changed if e.state == state]
        for start in range(0, len(enrolments), LOG_CHUNK):
            LogEntry.objects.log_actions(
                user_id=user_id,
                queryset=enrolments[start : start + LOG_CHUNK],
                action_flag=CHANGE,
                change_message=message,
            )


def grade_import_run(job: BackgroundJob, progress: Progress) -> dict[str, Any]:
    def failure_details(result: Any) -> list[str]:
        # The enrolments changed between the preview and the confirmation (another officer,
        # a withdrawal). Each failing line as the spreadsheet numbers it.
        details = [
            gettext("Line %(line)s: %(reasons)s") % {"line": row.line, "reasons": " ".join(row.reasons)}
            for row in result.rows
            if isinstance(row, GradeRowResult) and row.failed
        ][:MAX_DETAILS]
        return details + [str(error.error) for error in result.base_errors[:MAX_DETAILS]]

    result = upload_import_run(
        job,
        input_format=GRADE_FORMATS[int(job.input["format"])](),
        resource=_ReportingGradeResource(progress=progress, actor=job.started_by),
        log=lambda result: grade_report_log(user_id=job.started_by_id, rows=result.rows),
        failure_details=failure_details,
    )
    changed = [row.instance for row in result.rows if row.import_type == GradeRowResult.IMPORT_TYPE_UPDATE]
    return {
        "counts": {
            "completed": sum(1 for e in changed if e is not None and e.state == EnrolmentState.COMPLETED),
            "not_completed": sum(1 for e in changed if e is not None and e.state == EnrolmentState.NOT_COMPLETED),
            "unchanged": result.totals["skip"],
        },
        "errors": [],
    }


def register() -> None:
    job_kind_register(
        JobKind(
            name=GRADE_IMPORT,
            label=_("Grade report import"),
            run=grade_import_run,
            count_labels={
                "completed": _("Marked completed (or result corrected)"),
                "not_completed": _("Marked not completed"),
                "unchanged": _("Already recorded that way (no change)"),
            },
            back_url_name="admin:courses_enrolment_changelist",
        )
    )
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
