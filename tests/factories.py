"""The test factories, one module for every app: ``make_*`` with defaults filled by
``setdefault`` and unique values. People and departments, then the catalogue and enrolments,
then badges (one ``make_badge_class`` for every test)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from badges.models import Award, BadgeClass, Issuer
from badges.signals import awards_changed
from courses.models import Course, CourseSkill, Enrolment, EnrolmentEvent, Programme, Provider, Skill
from staff.models import Department, StaffMember

_seq = itertools.count(1)

DEFAULT_PASSWORD = "correct-horse-battery-staple"


def role_query() -> int:
    """Queries a signed-in request spends on the person's roles besides the person: none on
    PostgreSQL (staff/auth_backends.py reads them with the person), one elsewhere (SQLite)."""
    from django.db import connection

    return 0 if connection.vendor == "postgresql" else 1


def make_department(**fields: Any) -> Department:
    n = next(_seq)
    fields.setdefault("code", f"D{n:05d}")
    fields.setdefault("name", f"テスト課{n}")
    fields.setdefault("level", "section")
    return Department.objects.create(**fields)


def make_staff(
    *, role: str = "staff", mfa: bool = False, password: str = DEFAULT_PASSWORD, **fields: Any
) -> StaffMember:
    from django.contrib.auth.models import Group

    from staff.services import role_grant, staff_account_ensure

    n = next(_seq)
    fields.setdefault("employee_number", f"9{n:06d}")
    fields.setdefault("email", f"staff{n}@city.test")
    fields.setdefault("family_name", "試験")
    fields.setdefault("given_name", f"太郎{n}")
    fields.setdefault("family_name_kana", "シケン")
    fields.setdefault("given_name_kana", "タロウ")
    if role == "hr":
        fields.setdefault("is_staff", True)
    staff = StaffMember.objects.create_user(password=password, **fields)
    staff_account_ensure(staff=staff)
    if role == "section_head":
        # The group alone (a head of no department); a real head comes from department_set_heads.
        staff.groups.add(Group.objects.get_or_create(name=role)[0])
    elif role != "staff":
        role_grant(actor=None, staff=staff, role=role, reason="test persona")
    if mfa:
        totp_enable(staff)
    return staff


TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # base32, used only by tests and the demo


def totp_enable(staff: StaffMember, secret: str = TOTP_SECRET) -> None:
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(staff, secret)


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The current TOTP code for ``secret``, as an authenticator app would show it."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal import auth

    counter = int(time.time()) // app_settings.TOTP_PERIOD
    return auth.format_hotp_value(auth.hotp_value(secret, counter))


# --- Badges -----------------------------------------------------------------------------------


def make_issuer() -> Issuer:
    """The default issuer (made from the organisation's issuer profile the first time)."""
    from badges.keys import default_issuer

    return default_issuer()


def make_badge_class(**fields: Any) -> BadgeClass:
    """A programme's badge of the default issuer, aligned to the skill LAW unless ``alignments``
    says otherwise (a course's badge gets its own from ``courses.services.course_align_badge``)."""
    n = next(_seq)
    fields.setdefault("issuer", make_issuer())
    fields.setdefault("name", f"自治体法務プログラム修了{n}")
    fields.setdefault("name_en", f"Municipal law programme {n}")
    fields.setdefault("description", "中央大学法学部通信教育課程の憲法・行政法・地方自治法を修了した。")
    fields.setdefault("criteria", "3科目すべての単位を修得すること。")
    fields.setdefault(
        "alignments",
        [
            {
                "targetName": "法務",
                "targetUrl": "http://127.0.0.1:8000/skills/LAW",
                "targetCode": "LAW",
                "targetFramework": "八王子市職員スキル体系",
            }
        ],
    )
    return BadgeClass.objects.create(**fields)


def make_award(
    *,
    recipient: StaffMember,
    badge_class: BadgeClass,
    status: str = "issued",
    issued_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    **fields: Any,
) -> Award:
    """An award already issued (written directly: the insight pages read awards, they never sign).

    Like the issuing service, it tells other apps through ``awards_changed`` when the award was
    issued (or revoked), so the tables derived from awards (``courses.holdings``) follow.
    """
    issued_at = issued_at or timezone.now() - dt.timedelta(days=30)
    fields.setdefault("achieved_on", timezone.localtime(issued_at).date())
    if status == "revoked":
        fields.setdefault("revoked_at", timezone.now() - dt.timedelta(days=1))
    award = Award.objects.create(
        recipient=recipient,
        badge_class=badge_class,
        issuer=badge_class.issuer,
        source_key=f"test:{next(_seq)}",
        status=status,
        issued_at=issued_at if status in ("issued", "revoked") else None,
        expires_at=expires_at,
        **fields,
    )
    if status in ("issued", "revoked"):
        awards_changed.send(sender=Award, recipient_ids=[recipient.pk])
    return award


# --- Courses and enrolments -------------------------------------------------------------------


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
