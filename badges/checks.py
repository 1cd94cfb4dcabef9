"""System checks for the badge issuer's configuration (``manage.py check``, ``check --deploy``).

* ``BADGE_DID_WEB_DOMAIN`` must be a host or ``host:port``: anything else (a scheme, a path, a
  port already percent-encoded) gives a did:web that no outside verifier can resolve, so every
  badge issued with it would be unverifiable by outsiders. Always an error.
* The signing key file (``check --deploy`` only): a warning when it is an unencrypted PEM or
  readable by the group or others. Whoever reads it can sign badges in the city's name.
"""

from __future__ import annotations

import os
import re
import stat
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core import checks

# One DNS label: letters, digits and inner hyphens (did:web names a TLS host; no IDN here:
# punycode it). A port, if any, is plain decimal: did:web encodes the colon itself (%3A).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_PORT = re.compile(rf"(?P<host>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>[0-9]{{1,5}}))?")


def did_web_domain_problem(value: str) -> str | None:
    """Why ``value`` is not a usable ``BADGE_DID_WEB_DOMAIN`` (None: it is, or it is empty)."""
    if not value:
        return None
    match = _HOST_PORT.fullmatch(value)
    if match is None:
        return f"BADGE_DID_WEB_DOMAIN must be a host name or host:port, not {value!r}"
    if len(match["host"]) > 253:
        return "BADGE_DID_WEB_DOMAIN is longer than a host name can be"
    if match["port"] is not None and not 0 < int(match["port"]) < 65536:
        return f"BADGE_DID_WEB_DOMAIN has a port out of range: {value!r}"
    return None


@checks.register("badges")
def did_web_domain_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problem = did_web_domain_problem(settings.BADGE_DID_WEB_DOMAIN)
    if problem is None:
        return []
    return [
        checks.Error(
            problem,
            hint=(
                "Give the public host of the portal only, e.g. badges.city.example.lg.jp or "
                "badges.example.jp:8443 (no https://, no path, the port not percent-encoded): "
                "badges name their issuer did:web:<this value>, and verifiers fetch "
                "https://<this value>/.well-known/did.json."
            ),
            id="badges.E001",
        )
    ]


def _pem_is_encrypted(pem: bytes) -> bool | None:
    """True/False for a private key PEM with/without encryption; None if it is no key at all."""
    try:
        serialization.load_pem_private_key(pem, password=None)
    except TypeError:  # "Password was not given but private key is encrypted"
        return True
    except ValueError:
        return None
    return False


@checks.register(checks.Tags.security, deploy=True)
def signing_key_file_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    path = settings.BADGE_SIGNING_KEY_FILE
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return []  # no key here (e.g. a web-only host); the health check reports a missing key
    found: list[checks.CheckMessage] = []
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        found.append(
            checks.Warning(
                f"The badge signing key file {path} is readable by its group or others "
                f"(mode {stat.S_IMODE(mode):04o}).",
                hint="Make it readable by the portal's user only: chmod 0400 (or 0600).",
                id="badges.W001",
            )
        )
    try:
        with open(path, "rb") as handle:
            encrypted = _pem_is_encrypted(handle.read(64 * 1024))
    except OSError:
        encrypted = None  # unreadable by whoever runs the check: nothing to say about it
    if encrypted is False:
        found.append(
            checks.Warning(
                f"The badge signing key file {path} is not encrypted.",
                hint=(
                    "Store it as an encrypted PKCS#8 PEM with BADGE_SIGNING_KEY_PASSPHRASE (or "
                    "_FILE) from a separate secret, outside the application directory "
                    "(docs/operations.md, 'Secrets and key rotation'); `manage.py badges_keygen` "
                    "writes it encrypted when the passphrase is set."
                ),
                id="badges.W002",
            )
        )
    return found
