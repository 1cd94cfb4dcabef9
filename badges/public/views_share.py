"""Public share page of a badge and QR codes (no login, no JavaScript needed).

A share link is ``/public/share/<share_token>/``: the holder can withdraw it at any time (a new
token is issued and the old one answers 404) or make the badge private again.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any, Final
from uuid import UUID

from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.db.models import QuerySet, TextField
from django.db.models.functions import MD5, Cast
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from hachioji_portal.organisation import organisation

from .. import links, selectors
from ..core import qr
from ..models import Award
from ..prepared import PreparedRow
from . import verification

logger = logging.getLogger(__name__)

PAGE_TEMPLATE = "badges/share.html"
ARTICLE_TEMPLATE = "badges/_share_article.html"
META_TEMPLATE = "badges/_share_meta.html"
# Every template the cached parts and pages are made of: a deploy that changes one gets new
# cache keys (and so does one that changes a static file the page links to, see below).
_CACHED_TEMPLATES = (
    PAGE_TEMPLATE,
    "base.html",
    ARTICLE_TEMPLATE,
    META_TEMPLATE,
    "badges/_verdict.html",
    "badges/_share_tools.html",
)
_PAGE_STATIC = ("css/portal.css", "css/badges.css", "js/badges.js", "img/favicon.svg")
_CACHE_TIMEOUT = 120  # the key names the minute (the verdict says when it was checked)

# The share page's "now" (the verdict's moment, the minute in the cache keys); tests replace it.
clock: Callable[[], dt.datetime] = timezone.now


def _shared_award(request: HttpRequest, share_token: UUID) -> Award:
    award = (
        Award.objects.public()
        .select_related("badge_class", "issuer", "recipient")
        .filter(share_token=share_token)
        .first()
    )
    if award is None or not selectors.share_page_visible_to(award, request.user):
        raise Http404
    return award


def _no_cache(response: HttpResponse) -> HttpResponse:
    # A withdrawn link or a badge made private must stop working at once, even behind caches.
    response["Cache-Control"] = "no-cache, private" if response.status_code == 200 else "no-store"
    return response


# --- the share page's row, read on every request ------------------------------------------
#
# Everything the page shows comes from one award row, its badge class, issuer and holder. The
# page reads those (not the two signed documents: their digests, computed by the database) on
# every request, so revocation, visibility, a renewed link or an edited badge show at once.
# Building that query with the ORM cost more than everything else on the page together
# (docs/benchmarks.md, "Load"), so it is compiled once per process and database and only the
# share token changes between executions. The rendered parts are then cached under a key made
# of the whole row (see ``_parts_key``).

_ROW_FIELDS: Final = (
    "pk",
    "status",
    "visibility",
    "recipient_id",
    "baked_image",
    "public_id",
    "share_token",
    "issued_at",
    "expires_at",
    "revoked_at",
    "revocation_reason",
    "badge_class__public_id",
    "badge_class__name",
    "badge_class__name_en",
    "badge_class__description",
    "badge_class__criteria",
    "badge_class__alignments",
    "issuer__public_id",
    "issuer__name",
    "recipient__family_name",
    "recipient__given_name",
)
_DIGESTS: Final = ("credential", "assertion")


def _row_queryset(share_token: UUID) -> QuerySet[Award]:
    digests = {f"{name}_md5": MD5(Cast(name, output_field=TextField())) for name in _DIGESTS}
    return (
        Award.objects.public()
        .filter(share_token=share_token)
        .annotate(**digests)
        .values_list(*_ROW_FIELDS, *digests)[:1]
    )


_SHARE_ROW = PreparedRow(_row_queryset, field=Award._meta.get_field("share_token"), placeholder=UUID(int=0))


def _shared_row(share_token: UUID) -> dict[str, Any] | None:
    return _SHARE_ROW.fetch(share_token, alias=Award.objects.db)


@functools.cache
def _templates_version() -> str:
    digest = hashlib.sha256()
    for name in _CACHED_TEMPLATES:
        digest.update(get_template(name).template.source.encode())  # type: ignore[attr-defined]
    for name in _PAGE_STATIC:  # hashed names in production: a new stylesheet is a new key
        digest.update(staticfiles_storage.url(name).encode())
    return digest.hexdigest()[:16]


def _parts_key(row: dict[str, Any], flags: dict[str, bool], now: dt.datetime) -> str:
    """Everything the cached parts are rendered from, so that any change gives a new key.

    The award's row (status and revocation reason, visibility, share token, dates, image, the
    digests of its two signed documents), its badge class and issuer as they are now, the
    holder's name where it is shown, who is looking (the four flags), the language, and the
    minute (the verdict says when it was checked). Nothing has to be deleted when something
    changes: a revoked, re-issued, hidden or renewed award simply no longer matches.
    """
    material = [
        _templates_version(),
        settings.PORTAL_BASE_URL,
        organisation().cache_material(),
        translation.get_language(),
        timezone.localtime(now).strftime("%Y-%m-%dT%H:%M"),
        sorted(flags.items()),
        [(name, value) for name, value in row.items() if flags["show_holder"] or not name.startswith("recipient__")],
    ]
    text = json.dumps(material, ensure_ascii=False, separators=(",", ":"), default=str)
    return "share-page:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _next_change(award: Award, now: dt.datetime) -> float | None:
    """The first moment after ``now`` at which the verdict may change by itself (the award or
    its credential expiring, or becoming valid): the cached parts are not used after it."""
    moments = (award.expires_at, *verification.verdict_moments(award.credential))
    future = [m.timestamp() for m in moments if m is not None and m > now]
    return min(future) if future else None


def _render_parts(
    request: HttpRequest, share_token: UUID, flags: dict[str, bool], now: dt.datetime
) -> tuple[str, str, float | None]:
    """The head's description and card tags, and the article: verified (signature, revocation,
    expiry) and rendered from the full award."""
    award = _shared_award(request, share_token)
    share_url = links.share_url(award.share_token)
    context = {
        **flags,
        "award": award,
        "badge": award.badge_class,
        "report": verification.verify_award(award, now=now),
        "share_url": share_url,
        "assertion_url": links.assertion_url(award.public_id),
        "og_image": links.badge_class_image_url(award.badge_class.public_id),
        "linkedin": links.linkedin_links(award) if flags["is_public"] else None,
        "LANGUAGE_CODE": translation.get_language(),
    }
    meta = get_template(META_TEMPLATE).render(context)
    article = get_template(ARTICLE_TEMPLATE).render(context)
    return meta, article, _next_change(award, now)


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # the cache is an optimisation: a Redis outage must not take the page down
        logger.warning("share page: cache unavailable, rendering without it", exc_info=True)
        return None


def _cache_set(key: str, value: Any) -> None:
    try:
        cache.set(key, value, _CACHE_TIMEOUT)
    except Exception:
        logger.warning("share page: cache unavailable, not kept", exc_info=True)


def _parts(
    request: HttpRequest, share_token: UUID, key: str, flags: dict[str, bool], now: dt.datetime
) -> tuple[str, str, float | None]:
    cached = _cache_get(key)
    if cached is not None and (cached[2] is None or now.timestamp() < cached[2]):
        return cached[0], cached[1], cached[2]
    meta, article, until = _render_parts(request, share_token, flags, now)
    _cache_set(key, (meta, article, until))
    return meta, article, until


def _page_context(row: dict[str, Any], meta: str, article: str) -> dict[str, Any]:
    return {
        "title": row["badge_class__name"],
        "meta": mark_safe(meta),  # noqa: S308 - our templates' output
        "article": mark_safe(article),  # noqa: S308 - our templates' output
    }


# --- the whole page, for anonymous visitors -------------------------------------------------
#
# Anonymous visitors of one award in one language in one minute all get the same page, but
# for two things of the request: the CSRF token of the language switch (masked afresh for
# every response, and it sets the visitor's CSRF cookie) and the path the switch returns to
# (which carries the visitor's query string). The page is rendered once with a random marker
# in each of those two places and kept in the cache as the text between the markers; each
# request fills them in again exactly as the template would (``get_token`` for the token, the
# escaped full path). The markers are random per rendering, so nothing in the page's content
# can pose as one. Signed-in visitors and requests with messages waiting (e.g. "You have
# signed out.") are rendered in full, as before; so is every request when
# ``BADGE_SHARE_PAGE_CACHE`` is off (the parts above are still cached).

_CSRF_SLOT: Final = "csrf"
_PATH_SLOT: Final = "path"


class _RequestWithMarkedPath:
    """The request as the page template sees it, with the full path replaced by a marker."""

    def __init__(self, request: HttpRequest, path: str) -> None:
        self._request = request
        self._path = path

    def get_full_path(self) -> str:
        return self._path

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


def _render_page_template(
    request: HttpRequest, row: dict[str, Any], meta: str, article: str
) -> tuple[list[str], list[str]]:
    """The anonymous page as (texts, slots): ``texts[0] + fill(slots[0]) + texts[1] + ...``."""
    marker = secrets.token_hex(16)
    marks = {f"{_CSRF_SLOT}{marker}": _CSRF_SLOT, f"{_PATH_SLOT}{marker}": _PATH_SLOT}
    context = _page_context(row, meta, article)
    context["csrf_token"] = f"{_CSRF_SLOT}{marker}"
    context["request"] = _RequestWithMarkedPath(request, f"{_PATH_SLOT}{marker}")
    html = render_to_string(PAGE_TEMPLATE, context, request=request)
    texts: list[str] = []
    slots: list[str] = []
    start = 0
    while True:
        found = [(html.find(mark, start), mark) for mark in marks]
        found = [(at, mark) for at, mark in found if at >= 0]
        if not found:
            texts.append(html[start:])
            return texts, slots
        at, mark = min(found)
        texts.append(html[start:at])
        slots.append(marks[mark])
        start = at + len(mark)


def _fill_page(request: HttpRequest, texts: list[str], slots: list[str]) -> str:
    values = {}
    if _CSRF_SLOT in slots:
        values[_CSRF_SLOT] = get_token(request)
    if _PATH_SLOT in slots:
        values[_PATH_SLOT] = escape(request.get_full_path())
    out = [texts[0]]
    for slot, text in zip(slots, texts[1:], strict=True):
        out.append(values[slot])
        out.append(text)
    return "".join(out)


def _anonymous_page(
    request: HttpRequest, share_token: UUID, row: dict[str, Any], key: str, flags: dict[str, bool], now: dt.datetime
) -> HttpResponse:
    page_key = "share-page-anonymous:" + key.removeprefix("share-page:")
    cached = _cache_get(page_key)
    if cached is not None and (cached[0] is None or now.timestamp() < cached[0]):
        texts, slots = cached[1], cached[2]
    else:
        meta, article, until = _parts(request, share_token, key, flags, now)
        texts, slots = _render_page_template(request, row, meta, article)
        _cache_set(page_key, (until, texts, slots))
    return HttpResponse(_fill_page(request, texts, slots))


@require_GET
def share(request: HttpRequest, share_token: UUID) -> HttpResponse:
    row = _shared_row(share_token)
    if row is None:
        raise Http404
    # The permission checks need only these columns of the award.
    award = Award(
        pk=row["pk"],
        status=row["status"],
        visibility=row["visibility"],
        recipient_id=row["recipient_id"],
        baked_image=row["baked_image"],
    )
    if not selectors.share_page_visible_to(award, request.user):
        raise Http404
    now = clock()
    flags = {
        "show_holder": selectors.holder_name_visible_to(award, request.user),
        "show_baked_image": selectors.award_image_visible_to(award, request.user) and bool(award.baked_image),
        "is_public": award.visibility == Award.Visibility.PUBLIC,
        "is_holder": request.user.is_authenticated and request.user.pk == award.recipient_id,
        # A copy written into the published tree (badges/publisher.py): a snapshot, which says
        # when it was checked instead of "just now".
        "snapshot": bool(getattr(request, "portal_snapshot", False)),
    }
    key = _parts_key(row, flags, now)
    # len() loads the waiting messages without marking them shown: a page that shows them is
    # rendered in full (and shows them, once).
    if settings.BADGE_SHARE_PAGE_CACHE and not request.user.is_authenticated and not len(get_messages(request)):
        response = _anonymous_page(request, share_token, row, key, flags, now)
    else:
        meta, article, _until = _parts(request, share_token, key, flags, now)
        response = render(request, PAGE_TEMPLATE, _page_context(row, meta, article))
    response["X-Robots-Tag"] = "noindex"  # shared by the holder, not listed by search engines
    return _no_cache(response)


@require_GET
def share_qr(request: HttpRequest, share_token: UUID) -> HttpResponse:
    """QR code of the share URL, as SVG (to print on a CV or a promotion-selection file)."""
    award = _shared_award(request, share_token)
    response = HttpResponse(qr.qr_svg(links.share_url(award.share_token)), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="badge-qr-{award.public_id}.svg"'
    return _no_cache(response)


@require_GET
def assertion_qr(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """QR code of the badge's public verification page (no name on it), for printed records."""
    award = Award.objects.public().filter(public_id=public_id).only("public_id").first()
    if award is None:
        raise Http404
    response = HttpResponse(qr.qr_svg(links.assertion_url(award.public_id)), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
