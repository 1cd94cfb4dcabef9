"""Demo catalogue and enrolments: Chuo Faculty of Law correspondence courses, open lectures, city
training, e-learning, programmes with badges, and enrolments in every state.

Idempotent: catalogue rows are found by code (get_or_create), and enrolments are seeded only
the first time (when the demo staff member has none). Dates are set relative to the day of the
first seed, so the current term is open for applications and last year's courses are finished.
Completions go through ``enrolment_complete``, so the badge outbox gets its award requests and
the badges worker issues them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TextIO

from django.db.models import Q
from django.utils import timezone

from badges.models import BadgeClass, Issuer
from staff.models import Department, StaffMember

from .learning import learning_years_refresh
from .models import Course, Enrolment, EnrolmentEvent, EnrolmentState, Programme, Provider, Skill
from .services import (
    course_align_badge,
    course_set_skills,
    enrolment_approve,
    enrolment_complete,
    enrolment_decline,
    enrolment_mark_not_completed,
    enrolment_recommend,
    enrolment_request,
    enrolment_withdraw,
    programme_align_badge,
)

S = EnrolmentState
DEMO_STAFF = "staff@demo.hachioji.test"
DEMO_HEAD = "head@demo.hachioji.test"
DEMO_HR = "hr@demo.hachioji.test"

PROVIDERS = [
    # code, name, name_en, kind, url
    (
        "CHUO-LAW-TK",
        "中央大学法学部 通信教育課程",
        "Chuo University Faculty of Law, correspondence course",
        "chuo_correspondence",
        "https://www.chuo-u.ac.jp/",
    ),
    (
        "CHUO-OPEN",
        "中央大学 公開講座",
        "Chuo University open lectures",
        "chuo_open_lecture",
        "https://www.chuo-u.ac.jp/",
    ),
    (
        "HACHIOJI",
        "八王子市 職員研修（人事課 研修担当）",
        "Hachioji City staff training (HR training desk)",
        "city",
        "https://www.city.hachioji.tokyo.jp/",
    ),
    ("ELEARN", "自治体職員向けeラーニング", "E-learning for local government staff", "elearning", ""),
    ("UNIV-OPEN", "近隣大学 公開講座", "Open lectures at neighbouring universities", "university", ""),
]

SKILLS = [
    # code, name, name_en, description
    ("LAW", "法務", "Legal affairs", "法令の解釈・運用、条例立案、行政手続"),
    ("ADMIN", "行政経営", "Public administration", "行政組織・政策過程の理解と改善"),
    ("DATA", "データ活用", "Data use", "統計・データ分析に基づく政策立案（EBPM）"),
    ("DX", "DX", "Digital transformation", "業務改革とデジタル技術の活用"),
    ("WELFARE", "福祉", "Welfare", "社会保障・地域福祉の制度と実務"),
    ("BOSAI", "防災", "Disaster management", "災害対応・避難所運営・地域防災"),
    ("TABUNKA", "多文化共生", "Multicultural coexistence", "外国人住民への情報提供・やさしい日本語"),
]


@dataclass
class C:
    code: str
    title: str
    title_en: str
    provider: str
    delivery: str
    description: str
    skills: dict[str, int]
    cost: int = 0
    subsidy: int = 0
    capacity: int | None = 20
    credits: int | None = None
    hours: float | None = None
    promotion: bool = True
    past: bool = False  # last year's offering: finished, closed for applications
    prerequisites: str = ""
    badge: str | None = None  # badge design; None: no badge of its own
    extra: dict[str, object] = field(default_factory=dict)


LAW_DESC = (
    "中央大学法学部通信教育課程の科目を聴講します。教科書による自学自習、レポート提出、"
    "スクーリング（夏期・地方）と科目試験により、正規の学生と同じ基準で成績評価を受けます。"
)

COURSES = [
    C(
        "CHUO-LAW-2026-KENPO",
        "憲法",
        "Constitutional Law",
        "CHUO-LAW-TK",
        "correspondence",
        LAW_DESC + "\n統治機構と基本的人権の基礎を学び、行政活動の憲法上の限界を理解します。",
        {"LAW": 2},
        30000,
        20000,
        20,
        credits=4,
        badge="blue",
    ),
    C(
        "CHUO-LAW-2026-GYOSEI",
        "行政法",
        "Administrative Law",
        "CHUO-LAW-TK",
        "correspondence",
        LAW_DESC + "\n行政行為、行政手続、行政不服審査、行政事件訴訟など、窓口業務と直結する法理を学びます。",
        {"LAW": 3, "ADMIN": 1},
        30000,
        20000,
        20,
        credits=4,
        badge="blue",
        prerequisites="憲法を履修済みであることが望ましい",
    ),
    C(
        "CHUO-LAW-2026-MINPO",
        "民法（総則）",
        "Civil Law (General Provisions)",
        "CHUO-LAW-TK",
        "correspondence",
        LAW_DESC + "\n契約・時効・代理など、債権管理や財産管理の基礎となる民法総則を学びます。",
        {"LAW": 2},
        30000,
        20000,
        20,
        credits=4,
        badge="blue",
    ),
    C(
        "CHUO-LAW-2026-KEIHO",
        "刑法（総論）",
        "Criminal Law (General Part)",
        "CHUO-LAW-TK",
        "correspondence",
        LAW_DESC + "\n犯罪の成立要件と公務員の職務に関わる刑事法の基礎を学びます。",
        {"LAW": 1},
        30000,
        15000,
        15,
        credits=4,
        promotion=False,
    ),
    C(
        "CHUO-LAW-2026-CHIHO",
        "地方自治法",
        "Local Autonomy Law",
        "CHUO-LAW-TK",
        "correspondence",
        LAW_DESC + "\n地方公共団体の組織と運営、条例・規則、住民参加、財務の仕組みを学びます。",
        {"LAW": 3, "ADMIN": 2},
        30000,
        20000,
        20,
        credits=4,
        badge="blue",
    ),
    C(
        "CHUO-LAW-2026-GYOSEIGAKU",
        "行政学",
        "Public Administration",
        "CHUO-LAW-TK",
        "correspondence",
        LAW_DESC + "\n官僚制、政策過程、行政改革と自治体経営を理論と事例から学びます。",
        {"ADMIN": 2},
        30000,
        20000,
        20,
        credits=4,
        badge="blue",
    ),
    C(
        "CHUO-LAW-2026-SHAHO",
        "社会保障法",
        "Social Security Law",
        "CHUO-LAW-TK",
        "correspondence",
        LAW_DESC + "\n年金・医療・介護・生活保護など社会保障制度の法的枠組みを学びます。",
        {"WELFARE": 2, "LAW": 2},
        30000,
        20000,
        15,
        credits=4,
        badge="green",
    ),
    # Last year's offerings (finished): where completions and badges come from.
    C(
        "CHUO-LAW-2025-KENPO",
        "憲法（2025年度）",
        "Constitutional Law (2025)",
        "CHUO-LAW-TK",
        "correspondence",
        LAW_DESC,
        {"LAW": 2},
        30000,
        20000,
        20,
        credits=4,
        past=True,
        badge="blue",
    ),
    C(
        "CHUO-LAW-2025-GYOSEI",
        "行政法（2025年度）",
        "Administrative Law (2025)",
        "CHUO-LAW-TK",
        "correspondence",
        LAW_DESC,
        {"LAW": 3, "ADMIN": 1},
        30000,
        20000,
        20,
        credits=4,
        past=True,
        badge="blue",
    ),
    C(
        "CHUO-LAW-2025-CHIHO",
        "地方自治法（2025年度）",
        "Local Autonomy Law (2025)",
        "CHUO-LAW-TK",
        "correspondence",
        LAW_DESC,
        {"LAW": 3, "ADMIN": 2},
        30000,
        20000,
        20,
        credits=4,
        past=True,
        badge="blue",
    ),
    # Chuo open lectures (公開講座)
    C(
        "CHUO-OPEN-2026-DATA",
        "データで読み解く地域社会",
        "Reading local society through data",
        "CHUO-OPEN",
        "classroom",
        "人口・財政・福祉の公開データを使い、地域課題を可視化する方法を学ぶ全6回の公開講座です。",
        {"DATA": 2},
        8000,
        8000,
        10,
        hours=12,
        badge="orange",
    ),
    C(
        "CHUO-OPEN-2026-BOSAI",
        "首都直下地震と自治体の備え",
        "Tokyo inland earthquakes and local government",
        "CHUO-OPEN",
        "classroom",
        "被害想定、受援計画、業務継続計画（BCP）を専門家と考える公開講座です。",
        {"BOSAI": 2},
        6000,
        6000,
        10,
        hours=9,
        badge="red",
    ),
    C(
        "CHUO-OPEN-2026-TABUNKA",
        "多文化共生社会と自治体",
        "Multicultural society and local government",
        "CHUO-OPEN",
        "online",
        "外国人住民の増加と行政サービス、多言語対応の実践をオンラインで学びます。",
        {"TABUNKA": 2},
        5000,
        5000,
        30,
        hours=6,
        promotion=False,
    ),
    # City training (八王子市職員研修)
    C(
        "CITY-2026-BOSAI",
        "防災・避難所運営研修",
        "Disaster response and evacuation centre training",
        "HACHIOJI",
        "classroom",
        "避難所開設訓練（HUG）と八王子市地域防災計画の要点を学ぶ実習型研修です。",
        {"BOSAI": 1},
        0,
        0,
        2,
        hours=6,
        badge="red",
    ),
    C(
        "CITY-2026-TABUNKA",
        "多文化共生・やさしい日本語研修",
        "Multicultural coexistence and plain Japanese",
        "HACHIOJI",
        "classroom",
        "窓口で使える「やさしい日本語」と通訳サービスの使い方を演習で身につけます。",
        {"TABUNKA": 1},
        0,
        0,
        30,
        hours=3,
        promotion=False,
    ),
    C(
        "CITY-2026-DATA",
        "データ活用（EBPM）研修",
        "Evidence-based policy making with data",
        "HACHIOJI",
        "classroom",
        "統計データの読み方、ロジックモデル、効果測定の基本を事例演習で学びます。",
        {"DATA": 2},
        0,
        0,
        30,
        hours=6,
    ),
    C(
        "CITY-2026-DX",
        "自治体DX推進研修",
        "Digital transformation for local government",
        "HACHIOJI",
        "online",
        "業務プロセスの見直し、行政手続のオンライン化、生成AIの安全な利用を学びます。",
        {"DX": 2, "DATA": 1},
        0,
        0,
        40,
        hours=6,
    ),
    C(
        "CITY-2025-TABUNKA",
        "多文化共生・やさしい日本語研修（2025年度）",
        "Plain Japanese (2025)",
        "HACHIOJI",
        "classroom",
        "2025年度実施分。",
        {"TABUNKA": 1},
        0,
        0,
        30,
        hours=3,
        promotion=False,
        past=True,
    ),
    # E-learning
    C(
        "EL-DX-BASIC",
        "DX基礎（eラーニング）",
        "DX basics (e-learning)",
        "ELEARN",
        "online",
        "自分のペースで受講できる動画講座（全10本）と確認テスト。",
        {"DX": 1},
        3300,
        3300,
        None,
        hours=5,
        promotion=False,
        extra={"no_window": True},
    ),
    C(
        "EL-EXCEL-DATA",
        "表計算によるデータ分析入門（eラーニング）",
        "Data analysis with spreadsheets (e-learning)",
        "ELEARN",
        "online",
        "ピボットテーブル、関数、グラフ作成で業務データを分析します。",
        {"DATA": 1},
        3300,
        3300,
        None,
        hours=6,
        promotion=False,
        extra={"no_window": True},
    ),
    C(
        "EL-PRIVACY",
        "個人情報保護の基礎（eラーニング）",
        "Personal information protection basics (e-learning)",
        "ELEARN",
        "online",
        "改正個人情報保護法と自治体職員の実務上の注意点を学びます。",
        {"LAW": 1},
        0,
        0,
        None,
        hours=2,
        promotion=False,
        extra={"no_window": True},
    ),
    # Other universities
    C(
        "UNIV-2026-FUKUSHI",
        "地域福祉論（公開講座）",
        "Community welfare (open lecture)",
        "UNIV-OPEN",
        "classroom",
        "地域包括ケアと住民主体の支え合いを学ぶ近隣大学の公開講座です。",
        {"WELFARE": 2},
        10000,
        5000,
        10,
        hours=15,
        badge="green",
    ),
]

PROGRAMMES = [
    # code, name, name_en, courses, description
    (
        "PROG-2026-HOMU",
        "自治体法務プログラム（2026年度）",
        "Municipal legal affairs programme (2026)",
        ["CHUO-LAW-2026-KENPO", "CHUO-LAW-2026-GYOSEI", "CHUO-LAW-2026-CHIHO"],
        "憲法・行政法・地方自治法の3科目を修了すると「自治体法務」バッジが授与されます。",
    ),
    (
        "PROG-2025-HOMU",
        "自治体法務プログラム（2025年度）",
        "Municipal legal affairs programme (2025)",
        ["CHUO-LAW-2025-KENPO", "CHUO-LAW-2025-GYOSEI", "CHUO-LAW-2025-CHIHO"],
        "2025年度の憲法・行政法・地方自治法の3科目を修了すると「自治体法務」バッジが授与されます。",
    ),
    (
        "PROG-2026-DX",
        "データ活用・DXプログラム",
        "Data and DX programme",
        ["CITY-2026-DATA", "CITY-2026-DX", "EL-DX-BASIC"],
        "データ活用研修・DX推進研修・DX基礎の3つを修了すると「データ活用・DX」バッジが授与されます。",
    ),
    (
        "PROG-2026-TABUNKA",
        "多文化共生プログラム",
        "Multicultural coexistence programme",
        ["CHUO-OPEN-2026-TABUNKA", "CITY-2026-TABUNKA"],
        "公開講座と職員研修の両方を修了すると「多文化共生」バッジが授与されます。",
    ),
]


def _issuer() -> Issuer:
    issuer = Issuer.objects.filter(is_default=True).first()
    if issuer is None:
        issuer = Issuer.objects.create(
            is_default=True,
            name="八王子市",
            name_en="Hachioji City",
            url="https://www.city.hachioji.tokyo.jp/",
            email="jinji@city.hachioji.tokyo.jp",
        )
    return issuer


def _badge(issuer: Issuer, name: str, name_en: str, criteria: str, design: str, hours: float | None) -> BadgeClass:
    return BadgeClass.objects.create(
        issuer=issuer,
        name=name,
        name_en=name_en,
        description=f"八王子市職員が「{name.removesuffix(' 修了')}」を修了したことを証明します。",
        description_en=f"Certifies that a Hachioji City staff member completed “{name_en}”.",
        criteria=criteria,
        criteria_en="Complete the course and pass its assessment.",
        design=design,
        hours=hours,
        tags=["八王子市", "中央大学"] if "中央大学" in criteria else ["八王子市"],
    )


def term_for(starts_on: dt.date, ends_on: dt.date) -> str:
    """The term as HR writes it, from the dates: 「2026年度 前期」 (April-September), 「後期」
    (October-March), 「通年」 when the course runs into the other half. The fiscal year starts on
    1 April, so a course from January 2027 is 「2026年度 後期」, never 前期."""

    def fiscal_year(day: dt.date) -> int:
        return day.year if day.month >= 4 else day.year - 1

    def half(day: dt.date) -> str:
        return "前期" if 4 <= day.month <= 9 else "後期"

    if fiscal_year(starts_on) != fiscal_year(ends_on) or half(starts_on) != half(ends_on):
        return f"{fiscal_year(starts_on)}年度 通年"
    return f"{fiscal_year(starts_on)}年度 {half(starts_on)}"


def _catalogue(today: dt.date) -> dict[str, Course]:
    issuer = _issuer()
    providers = {}
    for code, name, name_en, kind, url in PROVIDERS:
        providers[code], _ = Provider.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "kind": kind, "url": url}
        )
    skills = {}
    for order, (code, name, name_en, description) in enumerate(SKILLS):
        skills[code], _ = Skill.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "description": description, "sort_order": order}
        )
    courses: dict[str, Course] = {}
    for c in COURSES:
        if c.past:
            window = (today - dt.timedelta(days=400), today - dt.timedelta(days=340))
            dates = (today - dt.timedelta(days=320), today - dt.timedelta(days=60))
        elif c.extra.get("no_window"):
            window, dates = (None, None), (None, None)
        else:
            window = (today - dt.timedelta(days=20), today + dt.timedelta(days=25))
            dates = (today + dt.timedelta(days=40), today + dt.timedelta(days=220 if c.credits else 70))
        course, created = Course.objects.get_or_create(
            code=c.code,
            defaults={
                "title": c.title,
                "title_en": c.title_en,
                "description": c.description,
                "provider": providers[c.provider],
                "delivery": c.delivery,
                "term": "通年" if c.extra.get("no_window") else term_for(dates[0], dates[1]),
                "application_opens_on": window[0],
                "application_closes_on": window[1],
                "starts_on": dates[0],
                "ends_on": dates[1],
                "credits": c.credits,
                "hours": c.hours,
                "capacity": c.capacity,
                "cost": c.cost,
                "city_subsidy": c.subsidy,
                "for_self_development": True,
                "for_promotion": c.promotion,
                "prerequisites": c.prerequisites,
            },
        )
        if created:
            if c.badge:
                criteria = f"{providers[c.provider].name}「{c.title}」を受講し、成績評価で合格すること。"
                course.badge_class = _badge(issuer, f"{c.title} 修了", c.title_en, criteria, c.badge, c.hours)
                course.save(update_fields=["badge_class"])
            course_set_skills(course=course, levels={skills[code]: level for code, level in c.skills.items()})
            if course.badge_class_id:
                course_align_badge(course=course)
        courses[c.code] = course
    for code, name, name_en, course_codes, description in PROGRAMMES:
        programme, created = Programme.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "description": description}
        )
        if created:
            programme.courses.set([courses[cc] for cc in course_codes])
            programme.badge_class = _badge(issuer, name.split("（")[0], name_en, description, "purple", None)
            programme.save(update_fields=["badge_class"])
            programme_align_badge(programme=programme)
    return courses


def _backdated(*, staff: StaffMember, course: Course, head: StaffMember, hr: StaffMember, reason: str) -> Enrolment:
    """Last year's enrolment: requested, recommended and approved back then (history kept true).

    The services refuse requests outside the application window, so these rows are written
    here with their history; what follows (completion) goes through the services.
    """
    opened = course.application_opens_on or timezone.localdate() - dt.timedelta(days=400)
    asked = timezone.make_aware(dt.datetime.combine(opened, dt.time(10)))
    enrolment = Enrolment.objects.create(
        staff=staff,
        course=course,
        use_type="promotion" if course.for_promotion else "self_development",
        reason=reason,
        state=S.APPROVED,
        cost=course.cost,
        city_subsidy=course.city_subsidy,
        staff_share=course.staff_share,
        requested_at=asked,
        recommended_at=asked + dt.timedelta(days=2),
        decided_at=asked + dt.timedelta(days=5),
    )
    EnrolmentEvent.objects.bulk_create(
        [
            EnrolmentEvent(enrolment=enrolment, to_state=S.REQUESTED, actor=staff, comment=reason, at=asked),
            EnrolmentEvent(
                enrolment=enrolment,
                from_state=S.REQUESTED,
                to_state=S.RECOMMENDED,
                actor=head,
                comment="業務に役立つため推薦します。",
                at=asked + dt.timedelta(days=2),
            ),
            EnrolmentEvent(
                enrolment=enrolment,
                from_state=S.RECOMMENDED,
                to_state=S.APPROVED,
                actor=hr,
                at=asked + dt.timedelta(days=5),
            ),
        ]
    )
    learning_years_refresh(staff_ids=[staff.pk])  # the seat, written around the services
    return enrolment


def _enrolments(courses: dict[str, Course], today: dt.date, out: TextIO) -> int:
    staff = StaffMember.objects.get(email=DEMO_STAFF)
    head = StaffMember.objects.get(email=DEMO_HEAD)
    hr = StaffMember.objects.get(email=DEMO_HR)
    section = Department.objects.get(code="4010")
    colleagues = list(
        StaffMember.objects.filter(is_active=True, department__path__startswith=section.path)
        .exclude(pk__in=[staff.pk, head.pk])
        .order_by("employee_number")[:10]
    )
    if len(colleagues) < 6:
        # A small directory: fall back to anyone, recommended by the demo head regardless.
        colleagues += list(
            StaffMember.objects.filter(is_active=True)
            .exclude(Q(pk__in=[staff.pk, head.pk, hr.pk]) | Q(pk__in=[c.pk for c in colleagues]))
            .order_by("employee_number")[: 6 - len(colleagues)]
        )
    created = 0

    def request(person: StaffMember, code: str, reason: str, use_type: str = "self_development") -> Enrolment:
        nonlocal created
        created += 1
        return enrolment_request(staff=person, course=courses[code], use_type=use_type, reason=reason, today=today)

    def recommend(e: Enrolment, comment: str = "業務に直結するため推薦します。") -> Enrolment:
        return enrolment_recommend(enrolment=e, actor=head, comment=comment) if _heads(head, e) else _force(e, head)

    # The demo staff member (八木 陽菜): something in every state.
    request(staff, "CHUO-LAW-2026-GYOSEI", "生活保護の審査請求対応で行政法の理解が必要なため。", "promotion")
    recommend(request(staff, "CHUO-LAW-2026-KENPO", "行政法の前提となる憲法を体系的に学びたい。", "promotion"))
    e = recommend(request(staff, "CITY-2026-DX", "福祉政策課の申請手続のオンライン化を担当するため。"))
    enrolment_approve(enrolment=e, actor=hr, comment="受講を承認します。")
    # The city's disaster training has two seats: two colleagues take them, she waits.
    for person in colleagues[:2]:
        seat = recommend(request(person, "CITY-2026-BOSAI", "地区の避難所担当職員に指名されたため。"))
        enrolment_approve(enrolment=seat, actor=hr)
    e = recommend(request(staff, "CITY-2026-BOSAI", "避難所運営の実務を学びたい。"))
    enrolment_approve(enrolment=e, actor=hr)  # full: waiting list
    e = request(staff, "CHUO-OPEN-2026-DATA", "地域データの分析手法を学びたい。")
    enrolment_decline(enrolment=e, actor=head, comment="今期は繁忙期のため、次期の受講を検討してください。")
    e = request(staff, "EL-PRIVACY", "個人情報の取扱いを再確認したい。")
    enrolment_withdraw(enrolment=e, actor=staff, comment="課内研修で受講済みのため取り下げます。")
    done = _backdated(
        staff=staff, course=courses["CHUO-LAW-2025-KENPO"], head=head, hr=hr, reason="法務能力の向上のため。"
    )
    enrolment_complete(
        enrolment=done,
        actor=hr,
        completed_on=courses["CHUO-LAW-2025-KENPO"].ends_on,
        grade="優",
        result_note="科目試験合格",
    )
    missed = _backdated(
        staff=staff, course=courses["CHUO-LAW-2025-GYOSEI"], head=head, hr=hr, reason="憲法に続けて学ぶため。"
    )
    enrolment_mark_not_completed(enrolment=missed, actor=hr, comment="科目試験を欠席したため未修了")
    created += 2

    # A colleague who completed last year's whole legal programme (three badges and the programme's).
    veteran = colleagues[2]
    for code, grade in (("CHUO-LAW-2025-KENPO", "良"), ("CHUO-LAW-2025-GYOSEI", "優"), ("CHUO-LAW-2025-CHIHO", "優")):
        e = _backdated(staff=veteran, course=courses[code], head=head, hr=hr, reason="昇任選考に向けて法務を学ぶ。")
        enrolment_complete(enrolment=e, actor=hr, completed_on=courses[code].ends_on, grade=grade)
        created += 1

    # Requests waiting for the head of section, and for HR.
    request(colleagues[3], "CHUO-LAW-2026-CHIHO", "条例改正の担当となったため。", "promotion")
    request(colleagues[4], "CITY-2026-DATA", "事業評価にデータを活用したい。")
    request(colleagues[5 % len(colleagues)], "UNIV-2026-FUKUSHI", "地域包括ケアの担当として学びたい。")
    recommend(request(colleagues[3], "CHUO-LAW-2026-GYOSEIGAKU", "行政改革の検討に役立てたい。", "promotion"))
    recommend(request(colleagues[4], "CHUO-LAW-2026-SHAHO", "社会保障制度の法的理解を深めたい。", "promotion"))
    recommend(request(colleagues[2], "CITY-2026-TABUNKA", "窓口で外国人住民対応が増えているため。"))
    out.write(f"  {created} demo enrolments in every state (first seed only).\n")
    return created


def _heads(head: StaffMember, enrolment: Enrolment) -> bool:
    from staff.selectors import staff_headed_by

    return staff_headed_by(head).filter(pk=enrolment.staff_id).exists()


def _force(enrolment: Enrolment, head: StaffMember) -> Enrolment:
    """Only when the directory has too few people in the demo head's section."""
    enrolment.state = S.RECOMMENDED
    enrolment.recommended_at = timezone.now()
    enrolment.save()
    EnrolmentEvent.objects.create(enrolment=enrolment, from_state=S.REQUESTED, to_state=S.RECOMMENDED, actor=head)
    return enrolment


def seed(out: TextIO) -> None:
    today = timezone.localdate()
    courses = _catalogue(today)
    out.write(
        f"Catalogue: {Course.objects.count()} courses, {Programme.objects.count()} programmes, "
        f"{Skill.objects.count()} skills.\n"
    )
    if not StaffMember.objects.filter(email=DEMO_STAFF).exists():
        return
    if Enrolment.objects.filter(staff__email=DEMO_STAFF).exists():
        out.write(f"  Enrolments already seeded ({Enrolment.objects.count()}).\n")
        return
    _enrolments(courses, today, out)
