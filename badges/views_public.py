"""Public endpoints (no login): OB 2.0 hosted JSON, images, OB 3.0 credentials, status lists,
and the did:web document. JSON by default (as badge verifiers ask), HTML for browsers."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from . import credentials, keys, links, rendering
from .models import Award, BadgeClass, Issuer, SigningKey
from .selectors import award_image_visible_to

LD_JSON = "application/ld+json"


def wants_html(request: HttpRequest) -> bool:
    """True when the client asks for HTML ahead of JSON (a browser); verifiers get JSON."""
    accept = request.headers.get("Accept", "")
    best_html = best_json = None
    for position, part in enumerate(accept.split(",")):
        media = part.split(";")[0].strip().lower()
        if media in ("text/html", "application/xhtml+xml") and best_html is None:
            best_html = position
        if media in (LD_JSON, "application/json", "application/vc+ld+json") and best_json is None:
            best_json = position
    return best_html is not None and (best_json is None or best_html < best_json)


def json_response(request: HttpRequest, document: dict[str, Any], status: int = 200) -> HttpResponse:
    accept = request.headers.get("Accept", "")
    content_type = "application/json" if "application/json" in accept and LD_JSON not in accept else LD_JSON
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2), content_type=f"{content_type}; charset=utf-8", status=status
    )
    response["Access-Control-Allow-Origin"] = "*"  # other hosts' verifiers read these
    response["Vary"] = "Accept"
    return response


def issuer_document(issuer: Issuer) -> dict[str, Any]:
    return credentials.build_ob2_issuer(
        issuer_url=links.issuer_url(issuer.public_id),
        name=issuer.name,
        url=issuer.url,
        email=issuer.email,
        description=issuer.description or None,
    )


@require_GET
def issuer(request: HttpRequest, public_id: UUID) -> HttpResponse:
    obj = get_object_or_404(Issuer, public_id=public_id)
    if wants_html(request):
        return render(request, "badges/public/issuer.html", {"issuer": obj})
    return json_response(request, issuer_document(obj))


def badge_class_document(badge: BadgeClass) -> dict[str, Any]:
    return credentials.build_ob2_badge_class(
        badge_class_url=links.badge_class_url(badge.public_id),
        issuer_url=links.issuer_url(badge.issuer.public_id),
        name=badge.name,
        description=badge.description,
        image_url=links.badge_class_image_url(badge.public_id),
        criteria_narrative=badge.criteria,
        alignments=[
            credentials.Alignment(
                target_name=a["targetName"],
                target_url=a["targetUrl"],
                target_code=a.get("targetCode"),
                target_framework=a.get("targetFramework"),
            )
            for a in badge.alignments or []
            if isinstance(a, dict) and a.get("targetName") and a.get("targetUrl")
        ],
        tags=[str(t) for t in badge.tags or []],
    )


@require_GET
def badge_class(request: HttpRequest, public_id: UUID) -> HttpResponse:
    badge = get_object_or_404(BadgeClass.objects.select_related("issuer"), public_id=public_id)
    if wants_html(request):
        return render(request, "badges/public/badge_class.html", {"badge": badge})
    return json_response(request, badge_class_document(badge))


@require_GET
@cache_control(public=True, max_age=3600)
def badge_class_image(request: HttpRequest, public_id: UUID) -> HttpResponse:
    badge = get_object_or_404(BadgeClass.objects.select_related("issuer"), public_id=public_id)
    from django.conf import settings

    key = (
        "badge-class-image:"
        + hashlib.sha256(f"{badge.public_id}|{badge.name}|{badge.issuer.name}|{badge.design}".encode()).hexdigest()
    )
    png = cache.get(key)
    if png is None:
        png = rendering.render_badge(
            rendering.BadgeText(title=badge.name, issuer=badge.issuer.name, caption="オープンバッジ"),
            design=badge.design,
            font_path=rendering.find_font(tuple(settings.BADGE_FONT_PATHS)),
        )
        cache.set(key, png, 24 * 3600)
    return HttpResponse(png, content_type="image/png")


def _issued_or_revoked(public_id: UUID) -> Award:
    award = (
        Award.objects.select_related("badge_class", "issuer")
        .filter(public_id=public_id, status__in=[Award.Status.ISSUED, Award.Status.REVOKED])
        .first()
    )
    if award is None:
        raise Http404
    return award


def _issued_or_revoked_document(public_id: UUID, field: str) -> tuple[str, str, dict[str, Any] | None]:
    """(status, revocation reason, one stored document) of an issued or revoked award.

    The hosted JSON is what verifiers fetch most: three columns, no joins and no other JSON
    documents decoded (the whole award with its badge class and issuer cost twice the time,
    mostly building and compiling the query; docs/benchmarks.md, "Load").
    """
    rows = list(
        Award.objects.filter(public_id=public_id, status__in=[Award.Status.ISSUED, Award.Status.REVOKED])
        .order_by()
        .values_list("status", "revocation_reason", field)[:1]
    )
    if not rows:
        raise Http404
    return rows[0]


@require_GET
def assertion(request: HttpRequest, public_id: UUID) -> HttpResponse:
    if wants_html(request):
        award = _issued_or_revoked(public_id)
        return render(
            request, "badges/public/assertion.html", {"award": award}, status=410 if award.is_revoked else 200
        )
    status, revocation_reason, document = _issued_or_revoked_document(public_id, "assertion")
    if status == Award.Status.REVOKED:
        return json_response(
            request,
            {
                "@context": credentials.OB2_CONTEXT,
                "id": links.assertion_url(public_id),
                "type": "Assertion",
                "revoked": True,
                "revocationReason": revocation_reason,
            },
            status=410,
        )
    return json_response(request, document or {})


@require_GET
def credential(request: HttpRequest, public_id: UUID) -> HttpResponse:
    _status, _reason, document = _issued_or_revoked_document(public_id, "credential")
    return json_response(request, document or {})


@require_GET
def award_image(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The baked PNG carries the holder's name: only for those the holder shares it with."""
    award = _issued_or_revoked(public_id)
    if not award_image_visible_to(award, request.user) or not award.baked_image:
        raise Http404
    with award.baked_image.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="badge-{award.public_id}.png"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def status_list(request: HttpRequest, public_id: UUID, list_number: int) -> HttpResponse:
    """The issuer's signed BitstringStatusListCredential; a revocation shows at once.

    Signed on demand and cached under a key that changes with every revocation in the list.
    """
    issuer_obj = get_object_or_404(Issuer, public_id=public_id)
    size = links.STATUS_LIST_SIZE
    low, high = list_number * size, (list_number + 1) * size
    revoked = Award.objects.filter(
        issuer=issuer_obj, status=Award.Status.REVOKED, status_list_index__gte=low, status_list_index__lt=high
    )
    version = revoked.aggregate(n=Count("pk"), last=Max("revoked_at"))
    last = version["last"].timestamp() if version["last"] else 0
    cache_key = f"status-list:{issuer_obj.pk}:{list_number}:{version['n']}:{last}"
    document = cache.get(cache_key)
    if document is None:
        bits = credentials.new_status_list(size)
        for index in revoked.values_list("status_list_index", flat=True):
            credentials.set_status_bit(bits, index - low)
        signer = keys.signer_for(issuer_obj)
        url = links.status_list_url(issuer_obj.public_id, list_number)
        unsigned = credentials.build_status_list_credential(
            status_list_url=url, issuer_id=signer.did, bits=bits, valid_from=timezone.now().replace(microsecond=0)
        )
        document = credentials.sign_credential(
            unsigned,
            private_key=signer.private_key,
            verification_method=signer.verification_method,
            created=timezone.now().replace(microsecond=0),
        )
        cache.set(cache_key, document, 3600)
    response = json_response(request, document)
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def did_document(request: HttpRequest) -> HttpResponse:
    """did:web document of the default issuer, listing every key it ever signed with."""
    issuer_obj = keys.default_issuer()
    did = f"did:web:{keys.did_web_domain() or keys.public_origin_host().replace(':', '%3A')}"
    methods = []
    for key in SigningKey.objects.filter(issuer=issuer_obj).order_by("created_at"):
        methods.append(
            {
                "id": f"{did}#{key.public_key_multibase}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.public_key_multibase,
            }
        )
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Type"] = "application/did+json"
    response["Access-Control-Allow-Origin"] = "*"
    return response
