"""All departments in one query, shared by a page: labels, subtrees, children and rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from staff.models import Department

from .scope import Scope


@dataclass(frozen=True)
class Dept:
    pk: int
    code: str
    name: str
    name_en: str
    path: str
    parent_id: int | None

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/")

    @property
    def display_name(self) -> str:
        from ..models import _localised

        return _localised(self.name, self.name_en)


class DepartmentIndex:
    """All departments, loaded once: labels (福祉部 › 福祉政策課), subtrees and children."""

    def __init__(self, departments: Iterable[Dept]) -> None:
        self.by_pk = {d.pk: d for d in departments}
        self.by_code = {d.code: d for d in self.by_pk.values()}
        self.by_path = {d.path: d for d in self.by_pk.values()}

    @classmethod
    def load(cls) -> DepartmentIndex:
        rows = Department.objects.order_by("path").values_list("pk", "code", "name", "name_en", "path", "parent_id")
        return cls(Dept(*row) for row in rows)

    def ancestors(self, dept: Dept) -> list[Dept]:
        parts = dept.path.strip("/").split("/")
        paths = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        return [self.by_path[p] for p in paths if p in self.by_path]

    def label(self, pk: int | None) -> str:
        dept = self.by_pk.get(pk) if pk else None
        if dept is None:
            return ""
        return " › ".join(d.display_name for d in self.ancestors(dept))

    def in_scope(self, scope: Scope) -> list[Dept]:
        return [d for d in self.by_pk.values() if scope.covers(d.path)]

    def children(self, dept: Dept) -> list[Dept]:
        return sorted((d for d in self.by_pk.values() if d.parent_id == dept.pk), key=lambda d: d.path)

    def roots(self, scope: Scope) -> list[Dept]:
        if scope.is_hr:
            return sorted((d for d in self.by_pk.values() if d.parent_id is None), key=lambda d: d.path)
        return [self.by_path[p] for p in scope.paths if p in self.by_path]

    def group_for(self, dept: Dept, scope: Scope) -> Dept:
        """The row a person of ``dept`` counts in, in a table "by department": HR's are the
        divisions (部); a head's are the departments they head and the units just below them
        (福祉政策課 itself, 福祉政策課 › 企画係), since a whole 部 says nothing to a head of one 課."""
        chain = self.ancestors(dept) or [dept]
        if not scope.is_hr:
            for i, ancestor in enumerate(chain):
                if ancestor.path in scope.paths:
                    return chain[min(i + 1, len(chain) - 1)]
        return chain[0]

    def label_within(self, dept: Dept, scope: Scope) -> str:
        """``dept``'s name from the top of the scope down: 福祉部 for HR, 福祉政策課 › 企画係 for its head."""
        names = [d.display_name for d in self.ancestors(dept) if scope.covers(d.path)]
        return " › ".join(names) or dept.display_name
