"""Benchmark the HR insight pages against a seeded database: selectors and rendered views.

    createdb -h 127.0.0.1 -U postgres portal_scale
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_scale --staff 60000 --courses 2000 --enrolments 600000 --awards 300000 --seed 1
    .venv/bin/python scripts/bench_insight.py --runs 9 [--explain] [--only search]
    .venv/bin/python scripts/bench_insight.py --check   # the matrix's tables against the evidence

Each case runs once to warm up, then ``--runs`` times timed (median and 95th percentile in ms),
then once more with the queries captured (count and the slowest statement). Views go through
Django's test client with a signed-in HR user (TOTP set up) or a head of 福祉部, so middleware,
templates and the access log are included. Two bench accounts are created if missing
(bench-*@bench.city.test); profile views and exports add RecordAccess rows, as in real use.
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

from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from courses import insight  # noqa: E402
from courses.models import Skill  # noqa: E402
from staff import roles  # noqa: E402
from staff.models import Department, StaffMember  # noqa: E402
from staff.services import role_grant, staff_account_ensure  # noqa: E402

TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105 - bench account only, as the demo's


def bench_user(email: str, number: str, *, hr: bool, heads: Department | None = None) -> StaffMember:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    user = StaffMember.objects.filter(email=email).first()
    if user is None:
        user = StaffMember.objects.create_user(
            email=email, employee_number=number, family_name="計測", given_name="利用者", is_staff=hr
        )
    staff_account_ensure(staff=user)
    if hr:
        role_grant(actor=None, staff=user, role=roles.HR, reason="benchmark data")
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, TOTP_SECRET)
    if heads is not None:
        role_grant(actor=None, staff=user, role=roles.SECTION_HEAD, reason="benchmark data", department=heads)
    return user


def measure(fn: Callable[[], Any], runs: int) -> tuple[float, float, list[dict[str, str]]]:
    fn()  # warm-up (and caches like the role cache on the user object are per request anyway)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, list(ctx.captured_queries)


def check(hr_scope: insight.Scope, head_scope: insight.Scope, welfare: Department) -> None:
    """The matrix counts from the tables (``_holder_counts_from_holdings``) equal the evidence
    query's (``_holder_counts_sql``) for scopes, drill-downs, levels, grades, valid only and days
    from three years ago to a year ahead; exits non-zero on the first difference."""
    departments = insight.DepartmentIndex.load()
    today = timezone.localdate()
    days = [today + dt.timedelta(days=n) for n in (0, 365, -1, -30, -365, -1000)]
    compared = cells = 0
    for scope, parent in ((hr_scope, None), (hr_scope, departments.by_code[welfare.code]), (head_scope, None)):
        for level in (1, 2, 3):
            for grade in ("", "shunin"):
                for valid_only in (False, True):
                    for as_of in days:
                        args = {"scope": scope, "parent": parent, "level": level, "grade": grade}
                        args |= {"as_of": as_of, "valid_only": valid_only}
                        rows = []
                        for fn in (insight.matrix._holder_counts_from_holdings, insight.matrix._holder_counts_sql):
                            with connection.cursor() as cursor:
                                cursor.execute(*fn(**args))
                                rows.append(sorted(tuple(r) for r in cursor.fetchall()))
                        if rows[0] != rows[1]:
                            sys.exit(f"Different counts for {args}")
                        compared += 1
                        cells += sum(n for *_k, n in rows[0])
    print(f"{compared} combinations compared, identical ({cells:,} holders counted in all).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest query of each case")
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--queries", action="store_true", help="print every query's time for each case")
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare the matrix counts from the holdings tables with the evidence query, then stop",
    )
    args = parser.parse_args()

    welfare = Department.objects.filter(level="division", name="福祉部").order_by("path").first()
    if welfare is None:
        sys.exit("No 福祉部 in this database: run seed_scale first.")
    hr = bench_user("bench-hr@bench.city.test", "B0000001", hr=True)
    head = bench_user("bench-head@bench.city.test", "B0000002", hr=False, heads=welfare)
    hr_scope, head_scope = insight.insight_scope(hr), insight.insight_scope(head)
    if not (hr_scope and head_scope):
        sys.exit("The bench accounts have no HR insight scope.")
    data = Skill.objects.get(code="DATA")
    person = StaffMember.objects.filter(email__endswith="@scale.city.test", awards__isnull=False).order_by("pk").first()
    if person is None:
        sys.exit("No scale person with a badge: run seed_scale first.")
    if args.check:
        check(hr_scope, head_scope, welfare)
        return
    hr_client, head_client = Client(), Client()
    hr_client.force_login(hr)
    head_client.force_login(head)
    fy = insight.fiscal_year_of(timezone.localdate())

    def search(scope: insight.Scope, **filters: Any) -> Callable[[], Any]:
        def run() -> None:
            departments = insight.DepartmentIndex.load()
            if "department" in filters:
                filters["department"] = departments.by_code[filters["department"].code]
            plan = insight.search_plan(scope=scope, filters=insight.PeopleFilters(**filters))
            page = Paginator(plan.people, 50).get_page(1)
            insight.attach_evidence(plan, list(page.object_list), departments)

        return run

    def view(client: Client, url: str, params: dict[str, Any] | None = None) -> Callable[[], Any]:
        def run() -> None:
            response = client.get(url, params or {})
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            b"".join(response) if response.streaming else response.content

        return run

    wd = insight.DepartmentIndex.load().by_code[welfare.code]
    year_ago = (timezone.localdate().replace(day=1) - dt.timedelta(days=365)).isoformat()
    done_when = {"department": welfare.code, "skill": "DATA", "level": 2, "valid_only": "on"}
    cases: list[tuple[str, Callable[[], Any]]] = [
        (
            "search 福祉部 DATA>=2 valid (selector)",
            search(hr_scope, department=wd, skill=data, level=2, valid_only=True),
        ),
        ("search 福祉部 DATA>=2 valid (view)", view(hr_client, reverse("hr:people"), done_when)),
        ("search city-wide DATA>=1 (selector)", search(hr_scope, skill=data, level=1)),
        ("search city-wide DATA>=1 (view)", view(hr_client, reverse("hr:people"), {"skill": "DATA"})),
        (
            "search name サトウ + grade (view)",
            view(hr_client, reverse("hr:people"), {"q": "さとう", "grade": "shunin"}),
        ),
        (
            "search badge text + course (view)",
            view(hr_client, reverse("hr:people"), {"badge": "防災", "course": "実践"}),
        ),
        ("search valid only, city-wide (view)", view(hr_client, reverse("hr:people"), {"valid_only": "on"})),
        ("search as head of 福祉部 DATA>=1 (view)", view(head_client, reverse("hr:people"), {"skill": "DATA"})),
        (
            "matrix top level (selector)",
            lambda: insight.skill_matrix(scope=hr_scope, departments=insight.DepartmentIndex.load()),
        ),
        ("matrix top level (view)", view(hr_client, reverse("hr:matrix"))),
        (
            "matrix 福祉部 L2 主任 (view)",
            view(hr_client, reverse("hr:matrix"), {"department": welfare.code, "level": 2, "grade": "shunin"}),
        ),
        ("matrix valid only (view)", view(hr_client, reverse("hr:matrix"), {"valid_only": "on"})),
        ("matrix as head (view)", view(head_client, reverse("hr:matrix"))),
        ("matrix a year ago (view)", view(hr_client, reverse("hr:matrix"), {"as_of": year_ago})),
        (
            "matrix a year ago, valid only (view)",
            view(hr_client, reverse("hr:matrix"), {"as_of": year_ago, "valid_only": "on"}),
        ),
        (
            "dashboard 3 FYs (selector)",
            lambda: insight.dashboard(
                scope=hr_scope, departments=insight.DepartmentIndex.load(), fy_from=fy - 2, fy_to=fy
            ),
        ),
        ("dashboard 3 FYs (view)", view(hr_client, reverse("hr:dashboard"))),
        ("dashboard 5 FYs (view)", view(hr_client, reverse("hr:dashboard"), {"fy_from": fy - 4, "fy_to": fy})),
        ("dashboard as head (view)", view(head_client, reverse("hr:dashboard"))),
        ("profile (view, logged)", view(hr_client, reverse("hr:profile", args=[person.employee_number]))),
        ("export CSV 福祉部 DATA>=2 valid", view(hr_client, reverse("hr:people_export_csv"), done_when)),
        ("export XLSX 福祉部 DATA>=2 valid", view(hr_client, reverse("hr:people_export_xlsx"), done_when)),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    counts = {
        "staff": StaffMember.objects.count(),
        "enrolments": __import__("courses.models", fromlist=["Enrolment"]).Enrolment.objects.count(),
        "awards": __import__("badges.models", fromlist=["Award"]).Award.objects.count(),
    }
    print(
        f"# {platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
        f"{connection.vendor} {version.split(',')[0]}"
    )
    print(f"# data: {counts} · runs per case: {args.runs}")
    print(f"{'case':<44} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'slowest q ms':>13}")
    explains = []
    for name, fn in cases:
        if args.only and args.only not in name:
            continue
        median, p95, queries = measure(fn, args.runs)
        worst = max(queries, key=lambda q: float(q["time"]), default={"sql": "", "time": "0"})
        flag = "" if median < 500 else "  <-- over 500 ms"
        print(f"{name:<44} {median:>10.1f} {p95:>8.1f} {len(queries):>8} {float(worst['time']) * 1000:>13.1f}{flag}")
        if args.queries:
            for q in queries:
                print(f"      {float(q['time']) * 1000:>8.1f} ms  {q['sql'][:150]}")
        explains.append((name, worst["sql"]))
    if args.explain and connection.vendor == "postgresql":
        for name, sql in explains:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            print(f"\n## EXPLAIN ANALYZE, slowest query of: {name}\n")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                for (line,) in cursor.fetchall():
                    print("    " + line)


if __name__ == "__main__":
    main()
