"""Demo staff directory: a Hachioji-like department tree, a few hundred people, demo accounts."""

from __future__ import annotations

import datetime as dt
import random
from typing import TextIO

from django.conf import settings

from . import roles
from .models import Department, StaffMember
from .services import department_set_heads, role_grant, staff_upsert

DEMO_PASSWORD = "hachioji-demo-2026"  # noqa: S105 - printed on purpose: demo accounts only
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105 - the demo HR account's authenticator secret (base32)

# 部 > 課 > 係 (codes: 2 / 4 / 6 digits), modelled on Hachioji City's organisation.
TREE: list[tuple[str, str, str, list[tuple[str, str, str, list[tuple[str, str]]]]]] = [
    (
        "10",
        "総務部",
        "General Affairs Department",
        [
            ("1010", "人事課", "Human Resources Division", [("101010", "人事係"), ("101020", "研修担当")]),
            ("1020", "総務課", "General Affairs Division", [("102010", "文書係"), ("102020", "法制係")]),
            ("1030", "情報管理課", "Information Management Division", [("103010", "情報システム係")]),
        ],
    ),
    (
        "20",
        "財務部",
        "Finance Department",
        [
            ("2010", "財政課", "Budget Division", [("201010", "財政係")]),
            ("2020", "住民税課", "Resident Tax Division", [("202010", "市民税係")]),
        ],
    ),
    (
        "30",
        "市民活動推進部",
        "Civic Activities Department",
        [
            ("3010", "市民生活課", "Civic Life Division", [("301010", "市民相談係")]),
            ("3020", "多文化共生推進課", "Multicultural Coexistence Division", [("302010", "国際交流係")]),
        ],
    ),
    (
        "40",
        "福祉部",
        "Welfare Department",
        [
            ("4010", "福祉政策課", "Welfare Policy Division", [("401010", "企画係")]),
            ("4020", "障害者福祉課", "Disability Welfare Division", [("402010", "支援係")]),
            ("4030", "高齢者いきいき課", "Senior Citizens Division", [("403010", "介護予防係")]),
        ],
    ),
    (
        "50",
        "健康医療部",
        "Health and Medical Department",
        [
            ("5010", "保健総務課", "Public Health Division", [("501010", "保健企画係")]),
        ],
    ),
    (
        "60",
        "子ども家庭部",
        "Children and Families Department",
        [
            ("6010", "子育て支援課", "Child-rearing Support Division", [("601010", "保育係")]),
        ],
    ),
    (
        "70",
        "都市計画部",
        "City Planning Department",
        [
            ("7010", "都市計画課", "City Planning Division", [("701010", "計画係")]),
        ],
    ),
    (
        "80",
        "生活安全部",
        "Community Safety Department",
        [
            ("8010", "防災課", "Disaster Management Division", [("801010", "防災係")]),
        ],
    ),
    (
        "90",
        "環境部",
        "Environment Department",
        [
            ("9010", "環境政策課", "Environmental Policy Division", [("901010", "環境企画係")]),
        ],
    ),
]

FAMILY = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
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
    ("清水", "シミズ"),
    ("髙橋", "タカハシ"),
    ("石川", "イシカワ"),
    ("小川", "オガワ"),
    ("長谷川", "ハセガワ"),
    ("八木", "ヤギ"),
]
GIVEN = [
    ("翔太", "ショウタ"),
    ("陽菜", "ヒナ"),
    ("大輔", "ダイスケ"),
    ("美咲", "ミサキ"),
    ("健太", "ケンタ"),
    ("さくら", "サクラ"),
    ("拓也", "タクヤ"),
    ("結衣", "ユイ"),
    ("直樹", "ナオキ"),
    ("彩", "アヤ"),
    ("亮", "リョウ"),
    ("麻衣", "マイ"),
    ("誠", "マコト"),
    ("恵", "メグミ"),
    ("和也", "カズヤ"),
    ("優子", "ユウコ"),
    ("浩二", "コウジ"),
    ("真由美", "マユミ"),
    ("聡", "サトシ"),
    ("千尋", "チヒロ"),
]
GRADES = ["shuji"] * 5 + ["shunin"] * 3 + ["kakaricho"] * 2 + ["kacho_hosa"]
JOBS = ["administrative"] * 6 + ["technical", "welfare", "health", "childcare"]

TRANSFER_DAY = dt.date(2026, 4, 1)
FIRST_DAY = dt.date(2020, 4, 1)

DEMO_ACCOUNTS = {
    "staff": ("000101", "staff@demo.hachioji.test", "八木", "陽菜", "ヤギ", "ヒナ", "401010", "shunin"),
    "head": ("000102", "head@demo.hachioji.test", "長谷川", "誠", "ハセガワ", "マコト", "4010", "kacho"),
    "hr": ("000103", "hr@demo.hachioji.test", "石川", "恵", "イシカワ", "メグミ", "101020", "kakaricho"),
}


def _departments() -> dict[str, Department]:
    by_code: dict[str, Department] = {}
    for code, name, name_en, sections in TREE:
        division, _ = Department.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "level": "division"}
        )
        by_code[code] = division
        for s_code, s_name, s_name_en, units in sections:
            section, _ = Department.objects.get_or_create(
                code=s_code, defaults={"name": s_name, "name_en": s_name_en, "level": "section", "parent": division}
            )
            by_code[s_code] = section
            for u_code, u_name in units:
                unit, _ = Department.objects.get_or_create(
                    code=u_code, defaults={"name": u_name, "level": "unit", "parent": section}
                )
                by_code[u_code] = unit
    return by_code


def seed(out: TextIO) -> None:
    departments = _departments()
    units = [d for d in departments.values() if d.level == "unit"]
    rng = random.Random(8000)  # fixed: the demo is the same on every machine
    people = 0
    existing = set(StaffMember.objects.values_list("employee_number", flat=True))
    for i in range(300):
        family, family_kana = rng.choice(FAMILY)
        given, given_kana = rng.choice(GIVEN)
        number = f"{200001 + i}"
        home, before = rng.choice(units), rng.choice(units)
        grade, job = rng.choice(GRADES), rng.choice(JOBS)
        if number in existing:
            continue  # the demo never overwrites what someone changed while trying it
        staff, created = staff_upsert(
            employee_number=number,
            email=f"staff{number}@demo.hachioji.test",
            family_name=family,
            given_name=given,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
            department=home if i % 7 else before,
            grade=grade,
            job_family=job,
            employment_type="fiscal_year" if i % 9 == 0 else "regular",
            on=FIRST_DAY,
        )
        if i % 7 == 0:
            # Every seventh person moved on 1 April 2026: their history keeps the old post.
            staff_upsert(
                employee_number=number,
                email=staff.email,
                family_name=family,
                given_name=given,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                department=home,
                grade=staff.grade,
                job_family=staff.job_family,
                employment_type=staff.employment_type,
                on=TRANSFER_DAY,
            )
        people += created

    accounts: dict[str, StaffMember] = {}
    for role, (number, email, fam, giv, fam_k, giv_k, dept, grade) in DEMO_ACCOUNTS.items():
        staff, created = staff_upsert(
            employee_number=number,
            email=email,
            family_name=fam,
            given_name=giv,
            family_name_kana=fam_k,
            given_name_kana=giv_k,
            department=departments[dept],
            grade=grade,
            job_family="administrative",
            on=FIRST_DAY,
        )
        if created or not staff.has_usable_password():
            staff.set_password(DEMO_PASSWORD)
            staff.save(update_fields=["password"])
        accounts[role] = staff
    department_set_heads(department=departments["4010"], heads=[accounts["head"]])
    hr = accounts["hr"]
    role_grant(actor=None, staff=hr, role=roles.HR, reason="seed_demo: the demo HR account")
    _ensure_demo_totp(hr)

    out.write(
        f"Staff directory: {len(departments)} departments, {StaffMember.objects.count()} people ({people} new).\n"
    )


def summary(out: TextIO) -> None:
    """Printed last by seed_demo, so the accounts are the first thing a tester sees."""
    accounts = {role: StaffMember.objects.get(employee_number=row[0]) for role, row in DEMO_ACCOUNTS.items()}
    out.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):\n")
    out.write(f"  staff member     {accounts['staff'].email}\n")
    out.write(f"  head of section  {accounts['head'].email}\n")
    out.write(
        f"  HR (人事課)       {accounts['hr'].email}  (two-step verification: authenticator secret "
        f"{DEMO_TOTP_SECRET}, or run `.venv/bin/python manage.py demo_totp` for the current code)\n"
    )
    out.write(f"Portal: {settings.PORTAL_BASE_URL}/\n")


def _ensure_demo_totp(staff: StaffMember) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(staff, DEMO_TOTP_SECRET)
