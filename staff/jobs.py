"""HR's long operations, run in the background (a bulk completion of thousands, a roster import).

The generic part lives here: the job row, starting a job at most once per input, running it
in a worker, the sweep. What a kind of job does lives in its own app, registered with
``job_kind_register`` from that app's ``ready()`` (staff does not import courses: courses ->
badges -> staff). A runner receives the job and a ``progress(done)`` callable, does its work in
chunks through the app's existing services, and returns the result:
``{"counts": {name: n, ...}, "errors": ["...", ...]}`` (the kind names the counts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from hachioji_portal import queueing

from .models import BackgroundJob, StaffMember

logger = logging.getLogger(__name__)

J = BackgroundJob.State
ACTIVE = (J.QUEUED, J.RUNNING)

Progress = Callable[[int], None]
Runner = Callable[[BackgroundJob, Progress], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str | Promise
    run: Runner
    # Labels of the result's counts, in the order they are shown.
    count_labels: dict[str, str | Promise] = field(default_factory=dict)
    # Where HR goes back to from the job page (a URL name of the admin).
    back_url_name: str = ""


_KINDS: dict[str, JobKind] = {}


class JobFailed(Exception):
    """Raised by a runner that cannot do its work, with the reason for HR (and details)."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


def job_kind_register(kind: JobKind) -> None:
    _KINDS[kind.name] = kind


def job_kind(name: str) -> JobKind | None:
    return _KINDS.get(name)


def input_digest(kind: str, data: Any) -> str:
    return hashlib.sha256(json.dumps([kind, data], sort_keys=True, default=str).encode()).hexdigest()


def job_start(
    *, kind: str, actor: StaffMember, input: dict[str, Any], total: int, digest: str
) -> tuple[BackgroundJob, bool]:
    """Create the job and queue it after the commit; or, when the same operation on the same
    input is already waiting or running, return that one (a second click). ``(job, created)``.

    The partial unique constraint decides between two clicks at the same moment: the second
    INSERT waits for the first transaction and then fails, and finds the first job."""
    if kind not in _KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    for _attempt in range(3):
        try:
            with transaction.atomic():
                job = BackgroundJob.objects.create(
                    kind=kind, started_by=actor, input=input, input_digest=digest, total=total
                )
        except IntegrityError:
            running = BackgroundJob.objects.filter(kind=kind, input_digest=digest, state__in=ACTIVE).first()
            if running is not None:
                return running, False
            continue  # it ended between our INSERT and this SELECT: try again
        transaction.on_commit(partial(job_enqueue, job_id=job.pk))
        return job, True
    raise RuntimeError("could not start the job")  # pragma: no cover - three races in a row


def job_enqueue(*, job_id: int) -> bool:
    """Queue the job's task; when the broker is down the row waits for the sweep (which finds
    it by its state: nothing is stamped)."""
    return queueing.enqueue("staff.tasks.background_job_task", [job_id], batch=None, outbox=None) == 1


def _progress_key(job_id: int) -> str:
    return f"background-job-progress:{job_id}"


def job_progress(job: BackgroundJob) -> int:
    """How far the job has got. A runner inside one transaction (the roster import is all or
    nothing) cannot show its progress in the row until it commits: it is also in the cache."""
    if not job.is_active:
        return job.done_count
    return max(job.done_count, int(cache.get(_progress_key(job.pk)) or 0))


def job_run(*, job_id: int) -> str:
    """Run a queued job (the worker's task). Idempotent: the row is claimed with a conditional
    UPDATE, so a redelivered message or a second worker finds nothing to do."""
    now = timezone.now()
    claimed = BackgroundJob.objects.filter(pk=job_id, state=J.QUEUED).update(
        state=J.RUNNING, started_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return "not-queued"
    job = BackgroundJob.objects.select_related("started_by").get(pk=job_id)
    kind = _KINDS.get(job.kind)

    def progress(done: int) -> None:
        cache.set(_progress_key(job_id), done, 24 * 3600)
        if not connection.in_atomic_block:
            BackgroundJob.objects.filter(pk=job_id).update(done_count=done)

    try:
        if kind is None:
            raise LookupError(f"unknown job kind {job.kind!r}")
        # Messages (refusal reasons) in the language of the person who started the job.
        with translation.override(job.started_by.preferred_language or "ja"):
            result = kind.run(job, progress)
    except Exception as exc:
        if isinstance(exc, JobFailed):
            errors = [str(exc), *exc.details]
        else:
            logger.exception("background job %s failed", job_id)
            with translation.override(job.started_by.preferred_language or "ja"):
                errors = [gettext("The job stopped with an error (%(error)s).") % {"error": type(exc).__name__}]
        BackgroundJob.objects.filter(pk=job_id).update(
            state=J.FAILED, finished_at=timezone.now(), result={"counts": {}, "errors": errors}
        )
        cache.delete(_progress_key(job_id))
        return "failed"
    BackgroundJob.objects.filter(pk=job_id).update(
        state=J.DONE, finished_at=timezone.now(), done_count=job.total, result=result
    )
    cache.delete(_progress_key(job_id))
    return "done"


def jobs_requeue_stale(*, older_than: dt.timedelta, now: dt.datetime, running_for: dt.timedelta) -> int:
    """Queue again the jobs still waiting after ``older_than`` (a broker that was down when HR
    clicked, a lost message), and put back in the queue those running for longer than
    ``running_for`` (a worker that died: the kinds' services are idempotent, so a rerun
    completes what the first run did not)."""
    BackgroundJob.objects.filter(state=J.RUNNING, started_at__lt=now - running_for).update(state=J.QUEUED)
    ids = list(
        BackgroundJob.objects.filter(state=J.QUEUED, created_at__lt=now - older_than).values_list("pk", flat=True)
    )
    return sum(job_enqueue(job_id=job_id) for job_id in ids)


# --- Jobs that import an uploaded file (the confirm step of a large import) -------------------

# Long enough for a broker outage and a queue of other jobs; the file holds personal data.
UPLOAD_SECONDS = 24 * 3600


def _upload_key(digest: str) -> str:
    return f"background-job-upload:{digest}"


def _confirmed_key(upload_name: str) -> str:
    return f"background-job-for-upload:{upload_name}"


def upload_job_start(
    *,
    kind: str,
    data: Any,
    format_index: int,
    options: dict[str, Any],
    rows: int,
    actor: StaffMember,
    upload_name: str,
    file_name: str,
) -> tuple[BackgroundJob, bool]:
    """Start the job that imports a confirmed upload (``data``, as the pending upload holds it).

    The file waits in the cache under its content's digest while the job waits or runs (the
    pending upload itself is forgotten at the confirmation), so the same file confirmed again,
    from the same preview or a new one, finds the running job. It is stored *before* the job
    row: outside a transaction the task is queued at once, and a quick worker must find it."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    digest = input_digest(kind, [hashlib.sha256(raw).hexdigest(), format_index, options])
    cache.set(_upload_key(digest), data, UPLOAD_SECONDS)
    job, created = job_start(
        kind=kind,
        actor=actor,
        input={"format": format_index, **options, "file_name": file_name, "upload": digest},
        total=rows,
        digest=digest,
    )
    if upload_name:
        cache.set(_confirmed_key(upload_name), job.pk, UPLOAD_SECONDS)
    return job, created


def upload_job_for(upload_name: str) -> int | None:
    """The job started from this pending upload's confirmation (a second click on 確定)."""
    return cache.get(_confirmed_key(upload_name)) if upload_name else None


def upload_job_data(job: BackgroundJob) -> Any:
    """The job's file, or None when it is gone (expired from the cache)."""
    return cache.get(_upload_key(job.input["upload"]))


def upload_job_forget(job: BackgroundJob) -> None:
    cache.delete(_upload_key(job.input["upload"]))


def upload_import_run(
    job: BackgroundJob,
    *,
    input_format: Any,
    resource: Any,
    log: Callable[[Any], None],
    failure_details: Callable[[Any], list[str]],
) -> Any:
    """The confirmation of an import, run by a worker (the roster, a grade report): read the
    waiting upload, import it with django-import-export and write HR's log entries in one
    transaction, then forget the file. A worker that dies before the commit leaves the file for
    the rerun; one that dies after it leaves lines the rerun finds unchanged. When the file no
    longer passes (the data changed between the preview and the confirmation) nothing is
    written and ``JobFailed`` carries ``failure_details(result)``. Returns import-export's result."""
    from .formats import RosterFileError

    data = upload_job_data(job)
    try:
        dataset = input_format.create_dataset(data)  # None (expired): RosterFileError
    except RosterFileError as exc:
        raise JobFailed(str(exc)) from exc
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=False,
            raise_errors=False,
            file_name=job.input.get("file_name", ""),
            user=job.started_by,
            retain_instance_in_row_result=True,
        )
        failed = result.has_errors() or result.has_validation_errors()
        if not failed:
            log(result)
    upload_job_forget(job)
    if failed:
        raise JobFailed(gettext("Nothing was imported: the file no longer passes the checks."), failure_details(result))
    return result
