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
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django import forms
from django.core.cache import cache
from django.template.loader import get_template
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from .models import Course

logger = logging.getLogger(__name__)

CARD_TEMPLATE = "courses/_course_card.html"
FILTERS_TEMPLATE = "courses/_catalogue_filters.html"
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
            [[cs.skill_id, cs.skill.name, cs.skill.name_en, cs.level] for cs in course.course_skills.all()],
        ],
    )


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
            card = template.render({"course": course, "today": today}).strip()
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
