"""Benchmark the grade report's preview (the dry run HR's upload runs, issue 13).

Builds N approved enrolments (N people, 10 courses with badges, 5% already completed), writes
the university's report for them as a CP932 CSV with Japanese headers (修了 with a grade and a
date, 未修了 for 1 line in 20, 1 line in 50 matching no enrolment), then times the preview the
admin shows: the upload POSTed to the admin's import view as HR (parse, dry run, page), and the
resource's dry run alone. ``--profile`` prints the dry run's cProfile (top functions by
cumulative time) and the number of SQL queries.

    createdb -h 127.0.0.1 -U postgres bench_grade
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_grade \\
        .venv/bin/python scripts/bench_grade_preview.py --lines 1000 --profile

The database is migrated, and the benchmark's own rows (employee numbers B…) are made once and
reused; every run is a dry run, so nothing else is written.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="the lines repeated (a longer file, same enrolments)")
    parser.add_argument("--compare", action="store_true", help="compare each line's preview in bulk and per line")
    parser.add_argument(
        "--per-line", action="store_true", help="the dry run as before: the services on each line, rolled back"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hachioji_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from courses.models import Enrolment
    from courses.resources import GradeReportResource
    from staff.formats import RosterCSV
    from staff.models import StaffMember
    from tests.factories import make_badge_class, make_enrolment, make_staff, make_started_course

    if args.per_line:
        GradeReportResource.checks_in_bulk = False
    n = args.lines
    hr = StaffMember.objects.filter(employee_number="B-HR").first() or make_staff(
        employee_number="B-HR", email="bench-hr@city.test", role="hr"
    )
    existing = Enrolment.objects.filter(staff__employee_number__startswith="B0").count()
    if existing < n:
        courses = [
            make_started_course(code=f"BENCH-{i:02d}", badge_class=make_badge_class(), starts_on=dt.date(2026, 3, 1))
            for i in range(10)
        ]
        for i in range(existing, n):
            person = make_staff(employee_number=f"B{i:06d}", email=f"bench{i}@city.test")
            if i % 20 == 7:
                make_enrolment(staff=person, course=courses[i % 10], state="completed", grade="良")
            else:
                make_enrolment(staff=person, course=courses[i % 10], state="approved")
    lines = ["職員番号,科目コード,結果,成績,修了日,備考"]
    for i in range(n):
        number, course = f"B{i:06d}", f"BENCH-{i % 10:02d}"
        if i % 50 == 13:
            number = f"X{i:06d}"  # nobody
        if i % 20 == 3:
            lines.append(f"{number},{course},未修了,,,試験欠席")
        else:
            lines.append(f"{number},{course},修了,{'優良可'[i % 3]},2026/3/{1 + i % 28},")
    lines = lines[:1] + lines[1:] * args.repeat
    data = ("\r\n".join(lines) + "\r\n").encode("cp932")

    def dry_run() -> object:
        dataset = RosterCSV().create_dataset(data)
        return GradeReportResource(actor=hr).import_data(dataset, dry_run=True, use_transactions=True)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    database = f"{connection.vendor} {connection.settings_dict['NAME']}"
    print(f"database: {database}; lines: {len(lines) - 1}; per line: {args.per_line}; load average: {load}")
    with CaptureQueriesContext(connection) as queries:
        result = dry_run()
    data_queries = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    print(
        f"dry run: {len(data_queries)} queries (+ {len(queries) - len(data_queries)} savepoint statements); "
        f"new/updated/unchanged/failed = {result.count_new}/{result.count_updated}/"  # type: ignore[attr-defined]
        f"{result.count_unchanged}/{result.count_failed}"  # type: ignore[attr-defined]
    )
    # (The admin page is not timed here: HR's admin session needs the TOTP step.)
    for label, step in (("resource dry run", dry_run),):
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        print(f"{label}: median {statistics.median(times):.2f} s, min {min(times):.2f} s ({args.rounds} rounds)")
    if args.compare:
        kept = GradeReportResource.checks_in_bulk
        seen = []
        for in_bulk in (True, False):
            GradeReportResource.checks_in_bulk = in_bulk
            seen.append(
                [
                    (r.line, r.import_type, r.name, r.course, r.change, r.details, r.reasons)
                    for r in dry_run().rows  # type: ignore[attr-defined]
                ]
            )
        GradeReportResource.checks_in_bulk = kept
        different = [(a, b) for a, b in zip(*seen, strict=True) if a != b]
        print(f"in bulk vs per line: {len(seen[0])} lines, {len(different)} different", *different[:5], sep="\n")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        dry_run()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
        print(out.getvalue())


if __name__ == "__main__":
    main()
