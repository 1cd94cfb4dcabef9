#!/usr/bin/env python
"""Time the staff and HR pages of the courses app on a large throwaway database.

Creates 1,000 courses and 3,000 staff (with about 6,000 enrolments and their history) in a
throwaway test database (SQLite file in a temporary folder, or ``test_<name>`` on PostgreSQL
when DATABASE_URL is set), renders each page N times with the Django test client, and prints
the median and 95th percentile in milliseconds and the number of queries per page. The
database is destroyed at the end.

    .venv/bin/python scripts/bench_pages.py                # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python scripts/bench_pages.py
    .venv/bin/python scripts/bench_pages.py --runs 50 --courses 1000 --staff 3000
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hachioji_portal.settings")
# Never touch a developer's var/ (demo database, keys, cache, queue).
os.environ.setdefault("PORTAL_VAR_DIR", str(Path(tempfile.mkdtemp(prefix="bench-pages-")) / "var"))


def _machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def build(n_courses: int, n_staff: int, rng: random.Random) -> dict[str, object]:
    """Bulk-create the data set; returns the people and objects the pages are timed for."""
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from badges.models import BadgeClass, Issuer
    from courses.models import Course, CourseSkill, Enrolment, EnrolmentEvent, Programme, Provider, Skill
    from staff import demo as staff_demo
    from staff.models import StaffMember
    from staff.services import department_set_heads, email_address_ensure_verified, role_grant

    today = timezone.localdate()
    now = timezone.now()
    departments = staff_demo._departments()
    units = [d for d in departments.values() if d.level == "unit"]
    people = [
        StaffMember(
            employee_number=f"{300000 + i}",
            email=f"bench{i}@city.test",
            family_name=rng.choice(staff_demo.FAMILY)[0],
            given_name=rng.choice(staff_demo.GIVEN)[0],
            department=rng.choice(units),
            password="!",  # noqa: S106 - an unusable password, as set_unusable_password() writes
        )
        for i in range(n_staff)
    ]
    StaffMember.objects.bulk_create(people, batch_size=1000)
    people = list(StaffMember.objects.order_by("pk"))
    staff_group = Group.objects.get(name="staff")
    StaffMember.groups.through.objects.bulk_create(
        [StaffMember.groups.through(staffmember_id=p.pk, group_id=staff_group.pk) for p in people], batch_size=2000
    )

    issuer = Issuer.objects.create(
        is_default=True, name="八王子市", url="https://www.city.hachioji.tokyo.jp/", email="jinji@example.test"
    )
    kinds = ["chuo_correspondence", "chuo_open_lecture", "city", "elearning", "university"]
    providers = [Provider.objects.create(code=f"P{i}", name=f"実施機関{i}", kind=k) for i, k in enumerate(kinds)]
    skills = [
        Skill.objects.create(code=f"S{i}", name=n, sort_order=i)
        for i, n in enumerate(["法務", "行政経営", "データ活用", "DX", "福祉", "防災", "多文化共生"])
    ]
    badges = BadgeClass.objects.bulk_create(
        [
            BadgeClass(issuer=issuer, name=f"バッジ{i}", description="説明", criteria="修了")
            for i in range(n_courses // 2)
        ]
    )
    subjects = ["行政法", "憲法", "民法", "地方自治法", "行政学", "防災", "データ活用", "DX推進", "福祉", "多文化共生"]
    opens = [today - dt.timedelta(days=rng.randint(0, 60)) for _ in range(n_courses)]
    courses = Course.objects.bulk_create(
        [
            Course(
                code=f"BENCH-{i:04d}",
                title=f"{subjects[i % len(subjects)]} 第{i}講",
                description="自治体職員向けの講座です。" * 5,
                provider=providers[i % len(providers)],
                delivery=["correspondence", "online", "classroom"][i % 3],
                term="2026年度 前期",
                starts_on=today + dt.timedelta(days=rng.randint(-200, 200)),
                ends_on=today + dt.timedelta(days=rng.randint(201, 400)),
                application_opens_on=opens[i],
                application_closes_on=opens[i] + dt.timedelta(days=rng.randint(10, 90)),
                capacity=rng.choice([None, 10, 20, 30, 50]),
                cost=30000,
                city_subsidy=20000,
                for_promotion=bool(i % 2),
                badge_class=badges[i // 2] if i % 2 and i // 2 < len(badges) else None,
            )
            for i in range(n_courses)
        ],
        batch_size=500,
    )
    CourseSkill.objects.bulk_create(
        [CourseSkill(course=c, skill=s, level=rng.randint(1, 3)) for c in courses for s in rng.sample(skills, 2)],
        batch_size=2000,
    )
    for p in range(20):
        programme = Programme.objects.create(code=f"PROG{p}", name=f"プログラム{p}", badge_class=badges[p])
        programme.courses.set(rng.sample(courses, 3))

    states = [
        "requested",
        "recommended",
        "approved",
        "waitlisted",
        "completed",
        "not_completed",
        "rejected",
        "withdrawn",
    ]
    enrolments, seen = [], set()
    for person in people:
        for course in rng.sample(courses, 2):
            if (person.pk, course.pk) in seen:
                continue
            seen.add((person.pk, course.pk))
            state = rng.choice(states)
            enrolments.append(
                Enrolment(
                    staff=person,
                    course=course,
                    use_type="self_development",
                    reason="業務に活かすため",
                    state=state,
                    cost=30000,
                    city_subsidy=20000,
                    staff_share=10000,
                    completed_on=today if state == "completed" else None,
                    requested_at=now - dt.timedelta(days=rng.randint(1, 300)),
                )
            )
    enrolments = Enrolment.objects.bulk_create(enrolments, batch_size=2000)
    EnrolmentEvent.objects.bulk_create(
        [EnrolmentEvent(enrolment=e, to_state="requested", actor_id=e.staff_id, at=e.requested_at) for e in enrolments]
        + [
            EnrolmentEvent(enrolment=e, from_state="requested", to_state=e.state, actor=None, at=e.requested_at)
            for e in enrolments
            if e.state != "requested"
        ],
        batch_size=2000,
    )

    # The people the pages are timed for.
    learner = people[0]
    extra = [c for c in courses[-12:] if (learner.pk, c.pk) not in seen]
    for i, course in enumerate(extra):
        e = Enrolment.objects.create(
            staff=learner,
            course=course,
            use_type="self_development",
            reason="理由",
            state=states[i % len(states)],
            cost=0,
            city_subsidy=0,
            staff_share=0,
            completed_on=today if states[i % len(states)] == "completed" else None,
        )
        EnrolmentEvent.objects.create(enrolment=e, to_state="requested", actor=learner)
    head = people[1]
    biggest = max(
        (d for d in departments.values() if d.level == "section"),
        key=lambda d: StaffMember.objects.filter(department__path__startswith=d.path).count(),
    )
    department_set_heads(department=biggest, heads=[head])
    hr = people[2]
    role_grant(actor=None, staff=hr, role="hr", reason="benchmark data")
    email_address_ensure_verified(staff=hr)
    TOTP.activate(hr, "JBSWY3DPEHPK3PXP")
    return {
        "learner": learner,
        "head": head,
        "hr": hr,
        "course": courses[1],
        "head_scope": StaffMember.objects.filter(department__path__startswith=biggest.path).count(),
    }


def measure(client, url: str, runs: int) -> tuple[float, float, float, int, int]:  # type: ignore[no-untyped-def]
    """(median wall ms, p95 wall ms, median CPU ms of this process, queries, bytes).

    CPU time leaves out waiting for a busy machine's other processes, so it is the steadier
    figure when others share the CPUs; the database's own time is included only for SQLite
    (in-process), not for PostgreSQL (a separate server process).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm-up: template cache, content types, permissions
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    queries = len(ctx.captured_queries)
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, statistics.median(cpu), queries, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--courses", type=int, default=1000)
    parser.add_argument("--staff", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    # Not setup_test_environment(): its template instrumentation (which lets tests read
    # response.context) copies every context and would be timed too. Production settings:
    settings.DEBUG = False
    if connection.vendor == "sqlite":
        folder = Path(os.environ["PORTAL_VAR_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        connection.settings_dict["TEST"]["NAME"] = str(folder / "bench.sqlite3")  # a file, like production
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.perf_counter()
        data = build(args.courses, args.staff, random.Random(2026))
        gc.collect()  # the build's garbage is not part of any page
        from courses.models import Course, Enrolment, EnrolmentEvent
        from staff.models import StaffMember

        print(f"Machine: {_machine()}")
        if connection.vendor == "sqlite":
            version = ".".join(map(str, connection.Database.sqlite_version_info))
        else:
            version = str(connection.pg_version)
        print(f"Database: {connection.vendor} {version}")
        print(
            f"Data: {Course.objects.count()} courses, {StaffMember.objects.count()} staff, "
            f"{Enrolment.objects.count()} enrolments, {EnrolmentEvent.objects.count()} history rows "
            f"(built in {time.perf_counter() - started:.1f} s); head of section answers for {data['head_scope']} people"
        )
        print(f"Runs per page: {args.runs} (after 3 warm-up requests); DEBUG={settings.DEBUG}\n")
        catalogue = reverse("courses:catalogue")
        pages = [
            ("learner", "Catalogue", catalogue),
            ("learner", "Catalogue: search 行政", catalogue + "?q=%E8%A1%8C%E6%94%BF"),
            (
                "learner",
                "Catalogue: filters + sort",
                catalogue + "?skill=S2&open_now=on&use_type=promotion&sort=deadline",
            ),
            ("learner", "Catalogue: page 10", catalogue + "?page=10"),
            ("learner", "Course page", reverse("courses:detail", args=[data["course"].code])),  # type: ignore[attr-defined]
            ("learner", "Request form", reverse("courses:request", args=[data["course"].code])),  # type: ignore[attr-defined]
            ("learner", "My learning", reverse("courses:my_learning")),
            ("head", "Approvals (head of section)", reverse("courses:approvals")),
            ("hr", "Admin: enrolments", reverse("admin:courses_enrolment_changelist")),
            (
                "hr",
                "Admin: enrolments awaiting HR",
                reverse("admin:courses_enrolment_changelist") + "?state=awaiting_hr",
            ),
            ("hr", "Admin: courses", reverse("admin:courses_course_changelist")),
        ]
        clients = {}
        for role in ("learner", "head", "hr"):
            clients[role] = Client()
            clients[role].force_login(data[role])
        print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
        print(f"| {'page':32} | {'median ms':>9} | {'p95 ms':>7} | {'CPU ms':>7} | {'queries':>7} | {'KB':>4} |")
        print(f"|{'-' * 34}|{'-' * 11}:|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|{'-' * 5}:|")
        for role, name, url in pages:
            median, p95, cpu, queries, size = measure(clients[role], url, args.runs)
            print(f"| {name:32} | {median:9.1f} | {p95:7.1f} | {cpu:7.1f} | {queries:7d} | {size / 1024:4.0f} |")
        print(f"\nLoad average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
