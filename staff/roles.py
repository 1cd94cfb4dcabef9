"""The portal's roles (see docs/roles.md).

``staff``, ``section_head`` and ``hr`` are Django groups created by a migration; the
administrator is Django's superuser. Everyone on the roster has ``staff``; the other three are
granted and revoked only by an administrator, on the record (``staff.services.role_grant``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

STAFF = "staff"  # every city employee
SECTION_HEAD = "section_head"  # 所属長: heads one or more departments
HR = "hr"  # 人事課 (研修担当)
ADMINISTRATOR = "administrator"  # システム管理者: is_superuser, not a group

ALL_ROLES = (STAFF, SECTION_HEAD, HR)
# The roles an administrator grants and revokes (with a reason, recorded in RoleChange).
GRANTED_ROLES = (HR, SECTION_HEAD, ADMINISTRATOR)
GRANTED_ROLE_CHOICES = [
    (HR, _("HR (training desk)")),
    (SECTION_HEAD, _("Head of section")),
    (ADMINISTRATOR, _("Administrator")),
]
