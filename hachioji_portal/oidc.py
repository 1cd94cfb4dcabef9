"""City single sign-on: what settings.py accepts as the OpenID Provider, and its origin.

Pure: no Django setup needed, so settings.py can call it while it loads.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

# Microsoft Entra ID's shared endpoints: ``common`` and ``organizations`` admit any organisation's
# accounts, ``consumers`` (and its fixed tenant id) personal Microsoft accounts. Their tokens name
# whichever tenant signed the person in, so the issuer cannot be checked against the city's.
SHARED_TENANTS = frozenset({"common", "organizations", "consumers", "9188040d-6c67-4c5b-b112-36a304b66dad"})


def oidc_server_url_check(url: str, *, debug: bool) -> str:
    """Return ``url`` (stripped) if the portal may trust it as the city's provider, else raise
    ImproperlyConfigured.

    1. http or https with a host; https only when ``debug`` is off (tokens and codes travel on it).
    2. No path segment names a shared tenant, whatever its case, slashes or %-encoding
       (``…/common``, ``…/COMMON/v2.0`` and ``…/consumers/v2.0`` are all refused).
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"OIDC_SERVER_URL must be an https:// URL, not {url!r}")
    if scheme != "https" and not debug:
        raise ImproperlyConfigured(f"OIDC_SERVER_URL must use https:// when DEBUG=0, not {url!r}")
    segments = {unquote(segment).strip().lower() for segment in parts.path.split("/")}
    if segments & SHARED_TENANTS:
        raise ImproperlyConfigured(
            "OIDC_SERVER_URL must name the city's own tenant, not common/organizations/consumers "
            f"(their issuer cannot be checked): {url!r}"
        )
    return url


def url_origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, as a Content-Security-Policy source."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}"
