"""The demo city's organisation profile: the defaults of the ``PORTAL_ORGANISATION_*`` settings.

The portal was first built for Hachioji City, which is also the city of the demo data
(``make run``). Any municipality runs it as its own by setting these variables (see
docs/operations.md, "Your municipality's portal"); this module is the only place outside demo
data where the demo city's name (and its partner university's, 中央大学) is written, and
``staff.checks`` warns when a portal names another organisation but still carries one of these
values.
"""

from __future__ import annotations

from typing import Final

DEMO_ORGANISATION: Final[dict[str, str]] = {
    "PORTAL_ORGANISATION_NAME": "八王子市",
    "PORTAL_ORGANISATION_NAME_EN": "Hachioji City",
    "PORTAL_TRAINING_DESK": "総務部 人事課 研修担当",
    "PORTAL_PARTNER_NAME": "中央大学",
    "PORTAL_PARTNER_NAME_EN": "Chuo University",
    "PORTAL_PARTNER_NOTE": "中央大学との連携事業",
    "PORTAL_PARTNER_NOTE_EN": "In partnership with Chuo University",
    "PORTAL_SKILL_FRAMEWORK": "八王子市職員スキル体系",
    "PORTAL_SKILL_FRAMEWORK_EN": "Hachioji City staff skill framework",
    "PORTAL_EMAIL_SUBJECT_PREFIX_EN": "[Hachioji learning portal]",
    "PORTAL_ISSUER_URL": "https://www.city.hachioji.tokyo.jp/",
    "PORTAL_ISSUER_EMAIL": "jinji@city.hachioji.tokyo.jp",
    "PORTAL_ISSUER_DESCRIPTION": "東京都八王子市。職員の学びを中央大学と連携して支援しています。",
    "PORTAL_ISSUER_DESCRIPTION_EN": "Hachioji City, Tokyo, supporting its staff's learning with Chuo University.",
    "DEFAULT_FROM_EMAIL": "八王子市 学習ポータル <learning@city.hachioji.tokyo.jp>",
}
