"""Plain-Python factories: ``make_*`` with defaults filled by ``setdefault`` and unique values."""

from __future__ import annotations

import itertools
from typing import Any

from staff.models import Department, StaffMember

_seq = itertools.count(1)

DEFAULT_PASSWORD = "correct-horse-battery-staple"


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


def make_badge_class(**fields: Any):  # type: ignore[no-untyped-def]
    from badges.keys import default_issuer
    from badges.models import BadgeClass

    n = next(_seq)
    fields.setdefault("issuer", default_issuer())
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
