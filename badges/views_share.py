"""Public share page of a badge and QR codes (no login, no JavaScript needed).

A share link is ``/public/share/<share_token>/``: the holder can withdraw it at any time (a new
token is issued and the old one answers 404) or make the badge private again.
"""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import links, qr, selectors, verification
from .models import Award


def _shared_award(request: HttpRequest, share_token: UUID) -> Award:
    award = (
        Award.objects.select_related("badge_class", "issuer", "recipient")
        .filter(share_token=share_token, status__in=[Award.Status.ISSUED, Award.Status.REVOKED])
        .first()
    )
    if award is None or not selectors.share_page_visible_to(award, request.user):
        raise Http404
    return award


def _no_cache(response: HttpResponse) -> HttpResponse:
    # A withdrawn link or a badge made private must stop working at once, even behind caches.
    response["Cache-Control"] = "no-cache, private" if response.status_code == 200 else "no-store"
    return response


@require_GET
def share(request: HttpRequest, share_token: UUID) -> HttpResponse:
    award = _shared_award(request, share_token)
    share_url = links.share_url(award.share_token)
    is_public = award.visibility == Award.Visibility.PUBLIC
    context = {
        "award": award,
        "badge": award.badge_class,
        "report": verification.verify_award(award),
        "share_url": share_url,
        "assertion_url": links.assertion_url(award.public_id),
        "image_alt_title": award.badge_class.name,
        "show_holder": selectors.holder_name_visible_to(award, request.user),
        "show_baked_image": selectors.award_image_visible_to(award, request.user) and bool(award.baked_image),
        "is_public": is_public,
        "is_holder": request.user.is_authenticated and request.user.pk == award.recipient_id,
        "og_image": links.badge_class_image_url(award.badge_class.public_id),
        "linkedin": links.linkedin_links(award) if is_public else None,
        "now": timezone.now(),
    }
    response = render(request, "badges/share.html", context)
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
    award = (
        Award.objects.filter(public_id=public_id, status__in=[Award.Status.ISSUED, Award.Status.REVOKED])
        .only("public_id")
        .first()
    )
    if award is None:
        raise Http404
    response = HttpResponse(qr.qr_svg(links.assertion_url(award.public_id)), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
