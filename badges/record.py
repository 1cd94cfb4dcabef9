"""The training record (研修履歴) of one person, printed for a promotion-selection file (昇任選考):
every completed course with its grade, hours or credits, fiscal year and badge; badges from this
portal that no single course earned (a programme's); badges from elsewhere; skills; totals for
a range of fiscal years; and who issues it (e.g. 立川市 人事課) and when.

Badges knows nothing of courses, so the app that keeps courses reports a person's completed
courses through :func:`register_completions`, called from its ``AppConfig.ready()``, as plain
:class:`Completion` rows. The record joins each to its badge by the ``source_key`` the badge was
requested under (``enrolment:42``), so a course and its badge are one line of the record.

Hours are counted once: a course's hours (and credits) are the course's; a badge earned for a
listed course adds nothing of its own; another badge of this portal adds its class's hours (a
programme's badge class carries none: its courses are counted); a badge from elsewhere adds the
hours HR gave it when confirming it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from staff.models import StaffMember

from .models import Award, ExternalBadge, Issuer


def fiscal_year(day: dt.date | dt.datetime) -> int:
    """Japan's fiscal year (年度) runs April to March: 15 February 2027 is in 2026年度."""
    if isinstance(day, dt.datetime):
        day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_label(year: int) -> str:
    """「2026年度」 in Japanese, "FY2026" in English."""
    return gettext("FY%(year)s") % {"year": year}


@dataclass(frozen=True)
class Completion:
    """One completed course, as the app that keeps courses reports it (texts already in the
    page's language)."""

    source_key: str  # what its badge, if any, was requested for: "enrolment:42"
    title: str
    provider: str
    completed_on: dt.date
    grade: str = ""
    hours: Decimal | None = None
    credits: int | None = None


CompletionProvider = Callable[[StaffMember], Iterable[Completion]]
_completion_providers: list[CompletionProvider] = []


def register_completions(provider: CompletionProvider) -> CompletionProvider:
    """Add a source of completed courses to every record (idempotent; usable as a decorator)."""
    if provider not in _completion_providers:
        _completion_providers.append(provider)
    return provider


def unregister_completions(provider: CompletionProvider) -> None:
    if provider in _completion_providers:
        _completion_providers.remove(provider)


#: Names of skills in the page's language, by their code (an alignment's ``targetCode``):
#: badges carry the Japanese name; the app that keeps skills knows the English one.
SkillNamer = Callable[[set[str]], dict[str, str]]
_skill_namers: list[SkillNamer] = []


def register_skill_namer(namer: SkillNamer) -> SkillNamer:
    """Name skills on the record in the page's language (idempotent; usable as a decorator)."""
    if namer not in _skill_namers:
        _skill_namers.append(namer)
    return namer


def _skill_names(codes: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for namer in _skill_namers:
        names.update(namer(codes) if codes else {})
    return names


# --- who may see what behind a printed QR code ---------------------------------------------
#
# The printed record goes where its holder takes it (the selection committee), or is printed by
# HR as the official copy. A QR code must not open more than the holder chose to share:
# - a badge the holder shares (with anyone, or with city staff) opens its share page, which
#   names the holder and says at once whether the badge is still valid; the holder can withdraw
#   that link at any time, and the printed code then stops working;
# - a badge the holder keeps private opens its verification page (the Open Badges hosted
#   assertion, public for every badge by the standard: the badge's own id), which shows the
#   badge, its issuer, dates and status, never the holder's name nor the grade: nothing the
#   paper does not already say;
# - a revoked or not yet issued badge gets no code (there is nothing to share or verify).
QR_SHARE = "share"
QR_VERIFY = "verify"


def qr_kind(award: Award) -> str | None:
    if not award.is_issued:
        return None
    if award.visibility in (Award.Visibility.PUBLIC, Award.Visibility.STAFF):
        return QR_SHARE
    return QR_VERIFY


@dataclass(frozen=True)
class BadgeLine:
    award: Award
    qr: str | None

    @property
    def counts(self) -> bool:
        """A revoked or pending badge is shown (marked) but not counted."""
        return self.award.is_issued


@dataclass(frozen=True)
class CourseLine:
    completion: Completion
    fiscal_year: int
    badge: BadgeLine | None

    @property
    def fiscal_year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)


@dataclass(frozen=True)
class OtherBadgeLine:
    badge: BadgeLine
    fiscal_year: int

    @property
    def fiscal_year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)


@dataclass(frozen=True)
class Skill:
    name: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Totals:
    hours: Decimal
    credits: int
    courses: int
    badges: int  # badges of this portal, issued (valid or expired): revoked ones do not count
    external_badges: int  # badges from elsewhere confirmed by HR


@dataclass(frozen=True)
class TrainingRecord:
    person: StaffMember
    courses: list[CourseLine]
    other_badges: list[OtherBadgeLine]
    external: list[ExternalBadge]
    skills: list[Skill]
    totals: Totals
    years: list[int]  # every fiscal year with something in the record, newest first
    first_year: int | None  # the range shown (None: from the first / to the last)
    last_year: int | None
    issuing_office: str
    printed_at: dt.datetime

    @property
    def total_hours(self) -> Decimal:
        return self.totals.hours

    @property
    def awards(self) -> list[Award]:
        """Every badge of this portal in the record (for a course or not), newest first."""
        lines = [c.badge for c in self.courses if c.badge] + [o.badge for o in self.other_badges]
        return sorted((line.award for line in lines), key=_award_date, reverse=True)

    @property
    def range_label(self) -> str:
        if self.first_year is None and self.last_year is None:
            return gettext("All fiscal years")
        first = fiscal_year_label(self.first_year) if self.first_year is not None else ""
        last = fiscal_year_label(self.last_year) if self.last_year is not None else ""
        if first == last:
            return first
        return gettext("%(first)s to %(last)s") % {"first": first, "last": last}

    @property
    def print_footer(self) -> str:
        """Printed at the foot of every page (with the page number): a page taken out of the
        file still says whose record it is, who issued it and when."""
        return gettext("%(office)s · Training record of %(name)s (%(number)s) · printed on %(date)s") % {
            "office": self.issuing_office,
            "name": self.person.full_name,
            "number": self.person.employee_number,
            "date": _date(self.printed_at),
        }


def _date(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


def _award_date(award: Award) -> dt.date:
    return award.achieved_on


def issuing_office() -> str:
    """Who issues the record: the default issuer (e.g. 立川市) and the office of settings
    ``PORTAL_RECORD_OFFICE`` (人事課), in the page's language. Read only: a portal without a
    default issuer yet (nothing issued) prints the office alone."""
    issuer = Issuer.objects.filter(is_default=True).only("name", "name_en").first()
    if (translation.get_language() or "ja").startswith("en"):
        office = settings.PORTAL_RECORD_OFFICE_EN or settings.PORTAL_RECORD_OFFICE
        return f"{issuer.display_name}, {office}" if issuer else office
    return f"{issuer.display_name} {settings.PORTAL_RECORD_OFFICE}" if issuer else settings.PORTAL_RECORD_OFFICE


def _in_range(year: int | None, first: int | None, last: int | None) -> bool:
    if first is None and last is None:
        return True
    if year is None:  # undated (a badge from elsewhere without an issue date): not in any range
        return False
    return (first is None or year >= first) and (last is None or year <= last)


def training_record(
    person: StaffMember, *, first_year: int | None = None, last_year: int | None = None
) -> TrainingRecord:
    """Read the record, for the fiscal years ``first_year`` to ``last_year`` (either open).

    Courses count by the fiscal year they were completed in, badges of this portal by the
    completion they certify, badges from elsewhere by their issue date. Current badges are
    listed, revoked ones marked (an official record does not silently drop what was once
    certified) but not counted; a badge re-issued after a correction shows only its new award.
    Badges from elsewhere count once HR confirmed them; unconfirmed ones are listed as such,
    rejected ones are left out."""
    awards = list(
        Award.objects.filter(
            recipient=person,
            is_current=True,
            status__in=[Award.Status.ISSUED, Award.Status.REVOKED, Award.Status.PENDING],
        )
        .select_related("badge_class", "issuer")
        .order_by("-achieved_on", "-pk")
    )
    by_source = {a.source_key: a for a in awards}
    # Newest first; courses completed on the same day by title.
    completions = sorted(
        sorted((c for provider in _completion_providers for c in provider(person)), key=lambda c: c.title),
        key=lambda c: c.completed_on,
        reverse=True,
    )
    external_all = list(
        ExternalBadge.objects.filter(holder=person).shown_in_record().order_by("-issued_on", "-created_at")
    )

    listed = {c.source_key for c in completions}
    years = {fiscal_year(c.completed_on) for c in completions}
    years |= {fiscal_year(a.achieved_on) for a in awards if a.source_key not in listed}
    years |= {fiscal_year(b.issued_on) for b in external_all if b.issued_on}

    courses = [
        CourseLine(
            completion=c,
            fiscal_year=fiscal_year(c.completed_on),
            badge=BadgeLine(award, qr_kind(award)) if (award := by_source.get(c.source_key)) else None,
        )
        for c in completions
        if _in_range(fiscal_year(c.completed_on), first_year, last_year)
    ]
    other_badges = [
        OtherBadgeLine(BadgeLine(a, qr_kind(a)), fiscal_year(a.achieved_on))
        for a in awards
        if a.source_key not in listed and _in_range(fiscal_year(a.achieved_on), first_year, last_year)
    ]
    external = [
        b for b in external_all if _in_range(fiscal_year(b.issued_on) if b.issued_on else None, first_year, last_year)
    ]

    counted = [line.badge.award for line in courses if line.badge and line.badge.counts]
    counted += [line.badge.award for line in other_badges if line.badge.counts]
    hours = sum((c.completion.hours or Decimal(0) for c in courses), Decimal(0))
    hours += sum((o.badge.award.badge_class.hours or Decimal(0) for o in other_badges if o.badge.counts), Decimal(0))
    hours += sum((b.hours or Decimal(0) for b in external if b.is_confirmed), Decimal(0))
    totals = Totals(
        hours=hours,
        credits=sum(c.completion.credits or 0 for c in courses),
        courses=len(courses),
        badges=len(counted),
        external_badges=sum(1 for b in external if b.is_confirmed),
    )
    return TrainingRecord(
        person=person,
        courses=courses,
        other_badges=other_badges,
        external=external,
        skills=_skills(counted, external),
        totals=totals,
        years=sorted(years, reverse=True),
        first_year=first_year,
        last_year=last_year,
        issuing_office=issuing_office(),
        printed_at=timezone.localtime(),
    )


def _skills(awards: list[Award], external: list[ExternalBadge]) -> list[Skill]:
    """Skills from the counted badges of the range (a revoked badge certifies none)."""
    skills: dict[str, list[str]] = {}
    alignments: list[tuple[dict[str, Any], Award]] = [
        (item, award)
        for award in awards
        for item in award.badge_class.alignments or []
        if isinstance(item, dict) and item.get("targetName")
    ]
    localised = _skill_names({str(item["targetCode"]) for item, _award in alignments if item.get("targetCode")})
    for item, award in alignments:
        name = localised.get(str(item.get("targetCode") or ""), str(item["targetName"]))
        skills.setdefault(name, []).append(award.badge_class.display_name)
    for badge in external:
        if badge.is_confirmed:
            for name in badge.skills or []:
                skills.setdefault(str(name), []).append(badge.achievement_name)
    return [Skill(name, tuple(dict.fromkeys(src))) for name, src in sorted(skills.items())]
