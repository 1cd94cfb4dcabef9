"""The Open Badges 3.0 API's endpoints (``/ims/ob/v3p0/...``), its public page, and the staff
page 「連携中のアプリ」 (connected applications) with its disconnect confirmation.

The API endpoints read no cookies (no CSRF check, no session): the bearer token is the only
credential, and it names the one person whose data may be read. Every error is an
``Imsx_StatusInfo`` body. ``upsertCredential`` (POST /credentials) and ``putProfile`` (PUT
/profile) answer 405: the portal issues its own badges and the profile is the staff record.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import get_oauthlib_core

from hachioji_portal.organisation import organisation

from ..models import Issuer
from . import protocol, selectors, services
from .models import ObApiConnection

JSON_TYPE = "application/json"


# ------------------------------------------------------------------ helpers


def _json(body: dict[str, Any], *, status: int = 200, cache: str = "no-store") -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = cache
    return response


def _status(description: str, *, status: int, code_minor: str, code_major: str = "failure") -> JsonResponse:
    return _json(protocol.imsx_status(description, code_minor=code_minor, code_major=code_major), status=status)


def _off() -> JsonResponse:
    return _status(
        "The Open Badges API of this portal is switched off by HR. Try again later.",
        status=503,
        code_minor="server_busy",
        code_major="unsupported",
    )


def _not_allowed(allowed: str, why: str) -> JsonResponse:
    response = _status(why, status=405, code_minor="not_allowed", code_major="unsupported")
    response["Allow"] = allowed
    return response


def _authenticate(request: HttpRequest, scope: str) -> tuple[Any, Any] | JsonResponse:
    """(holder, access token) for a valid bearer token carrying ``scope``; else the 401 or 403
    answer, with ``WWW-Authenticate`` (RFC 6750)."""
    valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[scope])
    token = getattr(oauth_request, "access_token", None) if valid else None
    if token is not None and token.user is not None and token.user.is_active:
        return token.user, token
    error = getattr(oauth_request, "oauth2_error", None) or {}
    if error.get("error") == "insufficient_scope":
        response = _status(
            "The access token does not allow this: it needs the scope " + scope,
            status=403,
            code_minor="forbidden",
        )
        response["WWW-Authenticate"] = f'Bearer error="insufficient_scope", scope="{scope}"'
        return response
    response = _status(
        "A valid bearer access token is required (Authorization: Bearer ...).",
        status=401,
        code_minor="unauthorizedrequest",
    )
    has_token = request.headers.get("Authorization", "").lower().startswith("bearer ")
    response["WWW-Authenticate"] = 'Bearer error="invalid_token"' if has_token else 'Bearer realm="ob"'
    return response


def _absolute(name: str) -> str:
    return settings.PORTAL_BASE_URL + reverse(name)


# ------------------------------------------------------------------ the API


@csrf_exempt
def discovery(request: HttpRequest) -> HttpResponse:
    """``getServiceDescription``: the Service Description Document."""
    if request.method not in ("GET", "HEAD"):
        return _not_allowed("GET", "The discovery document can only be read.")
    if not selectors.api_is_on():
        return _off()
    issuer = Issuer.objects.filter(is_default=True).only("public_id").first()
    org = organisation()
    about = _absolute("obapi:about")
    document = protocol.service_description(
        base_url=settings.PORTAL_BASE_URL,
        title=f"{org.full_title_in('ja')} Open Badges API ({org.full_title_in('en')})",
        description=("Read-only Open Badges 3.0 API: a staff member's issued badges and profile, with their consent."),
        terms_url=about + "#terms",
        privacy_url=about + "#privacy",
        image_url=(
            settings.PORTAL_BASE_URL + reverse("public:issuer_image", args=[issuer.public_id]) if issuer else about
        ),
        registration_url=_absolute("obapi:register"),
        authorization_url=_absolute("obapi:authorize"),
        token_url=_absolute("obapi:token"),
        scope_descriptions={
            protocol.SCOPE_CREDENTIALS: "Permission to read the holder's issued OpenBadgeCredentials.",
            protocol.SCOPE_PROFILE: "Permission to read the holder's profile (name and email address).",
        },
    )
    return _json(document, cache="public, max-age=300")


@csrf_exempt
def credentials(request: HttpRequest) -> HttpResponse:
    """``getCredentials``: the token owner's issued badges, paged (``limit``, ``offset``,
    ``since``), with ``X-Total-Count`` and ``Link``."""
    if request.method == "POST":
        return _not_allowed(
            "GET",
            "upsertCredential is not offered: this portal issues its own badges and does not store "
            "credentials from elsewhere (staff add those to their learning portfolio themselves).",
        )
    if request.method not in ("GET", "HEAD"):
        return _not_allowed("GET", "Only GET is offered here.")
    if not selectors.api_is_on():
        return _off()
    auth = _authenticate(request, protocol.SCOPE_CREDENTIALS)
    if isinstance(auth, JsonResponse):
        return auth
    holder, token = auth
    try:
        paging = protocol.parse_paging(request.GET)
    except protocol.BadQuery as exc:
        return _status(exc.message, status=400, code_minor="invalid_query_parameter")
    awards = selectors.api_credentials_of(holder, since=paging.since)
    total = awards.count()
    documents = selectors.api_credential_documents(awards[paging.offset : paging.offset + paging.limit])
    services.obapi_connection_touch(holder=holder, application=token.application)
    response = _json({"credential": documents})
    response["X-Total-Count"] = str(total)
    response["Link"] = protocol.link_header(_absolute("obapi:credentials"), paging, total)
    return response


@csrf_exempt
def profile(request: HttpRequest) -> HttpResponse:
    """``getProfile``: the token owner's name and work email address."""
    if request.method == "PUT":
        return _not_allowed("GET", "putProfile is not offered: the profile is the city's staff record, kept by HR.")
    if request.method not in ("GET", "HEAD"):
        return _not_allowed("GET", "Only GET is offered here.")
    if not selectors.api_is_on():
        return _off()
    auth = _authenticate(request, protocol.SCOPE_PROFILE)
    if isinstance(auth, JsonResponse):
        return auth
    holder, token = auth
    services.obapi_connection_touch(holder=holder, application=token.application)
    return _json(selectors.api_profile_of(holder, token.application.client_id))


# ------------------------------------------------------------------ pages


def about(request: HttpRequest) -> HttpResponse:
    """The API's public page: what it is, what applications can read, terms and privacy (the
    discovery document's ``termsOfService`` and ``x-imssf-privacyPolicyUrl``)."""
    return render(
        request,
        "badges/obapi/about.html",
        {"api_on": selectors.api_is_on(), "discovery_url": _absolute("obapi:discovery")},
    )


@login_required
def connected_apps(request: HttpRequest) -> HttpResponse:
    """「連携中のアプリ」: the applications the staff member connected, and since when."""
    connections = list(selectors.connections_of(request.user))
    for connection in connections:
        connection.explained = _explained(connection.scopes)
    response = render(
        request,
        "badges/obapi/connected_apps.html",
        {"connections": connections, "api_on": selectors.api_is_on()},
    )
    response["Cache-Control"] = "no-store"
    return response


def _explained(scopes: list[str]) -> list[dict[str, str]]:
    from .oauth import scope_explanations

    return scope_explanations(scopes)


def _own_connection(request: HttpRequest, public_id: UUID) -> ObApiConnection:
    connection = (
        ObApiConnection.objects.filter(public_id=public_id, holder=request.user, disconnected_at__isnull=True)
        .select_related("application", "application__obapi_client")
        .first()
    )
    if connection is None:
        raise Http404
    return connection


@login_required
def disconnect(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """GET: the question; POST: disconnect (every token of the application for this person is
    deleted at once)."""
    connection = _own_connection(request, public_id)
    if request.method == "POST":
        services.obapi_connection_disconnect(connection=connection)
        messages.success(
            request,
            _("%(name)s is disconnected. It can no longer read your badges.") % {"name": connection.application.name},
        )
        return redirect("obapi:connected_apps")
    connection.explained = _explained(connection.scopes)
    return render(request, "badges/obapi/disconnect.html", {"connection": connection})
