"""Add to wallet (OpenID4VCI 1.0): the holder's button on the badge page, and the protocol's
endpoints a wallet app calls.

* ``wallet_offer`` (staff tree, holder only, POST): makes an offer and shows the badge page
  again with its QR code, same-device link, transaction code and expiry. The secrets are in
  that one response only (no-store), never in a URL of ours or the database.
* The protocol endpoints are anonymous by design (a wallet has no session here; the
  pre-authorized code, then the access token, is the credential), answer JSON, never read
  cookies (so no CSRF check), and are never cached: ``/.well-known/openid-credential-issuer``,
  ``/.well-known/oauth-authorization-server``, ``/public/oid4vci/token``, ``/nonce`` and
  ``/credential``.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import oid4vci, wallet
from .core import qr
from .views import _holder_award, award_detail_context

# A credential request is a few hundred bytes plus one key proof.
_MAX_REQUEST_BYTES = 64 * 1024

_REFUSALS = {
    "revoked": lambda: _("This badge was revoked: it cannot be added to a wallet."),
    "expired": lambda: _("This badge has expired: it cannot be added to a wallet."),
    "not_issued": lambda: _("This badge is not issued yet: it cannot be added to a wallet."),
}


def refusal_message(code: str) -> str:
    return _REFUSALS.get(code, _REFUSALS["not_issued"])()


# ------------------------------------------------------------------ the holder's page


@login_required
@require_POST
def wallet_offer(request: HttpRequest, public_id: UUID) -> HttpResponse:
    award = _holder_award(request, public_id)
    try:
        new = wallet.wallet_offer_create(award=award, holder=request.user)
    except wallet.OfferRefused as exc:
        messages.error(request, refusal_message(exc.code))
        return redirect("badges:detail", public_id=award.public_id)
    award.refresh_from_db()
    context = award_detail_context(request, award)
    context["wallet"] = new
    # Inline, from the response itself: the QR code holds the secret code, so it cannot be
    # another URL of ours (CSP img-src allows data:).
    context["wallet_qr"] = "data:image/svg+xml;base64," + base64.b64encode(qr.qr_svg(new.uri)).decode("ascii")
    response = render(request, "badges/detail.html", context)
    response["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ the protocol's endpoints


def _json(body: dict[str, Any], *, status: int = 200, cache: str = "no-store") -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = cache
    return response


def _error(error: oid4vci.ProtocolError) -> JsonResponse:
    response = _json(error.body(), status=error.status)
    if error.bearer:
        # RFC 6750 section 3: the description is ASCII here, without quotes.
        response["WWW-Authenticate"] = f'Bearer error="{error.code}", error_description="{error.description}"'
    return response


@require_GET
def issuer_metadata(request: HttpRequest) -> HttpResponse:
    response = _json(wallet.issuer_metadata(), cache="public, max-age=300")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def authorization_server_metadata(request: HttpRequest) -> HttpResponse:
    response = _json(wallet.authorization_server_metadata(), cache="public, max-age=300")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """The token endpoint (RFC 6749 section 4.1.3 as OpenID4VCI section 6.1 uses it): a form
    POST with the grant type, the pre-authorized code and the transaction code."""
    if request.content_type != "application/x-www-form-urlencoded":
        return _error(oid4vci.ProtocolError("invalid_request", "send application/x-www-form-urlencoded"))
    try:
        grant = wallet.wallet_token_redeem(
            grant_type=request.POST.get("grant_type"),
            pre_authorized_code=request.POST.get("pre-authorized_code"),
            tx_code=request.POST.get("tx_code"),
        )
    except oid4vci.ProtocolError as exc:
        return _error(exc)
    response = _json({"access_token": grant.access_token, "token_type": "Bearer", "expires_in": grant.expires_in})
    response["Pragma"] = "no-cache"
    return response


@csrf_exempt
@require_POST
def nonce(request: HttpRequest) -> HttpResponse:
    """The nonce endpoint (section 7): a fresh ``c_nonce`` for the key proof."""
    return _json({"c_nonce": wallet.nonce_new()})


@csrf_exempt
@require_POST
def credential(request: HttpRequest) -> HttpResponse:
    """The credential endpoint (section 8): Bearer token, JSON request with one JWT key proof;
    answers ``{"credentials": [{"credential": {...}}]}``."""
    scheme, _sep, access_token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not access_token.strip():
        return _error(
            oid4vci.ProtocolError("invalid_token", "a Bearer access token is required", status=401, bearer=True)
        )
    if len(request.body) > _MAX_REQUEST_BYTES:
        return _error(oid4vci.ProtocolError("invalid_credential_request", "the request is too large"))
    if request.content_type != "application/json":
        return _error(oid4vci.ProtocolError("invalid_credential_request", "send application/json"))
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _error(oid4vci.ProtocolError("invalid_credential_request", "the request is not JSON"))
    try:
        signed = wallet.wallet_credential_issue(access_token=access_token.strip(), request=body)
    except oid4vci.ProtocolError as exc:
        return _error(exc)
    return _json({"credentials": [{"credential": signed}]})
