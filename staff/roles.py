"""The portal's roles, as Django groups created by a migration (see docs/roles.md)."""

from __future__ import annotations

STAFF = "staff"  # every city employee
SECTION_HEAD = "section_head"  # 所属長: heads one or more departments
HR = "hr"  # 人事課 (研修担当)

ALL_ROLES = (STAFF, SECTION_HEAD, HR)
