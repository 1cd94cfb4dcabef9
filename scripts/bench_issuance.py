#!/usr/bin/env python
"""Badge issuance benchmarks: ours against a straightforward baseline (scripts/bench_baseline.py).

Three subcommands (issues 4 and 8; figures and findings in docs/benchmarks.md, "Badge issuance"):

``pipeline``  In-process, no database: N badges through the pure pipeline (render the PNG,
              build the OB 2.0 assertion and the OB 3.0 credential and sign it, bake both
              chunks), ours and the baseline, ms per badge per stage and the ratio. Every
              output is checked: read back with ``baking.read_baked`` and the signature
              verified with ``credentials.verify_credential``.

``worker``    End to end on PostgreSQL and Redis with real Celery worker processes: N staff
              with Japanese names are approved on one course that has a badge (template
              database built once per N and cloned for each run); W workers (``celery worker
              --pool=prefork --concurrency=1`` each, on a private queue) are started and wait;
              then HR marks all N completed in ONE bulk action
              (``courses.services.enrolments_bulk_complete``, timed on its own) while the
              workers issue what each committed chunk queued, and the database is polled from
              the click until every award is issued and every email is sent. ``--baseline``
              runs the workers with ``-I scripts.bench_baseline_worker``;
              ``--compare`` runs the baseline and then ours, ``--rounds`` times alternating
              (B, O, B, O, …), each on a fresh clone of the same template (``--baseline-n``
              completes only that many of its enrolments for the baseline), prints the load
              at each start and a side-by-side table for docs/benchmarks.md.

``profile``   cProfile of ``award_ensure_issued`` over N awards in this process against
              PostgreSQL (Redis for the email queueing), summed by where the time goes.

``cpu``       Load-independent figures for before/after comparisons: the batch path
              (``awards_ensure_issued``, 20 a batch) in a child process, CPU time per badge of
              that process and of its PostgreSQL backend (``/proc/<pid>/schedstat``), queries
              per batch, and the CPU time inside its parts (the PNG and documents, the batch
              UPDATE, the signer, the holdings upkeep); ``--callgrind`` also counts the
              worker's instructions per badge under valgrind (two runs, the difference).

Needs ``pip install -r requirements-bench.txt`` (openbadges-bakery for the baseline).

    .venv/bin/python scripts/bench_issuance.py pipeline --n 300
    .venv/bin/python scripts/bench_issuance.py worker --n 1000 --workers 1 --compare
    .venv/bin/python scripts/bench_issuance.py worker --n 10000 --workers 2 --compare --baseline-n 2000 --rounds 2
    .venv/bin/python scripts/bench_issuance.py profile --n 300
    .venv/bin/python scripts/bench_issuance.py cpu --n 400 --batches 8 --rounds 3 [--callgrind]

Environment: ``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/bench_issue; the
database of that name is dropped and re-created, templates are ``<name>_tpl_<N>``) and
``REDIS_URL`` (default redis://127.0.0.1:6379/13; that Redis database is FLUSHED before each
run, so give the benchmark a database of its own).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import json
import os
import platform
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_issue"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
WORK = Path(os.environ.get("BENCH_ISSUANCE_WORK") or tempfile.mkdtemp(prefix="bench-issuance-"))


def _configure_environment(*, needs_db: bool) -> None:
    """Production-like settings for this process and the workers it starts (before django.setup)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hachioji_portal.settings")
    os.environ["PORTAL_VAR_DIR"] = str(WORK / "var")  # never a developer's var/
    os.environ["MEDIA_ROOT"] = str(WORK / "media")
    os.environ["DEBUG"] = "0"  # no query log, as in production
    os.environ.setdefault("SECRET_KEY", "bench-issuance-not-secret-" + "x" * 40)
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    os.environ["EMAIL_FILE_PATH"] = str(WORK / "mail")
    os.environ["BADGE_SIGNING_KEY_FILE"] = str(WORK / "issuer-ed25519.pem")
    os.environ["LOG_LEVEL"] = "WARNING"
    if needs_db:
        os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
        os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
        os.environ["CELERY_QUEUE"] = f"bench-issue-{uuid.uuid4().hex[:8]}"
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)


def _check(condition: object, detail: object = "") -> None:
    """A benchmark that measured something broken must stop (asserts vanish under -O)."""
    if not condition:
        raise RuntimeError(f"benchmark check failed: {detail}")


def _setup_django() -> None:
    import django

    django.setup()


def _machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        mem = "? RAM"
    return (
        f"{cpu}, nproc {os.cpu_count()}, {mem}, {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ============================================================================ pipeline


def _fake_objects(n_people: int, rng: random.Random) -> tuple[list[Any], Any, str]:
    """Unsaved model instances (no database): what award_ensure_issued has in hand."""
    from badges import keys
    from badges.core import credentials, signing
    from badges.models import Award, BadgeClass, Issuer, SigningKey
    from staff import demo as staff_demo
    from staff.models import StaffMember

    issuer = Issuer(
        pk=1,
        is_default=True,
        name="八王子市",
        name_en="Hachioji City",
        url="https://www.city.hachioji.tokyo.jp/",
        email="jinji@city.hachioji.tokyo.jp",
    )
    badge_class = _badge_class_fields()
    badge = BadgeClass(pk=1, issuer=issuer, **badge_class)
    private = signing.generate_private_key()
    key = SigningKey(pk=1, issuer=issuer, public_key_multibase=signing.public_key_to_multibase(private.public_key()))
    signer = keys.Signer(issuer=issuer, key=key, private_key=private)
    awards = []
    for i in range(n_people):
        family, _ = rng.choice(staff_demo.FAMILY)
        given, _ = rng.choice(staff_demo.GIVEN)
        person = StaffMember(pk=i + 1, family_name=family, given_name=given, email=f"bench{i}@city.test")
        awards.append(
            Award(
                pk=i + 1,
                recipient=person,
                badge_class=badge,
                issuer=issuer,
                source_key=f"enrolment:{i + 1}",
                achieved_on=dt.date(2026, 3, 19),
                evidence=[_evidence()],
                language="en" if i % 20 == 0 else "ja",
                salt=credentials.make_salt(),
            )
        )
    return awards, signer, badge.design


def _badge_class_fields() -> dict[str, Any]:
    return {
        "name": "地方自治法基礎研修（eラーニング）修了",
        "name_en": "Local Autonomy Act basics (e-learning)",
        "description": "地方自治法の基礎（議会、執行機関、財務、住民参加）を学ぶ全6回のeラーニングを修了した。",
        "description_en": "Completed the six-part e-learning course on the basics of the Local Autonomy Act.",
        "criteria": "全6回を受講し、確認テストで80点以上を取ること。",
        "criteria_en": "Take all six parts and score at least 80 in the final test.",
        "design": "green",
        "alignments": [
            {
                "targetName": "法務",
                "targetUrl": "https://portal.city.hachioji.tokyo.jp/skills/LAW",
                "targetCode": "LAW",
                "targetFramework": "八王子市職員スキル体系",
            }
        ],
    }


def _evidence() -> dict[str, Any]:
    return {
        "name": "地方自治法基礎研修（eラーニング）",
        "narrative": "「地方自治法基礎研修（eラーニング）」を修了（八王子市 職員課、2026年度 前期）。",
        "genre": "Course",
    }


def _run_pipeline(awards: list[Any], signer: Any, design: str, *, baseline: bool) -> dict[str, list[float]]:
    """Per badge: render, build+sign (canonicalise), bake. Returns seconds per stage."""
    from django.conf import settings

    from badges import issuing
    from badges.core import baking, credentials, rendering

    if baseline:
        from scripts import bench_baseline

        render = bench_baseline.render_badge
        bake = bench_baseline.bake
        sign = bench_baseline.sign_credential
    else:
        render, bake, sign = rendering.render_badge, baking.bake, credentials.sign_credential
    font = rendering.find_font(tuple(settings.BADGE_FONT_PATHS))
    issued_at = dt.datetime(2026, 3, 19, 10, 0, tzinfo=dt.UTC)
    times: dict[str, list[float]] = defaultdict(list)
    outputs: list[bytes] = []
    original_sign = credentials.sign_credential
    credentials.sign_credential = sign  # type: ignore[assignment]  # build_documents calls it
    try:
        for award in awards:
            t0 = time.perf_counter()
            png = render(issuing.badge_image_text(award), design=design, font_path=font)
            t1 = time.perf_counter()
            assertion, credential = issuing.build_documents(award, signer, issued_at)
            t2 = time.perf_counter()
            baked = bake(
                png,
                {
                    baking.KEYWORD_OB2: json.dumps(assertion, ensure_ascii=False, separators=(",", ":")),
                    baking.KEYWORD_OB3: json.dumps(credential, ensure_ascii=False, separators=(",", ":")),
                },
            )
            t3 = time.perf_counter()
            times["render"].append(t1 - t0)
            times["build + canonicalise + sign"].append(t2 - t1)
            times["bake"].append(t3 - t2)
            times["total"].append(t3 - t0)
            outputs.append(baked)
    finally:
        credentials.sign_credential = original_sign  # type: ignore[assignment]
    times["_size"] = [float(len(b)) for b in outputs]
    _check_outputs(outputs)
    return times


def _check_outputs(outputs: list[bytes]) -> None:
    """Every baked PNG reads back and carries a valid signature (checked outside the timing)."""
    from badges.core import baking, credentials

    for data in outputs:
        chunks = baking.read_baked(data)
        _check(set(chunks) == {baking.KEYWORD_OB2, baking.KEYWORD_OB3}, set(chunks))
        result = credentials.verify_credential(json.loads(chunks[baking.KEYWORD_OB3]))
        _check(result.valid, result)


def cmd_pipeline(args: argparse.Namespace) -> None:
    _configure_environment(needs_db=False)
    _setup_django()
    from badges.core import jsonld, signing

    rng = random.Random(2026)
    awards, signer, design = _fake_objects(args.n + args.warmup, rng)
    print(f"Machine: {_machine()}")
    print(f"Load average before: {_load()}")
    print(f"Badges: {args.n} per pipeline after {args.warmup} warm-up badges (not timed); design {design!r}\n")
    results = {}
    order = ["ours", "baseline"] if not args.baseline_first else ["baseline", "ours"]
    for name in order:
        gc.collect()
        _run_pipeline(awards[: args.warmup], signer, design, baseline=name == "baseline")
        results[name] = _run_pipeline(awards[args.warmup :], signer, design, baseline=name == "baseline")
    stages = ["render", "build + canonicalise + sign", "bake", "total"]
    print(f"| stage (ms per badge, median / mean) | {'ours':>15} | {'baseline':>15} | {'ratio':>6} |")
    print(f"|{'-' * 37}|{'-' * 16}:|{'-' * 16}:|{'-' * 7}:|")
    for stage in stages:
        ours, base = results["ours"][stage], results["baseline"][stage]
        mo, mb = statistics.mean(ours) * 1000, statistics.mean(base) * 1000
        print(
            f"| {stage:35} | {statistics.median(ours) * 1000:6.2f} / {mo:6.2f} | "
            f"{statistics.median(base) * 1000:6.2f} / {mb:6.2f} | {mb / mo:5.2f}x |"
        )
    tot_o = sum(results["ours"]["total"])
    tot_b = sum(results["baseline"]["total"])
    print(
        f"\nBadges/s (one core, pure pipeline): ours {args.n / tot_o:.1f}, baseline {args.n / tot_b:.1f} "
        f"(ratio {tot_b / tot_o:.2f}x)"
    )
    print(
        f"Baked PNG size (mean): ours {statistics.mean(results['ours']['_size']) / 1024:.1f} KiB, "
        f"baseline {statistics.mean(results['baseline']['_size']) / 1024:.1f} KiB"
    )
    # Canonicalisation alone, to see the processed-context cache at work.
    award = awards[0]
    from badges import issuing

    issued_at = dt.datetime(2026, 3, 19, 10, 0, tzinfo=dt.UTC)
    signed = issuing.build_documents(award, signer, issued_at)[1]
    document = {k: v for k, v in signed.items() if k != "proof"}
    from scripts import bench_baseline

    def per_call(fn: Any, count: int = 50) -> float:
        fn()
        start = time.perf_counter()
        for _ in range(count):
            fn()
        return (time.perf_counter() - start) / count * 1000

    print("\nOne canonicalisation of the OB 3.0 credential (ms):")
    print(f"  ours, shared loader (processed contexts cached): {per_call(lambda: jsonld.canonicalize(document)):.2f}")
    print(
        "  ours, a new loader per call (no cache):          "
        f"{per_call(lambda: jsonld.canonicalize(document, loader=jsonld.make_document_loader())):.2f}"
    )
    baseline_ms = per_call(lambda: bench_baseline.canonicalize(document))
    print(f"  baseline (disk loader, plain jsonld.normalize):  {baseline_ms:.2f}")
    print(
        "  Ed25519 sign of 64 bytes:                        "
        f"{per_call(lambda: signing.sign(signer.private_key, b'x' * 64), 500):.3f}"
    )
    print(f"\nLoad average after: {_load()}")


# ============================================================================ database


def _admin_connect() -> Any:
    import psycopg

    url = urlsplit(os.environ["DATABASE_URL"])
    admin = urlunsplit((url.scheme.replace("postgres", "postgresql", 1), url.netloc, "/postgres", "", ""))
    return psycopg.connect(admin, autocommit=True)


def _db_name() -> str:
    return urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")


def _use_database(name: str) -> None:
    from django.db import connections

    for conn in connections.all():
        conn.close()
    connections["default"].settings_dict["NAME"] = name


def _exists(admin: Any, name: str) -> bool:
    return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def _drop(admin: Any, name: str) -> None:
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _build_template(n: int, name: str) -> None:
    """A database with N staff approved on one course that has a badge, built once per N."""
    from django.core.management import call_command

    admin = _admin_connect()
    _drop(admin, name)
    admin.execute(f'CREATE DATABASE "{name}"')
    _use_database(name)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    _populate(n)
    _use_database(_db_name())
    print(f"Template database {name} built in {time.perf_counter() - started:.0f} s")


def _populate(n: int) -> None:
    from django.utils import timezone

    from courses.models import Course, Enrolment, EnrolmentEvent, Provider
    from courses.services import enrolments_bulk_approve
    from staff import demo as staff_demo
    from staff.models import StaffMember
    from staff.services import staff_create_many
    from tests.factories import make_badge_class, make_staff

    rng = random.Random(2026)
    departments = [d for d in staff_demo._departments().values() if d.level in ("section", "unit")]
    people = []
    for i in range(n):
        family, family_kana = rng.choice(staff_demo.FAMILY)
        given, given_kana = rng.choice(staff_demo.GIVEN)
        people.append(
            StaffMember(
                employee_number=f"{500000 + i}",
                email=f"bench{i}@city.test",
                family_name=family,
                given_name=given,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                department=rng.choice(departments),
                preferred_language="en" if i % 20 == 0 else "ja",  # a few ask for English
            )
        )
    staff_create_many(people=people)
    hr = make_staff(role="hr", employee_number="499999", email="jinji-bench@city.test", family_name="人事")
    badge_class = make_badge_class(**_badge_class_fields())
    provider = Provider.objects.create(code="CITY", name="八王子市 職員課", kind="city")
    today = timezone.localdate()
    course = Course.objects.create(
        code="ELR-2026-LAW",
        title="地方自治法基礎研修（eラーニング）",
        title_en="Local Autonomy Act basics (e-learning)",
        description="全職員向けのeラーニングです。",
        provider=provider,
        delivery="online",
        term="2026年度 前期",
        starts_on=today - dt.timedelta(days=60),
        ends_on=today,
        application_opens_on=today - dt.timedelta(days=90),
        application_closes_on=today - dt.timedelta(days=61),
        capacity=None,
        cost=0,
        city_subsidy=0,
        badge_class=badge_class,
    )
    # Requested and recommended by the heads of section (bulk: those steps are not measured),
    # then approved by HR through the service, as the admin's bulk action does.
    now = timezone.now()
    enrolments = Enrolment.objects.bulk_create(
        [
            Enrolment(
                staff=p,
                course=course,
                use_type="self_development",
                reason="業務に活かすため",
                state="recommended",
                cost=0,
                city_subsidy=0,
                staff_share=0,
                requested_at=now - dt.timedelta(days=80),
                recommended_at=now - dt.timedelta(days=75),
            )
            for p in people
        ],
        batch_size=2000,
    )
    EnrolmentEvent.objects.bulk_create(
        [EnrolmentEvent(enrolment=e, to_state="requested", actor_id=e.staff_id, at=e.requested_at) for e in enrolments]
        + [
            EnrolmentEvent(enrolment=e, from_state="requested", to_state="recommended", at=e.recommended_at)
            for e in enrolments
        ],
        batch_size=2000,
    )
    outcome = enrolments_bulk_approve(enrolments=Enrolment.objects.filter(course=course), actor=hr)
    _check(len(outcome.done) == n and not outcome.errors, (len(outcome.done), outcome.errors[:3]))


def _prepare_run(n: int, *, rebuild: bool) -> dict[str, Any]:
    """Fresh run database cloned from the template, a fresh key file, an empty Redis database."""
    import redis
    from django.conf import settings
    from django.core.management import call_command

    from badges import keys
    from badges.core import signing

    template = f"{_db_name()}_tpl_{n}"
    admin = _admin_connect()
    if rebuild or not _exists(admin, template):
        _build_template(n, template)
    _drop(admin, _db_name())
    admin.execute(f'CREATE DATABASE "{_db_name()}" TEMPLATE "{template}"')
    admin.close()
    _use_database(_db_name())
    # The template may predate a migration added since (others work in the same tree).
    call_command("migrate", verbosity=0)
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    private = signing.generate_private_key()
    Path(settings.BADGE_SIGNING_KEY_FILE).write_bytes(signing.private_key_to_pem(private))
    keys.signing_key_register(issuer=keys.default_issuer(), public_key=private.public_key())
    return {}


def _hr_and_enrolments(limit: int | None = None) -> tuple[Any, Any]:
    from courses.models import Enrolment
    from staff.models import StaffMember

    hr = StaffMember.objects.get(employee_number="499999")
    # What the admin action gets: the selected rows of the changelist.
    selected = Enrolment.objects.filter(course__code="ELR-2026-LAW", state="approved")
    if limit is not None:  # the first ``limit`` of the template's rows (a smaller run on the same template)
        selected = selected.filter(pk__in=list(selected.order_by("pk").values_list("pk", flat=True)[:limit]))
    return hr, selected.select_related("staff", "course")


def _bulk_complete(limit: int | None = None) -> tuple[float, int]:
    from django.utils import timezone

    from courses.services import enrolments_bulk_complete

    hr, selected = _hr_and_enrolments(limit)
    started = time.perf_counter()
    outcome = enrolments_bulk_complete(enrolments=selected, actor=hr, completed_on=timezone.localdate())
    elapsed = time.perf_counter() - started
    _check(not outcome.errors, outcome.errors[:3])
    return elapsed, len(outcome.done)


# ============================================================================ worker


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["LOG_LEVEL"] = "INFO"  # Celery's "Task ... succeeded in Xs" lines give the per-task times
    env["DB_CONN_MAX_AGE"] = "60"  # as production: a worker keeps its connection
    return env


def _start_workers(count: int, *, baseline: bool, logs: Path) -> list[tuple[subprocess.Popen[bytes], Path]]:
    from django.conf import settings

    workers = []
    for i in range(count):
        log = logs / f"worker-{i}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hachioji_portal",
            "worker",
            f"--hostname=bench{i}-{uuid.uuid4().hex[:4]}@%h",
            "--pool=prefork",
            "--concurrency=1",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
        ]
        if baseline:
            command += ["-I", "scripts.bench_baseline_worker"]
        with open(log, "wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=_worker_env(), stdout=out, stderr=subprocess.STDOUT)
        workers.append((process, log))
    return workers


def _stop_workers(workers: list[tuple[subprocess.Popen[bytes], Path]]) -> None:
    for process, _ in workers:
        if process.poll() is None:
            process.terminate()
    for process, _ in workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_TASK_LINE = re.compile(r"Task ([\w.]+)\[[0-9a-f-]+\] succeeded in ([0-9.e-]+)s")


def _task_times(workers: list[tuple[subprocess.Popen[bytes], Path]]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = defaultdict(list)
    for _, log in workers:
        for match in _TASK_LINE.finditer(log.read_text(errors="replace")):
            times[match.group(1)].append(float(match.group(2)))
    return times


def _verify_sample(count: int) -> int:
    """Read back and verify the signature of ``count`` issued badges; returns how many passed."""
    from badges.core import baking, credentials
    from badges.models import Award

    ok = 0
    for award in Award.objects.issued().order_by("?")[:count]:
        with award.baked_image.open("rb") as handle:
            chunks = baking.read_baked(handle.read())
        if credentials.verify_credential(json.loads(chunks[baking.KEYWORD_OB3])).valid:
            ok += 1
    return ok


def _wait_ready(workers: list[tuple[subprocess.Popen[bytes], Path]], timeout: float = 120) -> float:
    started = time.perf_counter()
    while not all(b"ready." in log.read_bytes() for _, log in workers):
        for process, log in workers:
            if process.poll() is not None:
                raise RuntimeError("a worker died:\n" + log.read_text(errors="replace")[-3000:])
        if time.perf_counter() - started > timeout:
            raise RuntimeError("the workers did not start")
        time.sleep(0.1)
    return time.perf_counter() - started


def run_workers(
    n: int, workers_count: int, *, baseline: bool, rebuild: bool, timeout: float, template_n: int | None = None
) -> dict[str, Any]:
    """Workers running and idle, as in production; then HR's bulk action; time from the click
    until every badge is issued, and until every email is sent. ``template_n``: clone the
    template of that N and complete only the first ``n`` of its enrolments (so the baseline's
    smaller run needs no template of its own)."""
    import threading

    from django.db import connections

    from badges.models import Award
    from staff.models import OutgoingEmail

    label = "baseline" if baseline else "ours"
    _prepare_run(template_n or n, rebuild=rebuild)
    start_load = _load()
    print(f"\n--- {label}: N={n}, {workers_count} worker process(es); load average at the start {start_load}")
    logs = WORK / f"logs-{label}-{n}-{workers_count}"
    logs.mkdir(parents=True, exist_ok=True)
    workers = _start_workers(workers_count, baseline=baseline, logs=logs)
    loads = [os.getloadavg()[0]]
    try:
        boot = _wait_ready(workers)
        # Emails of the template's approvals are not this run's.
        before = OutgoingEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        print(f"workers ready after {boot:.1f} s (not counted); HR clicks now")
        bulk: dict[str, Any] = {}

        def click() -> None:
            try:
                bulk["s"], bulk["done"] = _bulk_complete(n if template_n and template_n != n else None)
            finally:
                connections.close_all()

        started = time.perf_counter()
        action = threading.Thread(target=click)
        action.start()
        first_issued_at: float | None = None
        marks: dict[int, float] = {}
        all_issued: float | None = None
        all_emails: float | None = None
        last_load = started
        while True:
            time.sleep(0.25)
            now = time.perf_counter()
            for process, log in workers:
                if process.poll() is not None:
                    raise RuntimeError("a worker died:\n" + log.read_text(errors="replace")[-3000:])
            issued = Award.objects.issued().count()
            if issued and first_issued_at is None:
                first_issued_at = now - started
            for pct in (10, 50, 90):
                if pct not in marks and issued >= n * pct / 100:
                    marks[pct] = now - started
            if now - last_load > 5:
                loads.append(os.getloadavg()[0])
                last_load = now
            if all_issued is None and issued >= n:
                all_issued = now - started
            if all_issued is not None and not action.is_alive():
                unsent = OutgoingEmail.objects.filter(pk__gt=before, sent_at__isnull=True).count()
                unnotified = Award.objects.issued().filter(notified_at__isnull=True).count()
                if unsent == 0 and unnotified == 0:
                    all_emails = now - started
                    break
            failed = Award.objects.filter(status=Award.Status.FAILED).count()
            if failed:
                raise RuntimeError(
                    f"{failed} awards failed: {Award.objects.filter(status='failed').first().failure_reason}"
                )
            if now - started > timeout:
                print(f"TIMEOUT after {timeout:.0f} s: {issued} of {n} issued")
                break
        action.join()
        issued = Award.objects.issued().count()
    finally:
        _stop_workers(workers)
    loads.append(os.getloadavg()[0])
    _check(Award.objects.count() == n, "awards != N")
    bulk_s, done = bulk["s"], bulk["done"]
    tasks = _task_times(workers)
    verified = _verify_sample(20)
    issued_s = all_issued or float("nan")
    rate = issued / issued_s if all_issued else 0.0
    emails = OutgoingEmail.objects.filter(pk__gt=before, outcome="sent").count()
    print(f"bulk action: {done} completions marked in {bulk_s:.1f} s ({done / bulk_s:.0f}/s), workers issuing")
    print(
        f"from HR's click: first badge {first_issued_at or 0:.1f} s; every badge issued {issued_s:.1f} s "
        f"({issued}/{n}); 10/50/90 %: {marks.get(10, 0):.1f} / {marks.get(50, 0):.1f} / {marks.get(90, 0):.1f} s; "
        f"every email sent {all_emails or float('nan'):.1f} s ({emails} 'completed' + {n} badge emails)"
    )
    print(f"throughput: {rate:.1f} badges/s in total, {rate / workers_count:.1f} badges/s per worker process")
    print(f"load average during the run: min {min(loads):.2f}, max {max(loads):.2f}")
    for name, values in sorted(tasks.items()):
        print(
            f"  task {name.rsplit('.', 1)[-1]:26} x{len(values):6}  mean {statistics.mean(values) * 1000:6.1f} ms  "
            f"median {statistics.median(values) * 1000:6.1f} ms  sum {sum(values):7.1f} s"
        )
    print(f"  signature check on 20 random issued badges: {verified}/20 valid")
    return {
        "label": label,
        "start_load": start_load,
        "loads": (min(loads), max(loads)),
        "first_s": first_issued_at,
        "marks": marks,
        "verified": verified,
        "n": n,
        "bulk_s": bulk_s,
        "boot_s": boot,
        "all_issued_s": issued_s,
        "all_emails_s": all_emails,
        "issued": issued,
        "rate": rate,
        "per_worker": rate / workers_count,
        "tasks": {k: statistics.mean(v) for k, v in tasks.items()},
    }


def cmd_worker(args: argparse.Namespace) -> None:
    _configure_environment(needs_db=True)
    _setup_django()
    print(f"Machine: {_machine()}")
    admin = _admin_connect()
    print(f"PostgreSQL {admin.info.server_version}; Redis {_redis_version()}")
    admin.close()
    print(f"Private queue: {os.environ['CELERY_QUEUE']}; work folder {WORK}")
    if not args.compare:
        baseline = bool(args.baseline)
        n = (args.baseline_n or args.n) if baseline else args.n
        run_workers(n, args.workers, baseline=baseline, rebuild=args.rebuild, timeout=args.timeout)
        print(f"\nLoad average at the end: {_load()}")
        return
    # Side by side under the same conditions: baseline and ours alternate (baseline first), on
    # clones of the same template, so a load that rises or falls during the session weighs on
    # both; the load at each start is printed with its result.
    base_n = args.baseline_n or args.n
    pairs = []
    for round_no in range(1, args.rounds + 1):
        base = run_workers(
            base_n,
            args.workers,
            baseline=True,
            rebuild=args.rebuild and round_no == 1,
            timeout=args.timeout,
            template_n=args.n,
        )
        ours = run_workers(args.n, args.workers, baseline=False, rebuild=False, timeout=args.timeout)
        pairs.append((ours, base))
    _print_side_by_side(pairs)
    print(f"\nLoad average at the end: {_load()}")


def _print_side_by_side(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """The table for docs/benchmarks.md: each round's baseline and ours, the load at each start."""
    task = "badges.tasks.awards_issue_batch_task"
    print("\n=== side by side (baseline first in each round, then ours; same template, same workers)")
    head = "".join(f" round {i} ours | round {i} baseline |" for i in range(1, len(pairs) + 1))
    print(f"| {'':40} |{head}")
    print(f"|{'-' * 42}|" + "---:|---:|" * len(pairs))

    def row(label: str, fmt: Any) -> None:
        cells = "".join(f" {fmt(ours)} | {fmt(base)} |" for ours, base in pairs)
        print(f"| {label:40} |{cells}")

    def num(value: float | None, spec: str = ".1f") -> str:
        return "n/a" if value is None or value != value else format(value, spec)

    row("N", lambda r: str(r["n"]))
    row("load average at the start (1/5/15 min)", lambda r: r["start_load"])
    row("load during the run (1 min, min-max)", lambda r: f"{r['loads'][0]:.2f}-{r['loads'][1]:.2f}")
    row("HR's bulk action (s)", lambda r: f"{num(r['bulk_s'])} ({r['n'] / r['bulk_s']:.0f}/s)")
    row("first badge after the click (s)", lambda r: num(r["first_s"]))
    row(
        "10 / 50 / 90 % issued (s)",
        lambda r: " / ".join(num(r["marks"].get(p)) for p in (10, 50, 90)),
    )
    row("**every badge issued (s)**", lambda r: f"**{num(r['all_issued_s'])}**")
    row("every email sent (s)", lambda r: num(r["all_emails_s"]))
    row("badges/s per worker process", lambda r: num(r["per_worker"]))
    row("awards_issue_batch_task mean (ms)", lambda r: num(r["tasks"].get(task, float("nan")) * 1000, ".0f"))
    row("signatures checked on 20 random badges", lambda r: f"{r['verified']}/20")
    for i, (ours, base) in enumerate(pairs, 1):
        goal = "met" if ours["n"] >= 10000 and ours["all_issued_s"] <= 45 else "not met"
        print(
            f"round {i}: ours {ours['per_worker']:.1f} badges/s per worker, baseline {base['per_worker']:.1f}: "
            f"{ours['per_worker'] / base['per_worker']:.2f}x; ours issued {ours['n']} in {num(ours['all_issued_s'])} s "
            f"(goal: 10,000 in at most 45 s: {goal})"
        )


def _redis_version() -> str:
    import redis
    from django.conf import settings

    return str(redis.Redis.from_url(settings.REDIS_URL).info("server").get("redis_version"))


# ============================================================================ profile

# (label, file suffix, function name, unused): cumulative time of those functions, per award.
_CATEGORIES = [
    ("render_badge (drawing + PNG encode)", "badges/core/rendering.py", "render_badge", None),
    ("  of which PNG encode (encode_png: ISA-L deflate)", "badges/core/rendering.py", "encode_png", None),
    ("  of which PNG encode (Pillow Image.save)", "PIL/Image.py", "save", None),
    ("canonicalise (pyld expand + URDNA2015)", "badges/core/jsonld.py", "canonicalize", None),
    ("  of which expand_safe (expansion, safe mode)", "badges/core/jsonld.py", "expand_safe", None),
    ("  of which pyld normalize (re-expand, toRdf, RDFC)", "pyld/jsonld.py", "normalize", None),
    ("    of which pyld to_rdf (re-expand + toRdf)", "pyld/jsonld.py", "to_rdf", None),
    ("Ed25519 sign", "badges/core/signing.py", "sign", None),
    ("build documents (all, incl. canonicalise + sign)", "badges/issuing.py", "build_documents", None),
    ("bake (iTXt chunks)", "badges/core/baking.py", "bake", None),
    ("storage (FieldFile.save: write the PNG)", "django/db/models/fields/files.py", "save", None),
    ("SQL execute (round trips, all queries)", "django/db/backends/utils.py", "_execute", None),
    ("transaction commit", "django/db/backends/base/base.py", "commit", None),
    ("email queueing (publish to Redis after commit)", "badges/issuing.py", "_notify", None),
    ("signer_for (key file + active key query)", "badges/keys.py", "signer_for", None),
    ("badge_image_text (translation, date format)", "badges/issuing.py", "badge_image_text", None),
]


def cmd_profile(args: argparse.Namespace) -> None:
    _configure_environment(needs_db=True)
    _setup_django()
    from badges import issuing
    from badges.models import Award

    print(f"Machine: {_machine()}")
    _prepare_run(args.n, rebuild=args.rebuild)
    bulk_s, _ = _bulk_complete()
    ids = list(Award.objects.filter(status=Award.Status.PENDING).order_by("pk").values_list("pk", flat=True))
    print(f"bulk action for {len(ids)} completions: {bulk_s:.1f} s; load average {_load()}")
    issuing.award_ensure_issued(award_id=ids[0])  # warm-up: fonts, class layer, contexts, connection
    ids = ids[1:]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for award_id in ids:
        issuing.award_ensure_issued(award_id=award_id)
    profiler.disable()
    wall = time.perf_counter() - started
    _check(Award.objects.issued().count() == len(ids) + 1, "not all issued")
    stats = pstats.Stats(profiler)
    total = sum(v[3] for k, v in stats.stats.items() if k[2] == "award_ensure_issued")  # type: ignore[attr-defined]
    print(
        f"\n{len(ids)} awards issued in-process under cProfile: {wall:.2f} s wall, "
        f"{wall / len(ids) * 1000:.1f} ms per award (profiling overhead included; without it see `worker`)"
    )
    print(f"| {'where the time goes (cumulative, per award)':52} | {'ms':>6} | {'share':>6} |")
    print(f"|{'-' * 54}|{'-' * 7}:|{'-' * 7}:|")
    for label, path, func, _ in _CATEGORIES:
        cum = sum(
            v[3]
            for (file, _line, name), v in stats.stats.items()  # type: ignore[attr-defined]
            if file.endswith(path) and name == func
        )
        print(f"| {label:52} | {cum / len(ids) * 1000:6.2f} | {cum / total * 100:5.1f}% |")
    print(f"| {'award_ensure_issued (total)':52} | {total / len(ids) * 1000:6.2f} | {100.0:5.1f}% |")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    path = WORK / "profile-tottime.txt"
    path.write_text(out.getvalue())
    profiler.dump_stats(WORK / "award_ensure_issued.prof")
    print(f"\nTop functions by own time: {path}; raw profile: {WORK / 'award_ensure_issued.prof'}")
    if args.show:
        print(out.getvalue())


# ============================================================================ cpu

#: (label, module, attribute): functions timed inside the batch path by ``cpu`` (wrapped in place).
_CPU_SECTIONS = [
    ("_issue (render, build, sign, bake, store the PNG)", "badges.issuing", "_issue"),
    ("the batch UPDATE (_write_issued)", "badges.issuing", "_write_issued"),
    ("signer lookup (_signer)", "badges.issuing", "_signer"),
    ("AwardUse upkeep (award_uses_refresh)", "courses.holdings", "award_uses_refresh"),
    ("skill holdings upkeep (skill_holdings_refresh)", "courses.holdings", "skill_holdings_refresh"),
]


def _schedstat_ns(pid: int) -> int:
    """CPU time a process (or the PostgreSQL backend serving us) has run, in ns (Linux)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def _cpu_child(args: argparse.Namespace) -> None:
    """Issue ``args.batches`` batches of 20 pending awards in this process (after one warm-up
    batch) and print, as JSON, CPU time of this process and of its PostgreSQL backend, wall time,
    queries per batch and the time inside the sections of ``_CPU_SECTIONS``."""
    import importlib

    from django.db import connection

    from badges import issuing
    from badges.models import Award
    from badges.services import ISSUE_BATCH

    sections: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])  # process CPU s, backend CPU s
    measuring = {"on": False}
    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    local_backend = Path(f"/proc/{backend}/schedstat").exists()

    def timed(label: str, fn: Any) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            if not measuring["on"]:
                return fn(*a, **k)
            c0, b0 = time.process_time(), _schedstat_ns(backend) if local_backend else 0
            try:
                return fn(*a, **k)
            finally:
                sections[label][0] += time.process_time() - c0
                if local_backend:
                    sections[label][1] += (_schedstat_ns(backend) - b0) / 1e9

        return wrapper

    for label, module, name in _CPU_SECTIONS:
        mod = importlib.import_module(module)
        if hasattr(mod, name):
            setattr(mod, name, timed(label, getattr(mod, name)))
    queries = {"n": 0}

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries["n"] += 1
        return execute(sql, params, many, context)

    pending = list(
        Award.objects.filter(status=Award.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)[: (args.batches + 1) * ISSUE_BATCH]
    )
    _check(len(pending) == (args.batches + 1) * ISSUE_BATCH, f"only {len(pending)} pending awards left")
    batches = [pending[i : i + ISSUE_BATCH] for i in range(0, len(pending), ISSUE_BATCH)]
    issuing.awards_ensure_issued(award_ids=batches[0])  # warm-up: fonts, class layer, contexts
    gc.collect()
    measuring["on"] = True
    c0, w0 = time.process_time(), time.perf_counter()
    b0 = _schedstat_ns(backend) if local_backend else 0
    profiler = cProfile.Profile() if args.profile else None
    with connection.execute_wrapper(count):
        if profiler:
            profiler.enable()
        for batch in batches[1:]:
            outcome = issuing.awards_ensure_issued(award_ids=batch)
            _check(outcome["issued"] == len(batch), outcome)
        if profiler:
            profiler.disable()
    measuring["on"] = False
    if profiler:
        profiler.dump_stats(WORK / "cpu.prof")
        for order in ("tottime", "cumulative"):
            pstats.Stats(profiler, stream=sys.stderr).sort_stats(order).print_stats(args.profile)
    badges = len(batches) - 1
    badges *= ISSUE_BATCH
    result = {
        "badges": badges,
        "worker_cpu_ms": (time.process_time() - c0) / badges * 1000,
        "backend_cpu_ms": (_schedstat_ns(backend) - b0) / 1e6 / badges if local_backend else None,
        "wall_ms": (time.perf_counter() - w0) / badges * 1000,
        "queries_per_batch": queries["n"] / (len(batches) - 1),
        "sections": {k: [v[0] / badges * 1000, v[1] / badges * 1000] for k, v in sections.items()},
    }
    print("CPU-RESULT " + json.dumps(result))


def _cpu_run_child(args: argparse.Namespace, batches: int, *, callgrind: bool) -> tuple[dict[str, Any], int | None]:
    command = [sys.executable, str(Path(__file__).resolve()), "cpu", "--child", "--batches", str(batches)]
    if args.profile and not callgrind:
        command += ["--profile", str(args.profile)]
    out_file = WORK / f"callgrind-{batches}.out"
    if callgrind:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", *command]
    env = dict(os.environ, BENCH_ISSUANCE_WORK=str(WORK))
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    if args.profile and not callgrind:
        print(done.stderr)
    line = next(x for x in done.stdout.splitlines() if x.startswith("CPU-RESULT "))
    instructions = None
    if callgrind:
        match = re.search(r"Collected : (\d+)", done.stderr)
        _check(match, done.stderr[-2000:])
        instructions = int(match.group(1)) if match else None
    return json.loads(line.removeprefix("CPU-RESULT ")), instructions


def cmd_cpu(args: argparse.Namespace) -> None:
    """Per-badge CPU time (this process and its PostgreSQL backend) and instruction counts of the
    batch path, in-process: load-independent figures for before/after comparisons."""
    _configure_environment(needs_db=True)
    _setup_django()
    if args.child:
        _cpu_child(args)
        return
    print(f"Machine: {_machine()}")
    rounds = args.rounds
    need = (args.batches + 1) * rounds + (2 + args.callgrind_batches + 2 if args.callgrind else 0)
    n = max(args.n, need * 20)
    _prepare_run(n, rebuild=args.rebuild)
    bulk_s, _ = _bulk_complete()
    print(f"N={n}: bulk action {bulk_s:.1f} s; load average {_load()}")
    results = []
    for i in range(rounds):
        result, _ = _cpu_run_child(args, args.batches, callgrind=False)
        results.append(result)
        print(
            f"round {i + 1} (load {_load()}): worker CPU {result['worker_cpu_ms']:.2f} ms/badge, PostgreSQL backend "
            f"CPU {result['backend_cpu_ms'] or float('nan'):.2f} ms/badge, wall {result['wall_ms']:.2f} ms/badge, "
            f"{result['queries_per_batch']:.0f} queries per batch of 20"
        )
    best = min(results, key=lambda r: r["worker_cpu_ms"])
    print(f"\nPer badge, batches of 20, best of {rounds} rounds of {args.batches} batches (CPU ms: worker / backend):")
    print(f"| {'section':52} | {'worker':>7} | {'backend':>7} |")
    print(f"|{'-' * 54}|{'-' * 8}:|{'-' * 8}:|")
    for label, _module, _name in _CPU_SECTIONS:
        if label in best["sections"]:
            worker, backend = best["sections"][label]
            print(f"| {label:52} | {worker:7.3f} | {backend:7.3f} |")
    print(
        f"| {'awards_ensure_issued (total)':52} | {best['worker_cpu_ms']:7.3f} | {best['backend_cpu_ms'] or 0:7.3f} |"
    )
    if args.callgrind:
        _, ir_small = _cpu_run_child(args, 1, callgrind=True)
        _, ir_large = _cpu_run_child(args, 1 + args.callgrind_batches, callgrind=True)
        _check(ir_small is not None and ir_large is not None, "no instruction counts")
        per_badge = (ir_large - ir_small) / (args.callgrind_batches * 20)
        print(
            f"\nInstructions (valgrind --tool=callgrind, worker process only): {per_badge / 1e6:.2f} M per badge "
            f"({args.callgrind_batches} batches: {ir_large:,} - {ir_small:,} instructions)"
        )
    print(f"Load average at the end: {_load()}")


def cmd_template(args: argparse.Namespace) -> None:
    _configure_environment(needs_db=True)
    _setup_django()
    _build_template(args.n, f"{_db_name()}_tpl_{args.n}")


# ============================================================================ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pipeline", help="in-process pure pipeline, ours vs baseline (no database)")
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--baseline-first", action="store_true", help="run the baseline before ours")
    p.set_defaults(func=cmd_pipeline)
    w = sub.add_parser("worker", help="end to end: bulk completion, then W real Celery workers")
    w.add_argument("--n", type=int, default=1000)
    w.add_argument("--workers", type=int, default=1)
    w.add_argument("--baseline", action="store_true", help="workers run the baseline pipeline")
    w.add_argument(
        "--compare", action="store_true", help="the baseline, then ours, side by side (same template, same load)"
    )
    w.add_argument("--rounds", type=int, default=1, help="--compare: baseline-ours pairs, alternating")
    w.add_argument("--baseline-n", type=int, default=0, help="N for the baseline runs (from the same template)")
    w.add_argument("--rebuild", action="store_true", help="rebuild the template database")
    w.add_argument("--timeout", type=float, default=1800.0)
    w.set_defaults(func=cmd_worker)
    f = sub.add_parser("profile", help="cProfile of award_ensure_issued in-process on PostgreSQL")
    f.add_argument("--n", type=int, default=300)
    f.add_argument("--rebuild", action="store_true")
    f.add_argument("--show", action="store_true", help="print the top functions by own time")
    f.set_defaults(func=cmd_profile)
    c = sub.add_parser("cpu", help="per-badge CPU time (worker + PostgreSQL) and instructions of the batch path")
    c.add_argument("--n", type=int, default=400)
    c.add_argument("--batches", type=int, default=8, help="measured batches of 20 per round")
    c.add_argument("--rounds", type=int, default=3)
    c.add_argument("--callgrind", action="store_true", help="also count instructions under valgrind")
    c.add_argument("--callgrind-batches", type=int, default=2)
    c.add_argument("--rebuild", action="store_true")
    c.add_argument("--profile", type=int, default=0, help="cProfile the rounds; print this many functions")
    c.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    c.set_defaults(func=cmd_cpu)
    t = sub.add_parser("template", help="only (re)build the template database for N")
    t.add_argument("--n", type=int, default=10000)
    t.set_defaults(func=cmd_template)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
