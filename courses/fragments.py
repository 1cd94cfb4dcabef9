"""Cached HTML of the catalogue's course cards and filter form.

The catalogue spent most of its time in the template engine: twenty cards of about 25 tags
each, and a filter form whose selects render every option through Django's widget templates
(docs/benchmarks.md, "Load"). Both are now rendered once and kept in the shared cache under a
key made of *everything they are rendered from*: the course's own fields, its provider and
skills as loaded for this request, the seats taken, whether the viewer has a live request, the
day (the application window is worded relative to today), the language and the templates'
source. So nothing needs to be deleted when something changes: a taken seat, a withdrawn
request, an edited course, a renamed skill or provider, the next day or another language is a
different key, rendered afresh. The rows themselves are read on every request, as before; only
the rendering is saved. One cache round trip fetches the whole page of cards (``get_many``),
one more stores the cards that were missing (``set_many``).

"My learning" keeps its table rows the same way (``my_learning_rows``): each row is keyed on
everything it shows (the enrolment, its course, provider and badge, every event of its history
with the actor's name, the person's place on the waiting list, whether it can be withdrawn or
has a calendar file, the badge it earned with its status and whether it has expired), the
language, the translations and the template. A new event, a withdrawal, a course edit, a
revoked badge or a language switch is a new key.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from .models import Course, CourseSkill, Enrolment, Skill

logger = logging.getLogger(__name__)

CARD_TEMPLATE = "courses/_course_card.html"
FILTERS_TEMPLATE = "courses/_catalogue_filters.html"
ROW_TEMPLATE = "courses/_my_learning_row.html"
#: The row template's ``kind``s, one per table of "My learning".
ROW_KINDS = ("progress", "finished", "not_completed", "closed")
CARD_TIMEOUT = 24 * 60 * 60  # keys name the day: a card's entry is useless the day after
FILTERS_TIMEOUT = 10 * 60  # searches typed once should not stay long


def _cache_call(method: Callable[..., Any], *args: Any) -> Any:
    """The cache only saves work: if it is unreachable (Redis down), render without it."""
    try:
        return method(*args)
    except Exception:
        logger.warning("catalogue: cache unavailable, rendering without it", exc_info=True)
        return None


@functools.cache
def _template_version(name: str) -> str:
    """A deploy that changes a template gets new keys (an entry is never served by the wrong one)."""
    source = get_template(name).template.source  # type: ignore[attr-defined]
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


@functools.cache
def _translations_version(language: str) -> str:
    """The compiled catalogue's modification time: a deploy with new translations gets new keys."""
    stamps = []
    for folder in settings.LOCALE_PATHS:
        path = os.path.join(folder, language, "LC_MESSAGES", "django.mo")
        stamps.append(str(os.stat(path).st_mtime_ns) if os.path.exists(path) else "-")
    return ",".join(stamps)


def _digest(prefix: str, material: Sequence[Any]) -> str:
    text = json.dumps(material, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"{prefix}:{hashlib.sha256(text.encode('utf-8')).hexdigest()}"


def card_key(course: Course, *, today: dt.date, language: str) -> str:
    """Everything ``courses/_course_card.html`` shows, for one course and one viewer."""
    provider = course.provider
    return _digest(
        "course-card",
        [
            _template_version(CARD_TEMPLATE),
            language,
            today.isoformat(),
            course.pk,
            course.updated_at.isoformat(),
            course.code,
            course.title,
            course.title_en,
            course.delivery,
            course.term,
            course.starts_on,
            course.ends_on,
            course.application_opens_on,
            course.application_closes_on,
            course.cost,
            course.city_subsidy,
            course.capacity,
            course.seats_taken,  # type: ignore[attr-defined]  # annotation of catalogue_courses
            course.for_self_development,
            course.for_promotion,
            course.badge_class_id,
            bool(course.my_state),  # type: ignore[attr-defined]  # the card says only "requested"
            [provider.pk, provider.name, provider.name_en],
            card_skills_in_order(course.card_skills),  # type: ignore[attr-defined]  # [{code, name, name_en, level}]
        ],
    )


def card_skills_in_order(skills: list[dict[str, Any]] | str | None) -> list[dict[str, Any]]:
    """The card's skills in the page's order, whatever the database returned them as."""
    items: list[dict[str, Any]] = json.loads(skills) if isinstance(skills, str) else list(skills or [])
    if all("sort_order" not in s for s in items):
        return items
    return sorted(items, key=lambda s: (s.get("sort_order") or 0, s["code"]))


def course_cards(courses: Iterable[Course], *, today: dt.date) -> SafeString:
    """The ``<li>`` of every course, as the catalogue's loop wrote them (same whitespace)."""
    courses = list(courses)
    language = translation.get_language()
    keys = [card_key(c, today=today, language=language) for c in courses]
    found = _cache_call(cache.get_many, keys) or {}
    missing: dict[str, str] = {}
    cards = []
    template = get_template(CARD_TEMPLATE)
    for course, key in zip(courses, keys, strict=True):
        card = found.get(key)
        if card is None:
            skills = [
                CourseSkill(level=cs["level"], skill=Skill(code=cs["code"], name=cs["name"], name_en=cs["name_en"]))
                for cs in card_skills_in_order(course.card_skills)  # type: ignore[attr-defined]
            ]
            card = template.render({"course": course, "course_skills": skills, "today": today}).strip()
            missing[key] = card
        cards.append(card)
    if missing:
        _cache_call(cache.set_many, missing, CARD_TIMEOUT)
    return mark_safe("".join(f"\n  {card}\n  " for card in cards))  # noqa: S308 - rendered by our template


def catalogue_filters(form: forms.Form, *, filtered: bool) -> SafeString:
    """The search form: its key is what was submitted for its fields, their choices and the language."""
    data = form.data
    material = [
        _template_version(FILTERS_TEMPLATE),
        translation.get_language(),
        filtered,
        [[name, data.getlist(name) if hasattr(data, "getlist") else data.get(name)] for name in form.fields],
        [[name, list(getattr(field, "choices", []))] for name, field in form.fields.items()],
    ]
    key = _digest("catalogue-filters", material)
    html = _cache_call(cache.get, key)
    if html is None:
        html = get_template(FILTERS_TEMPLATE).render({"form": form, "filtered": filtered}).rstrip("\n")
        _cache_call(cache.set, key, html, FILTERS_TIMEOUT)
    return mark_safe(html)  # noqa: S308 - rendered by our template


def _row_material(kind: str, e: Enrolment) -> list[Any]:
    """Everything ``courses/_my_learning_row.html`` shows of one enrolment (the view has set
    ``withdrawable``, ``waitlist_position``, ``has_calendar`` and ``award`` where they apply)."""
    course = e.course
    badge = course.badge_class
    award = getattr(e, "award", None)
    return [
        kind,
        e.pk,
        e.state,
        e.use_type,
        e.requested_at,
        e.staff_share,
        e.grade,
        e.result_note,
        e.completed_on,
        [course.pk, course.code, course.title, course.title_en],
        [course.provider.name, course.provider.name_en],
        [badge.name, badge.name_en] if badge is not None else None,
        [
            [ev.pk, ev.at, ev.to_state, ev.comment, ev.actor.full_name if ev.actor is not None else None]
            for ev in e.events.all()
        ],
        getattr(e, "withdrawable", None),
        getattr(e, "waitlist_position", None),
        getattr(e, "has_calendar", None),
        None
        if award is None
        else [
            str(award.public_id),
            award.status,
            award.is_expired(),
            award.badge_class.name,
            award.badge_class.name_en,
        ],
    ]


def my_learning_rows(tables: dict[str, Sequence[Enrolment]]) -> dict[str, SafeString]:
    """The ``<tr>`` rows of each table of "My learning" (``ROW_KINDS``), as its loops wrote them.

    One ``get_many`` for every row of the page, one ``set_many`` for those that were missing."""
    language = translation.get_language()
    head = [
        _template_version(ROW_TEMPLATE),
        language,
        _translations_version(language),
        timezone.get_current_timezone_name(),
    ]
    keyed = {
        kind: [(e, _digest("my-learning-row", [*head, *_row_material(kind, e)])) for e in tables.get(kind, ())]
        for kind in ROW_KINDS
    }
    keys = [key for rows in keyed.values() for _e, key in rows]
    found = (_cache_call(cache.get_many, keys) or {}) if keys else {}
    missing: dict[str, str] = {}
    template = get_template(ROW_TEMPLATE)
    out = {}
    for kind, rows in keyed.items():
        html = []
        for e, key in rows:
            row = found.get(key) or missing.get(key)
            if row is None:
                row = template.render({"kind": kind, "e": e}).strip()
                missing[key] = row
            html.append(f"\n    {row}\n    ")
        out[kind] = mark_safe("".join(html))  # noqa: S308 - rendered by our template
    if missing:
        _cache_call(cache.set_many, missing, CARD_TIMEOUT)
    return out
