"""Course factories: ``make_*`` with defaults filled by ``setdefault`` and unique values."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from badges.models import BadgeClass, Issuer
from courses.models import Course, CourseSkill, Enrolment, EnrolmentEvent, Programme, Provider, Skill
from staff.models import StaffMember

_seq = itertools.count(1)


def today() -> dt.date:
    return timezone.localdate()


def make_provider(**fields: Any) -> Provider:
    n = next(_seq)
    fields.setdefault("code", f"PROV{n}")
    fields.setdefault("name", f"中央大学 通信教育課程 {n}")
    fields.setdefault("kind", "chuo_correspondence")
    return Provider.objects.create(**fields)


def make_skill(**fields: Any) -> Skill:
    n = next(_seq)
    fields.setdefault("code", f"SKILL{n}")
    fields.setdefault("name", f"スキル{n}")
    return Skill.objects.create(**fields)


def make_course(*, skills: dict[Skill, int] | None = None, **fields: Any) -> Course:
    n = next(_seq)
    fields.setdefault("code", f"C{n:05d}")
    fields.setdefault("title", f"講座{n}")
    fields.setdefault("description", "講座の説明")
    if "provider" not in fields:
        fields["provider"] = make_provider()
    fields.setdefault("delivery", "correspondence")
    fields.setdefault("term", "2026年度 前期")
    fields.setdefault("starts_on", today() + dt.timedelta(days=60))
    fields.setdefault("ends_on", today() + dt.timedelta(days=180))
    fields.setdefault("application_opens_on", today() - dt.timedelta(days=10))
    fields.setdefault("application_closes_on", today() + dt.timedelta(days=20))
    fields.setdefault("cost", 30000)
    fields.setdefault("city_subsidy", 20000)
    fields.setdefault("for_promotion", True)
    course = Course.objects.create(**fields)
    for skill, level in (skills or {}).items():
        CourseSkill.objects.create(course=course, skill=skill, level=level)
    return course


def make_started_course(**fields: Any) -> Course:
    """A course already under way (started a month ago): its completions can be recorded today
    (``courses.services`` refuses a completion date before the course starts, without a reason)."""
    fields.setdefault("starts_on", today() - dt.timedelta(days=30))
    return make_course(**fields)


def make_issuer() -> Issuer:
    issuer, _ = Issuer.objects.get_or_create(
        is_default=True,
        defaults={
            "name": "八王子市",
            "name_en": "Hachioji City",
            "url": "https://www.city.hachioji.tokyo.jp/",
            "email": "jinji@city.hachioji.tokyo.jp",
        },
    )
    return issuer


def make_badge_class(**fields: Any) -> BadgeClass:
    n = next(_seq)
    fields.setdefault("issuer", make_issuer())
    fields.setdefault("name", f"バッジ{n}")
    fields.setdefault("description", "修了を証明するバッジ")
    fields.setdefault("criteria", "講座を修了すること")
    return BadgeClass.objects.create(**fields)


def make_programme(*, courses: list[Course], **fields: Any) -> Programme:
    n = next(_seq)
    fields.setdefault("code", f"P{n:04d}")
    fields.setdefault("name", f"プログラム{n}")
    programme = Programme.objects.create(**fields)
    programme.courses.set(courses)
    return programme


def make_enrolment(*, staff: StaffMember, course: Course, state: str = "requested", **fields: Any) -> Enrolment:
    """An enrolment already in ``state`` (written directly: for setting up pages, not for rules)."""
    fields.setdefault("use_type", "self_development")
    fields.setdefault("reason", "業務に活かすため")
    fields.setdefault("cost", course.cost)
    fields.setdefault("city_subsidy", course.city_subsidy)
    fields.setdefault("staff_share", course.staff_share)
    if state == "completed":
        fields.setdefault("completed_on", today())
    if state != "requested":
        fields.setdefault("recommended_at", timezone.now())
    enrolment = Enrolment.objects.create(staff=staff, course=course, state=state, **fields)
    EnrolmentEvent.objects.create(enrolment=enrolment, from_state="", to_state="requested", actor=staff)
    if state != "requested":
        EnrolmentEvent.objects.create(enrolment=enrolment, from_state="requested", to_state=state, actor=None)
    return enrolment
