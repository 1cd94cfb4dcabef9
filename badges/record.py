"""The training record (研修履歴) of one person: badges from this portal, badges from elsewhere,
skills and hours; printable for a promotion-selection file.

Badges knows nothing of courses, so other apps add their own parts of the record (completed
courses, their hours) through :func:`register_record_section`, called from their
``AppConfig.ready()``::

    from badges.record import RecordSection, register_record_section

    def completed_courses(person):
        rows = ...  # courses' own selector
        return RecordSection(key="courses", title=_("Completed courses"),
                             template="courses/_record_courses.html",
                             context={"completions": rows}, hours=sum(...), order=10)

    register_record_section(completed_courses)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

from staff.models import StaffMember

from .models import Award, ExternalBadge


@dataclass(frozen=True)
class RecordSection:
    """A part of the record another app contributes, rendered with its own template."""

    key: str
    title: str | Promise
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    hours: Decimal = Decimal(0)
    order: int = 100


SectionProvider = Callable[[StaffMember], RecordSection | None]
_providers: list[SectionProvider] = []


def register_record_section(provider: SectionProvider) -> SectionProvider:
    """Add a part to every training record (idempotent; usable as a decorator)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister_record_section(provider: SectionProvider) -> None:
    if provider in _providers:
        _providers.remove(provider)


@dataclass(frozen=True)
class Skill:
    name: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class TrainingRecord:
    person: StaffMember
    awards: list[Award]
    external: list[ExternalBadge]
    skills: list[Skill]
    badge_hours: Decimal
    external_hours: Decimal
    sections: list[RecordSection]
    printed_at: Any

    @property
    def confirmed_external_count(self) -> int:
        return sum(1 for b in self.external if b.is_confirmed)

    @property
    def total_hours(self) -> Decimal:
        return self.badge_hours + self.external_hours + sum((s.hours for s in self.sections), Decimal(0))


def training_record(person: StaffMember) -> TrainingRecord:
    """Read the record. Internal badges count once issued (revoked ones are left out; expired
    ones stay, marked); external badges count once HR confirmed them, unconfirmed ones are
    listed as such, rejected ones are left out."""
    awards = list(
        Award.objects.filter(recipient=person, status=Award.Status.ISSUED, is_current=True)
        .select_related("badge_class", "issuer")
        .order_by("-issued_at")
    )
    external = list(ExternalBadge.objects.filter(holder=person).shown_in_record().order_by("-issued_on", "-created_at"))
    skills: dict[str, list[str]] = {}
    for award in awards:
        for item in award.badge_class.alignments or []:
            if isinstance(item, dict) and item.get("targetName"):
                skills.setdefault(str(item["targetName"]), []).append(award.badge_class.name)
    for badge in external:
        if badge.is_confirmed:
            for name in badge.skills or []:
                skills.setdefault(str(name), []).append(badge.achievement_name)
    sections = [s for s in (provider(person) for provider in _providers) if s is not None]
    return TrainingRecord(
        person=person,
        awards=awards,
        external=external,
        skills=[Skill(name, tuple(dict.fromkeys(src))) for name, src in sorted(skills.items())],
        badge_hours=sum((a.badge_class.hours or Decimal(0) for a in awards), Decimal(0)),
        external_hours=sum((b.hours or Decimal(0) for b in external if b.is_confirmed), Decimal(0)),
        sections=sorted(sections, key=lambda s: s.order),
        printed_at=timezone.localtime(),
    )
