"""The confirm step of a large roster import, as a background job (staff/jobs.py).

The work is the import the admin's confirm step does (``StaffRosterResource.import_data``,
staff/resources.py), unchanged: one transaction, all or nothing, new people created together
and missing people deactivated for a full roster. Because it is one transaction, its progress
cannot be read from the job's row until it commits; it is reported through the cache, which
web and worker share (``staff.jobs.job_progress``).

The uploaded file waits in the cache under its content's digest while the job waits or runs
(the pending upload itself is forgotten at the confirmation, as before), so the same file
confirmed twice finds the running job.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .formats import ROSTER_FORMATS, RosterFileError
from .jobs import JobFailed, JobKind, Progress, input_digest, job_kind_register, job_start
from .models import BackgroundJob, StaffMember
from .resources import StaffRosterResource

ROSTER_IMPORT = "staff.roster_import"
# Long enough for a broker outage and a queue of other jobs; the file holds personal data.
UPLOAD_SECONDS = 24 * 3600
PROGRESS_EVERY = 500
MAX_DETAILS = 50


def _upload_key(digest: str) -> str:
    return f"background-job-upload:{digest}"


def _confirmed_key(upload_name: str) -> str:
    return f"background-job-for-upload:{upload_name}"


def roster_job_for_upload(upload_name: str) -> int | None:
    """The job started from this pending upload's confirmation (a second click on 確定)."""
    return cache.get(_confirmed_key(upload_name)) if upload_name else None


def roster_job_start(
    *,
    data: Any,
    format_index: int,
    full_roster: bool,
    rows: int,
    actor: StaffMember,
    upload_name: str,
    file_name: str,
) -> tuple[BackgroundJob, bool]:
    raw = data.encode() if isinstance(data, str) else bytes(data)
    digest = input_digest(ROSTER_IMPORT, [hashlib.sha256(raw).hexdigest(), format_index, full_roster])
    job, created = job_start(
        kind=ROSTER_IMPORT,
        actor=actor,
        input={"format": format_index, "full_roster": full_roster, "file_name": file_name, "upload": digest},
        total=rows,
        digest=digest,
    )
    if created:
        cache.set(_upload_key(digest), data, UPLOAD_SECONDS)
    cache.set(_confirmed_key(upload_name), job.pk, UPLOAD_SECONDS)
    return job, created


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
    key = _upload_key(job.input["upload"])
    data = cache.get(key)
    input_format = ROSTER_FORMATS[int(job.input["format"])]()
    try:
        dataset = input_format.create_dataset(data)  # None (expired): RosterFileError
    except RosterFileError as exc:
        raise JobFailed(str(exc)) from exc
    resource = _ReportingRosterResource(progress=progress, full_roster=bool(job.input.get("full_roster")))
    result = resource.import_data(
        dataset, dry_run=False, raise_errors=False, file_name=job.input.get("file_name", ""), user=job.started_by
    )
    if result.has_errors() or result.has_validation_errors():
        # The data changed between the preview and the confirmation: nothing was written.
        details = [
            gettext("Line %(line)s: %(reasons)s") % {"line": row.number, "reasons": " ".join(row.error.messages)}
            for row in result.invalid_rows[:MAX_DETAILS]
        ]
        details += [str(error.error) for error in result.base_errors[:MAX_DETAILS]]
        details += [str(e.error) for _number, errors in result.row_errors()[:MAX_DETAILS] for e in errors]
        cache.delete(key)
        raise JobFailed(gettext("Nothing was imported: the file no longer passes the checks."), details)
    cache.delete(key)
    return {
        "counts": {
            "new": result.totals["new"],
            "changed": result.totals["update"],
            "unchanged": result.totals["skip"],
            "deactivated": getattr(result, "deactivated", 0),
        },
        "errors": [],
    }


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
