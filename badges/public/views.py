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
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from .. import grades, keys, links
from ..core import achievement_types, credentials, rendering
from ..models import Award, BadgeClass, Issuer, SigningKey
from ..selectors import award_image_visible_to

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


# What asks for the OB 3.0 Achievement at a badge class URL (docs/interoperability.md). OB 2.0
# clients send plain ``application/ld+json`` / ``application/json`` (validator-core:
# "application/ld+json, application/json, image/png, image/svg+xml"), so those keep the OB 2.0
# BadgeClass. OB 3.0 is asked for with the Verifiable Credentials media types (``application/vc``
# of VC DM 2.0, ``application/vc+ld+json`` as OB 3.0 names it for its JSON-LD documents) or with
# JSON-LD's ``profile`` parameter naming an OB 3.0 context.
OB3_MEDIA_TYPES = ("application/vc", "application/vc+ld+json")
OB3_PROFILE_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_OB2_TYPES = (LD_JSON, "application/json")


def negotiate_badge_class(request: HttpRequest) -> tuple[str, str]:
    """("html" | "ob3" | "ob2", the media type to answer with) for a badge class URL.

    The highest ``q`` wins, the first listed among equals (as ``wants_html`` does); with no
    Accept, ``*/*`` or anything else, the OB 2.0 JSON-LD as before.
    """
    best: tuple[float, int, str, str] | None = None
    for position, part in enumerate(request.headers.get("Accept", "").split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        q, profile = 1.0, ""
        for param in params:
            key, _, value = param.partition("=")
            key, value = key.strip().lower(), value.strip().strip('"')
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
            elif key == "profile":
                profile = value
        if q <= 0:
            continue
        if media in _HTML_TYPES:
            kind, answer = "html", "text/html"
        elif media in OB3_MEDIA_TYPES:
            kind, answer = "ob3", media
        elif media == LD_JSON and any(p.startswith(OB3_PROFILE_PREFIX) for p in profile.split()):
            kind, answer = "ob3", f'{LD_JSON}; profile="{credentials.OB3_CONTEXT}"'
        elif media in _OB2_TYPES:
            kind, answer = "ob2", media
        else:
            continue
        if best is None or q > best[0]:
            best = (q, position, kind, answer)
    if best is None:
        return "ob2", LD_JSON
    return best[2], best[3]


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
        image_url=links.issuer_image_url(issuer.public_id),
    )


@require_GET
def issuer(request: HttpRequest, public_id: UUID) -> HttpResponse:
    obj = get_object_or_404(Issuer, public_id=public_id)
    if wants_html(request):
        return render(request, "badges/public/issuer.html", {"issuer": obj})
    return json_response(request, issuer_document(obj))


@require_GET
@cache_control(public=True, max_age=3600)
def issuer_image(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The issuer's logo as a PNG (wallets show it beside every badge): the uploaded one,
    re-encoded (no metadata, at most 600 px), or one drawn from the issuer's name."""
    obj = get_object_or_404(Issuer, public_id=public_id)
    from django.conf import settings

    key = (
        "issuer-image:"
        + hashlib.sha256(f"{obj.public_id}|{obj.name}|{obj.name_en}|{obj.image.name}".encode()).hexdigest()
    )
    png = cache.get(key)
    if png is None:
        if obj.image:
            from PIL import Image

            with obj.image.open("rb") as handle, Image.open(handle) as picture:
                picture.thumbnail((rendering.SIZE, rendering.SIZE))
                png = rendering.encode_png(picture.convert("RGBA"))
        else:
            png = rendering.render_badge(
                rendering.BadgeText(title=obj.name, issuer=obj.name_en),
                design="blue",
                font_path=rendering.find_font(tuple(settings.BADGE_FONT_PATHS)),
            )
        cache.set(key, png, 24 * 3600)
    return HttpResponse(png, content_type="image/png")


def _alignments(badge: BadgeClass) -> list[credentials.Alignment]:
    return [
        credentials.Alignment(
            target_name=a["targetName"],
            target_url=a["targetUrl"],
            target_code=a.get("targetCode"),
            target_framework=a.get("targetFramework"),
            target_description=a.get("targetDescription"),
        )
        for a in badge.alignments or []
        if isinstance(a, dict) and a.get("targetName") and a.get("targetUrl")
    ]


def badge_class_document(badge: BadgeClass) -> dict[str, Any]:
    return credentials.build_ob2_badge_class(
        badge_class_url=links.badge_class_url(badge.public_id),
        issuer_url=links.issuer_url(badge.issuer.public_id),
        name=badge.name,
        description=badge.description,
        image_url=links.badge_class_image_url(badge.public_id),
        criteria_narrative=badge.criteria,
        alignments=_alignments(badge),
        tags=[str(t) for t in badge.tags or []],
    )


def achievement_document(badge: BadgeClass) -> dict[str, Any]:
    """The OB 3.0 Achievement at the same URL: what new credentials embed, plus its creator."""
    issuer = badge.issuer
    try:
        creator_id = keys.issuer_did(issuer)  # the issuer id the credentials carry
    except keys.SigningKeyMissing:
        creator_id = links.issuer_url(issuer.public_id)
    creator = {
        "id": creator_id,
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
        "image": {"id": links.issuer_image_url(issuer.public_id), "type": "Image"},
    }
    return credentials.build_ob3_achievement(
        achievement_id=links.badge_class_url(badge.public_id),
        name=credentials.LocalizedText(badge.name, badge.name_en or None),
        description=credentials.LocalizedText(badge.description, badge.description_en or None),
        criteria_narrative=credentials.LocalizedText(badge.criteria, badge.criteria_en or None),
        image_url=links.badge_class_image_url(badge.public_id),
        alignments=_alignments(badge),
        achievement_type=achievement_types.achievement_type(badge.pk),
        creator=creator,
        tags=[str(t) for t in badge.tags or []],
        standalone=True,
    )


@require_GET
def badge_class(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One URL, three answers (``negotiate_badge_class``): a page for browsers, the OB 3.0
    Achievement for OB 3.0 clients, the OB 2.0 BadgeClass for everyone else."""
    badge = get_object_or_404(BadgeClass.objects.select_related("issuer"), public_id=public_id)
    kind, media_type = negotiate_badge_class(request)
    if kind == "html":
        response = render(request, "badges/public/badge_class.html", {"badge": badge})
    elif kind == "ob3":
        response = json_response(request, achievement_document(badge))
        response["Content-Type"] = f"{media_type}; charset=utf-8" if "charset" not in media_type else media_type
    else:
        response = json_response(request, badge_class_document(badge))
    patch_vary_headers(response, ["Accept"])
    return response


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
    award = Award.objects.public().select_related("badge_class", "issuer").filter(public_id=public_id).first()
    if award is None:
        raise Http404
    return award


def _hosted_document(public_id: UUID, field: str) -> tuple[Award, dict[str, Any] | None]:
    """An issued or revoked award's stored document, with what deciding about its grade needs
    (badges/grades.py), as an unsaved Award of those columns.

    The hosted JSON is what verifiers fetch most: a few columns, one join (the badge class's
    ``publish_grade``) and no other document decoded (the whole award with its badge class and
    issuer cost twice the time, mostly building and compiling the query; docs/benchmarks.md,
    "Load").
    """
    rows = list(
        Award.objects.public()
        .filter(public_id=public_id)
        .order_by()
        .values_list(
            "status",
            "revocation_reason",
            "visibility",
            "recipient_id",
            "evidence",
            "badge_class__publish_grade",
            field,
        )[:1]
    )
    if not rows:
        raise Http404
    status, reason, visibility, recipient_id, evidence, publish_grade, document = rows[0]
    award = Award(
        status=status, revocation_reason=reason, visibility=visibility, recipient_id=recipient_id, evidence=evidence
    )
    award.publish_grade = publish_grade  # type: ignore[attr-defined]
    return award, document


@require_GET
def assertion(request: HttpRequest, public_id: UUID) -> HttpResponse:
    if wants_html(request):
        award = _issued_or_revoked(public_id)
        return render(
            request, "badges/public/assertion.html", {"award": award}, status=410 if award.is_revoked else 200
        )
    row, document = _hosted_document(public_id, "assertion")
    status, revocation_reason = row.status, row.revocation_reason
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
    if document and not row.publish_grade:  # type: ignore[attr-defined]
        # Not signed: a grade its class does not publish is taken out as it is served.
        document = grades.without_grades(document, row.evidence)
    return json_response(request, document or {})


@require_GET
def credential(request: HttpRequest, public_id: UUID) -> HttpResponse:
    row, document = _hosted_document(public_id, "credential")
    if (
        not row.publish_grade  # type: ignore[attr-defined]
        and grades.has_grade(document, row.evidence)
        and not award_image_visible_to(row, request.user)
    ):
        # Signed before its class stopped publishing grades: it cannot be edited, so it goes
        # only where the baked image (which carries it) may go.
        raise Http404
    # Signed before proof became a list: served as one, which the JSON Schema it names wants
    # (the proof is outside the signed data: the signature still verifies).
    return json_response(request, credentials.with_proof_list(document) if document else {})


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


# status_list_index is a PositiveIntegerField: a list whose first index is past its range
# cannot hold an award (and the number would not fit the database's integer).
_MAX_STATUS_INDEX = 2**31 - 1


@require_GET
def status_list(request: HttpRequest, public_id: UUID, list_number: int) -> HttpResponse:
    """The issuer's signed BitstringStatusListCredential; a revocation shows at once.

    Only lists that exist are served: a list exists once an award of the issuer has an index
    in it (award n is in list n // size), so anyone asking for list 10^28 gets a 404 and no
    signature. A list is signed on demand and cached under a key that changes with every
    revocation in the list and with the verification method signing it (a switch from
    did:key to did:web, or a new key, is a new list).
    """
    issuer_obj = get_object_or_404(Issuer, public_id=public_id)
    size = links.STATUS_LIST_SIZE
    low, high = list_number * size, (list_number + 1) * size
    in_list = Award.objects.filter(issuer=issuer_obj, status_list_index__gte=low, status_list_index__lt=high)
    # One range probe on the (issuer, status_list_index) unique index.
    if low > _MAX_STATUS_INDEX or not in_list.exists():
        raise Http404
    revoked = in_list.filter(status=Award.Status.REVOKED)
    version = revoked.aggregate(n=Count("pk"), last=Max("revoked_at"))
    last = version["last"].timestamp() if version["last"] else 0
    method = keys.verification_method(issuer_obj, keys.active_key(issuer_obj))
    signed_by = hashlib.sha256(method.encode()).hexdigest()[:32]  # a DID can be long; keys stay short
    cache_key = f"status-list:{issuer_obj.pk}:{list_number}:{version['n']}:{last}:{signed_by}"
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
        if signer.verification_method == method:  # not if the key changed in between
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
