"""Benchmark the 昇任選考 (promotion selection) pages and the human-capital report on a seeded
database: rendered views through Django's test client, and the selectors alone.

    createdb -h 127.0.0.1 -U postgres portal_scale
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_scale --staff 60000 --courses 2000 --enrolments 600000 --awards 300000 --seed 1
    flock /tmp/bench.lock .venv/bin/python scripts/bench_hr_pages.py --runs 9 [--only report] [--queries]

Each case runs once to warm up, then ``--runs`` times timed (median and 95th percentile in ms),
then once more with the queries captured (count and the slowest statement). The script adds, if
missing: an HR bench account with TOTP (bench-hr@bench.city.test, as scripts/bench_insight.py),
and a published rule set for this fiscal year's 係長選考 (sat by 主任) with five rules over the
seed's skills, two of them capped. Page views and exports add RecordAccess rows, as in real use;
the freeze case adds snapshots (one per run). "CPU ms" is the median CPU time of a run, this
process and its PostgreSQL backend together (read from /proc when the server is local): unlike
the wall time, it does not grow with the machine's load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hachioji_portal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from courses import hcreport, promotion  # noqa: E402
from courses.insight import DepartmentIndex, Scope, fiscal_year_of  # noqa: E402
from courses.models import PromotionCategory, PromotionRule, PromotionRuleSet, Skill  # noqa: E402
from staff import roles  # noqa: E402
from staff.models import StaffMember  # noqa: E402
from staff.services import role_grant, staff_account_ensure  # noqa: E402

TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105 - bench account only, as the demo's


def bench_hr() -> StaffMember:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    user = StaffMember.objects.filter(email="bench-hr@bench.city.test").first()
    if user is None:
        user = StaffMember.objects.create_user(
            email="bench-hr@bench.city.test",
            employee_number="B0000001",
            family_name="計測",
            given_name="利用者",
            is_staff=True,
        )
    staff_account_ensure(staff=user)
    role_grant(actor=None, staff=user, role=roles.HR, reason="benchmark data")
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)
    return user


@transaction.atomic
def bench_rule_set(fy: int) -> PromotionRuleSet:
    rule_set, created = PromotionRuleSet.objects.get_or_create(
        fiscal_year=fy,
        selection="kakaricho",
        defaults={
            "cutoff_on": dt.date(fy, 12, 1),
            "recency_years": 5,
            "min_years_in_grade": 2,
            "promotion_use_only": True,
            "is_published": True,
        },
    )
    if created:
        skills = {s.code: s for s in Skill.objects.filter(code__in=["LAW", "DATA", "DX", "MGMT", "POLICY"])}
        law = PromotionCategory.objects.create(rule_set=rule_set, name="法務", cap=20)
        digital = PromotionCategory.objects.create(rule_set=rule_set, name="デジタル・データ", cap=30)
        management = PromotionCategory.objects.create(rule_set=rule_set, name="マネジメント・政策", cap=None)
        for code, category, level, points in (
            ("LAW", law, 1, 5),
            ("LAW", law, 3, 10),
            ("DATA", digital, 2, 10),
            ("DX", digital, 1, 5),
            ("MGMT", management, 1, 8),
            ("POLICY", management, 2, 8),
        ):
            PromotionRule.objects.create(
                rule_set=rule_set, category=category, skill=skills[code], min_level=level, points=points
            )
    return rule_set


def backend_cpu_ms() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (user + system), from
    /proc when the server runs on this machine; 0 otherwise."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measure(fn: Callable[[], Any], runs: int) -> tuple[float, float, float, list[dict[str, str]]]:
    """Median and p95 wall time, median CPU time (this process + its PostgreSQL backend: what
    the request costs, whatever the machine's load), and the queries of one more run."""
    fn()
    times, cpu = [], []
    for _ in range(runs):
        c = time.process_time() * 1000 + backend_cpu_ms()
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
        cpu.append(time.process_time() * 1000 + backend_cpu_ms() - c)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, statistics.median(cpu), list(ctx.captured_queries)


def explain(queries: list[dict[str, str]]) -> None:
    """EXPLAIN ANALYZE of each captured SELECT that took over 5 ms: the execution time the server
    reports, and the plan's top lines."""
    for q in queries:
        sql = q["sql"]
        if float(q["time"]) * 1000 < 5 or not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = [row[0] for row in cursor.fetchall()]
        execution = next((line for line in plan if line.startswith("Execution Time")), "?")
        print(f"      EXPLAIN ANALYZE: {execution}  ({sql[:100]})")
        for line in plan[:12]:
            print(f"          {line[:150]}")


def check(rule_set: PromotionRuleSet) -> None:
    """Every page of the candidates page and the whole list (exports, freeze) against the plain
    person-by-person computation; exits 1 on the first difference."""
    sys.path.insert(0, str(ROOT))
    from tests.courses.promotion_helpers import naive_standings

    def rows(found: list[promotion.Standing]) -> list[tuple[Any, ...]]:
        return [
            (s.staff_id, s.employee_number, s.grade_since, {c: n for c, n in s.by_category.items() if n}, s.total)
            for s in found
        ]

    t = time.perf_counter()
    expected = naive_standings(rule_set)
    naive_s = time.perf_counter() - t
    rules = promotion.rules_load(rule_set)
    whole = rows(promotion.standings(rules))
    paged: list[tuple[Any, ...]] = []
    for number in range(1, -(-len(expected) // 50) + 1):
        total, shown, page = promotion.standings_page(rules, number=number, per_page=50)
        if (total, shown) != (len(expected), number):
            sys.exit(f"page {number}: {total} candidates, page {shown} shown; expected {len(expected)}, {number}")
        paged += rows(page)
    for name, got in (("standings (exports, freeze)", whole), ("standings_page, every page", paged)):
        if got != expected:
            first = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b), None)
            sys.exit(f"{name} differs from the straightforward computation at row {first}")
    print(
        f"check: {len(expected):,} candidates ({sum(1 for r in expected if r[4]):,} with points): the whole "
        f"list and all {-(-len(expected) // 50)} pages equal the straightforward computation ({naive_s:.1f} s)"
    )


def bench_head() -> StaffMember:
    """A head of the 部 (division) of the first scale person, for the head's report (issue 15 §4)."""
    from staff.models import Department
    from staff.services import department_set_heads

    person = StaffMember.objects.filter(email__endswith="@scale.city.test", department__isnull=False).first()
    if person is None or person.department is None:
        sys.exit("No scale staff with a department.")
    division = Department.objects.get(path="/" + person.department.path.split("/")[1] + "/")
    head = StaffMember.objects.filter(email="bench-head@bench.city.test").first()
    if head is None:
        head = StaffMember.objects.create_user(
            email="bench-head@bench.city.test", employee_number="B0000002", family_name="計測", given_name="所属長"
        )
        staff_account_ensure(staff=head)
    heads = list(division.heads.all())
    if head not in heads:
        department_set_heads(department=division, heads=[*heads, head], reason="benchmark data")
    return head


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--queries", action="store_true", help="print every query's time for each case")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="EXPLAIN ANALYZE each case's queries over 5 ms (the database's own time: less load-sensitive)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare the bench rule set's points (every page, and the whole list) with a straightforward "
        "computation (tests/courses/promotion_helpers.naive_standings), then exit",
    )
    args = parser.parse_args()

    if not StaffMember.objects.filter(email__endswith="@scale.city.test").exists():
        sys.exit("No scale data in this database: run seed_scale first.")
    fy = fiscal_year_of(timezone.localdate())
    hr = bench_hr()
    rule_set = bench_rule_set(fy)
    if args.check:
        check(rule_set)
        return
    rules = promotion.rules_load(rule_set)
    standings = promotion.standings(rules)
    with_points = next((s for s in standings if s.total), standings[0] if standings else None)
    if with_points is None:
        sys.exit("No candidate for the bench rule set.")
    candidate = StaffMember.objects.get(pk=with_points.staff_id)
    hr_client, staff_client = Client(), Client()
    hr_client.force_login(hr)
    head_client = Client()
    head_client.force_login(bench_head())
    staff_client.force_login(candidate)
    snapshot = promotion.snapshot_freeze(rule_set=rule_set, actor=hr)
    pages = max(1, (len(standings) + 49) // 50)
    scope = Scope(is_hr=True, viewer_pk=hr.pk)

    def view(client: Client, url: str, params: dict[str, Any] | None = None) -> Callable[[], Any]:
        def run() -> None:
            response = client.get(url, params or {})
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            b"".join(response) if response.streaming else response.content

        return run

    base = f"/hr/promotion/{rule_set.pk}/"
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("promotion: rule sets (view)", view(hr_client, "/hr/promotion/")),
        (
            "promotion: standings, all candidates (selector)",
            lambda: promotion.standings(promotion.rules_load(rule_set)),
        ),
        (
            "promotion: one page ranked in SQL (selector)",
            lambda: promotion.standings_page(promotion.rules_load(rule_set), number=1, per_page=50),
        ),
        ("promotion: candidates page 1 (view, logged)", view(hr_client, base)),
        (f"promotion: candidates page {pages} (view, logged)", view(hr_client, base, {"page": pages})),
        ("promotion: my points, a candidate (view)", view(staff_client, "/courses/my-promotion/")),
        (
            "report: this FY (selector)",
            lambda: hcreport.report(scope=scope, departments=DepartmentIndex.load(), fiscal_year=fy),
        ),
        ("report: this FY (view)", view(hr_client, "/hr/report/")),
        ("report: last FY (view)", view(hr_client, "/hr/report/", {"fy": fy - 1})),
        ("report: this FY (view, a head of a division)", view(head_client, "/hr/report/")),
        ("report: export CSV", view(hr_client, "/hr/report/export.csv")),
        ("report: export XLSX", view(hr_client, "/hr/report/export.xlsx")),
        ("promotion: export CSV, live (all, logged)", view(hr_client, base + "export.csv")),
        ("promotion: export XLSX, live (all, logged)", view(hr_client, base + "export.xlsx")),
        ("promotion: export CSV, frozen (logged)", view(hr_client, f"/hr/promotion/frozen/{snapshot.pk}/export.csv")),
        ("promotion: freeze (service)", lambda: promotion.snapshot_freeze(rule_set=rule_set, actor=hr)),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    print(
        f"# {platform.node()} · {os.cpu_count()} CPUs · load {os.getloadavg()[0]:.2f} · Python "
        f"{platform.python_version()} · {connection.vendor} {version.split(',')[0]}"
    )
    print(
        f"# staff {StaffMember.objects.count():,} · candidates {len(standings):,} "
        f"(with points {sum(1 for s in standings if s.total):,}) · frozen list {snapshot.candidates:,} "
        f"· runs per case {args.runs}"
    )
    print(f"{'case':<52} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'queries':>8} {'slowest q ms':>13}")
    for name, fn in cases:
        if args.only and args.only not in name:
            continue
        load = os.getloadavg()[0]
        median, p95, cpu, queries = measure(fn, args.runs)
        worst = max(queries, key=lambda q: float(q["time"]), default={"sql": "", "time": "0"})
        flag = "" if median < 500 else "  <-- over 500 ms"
        print(
            f"{name:<52} {median:>10.1f} {p95:>8.1f} {cpu:>7.0f} {len(queries):>8} "
            f"{float(worst['time']) * 1000:>13.1f}  load {load:.1f}{flag}"
        )
        if args.queries:
            for q in queries:
                print(f"      {float(q['time']) * 1000:>8.1f} ms  {q['sql'][:160]}")
        if args.explain:
            explain(queries)
    print(f"# load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
