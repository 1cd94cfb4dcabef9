"""Benchmark the career-path and cross-department team pages on a seeded database.

    createdb -h 127.0.0.1 -U postgres portal_scale
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_scale --staff 60000 --courses 2000 --enrolments 600000 --awards 300000 --seed 1
    flock /tmp/bench.lock .venv/bin/python scripts/bench_careers.py --runs 9 [--only team] [--explain]

Setup (idempotent, written around the services, as seed_scale is): three role profiles, one in
five scale staff opted in to cross-department projects (``id % 5 = 0``), and a scale staff member
following two profiles. Accounts as ``scripts/bench_insight.py`` (HR with TOTP, head of 福祉部).
Each case runs once to warm up, then ``--runs`` times (median and p95 in ms), then once more
with the queries captured. Team proposals write their RecordAccess rows, as in real use.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_insight import bench_user, measure
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses import careers, insight, teams
from courses.models import RoleProfile, RoleProfileChoice, RoleProfileSkill, Skill
from staff.models import Department, StaffMember

PROFILES = {
    "KAKARICHO-LAW": ("係長・法務担当", {"LAW": 2, "POLICY": 2, "MGMT": 1}),
    "DX-LEAD": ("DX推進リーダー", {"DX": 2, "DATA": 2, "PPP": 1}),
    "BOSAI-COORD": ("防災コーディネーター", {"BOSAI": 2, "COMMS": 1, "WELFARE": 1, "HEALTH": 1}),
}


def setup() -> StaffMember:
    skills = {s.code: s for s in Skill.objects.all()}
    for code, (name, needs) in PROFILES.items():
        profile, _ = RoleProfile.objects.get_or_create(code=code, defaults={"name": name})
        for skill, level in needs.items():
            RoleProfileSkill.objects.get_or_create(profile=profile, skill=skills[skill], defaults={"level": level})
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE staff_staffmember SET team_opt_in = (id %% 5 = 0), team_opt_in_changed_at = %s "
            "WHERE email LIKE %s AND team_opt_in_changed_at IS NULL",
            [timezone.now(), "%@scale.city.test"],
        )
    person = StaffMember.objects.filter(email__endswith="@scale.city.test", awards__isnull=False).order_by("pk").first()
    if person is None:
        sys.exit("No scale person with a badge: run seed_scale first.")
    for code in ("KAKARICHO-LAW", "DX-LEAD"):
        RoleProfileChoice.objects.get_or_create(staff=person, profile=RoleProfile.objects.get(code=code))
    return person


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--only", default="")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest query of each case")
    args = parser.parse_args()

    welfare = Department.objects.filter(level="division", name="福祉部").order_by("path").first()
    if welfare is None:
        sys.exit("No 福祉部 in this database: run seed_scale first.")
    person = setup()
    hr = bench_user("bench-hr@bench.city.test", "B0000001", hr=True)
    head = bench_user("bench-head@bench.city.test", "B0000002", hr=False, heads=welfare)
    hr_scope = insight.insight_scope(hr)
    staff_client, hr_client, head_client = Client(), Client(), Client()
    staff_client.force_login(person)
    hr_client.force_login(hr)
    head_client.force_login(head)

    def view(client: Client, url: str, params: dict[str, Any] | None = None) -> Callable[[], Any]:
        def run() -> None:
            response = client.get(url, params or {})
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")

        return run

    team3 = {"skill_1": "LAW", "level_1": 2, "skill_2": "DATA", "level_2": 2, "skill_3": "BOSAI", "level_3": 1}
    team6 = {
        **team3,
        "skill_4": "DX",
        "level_4": 3,
        "skill_5": "INTL",
        "level_5": 1,
        "skill_6": "FINANCE",
        "level_6": 2,
    }
    skills = {s.code: s for s in Skill.objects.all()}
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("career page, 2 paths (selector)", lambda: careers.career_page(staff=person)),
        ("career page, 2 paths (view)", view(staff_client, reverse("careers:index"))),
        (
            "coverage city-wide (selector)",
            lambda: careers.profile_coverage(
                profile=RoleProfile.objects.get(code="BOSAI-COORD"),
                scope=hr_scope,
                departments=insight.DepartmentIndex.load(),
            ),
        ),
        ("coverage city-wide, HR (view)", view(hr_client, reverse("hr:careers"), {"profile": "BOSAI-COORD"})),
        ("coverage 福祉部, head (view)", view(head_client, reverse("hr:careers"), {"profile": "KAKARICHO-LAW"})),
        (
            "team 3 skills x 6 people (selector)",
            lambda: teams.team_propose(
                needs=[teams.Need(skills[c], lv) for c, lv in (("LAW", 2), ("DATA", 2), ("BOSAI", 1))],
                size=6,
                departments=insight.DepartmentIndex.load(),
            ),
        ),
        ("team 3 skills x 6, HR (view, logged)", view(hr_client, reverse("hr:teams"), {**team3, "size": 6})),
        ("team 6 skills x 20, HR (view, logged)", view(hr_client, reverse("hr:teams"), {**team6, "size": 20})),
        ("team 3 skills x 6, head (view, logged)", view(head_client, reverse("hr:teams"), {**team3, "size": 6})),
        ("team export CSV 6 x 20", view(hr_client, reverse("hr:teams_export_csv"), {**team6, "size": 20})),
        ("team export XLSX 6 x 20", view(hr_client, reverse("hr:teams_export_xlsx"), {**team6, "size": 20})),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    opted = StaffMember.objects.filter(team_opt_in=True).count()
    print(
        f"# {platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
        f"{connection.vendor} {version.split(',')[0]} · load {os.getloadavg()[0]:.2f}"
    )
    print(f"# staff: {StaffMember.objects.count():,} ({opted:,} opted in) · runs per case: {args.runs}")
    print(f"{'case':<44} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'slowest q ms':>13}")
    explains = []
    for name, fn in cases:
        if args.only and args.only not in name:
            continue
        median, p95, queries = measure(fn, args.runs)
        worst = max(queries, key=lambda q: float(q["time"]), default={"sql": "", "time": "0"})
        flag = "" if median < 500 else "  <-- over 500 ms"
        print(f"{name:<44} {median:>10.1f} {p95:>8.1f} {len(queries):>8} {float(worst['time']) * 1000:>13.1f}{flag}")
        explains.append((name, worst["sql"]))
    if args.explain and connection.vendor == "postgresql":
        for name, sql in explains:
            print(f"\n## {name}\n{sql[:2000]}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + sql)
                print("\n".join(r[0] for r in cursor.fetchall()))


if __name__ == "__main__":
    main()
