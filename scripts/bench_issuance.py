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
              ``--compare`` runs ours and then the baseline in one invocation and prints the
              ratio (``--baseline-n`` runs the baseline at a smaller N, said in the output).

``profile``   cProfile of ``award_ensure_issued`` over N awards in this process against
              PostgreSQL (Redis for the email queueing), summed by where the time goes.

Needs ``pip install -r requirements-bench.txt`` (openbadges-bakery for the baseline).

    .venv/bin/python scripts/bench_issuance.py pipeline --n 300
    .venv/bin/python scripts/bench_issuance.py worker --n 1000 --workers 1 --compare
    .venv/bin/python scripts/bench_issuance.py worker --n 10000 --workers 2 --compare --baseline-n 2000
    .venv/bin/python scripts/bench_issuance.py profile --n 300

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
WORK = Path(tempfile.mkdtemp(prefix="bench-issuance-"))


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


def _hr_and_enrolments() -> tuple[Any, Any]:
    from courses.models import Enrolment
    from staff.models import StaffMember

    hr = StaffMember.objects.get(employee_number="499999")
    # What the admin action gets: the selected rows of the changelist.
    return hr, Enrolment.objects.filter(course__code="ELR-2026-LAW", state="approved").select_related("staff", "course")


def _bulk_complete() -> tuple[float, int]:
    from django.utils import timezone

    from courses.services import enrolments_bulk_complete

    hr, selected = _hr_and_enrolments()
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


def run_workers(n: int, workers_count: int, *, baseline: bool, rebuild: bool, timeout: float) -> dict[str, Any]:
    """Workers running and idle, as in production; then HR's bulk action; time from the click
    until every badge is issued, and until every email is sent."""
    import threading

    from django.db import connections

    from badges.models import Award
    from staff.models import OutgoingEmail

    label = "baseline" if baseline else "ours"
    _prepare_run(n, rebuild=rebuild)
    print(f"\n--- {label}: N={n}, {workers_count} worker process(es); load average {_load()}")
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
                bulk["s"], bulk["done"] = _bulk_complete()
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
    results = []
    if args.compare or not args.baseline:
        results.append(run_workers(args.n, args.workers, baseline=False, rebuild=args.rebuild, timeout=args.timeout))
    if args.compare or args.baseline:
        n = args.baseline_n or args.n
        results.append(run_workers(n, args.workers, baseline=True, rebuild=args.rebuild, timeout=args.timeout))
    if len(results) == 2:
        ours, base = results
        print("\n=== side by side")
        print(f"| {'':36} | {'ours':>10} | {'baseline':>10} | {'ratio':>6} |")
        print(f"|{'-' * 38}|{'-' * 11}:|{'-' * 11}:|{'-' * 7}:|")
        print(f"| {'N':36} | {ours['n']:10} | {base['n']:10} | {'':6} |")
        print(
            f"| {'badges/s per worker process':36} | {ours['per_worker']:10.1f} | {base['per_worker']:10.1f} | "
            f"{ours['per_worker'] / base['per_worker']:5.2f}x |"
        )
        print(
            f"| {'time until all issued (s)':36} | {ours['all_issued_s']:10.1f} | {base['all_issued_s']:10.1f} | "
            f"{base['all_issued_s'] / ours['all_issued_s']:5.2f}x |"
        )
        task = "badges.tasks.awards_issue_batch_task"
        if task in ours["tasks"] and task in base["tasks"]:
            print(
                f"| {'awards_issue_batch_task mean (ms)':36} | {ours['tasks'][task] * 1000:10.1f} | "
                f"{base['tasks'][task] * 1000:10.1f} | {base['tasks'][task] / ours['tasks'][task]:5.2f}x |"
            )
        if ours["n"] != base["n"]:
            print(
                f"NOTE: the baseline ran at N={base['n']}, ours at N={ours['n']}; the time ratio compares "
                "different N, the per-worker rates are comparable."
            )
    print(f"\nLoad average at the end: {_load()}")


def _redis_version() -> str:
    import redis
    from django.conf import settings

    return str(redis.Redis.from_url(settings.REDIS_URL).info("server").get("redis_version"))


# ============================================================================ profile

# (label, file suffix, function name, unused): cumulative time of those functions, per award.
_CATEGORIES = [
    ("render_badge (drawing + PNG encode)", "badges/core/rendering.py", "render_badge", None),
    ("  of which PNG encode (encode_png: zlib)", "badges/core/rendering.py", "encode_png", None),
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
    w.add_argument("--compare", action="store_true", help="ours, then the baseline, side by side")
    w.add_argument("--baseline-n", type=int, default=0, help="N for the baseline run of --compare")
    w.add_argument("--rebuild", action="store_true", help="rebuild the template database")
    w.add_argument("--timeout", type=float, default=1800.0)
    w.set_defaults(func=cmd_worker)
    f = sub.add_parser("profile", help="cProfile of award_ensure_issued in-process on PostgreSQL")
    f.add_argument("--n", type=int, default=300)
    f.add_argument("--rebuild", action="store_true")
    f.add_argument("--show", action="store_true", help="print the top functions by own time")
    f.set_defaults(func=cmd_profile)
    t = sub.add_parser("template", help="only (re)build the template database for N")
    t.add_argument("--n", type=int, default=10000)
    t.set_defaults(func=cmd_template)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
