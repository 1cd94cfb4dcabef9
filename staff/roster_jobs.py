"""The confirm step of a large roster import, as a background job (staff/jobs.py).

The work is the import the admin's confirm step does (``StaffRosterResource.import_data``,
staff/resources/), unchanged: one transaction, all or nothing, new people created together
and missing people deactivated for a full roster. Because it is one transaction, its progress
cannot be read from the job's row until it commits; it is reported through the cache, which
web and worker share (``staff.jobs.job_progress``).

The uploaded file waits in the cache while the job waits or runs (``staff.jobs.upload_job_start``),
so the same file confirmed twice finds the running job. The job writes the admin log entries the
request would have written (「最近行った操作」).
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .formats import ROSTER_FORMATS
from .jobs import JobKind, Progress, job_kind_register, upload_import_run
from .models import BackgroundJob, StaffMember
from .resources import StaffRosterResource

ROSTER_IMPORT = "staff.roster_import"
PROGRESS_EVERY = 500
MAX_DETAILS = 50
LOG_CHUNK = 1000  # admin log entries per INSERT


class _ReportingRosterResource(StaffRosterResource):
    """The roster resource, telling the job how many rows it has imported."""

    def __init__(self, *, progress: Progress, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._progress = progress
        self._rows = 0

    def after_import_row(self, row: dict[str, Any], row_result: Any, **kwargs: Any) -> None:
        super().after_import_row(row, row_result, **kwargs)
        self._rows += 1
        if self._rows % PROGRESS_EVERY == 0:
            self._progress(self._rows)


def roster_import_run(job: BackgroundJob, progress: Progress) -> dict[str, Any]:
    def failure_details(result: Any) -> list[str]:
        details = [
            gettext("Line %(line)s: %(reasons)s") % {"line": row.number, "reasons": " ".join(row.error.messages)}
            for row in result.invalid_rows[:MAX_DETAILS]
        ]
        details += [str(error.error) for error in result.base_errors[:MAX_DETAILS]]
        return details + [str(e.error) for _number, errors in result.row_errors()[:MAX_DETAILS] for e in errors]

    result = upload_import_run(
        job,
        input_format=ROSTER_FORMATS[int(job.input["format"])](),
        resource=_ReportingRosterResource(progress=progress, full_roster=bool(job.input.get("full_roster"))),
        log=lambda result: _log_roster_import(job, result),
        failure_details=failure_details,
    )
    return {
        "counts": {
            "new": result.totals["new"],
            "changed": result.totals["update"],
            "unchanged": result.totals["skip"],
            "deactivated": getattr(result, "deactivated", 0),
        },
        "errors": [],
    }


def _log_roster_import(job: BackgroundJob, result: Any) -> None:
    """HR's 「最近行った操作」 and each person's history list the import, as they do when the
    admin imports a small roster in the request (import-export's log entries): the people
    added, those changed, and those a full roster deactivated."""
    message = gettext("Roster import")
    for import_type, flag in (("new", ADDITION), ("update", CHANGE)):
        people = [row.instance for row in result.rows if row.import_type == import_type and row.instance]
        for start in range(0, len(people), LOG_CHUNK):
            LogEntry.objects.log_actions(
                user_id=job.started_by_id,
                queryset=people[start : start + LOG_CHUNK],
                action_flag=flag,
                change_message=message,
            )
    gone = [pk for pk, _number, _name in getattr(result, "deactivations", [])]
    if gone and getattr(result, "deactivated", 0):
        LogEntry.objects.log_actions(
            user_id=job.started_by_id,
            queryset=list(StaffMember.objects.filter(pk__in=gone, is_active=False)),
            action_flag=CHANGE,
            change_message=gettext("Deactivated: not in the full roster (roster import)"),
        )


def register() -> None:
    job_kind_register(
        JobKind(
            name=ROSTER_IMPORT,
            label=_("Roster import"),
            run=roster_import_run,
            count_labels={
                "new": _("New"),
                "changed": _("Changed"),
                "unchanged": _("Unchanged"),
                "deactivated": _("Deactivated"),
            },
            back_url_name="admin:staff_staffmember_changelist",
        )
    )
