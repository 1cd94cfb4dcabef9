"""Who may see whom on the HR insight pages: everyone (HR) or the departments a head heads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from staff import roles
from staff.models import RecordAccess, StaffMember
from staff.selectors import headed_department_paths, is_hr, user_has_role

#: RecordAccess purposes written by the HR insight pages (the admin filters by these).
PURPOSE_HR = RecordAccess.Purpose.HR_SEARCH
PURPOSE_HEAD = RecordAccess.Purpose.HEAD_REVIEW
PURPOSE_EXPORT = RecordAccess.Purpose.EXPORT


@dataclass(frozen=True)
class Scope:
    """The people an HR insight user may see: everyone (HR) or some department subtrees (a head)."""

    is_hr: bool
    paths: tuple[str, ...] = ()
    viewer_pk: int | None = None

    def staff_q(self, prefix: str = "") -> Q:
        """Filter on StaffMember (``prefix`` reaches it from another model, e.g. ``"staff__"``)."""
        if self.is_hr:
            return Q()
        condition = Q()
        for path in self.paths:
            condition |= Q(**{f"{prefix}department__path__startswith": path})
        # A head's own record is not "a person they head" (as staff.selectors.staff_headed_by).
        return condition & ~Q(**{f"{prefix}pk": self.viewer_pk})

    def covers(self, path: str) -> bool:
        return self.is_hr or any(path.startswith(p) for p in self.paths)

    def may_see(self, person: StaffMember) -> bool:
        if self.is_hr:
            return True
        if person.pk == self.viewer_pk or person.department is None:
            return False
        return self.covers(person.department.path)

    @property
    def purpose(self) -> str:
        return PURPOSE_HR if self.is_hr else PURPOSE_HEAD


def insight_scope(user: Any) -> Scope | None:
    """HR sees everyone; a head of section sees the departments they head and below; else None."""
    if not user.is_authenticated:
        return None
    if is_hr(user):
        return Scope(is_hr=True, viewer_pk=user.pk)
    if user_has_role(user, roles.SECTION_HEAD):
        paths = headed_department_paths(user)
        # Nested heads (福祉部 and 福祉政策課): keep the outermost paths only.
        outer = tuple(sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths)))
        if outer:
            return Scope(is_hr=False, paths=outer, viewer_pk=user.pk)
    return None
