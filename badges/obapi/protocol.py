"""The Open Badges 3.0 API's wire formats, pure (no ORM, no requests): paging parameters, the
``Link`` header, ``Imsx_StatusInfo`` error bodies and the Service Description Document.

1EdTech Open Badges 3.0, section 6 ("Open Badges API") and its OpenAPI document (an excerpt is
kept in badges/obapi/openapi/, see SOURCES.md there).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

SCOPE_CREDENTIALS = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly"
SCOPE_PROFILE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly"
# The only scopes offered: read-only. The spec's credential.upsert and profile.update are not
# (the portal issues its own badges, and the profile is the city's staff record).
OFFERED_SCOPES = (SCOPE_CREDENTIALS, SCOPE_PROFILE)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
API_PREFIX = "/ims/ob/v3p0"

# Imsx_StatusInfo vocabularies (components.schemas.Imsx_StatusInfo / Imsx_CodeMinorField).
CODE_MINOR_FIELD_NAME = "TargetEndSystem"
CODE_MINORS = frozenset(
    {
        "forbidden",
        "fullsuccess",
        "internal_server_error",
        "invalid_data",
        "invalid_query_parameter",
        "misdirected_request",
        "not_acceptable",
        "not_allowed",
        "not_found",
        "not_modified",
        "server_busy",
        "unauthorizedrequest",
        "unknown",
    }
)


class BadQuery(ValueError):
    """A query parameter the API cannot use (400, ``invalid_query_parameter``)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int
    since: dt.datetime | None
    since_text: str  # as the client sent it, repeated in the Link header


def imsx_status(
    description: str, *, code_minor: str, code_major: str = "failure", severity: str = "error"
) -> dict[str, Any]:
    """An ``Imsx_StatusInfo`` body: what every error of the API answers with."""
    if code_minor not in CODE_MINORS:
        raise ValueError(f"not an imsx_codeMinorFieldValue: {code_minor!r}")
    return {
        "imsx_codeMajor": code_major,
        "imsx_severity": severity,
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": CODE_MINOR_FIELD_NAME, "imsx_codeMinorFieldValue": code_minor}
            ]
        },
    }


def _int_param(params: Any, name: str, default: int, minimum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if len(raw) > 10 or not raw.isascii() or not raw.isdigit():
        raise BadQuery(name, f"{name} must be a whole number of at least {minimum}.")
    value = int(raw)
    if value < minimum:
        raise BadQuery(name, f"{name} must be a whole number of at least {minimum}.")
    return value


def parse_since(raw: str) -> dt.datetime:
    """``since``: an ISO 8601 date-time. The spec's own example has no time zone
    (``YYYY-MM-DDThh:mm:ss``): such a value is read as UTC."""
    if len(raw) > 40:
        raise BadQuery("since", "since must be a date and time such as 2026-04-01T00:00:00Z.")
    text = raw.strip()
    # A "+09:00" sent unencoded in a query string arrives as " 09:00".
    text = re.sub(r"^(\S+) (\d{2}:?\d{2})$", r"\1+\2", text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadQuery("since", "since must be a date and time such as 2026-04-01T00:00:00Z.") from None
    if "T" not in text.upper():
        raise BadQuery("since", "since must be a date and time such as 2026-04-01T00:00:00Z.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def parse_paging(params: Any) -> Paging:
    """``limit`` (1 or more; above MAX_LIMIT is read as MAX_LIMIT), ``offset`` (0 or more,
    zero-based), ``since`` (credentials issued after it)."""
    limit = min(_int_param(params, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = _int_param(params, "offset", 0, 0)
    since_text = params.get("since") or ""
    since = parse_since(since_text) if since_text else None
    return Paging(limit=limit, offset=offset, since=since, since_text=since_text)


def link_header(url: str, paging: Paging, total: int) -> str:
    """The ``Link`` header (RFC 8288) with ``first``, ``last``, and ``prev``/``next`` where
    there is such a page; ``since`` is kept in every link."""

    def target(offset: int) -> str:
        query: dict[str, Any] = {"limit": paging.limit, "offset": offset}
        if paging.since_text:
            query["since"] = paging.since_text
        return f"<{url}?{urlencode(query)}>"

    last_offset = max(0, ((total - 1) // paging.limit) * paging.limit) if total else 0
    links = []
    if paging.offset + paging.limit < total:
        links.append(f'{target(paging.offset + paging.limit)}; rel="next"')
    links.append(f'{target(last_offset)}; rel="last"')
    links.append(f'{target(0)}; rel="first"')
    if paging.offset > 0:
        links.append(f'{target(max(0, paging.offset - paging.limit))}; rel="prev"')
    return ", ".join(links)


def service_description(
    *,
    base_url: str,
    title: str,
    description: str,
    terms_url: str,
    privacy_url: str,
    image_url: str,
    registration_url: str,
    authorization_url: str,
    token_url: str,
    scope_descriptions: dict[str, str],
) -> dict[str, Any]:
    """The Service Description Document (``getServiceDescription``): a profile of 1EdTech's
    OpenAPI document with this server's URLs, the operations it offers and its OAuth 2.0
    security scheme (``x-imssf-registrationUrl`` for dynamic client registration)."""
    error = {"$ref": "#/components/schemas/Imsx_StatusInfo"}

    def responses(ok: str) -> dict[str, Any]:
        return {
            "200": {"description": ok},
            "default": {
                "description": "The request was invalid or cannot be served.",
                "content": {"application/json": {"schema": error}},
            },
        }

    return {
        "openapi": "3.0.1",
        "info": {
            "title": title,
            "description": description,
            "version": "3.0",
            "termsOfService": terms_url,
            "x-imssf-privacyPolicyUrl": privacy_url,
            "x-imssf-image": image_url,
        },
        "servers": [{"url": f"{base_url}{API_PREFIX}"}],
        "paths": {
            "/credentials": {
                "get": {
                    "operationId": "getCredentials",
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                        {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                    ],
                    "responses": responses("The holder's issued OpenBadgeCredentials."),
                    "security": [{"OAuth2ACG": [SCOPE_CREDENTIALS]}],
                }
            },
            "/profile": {
                "get": {
                    "operationId": "getProfile",
                    "responses": responses("The holder's profile."),
                    "security": [{"OAuth2ACG": [SCOPE_PROFILE]}],
                }
            },
            "/discovery": {
                "get": {
                    "operationId": "getServiceDescription",
                    "responses": responses("This document."),
                }
            },
        },
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 authorization code grant with PKCE (S256)",
                    "x-imssf-registrationUrl": registration_url,
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": authorization_url,
                            "tokenUrl": token_url,
                            "refreshUrl": token_url,
                            "scopes": scope_descriptions,
                        }
                    },
                }
            },
            "schemas": {
                "Imsx_StatusInfo": {
                    "type": "object",
                    "required": ["imsx_codeMajor", "imsx_severity"],
                }
            },
        },
    }
