"""Benchmark HR's roster import: N rows of realistic Japanese data as a CP932 CSV.

Runs the same Resource, form of the file and steps the admin uses (not the browser): parse the
upload, dry run (the preview), real import (the confirm step, with the admin's log entries).
Then a re-import of the same file (all unchanged), a file where 10% of people moved, and a full
roster missing 1% of people. Prints rows, seconds, rows/s and peak memory for each step.

    # SQLite (a fresh database file in a temporary folder):
    .venv/bin/python scripts/bench_roster_import.py --rows 3000
    # PostgreSQL (a database of its own; it is migrated, and emptied first):
    createdb -h 127.0.0.1 -U postgres bench_portal
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_portal .venv/bin/python scripts/bench_roster_import.py

Memory: "peak RSS" is the process's maximum resident size so far (getrusage). With
--tracemalloc the peak of Python allocations during each step is shown too (slower).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAMILY = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("髙橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("渡邉", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("齋藤", "サイトウ"),
    ("清水", "シミズ"),
    ("山﨑", "ヤマザキ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("阿部", "アベ"),
    ("石川", "イシカワ"),
    ("八王子", "ハチオウジ"),
]
GIVEN = [
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("一郎", "イチロウ"),
    ("恵子", "ケイコ"),
    ("健", "ケン"),
    ("翔太", "ショウタ"),
    ("陽菜", "ヒナ"),
    ("大輔", "ダイスケ"),
    ("美咲", "ミサキ"),
    ("拓也", "タクヤ"),
    ("さくら", "サクラ"),
    ("直樹", "ナオキ"),
    ("由美", "ユミ"),
    ("誠", "マコト"),
    ("彩", "アヤ"),
    ("浩二", "コウジ"),
    ("真由美", "マユミ"),
    ("隆", "タカシ"),
    ("智子", "トモコ"),
    ("亮", "リョウ"),
]
GRADES = ["主事"] * 40 + ["主任"] * 25 + ["係長"] * 18 + ["課長補佐"] * 8 + ["課長"] * 6 + ["次長"] * 2 + ["部長"]
JOBS = ["事務"] * 60 + ["技術"] * 15 + ["福祉"] * 10 + ["保健"] * 5 + ["保育"] * 7 + ["その他"] * 3
TYPES = ["正規"] * 7 + ["会計年度任用"] * 3
HEADER = [
    "職員番号",
    "姓",
    "名",
    "姓カナ",
    "名カナ",
    "メールアドレス",
    "所属コード",
    "職層",
    "職種",
    "雇用形態",
    "異動日",
]
WARDS = 23  # 60,000 rows: about the staff of all 23 wards
DIVISIONS_PER_WARD = 8
SECTIONS_PER_DIVISION = 5


def setup_django(args: argparse.Namespace) -> None:
    if not os.environ.get("DATABASE_URL"):
        # A throwaway SQLite file, never the developer's var/portal.sqlite3.
        os.environ["PORTAL_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-roster-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hachioji_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # as in production: no per-query logging
    call_command("migrate", verbosity=0)


def section_codes() -> list[str]:
    return [
        f"{ward:02d}{division}{section}"
        for ward in range(1, WARDS + 1)
        for division in range(1, DIVISIONS_PER_WARD + 1)
        for section in range(1, SECTIONS_PER_DIVISION + 1)
    ]


def make_departments() -> None:
    from staff.models import Assignment, Department, StaffMember

    # A database kept from an earlier run (PostgreSQL): start from no staff and no departments.
    Assignment.objects.all().delete()
    StaffMember.objects.all().delete()
    while Department.objects.exists():  # parents are protected: leaves first
        Department.objects.filter(children__isnull=True).delete()
    for ward in range(1, WARDS + 1):
        for division in range(1, DIVISIONS_PER_WARD + 1):
            parent = Department.objects.create(
                code=f"{ward:02d}{division}", name=f"第{ward}区 第{division}部", level="division"
            )
            for section in range(1, SECTIONS_PER_DIVISION + 1):
                Department.objects.create(
                    code=f"{ward:02d}{division}{section}",
                    name=f"第{ward}区 第{division}部 第{section}課",
                    level="section",
                    parent=parent,
                )


def make_rows(n: int, seed: int = 8) -> list[list[str]]:
    rng = random.Random(seed)
    codes = section_codes()
    rows = []
    for i in range(n):
        number = f"{100000 + i}"
        family, family_kana = rng.choice(FAMILY)
        given, given_kana = rng.choice(GIVEN)
        if i % 997 == 0:
            given += "①"  # CP932-only characters strict Shift_JIS cannot read
        rows.append(
            [
                number,
                family,
                given,
                family_kana,
                given_kana,
                f"staff{number}@city.hachioji.example.jp",
                rng.choice(codes),
                rng.choice(GRADES),
                rng.choice(JOBS),
                rng.choice(TYPES),
                "2025/4/1",  # the last April transfers
            ]
        )
    return rows


def to_cp932_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")  # as Excel writes it
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("cp932")


class Bench:
    def __init__(self, use_tracemalloc: bool) -> None:
        self.use_tracemalloc = use_tracemalloc
        self.lines: list[str] = []

    def run(self, label: str, rows: int, fn: Callable[[], Any]) -> Any:
        if self.use_tracemalloc:
            tracemalloc.start()
        start = time.perf_counter()
        value = fn()
        seconds = time.perf_counter() - start
        traced = ""
        if self.use_tracemalloc:
            traced = f"{tracemalloc.get_traced_memory()[1] / 2**20:8.1f} MiB"
            tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        line = (
            f"| {label:<44} | {rows:>7,} | {seconds:8.2f} | {rows / seconds:>9,.0f} | {rss:7.0f} MiB | {traced:>11} |"
        )
        print(line, flush=True)
        self.lines.append(line)
        return value


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark check failed: {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    args = parser.parse_args()
    setup_django(args)

    from django.contrib import admin
    from django.db import connection
    from django.test import RequestFactory

    from staff.models import Assignment, StaffMember
    from tests.factories import make_staff

    model_admin = admin.site._registry[StaffMember]
    resource_class = model_admin.get_import_resource_classes(None)[0]
    csv_format = model_admin.get_import_formats()[0]()

    make_departments()
    hr = make_staff(employee_number="HR0001", email="hr-bench@city.hachioji.example.jp", role="hr")
    request = RequestFactory().post("/admin/staff/staffmember/process_import/")
    request.user = hr

    n = args.rows
    rows = make_rows(n)
    content = to_cp932_csv(rows)
    print(f"# {n:,} rows, {len(content) / 2**20:.1f} MiB CP932 CSV; database: {connection.vendor}")
    print(f"# python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print("| step | rows | seconds | rows/s | peak RSS | traced peak |")
    print("|---|---:|---:|---:|---:|---:|")
    bench = Bench(args.tracemalloc)

    def import_file(data: bytes, *, dry_run: bool, full_roster: bool = False) -> Any:
        dataset = csv_format.create_dataset(data)
        resource = resource_class(**model_admin.get_import_resource_kwargs(request, form=None))
        resource.full_roster = full_roster
        result = resource.import_data(
            dataset, dry_run=dry_run, raise_errors=False, user=hr, retain_instance_in_row_result=not dry_run
        )
        if result.has_errors() or result.has_validation_errors():
            raise SystemExit(f"unexpected errors: {result.base_errors or result.invalid_rows[:3]}")
        if not dry_run:
            model_admin.generate_log_entries(result, request)  # as the admin's confirm step does
        return result

    bench.run("parse CP932 CSV", n, lambda: csv_format.create_dataset(content))
    result = bench.run("first import: dry run (preview)", n, lambda: import_file(content, dry_run=True))
    check(result.totals["new"] == n and StaffMember.objects.count() == 1, "the dry run wrote nothing")
    result = bench.run("first import: confirm (all new)", n, lambda: import_file(content, dry_run=False))
    check(StaffMember.objects.count() == n + 1 and Assignment.objects.count() == n, "everyone imported")

    bench.run("same file again: dry run", n, lambda: import_file(content, dry_run=True))
    result = bench.run("same file again: confirm (all unchanged)", n, lambda: import_file(content, dry_run=False))
    check(result.totals["skip"] == n and Assignment.objects.count() == n, "a re-import changes nothing")

    rng = random.Random(1)
    codes = section_codes()
    moved = [list(row) for row in rows]
    for row in rng.sample(moved, n // 10):
        row[6] = rng.choice([c for c in codes if c != row[6]][:50])
        row[10] = "2026/4/1"
    moved_content = to_cp932_csv(moved)
    bench.run("10% transferred: dry run", n, lambda: import_file(moved_content, dry_run=True))
    result = bench.run("10% transferred: confirm", n, lambda: import_file(moved_content, dry_run=False))
    check(result.totals["update"] == n // 10 and Assignment.objects.count() == n + n // 10, "transfers recorded")

    full = to_cp932_csv(moved[: n - n // 100])
    result = bench.run(
        "full roster, 1% left: dry run", n - n // 100, lambda: import_file(full, dry_run=True, full_roster=True)
    )
    check(len(result.deactivations) == n // 100, "the preview counts who leaves")
    bench.run("full roster, 1% left: confirm", n - n // 100, lambda: import_file(full, dry_run=False, full_roster=True))
    check(StaffMember.objects.filter(is_active=False).count() == n // 100, "leavers deactivated")


if __name__ == "__main__":
    main()
