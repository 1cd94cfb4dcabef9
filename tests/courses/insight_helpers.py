"""A small city for the HR insight tests: 福祉部 with two sections, 総務部, skills, courses, badges.

Who holds データ活用 (DATA), and why (the search, matrix and export tests rely on this table):

| person | department        | evidence                                           | DATA level |
|--------|-------------------|----------------------------------------------------|------------|
| alice  | 福祉部 > 福祉政策課 | completed DATA-2 course, valid badge of it         | 2 (valid)  |
| erika  | 福祉部 > 障害者福祉課 | completed DATA-2 course, its badge expired         | 2 (no valid badge) |
| frank  | 福祉部 > 福祉政策課 | completed DATA-1 course only                       | 1          |
| gina   | 福祉部 > 福祉政策課 | valid programme badge (programme has DATA-1 course) | 1 (valid)  |
| henry  | 福祉部 > 障害者福祉課 | DATA-2 course not completed, revoked badge         | none       |
| dave   | 総務部             | completed DATA-3 course, valid badge               | 3 (valid)  |
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from courses.holdings import skill_holdings_rebuild, skill_holdings_refresh
from courses.models import Course, Skill
from staff.models import Department, StaffMember
from tests.factories import (
    make_award,
    make_badge_class,
    make_course,
    make_department,
    make_enrolment,
    make_programme,
    make_staff,
)
from tests.worlds import city_skill


@dataclass
class City:
    welfare: Department  # 福祉部 (40)
    policy: Department  # 福祉政策課 (4010)
    disability: Department  # 障害者福祉課 (4020)
    general: Department  # 総務部 (20)
    data: Skill
    law: Skill
    data1: Course
    data2: Course
    data3: Course
    law2: Course
    people: dict[str, StaffMember]


def completed_on(days_ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days_ago)


def build_city(*, alice: StaffMember, bob: StaffMember, dave: StaffMember, department: Department) -> City:
    """On the common world (tests/worlds.py: the personas and their departments, the city's
    skills), the people and evidence of the table above."""
    policy = department
    welfare = policy.parent
    assert welfare is not None
    disability = make_department(code="4020", name="障害者福祉課", level="section", parent=welfare)
    general = dave.department
    assert general is not None
    data = city_skill("DATA")
    law = city_skill("LAW", name_en="Legal affairs")
    past = timezone.localdate() - dt.timedelta(days=200)
    common = {"starts_on": past, "ends_on": past + dt.timedelta(days=60)}
    data1 = make_course(
        code="DATA-1",
        title="データ活用入門",
        skills={data: 1},
        badge_class=make_badge_class(name="データ活用入門 修了"),
        **common,
    )
    data2 = make_course(
        code="DATA-2",
        title="データ分析実践",
        skills={data: 2, law: 1},
        badge_class=make_badge_class(name="データ分析実践 修了"),
        **common,
    )
    data3 = make_course(
        code="DATA-3", title="統計とEBPM", skills={data: 3}, badge_class=make_badge_class(name="EBPM 修了"), **common
    )
    law2 = make_course(code="LAW-2", title="行政法", skills={law: 2}, **common)
    programme = make_programme(courses=[data1, law2], badge_class=make_badge_class(name="自治体DXプログラム"))
    assert programme.badge_class is not None

    erika = make_staff(
        employee_number="100005",
        family_name="伊藤",
        given_name="絵里香",
        family_name_kana="イトウ",
        given_name_kana="エリカ",
        department=disability,
        grade="shunin",
        job_family="welfare",
    )
    frank = make_staff(
        employee_number="100006",
        family_name="中村",
        given_name="文太",
        family_name_kana="ナカムラ",
        given_name_kana="ブンタ",
        department=policy,
        grade="shuji",
        job_family="administrative",
    )
    gina = make_staff(
        employee_number="100007",
        family_name="小林",
        given_name="銀子",
        family_name_kana="コバヤシ",
        given_name_kana="ギンコ",
        department=policy,
        grade="kakaricho",
        job_family="administrative",
        employment_type="fiscal_year",
    )
    henry = make_staff(
        employee_number="100008",
        family_name="加藤",
        given_name="平",
        family_name_kana="カトウ",
        given_name_kana="タイラ",
        department=disability,
        grade="shunin",
    )
    StaffMember.objects.filter(pk=alice.pk).update(
        family_name_kana="ヤマダ", given_name_kana="ハナコ", grade="shunin", job_family="administrative"
    )
    alice.refresh_from_db()

    now = timezone.now()
    make_enrolment(staff=alice, course=data2, state="completed", completed_on=completed_on(100))
    make_award(recipient=alice, badge_class=data2.badge_class, issued_at=now - dt.timedelta(days=95))
    make_enrolment(staff=erika, course=data2, state="completed", completed_on=completed_on(120))
    make_award(
        recipient=erika,
        badge_class=data2.badge_class,
        issued_at=now - dt.timedelta(days=115),
        expires_at=now - dt.timedelta(days=1),
    )
    make_enrolment(staff=frank, course=data1, state="completed", completed_on=completed_on(90))
    make_award(recipient=gina, badge_class=programme.badge_class, issued_at=now - dt.timedelta(days=80))
    make_enrolment(staff=henry, course=data2, state="not_completed")
    make_award(recipient=henry, badge_class=data2.badge_class, status="revoked", issued_at=now - dt.timedelta(days=70))
    make_enrolment(staff=dave, course=data3, state="completed", completed_on=completed_on(60))
    make_award(recipient=dave, badge_class=data3.badge_class, issued_at=now - dt.timedelta(days=55))
    # The rows above were written around the services (which keep the holdings), as seed_scale does.
    skill_holdings_rebuild()

    return City(
        welfare=welfare,
        policy=policy,
        disability=disability,
        general=general,
        data=data,
        law=law,
        data1=data1,
        data2=data2,
        data3=data3,
        law2=law2,
        people={"alice": alice, "bob": bob, "dave": dave, "erika": erika, "frank": frank, "gina": gina, "henry": henry},
    )


def add_data_holders(city: City, n: int, *, department: Department | None = None) -> list[StaffMember]:
    """``n`` more people in 福祉政策課 who completed DATA-2 and hold its valid badge (for query counts)."""
    people = []
    for _i in range(n):
        person = make_staff(department=department or city.policy, grade="shuji")
        make_enrolment(staff=person, course=city.data2, state="completed", completed_on=completed_on(30))
        make_award(recipient=person, badge_class=city.data2.badge_class)
        people.append(person)
    skill_holdings_refresh(staff_ids=[p.pk for p in people])
    return people
