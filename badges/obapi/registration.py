"""Dynamic client registration (RFC 7591), as the Open Badges 3.0 API requires of a resource
server (the discovery document names this endpoint as ``x-imssf-registrationUrl``).

django-oauth-toolkit ships an RFC 7591 view, but it accepts any grant type (client credentials,
password), knows no ``client_uri`` or ``scope`` and reads bodies of any size; the OB 3.0 API
needs a client's home page (the consent page shows it), read-only scopes only, and bounded
input. So this small endpoint validates the metadata itself and creates the toolkit's
Application (services.obapi_client_register). Registration is open, as in the OB 3.0 spec: the
consent page tells the holder that the city has not checked the application.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.settings import oauth2_settings

from ..public.views_verify import rate_limited
from . import protocol, selectors, services

MAX_BODY_BYTES = 16 * 1024
MAX_REDIRECT_URIS = 5
MAX_URI_LENGTH = 500
MAX_NAME_LENGTH = 100
MAX_CONTACTS = 5
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
AUTH_METHODS = {"client_secret_basic", "client_secret_post", "none"}


class MetadataError(ValueError):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _json(body: dict[str, Any], status: int) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _error(error: str, description: str, status: int = 400) -> JsonResponse:
    return _json({"error": error, "error_description": description}, status)


def _text(data: dict[str, Any], name: str, *, required: bool = False, max_length: int = 200) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise MetadataError("invalid_client_metadata", f"{name} is required.")
        return ""
    if not isinstance(value, str) or len(value) > max_length or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise MetadataError("invalid_client_metadata", f"{name} must be text of at most {max_length} characters.")
    return value.strip()


def _web_uri(data: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = _text(data, name, required=required, max_length=MAX_URI_LENGTH)
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password or parts.fragment:
        raise MetadataError("invalid_client_metadata", f"{name} must be an https URL without a fragment.")
    return value


def redirect_uri_problem(uri: Any) -> str:
    """Why ``uri`` cannot be a redirect URI ("" if it can): https (or, where http is allowed
    at all, http on the loopback interface for native apps, RFC 8252); absolute, no fragment,
    no user info, no wildcard."""
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI_LENGTH:
        return f"each redirect URI must be text of at most {MAX_URI_LENGTH} characters"
    if any(c.isspace() or ord(c) < 32 for c in uri) or "*" in uri:
        return f"{uri!r}: no spaces, control characters or wildcards"
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return f"{uri!r} is not a URL"
    del port
    if not parts.hostname or parts.username or parts.password:
        return f"{uri!r} must be an absolute URL with a host and no user name"
    if parts.fragment or "#" in uri:
        return f"{uri!r} must not have a fragment"
    if parts.scheme == "https":
        return ""
    if (
        parts.scheme == "http"
        and parts.hostname in LOOPBACK_HOSTS
        and "http" in oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES
    ):
        # RFC 8252's loopback redirect for native apps: only where the toolkit allows http at
        # all (DEBUG; production allows https only, OAUTH2_PROVIDER in settings.py).
        return ""
    return f"{uri!r} must use https"


def parse_metadata(data: Any) -> dict[str, Any]:
    """The client metadata of a registration request, checked; raises MetadataError."""
    if not isinstance(data, dict):
        raise MetadataError("invalid_client_metadata", "The body must be a JSON object.")
    redirect_uris = data.get("redirect_uris")
    if not isinstance(redirect_uris, list) or not redirect_uris:
        raise MetadataError("invalid_redirect_uri", "redirect_uris must be a list of one or more URLs.")
    if len(redirect_uris) > MAX_REDIRECT_URIS:
        raise MetadataError("invalid_redirect_uri", f"At most {MAX_REDIRECT_URIS} redirect URIs.")
    for uri in redirect_uris:
        problem = redirect_uri_problem(uri)
        if problem:
            raise MetadataError("invalid_redirect_uri", problem)

    grant_types = data.get("grant_types", ["authorization_code"])
    if (
        not isinstance(grant_types, list)
        or "authorization_code" not in grant_types
        or not set(grant_types) <= {"authorization_code", "refresh_token"}
    ):
        raise MetadataError(
            "invalid_client_metadata", "grant_types must be authorization_code (and refresh_token) only."
        )
    response_types = data.get("response_types", ["code"])
    if response_types != ["code"]:
        raise MetadataError("invalid_client_metadata", 'response_types must be ["code"].')
    auth_method = data.get("token_endpoint_auth_method", "client_secret_basic")
    if auth_method not in AUTH_METHODS:
        raise MetadataError(
            "invalid_client_metadata",
            "token_endpoint_auth_method must be client_secret_basic, client_secret_post or none.",
        )

    scope_text = data.get("scope")
    if scope_text is None:
        scopes = list(protocol.OFFERED_SCOPES)
    else:
        if not isinstance(scope_text, str) or len(scope_text) > 1000:
            raise MetadataError("invalid_client_metadata", "scope must be a space-separated list.")
        # RFC 7591 lets the server grant fewer scopes than asked for; this one offers only
        # the read-only two, and says which it granted in the answer.
        scopes = [s for s in protocol.OFFERED_SCOPES if s in scope_text.split()]
        if not scopes:
            raise MetadataError(
                "invalid_client_metadata",
                "None of the requested scopes is offered. This server offers only: "
                + " ".join(protocol.OFFERED_SCOPES),
            )

    contacts = data.get("contacts", [])
    if (
        not isinstance(contacts, list)
        or len(contacts) > MAX_CONTACTS
        or not all(isinstance(c, str) and 0 < len(c) <= 200 for c in contacts)
    ):
        raise MetadataError("invalid_client_metadata", f"contacts must be a list of at most {MAX_CONTACTS} addresses.")

    return {
        "name": _text(data, "client_name", required=True, max_length=MAX_NAME_LENGTH),
        "client_uri": _web_uri(data, "client_uri", required=True),
        "policy_uri": _web_uri(data, "policy_uri"),
        "tos_uri": _web_uri(data, "tos_uri"),
        "redirect_uris": list(redirect_uris),
        "scopes": scopes,
        "confidential": auth_method != "none",
        "auth_method": auth_method,
        "contacts": list(contacts),
        "software_id": _text(data, "software_id"),
        "software_version": _text(data, "software_version", max_length=100),
    }


@csrf_exempt
@require_POST
def register(request: HttpRequest) -> JsonResponse:
    """POST a JSON client metadata document → 201 with ``client_id`` (and ``client_secret``)."""
    if not selectors.api_is_on():
        return _error("temporarily_unavailable", "The Open Badges API of this portal is switched off by HR.", 503)
    if rate_limited(request, scope="obapi-register"):
        return _error("slow_down", "Too many registrations from this address; try again in a minute.", 429)
    if request.content_type != "application/json":
        return _error("invalid_client_metadata", "Send the client metadata as application/json.")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return _error("invalid_client_metadata", f"The body must be at most {MAX_BODY_BYTES} bytes.", 413)
    try:
        data = json.loads(request.body.decode("utf-8"))
        metadata = parse_metadata(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _error("invalid_client_metadata", "The body must be a JSON object.")
    except MetadataError as exc:
        return _error(exc.error, exc.description)

    try:
        application, secret = services.obapi_client_register(
            name=metadata["name"],
            client_uri=metadata["client_uri"],
            redirect_uris=metadata["redirect_uris"],
            scopes=metadata["scopes"],
            confidential=metadata["confidential"],
            policy_uri=metadata["policy_uri"],
            tos_uri=metadata["tos_uri"],
            contacts=metadata["contacts"],
            software_id=metadata["software_id"],
            software_version=metadata["software_version"],
        )
    except ValidationError as exc:  # the toolkit's own checks (redirect URIs), after ours
        field_errors = getattr(exc, "message_dict", {})
        error = "invalid_redirect_uri" if "redirect_uris" in field_errors else "invalid_client_metadata"
        return _error(error, "; ".join(exc.messages))
    body: dict[str, Any] = {
        "client_id": application.client_id,
        "client_id_issued_at": int(time.time()),
        "client_name": metadata["name"],
        "client_uri": metadata["client_uri"],
        "redirect_uris": metadata["redirect_uris"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": metadata["auth_method"],
        "scope": " ".join(metadata["scopes"]),
    }
    if secret:
        body["client_secret"] = secret
        body["client_secret_expires_at"] = 0
    for name in ("policy_uri", "tos_uri", "software_id", "software_version"):
        if metadata[name]:
            body[name] = metadata[name]
    if metadata["contacts"]:
        body["contacts"] = metadata["contacts"]
    return _json(body, 201)
