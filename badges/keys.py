"""The issuer's identity (did:web or did:key) and its signing keys.

The private key is read from the file named by ``BADGE_SIGNING_KEY_FILE`` (optionally an
encrypted PKCS#8 PEM with ``BADGE_SIGNING_KEY_PASSPHRASE``); only workers need it. Its public
half is registered as a ``SigningKey`` row, which is never deleted, so badges signed with a
retired key stay verifiable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from hachioji_portal.organisation import organisation

from .core import signing
from .models import Issuer, SigningKey


class SigningKeyMissing(RuntimeError):
    """No usable private key: a configuration problem that retrying will not heal."""


@lru_cache(maxsize=4)
def _read_private_key(path: str, passphrase: str, mtime: float) -> Ed25519PrivateKey:
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise SigningKeyMissing(f"cannot read the signing key file {path}: {exc.strerror}") from exc
    try:
        return signing.load_private_key_pem(pem, passphrase.encode() if passphrase else None)
    except (ValueError, signing.KeyFormatError) as exc:
        raise SigningKeyMissing(f"the signing key file {path} is not a usable Ed25519 key") from exc


def _key_file() -> tuple[str, str, float]:
    """The key file's path, its passphrase and its modification time (which changes when the
    file is rotated: the key is then read again, without a restart)."""
    path = settings.BADGE_SIGNING_KEY_FILE
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise SigningKeyMissing(
            f"no signing key at {path}: run `manage.py badges_keygen` or set BADGE_SIGNING_KEY_FILE"
        ) from exc
    return path, settings.BADGE_SIGNING_KEY_PASSPHRASE, mtime


def private_key() -> Ed25519PrivateKey:
    return _read_private_key(*_key_file())


def default_issuer() -> Issuer:
    """The default issuer; the first time, made from the organisation's issuer profile (settings
    ``PORTAL_ORGANISATION_NAME``, ``PORTAL_ISSUER_*``). After that HR edits it in the admin."""
    issuer = Issuer.objects.filter(is_default=True).first()
    if issuer is None:
        org = organisation()
        issuer, created = Issuer.objects.get_or_create(
            is_default=True,
            defaults={
                "name": org.name,
                "name_en": org.name_en,
                "url": org.issuer_url,
                "email": org.issuer_email,
                "description": org.issuer_description,
                "description_en": org.issuer_description_en,
            },
        )
        image = Path(org.issuer_image_file) if org.issuer_image_file else None
        if created and image is not None and image.is_file():
            with image.open("rb") as handle:
                issuer.image.save(image.name, File(handle), save=True)
    return issuer


def did_web_domain() -> str:
    """The did:web domain: the configured one, percent-encoding a port as did:web requires."""
    domain = settings.BADGE_DID_WEB_DOMAIN
    if not domain:
        return ""
    return quote(domain, safe=".-")


def issuer_did(issuer: Issuer, key: SigningKey | None = None) -> str:
    """did:web for the default issuer when a public domain is configured; did:key otherwise."""
    if issuer.is_default and did_web_domain():
        return f"did:web:{did_web_domain()}"
    key = key or active_key(issuer)
    return f"did:key:{key.public_key_multibase}"


def verification_method(issuer: Issuer, key: SigningKey) -> str:
    if issuer.is_default and did_web_domain():
        return f"did:web:{did_web_domain()}#{key.public_key_multibase}"
    return f"did:key:{key.public_key_multibase}#{key.public_key_multibase}"


def active_key_id_of(issuer_ref: str) -> Subquery:
    """The id of the issuer named by ``issuer_ref`` (an outer column, e.g. ``"issuer_id"``)'s
    active key, as an expression: a query that reads rows with an issuer can read its active key
    with them (``awards_ensure_issued``, for ``signer_for(active_key_id=…)``)."""
    active = SigningKey.objects.filter(issuer_id=OuterRef(issuer_ref), is_active=True)
    return Subquery(active.order_by().values("pk")[:1])


def active_key(issuer: Issuer) -> SigningKey:
    key = SigningKey.objects.filter(issuer=issuer, is_active=True).first()
    if key is None:
        raise SigningKeyMissing(f"issuer {issuer} has no active signing key: run `manage.py badges_keygen`")
    return key


@dataclass(frozen=True)
class Signer:
    issuer: Issuer
    key: SigningKey
    private_key: Ed25519PrivateKey

    @property
    def did(self) -> str:
        return issuer_did(self.issuer, self.key)

    @property
    def verification_method(self) -> str:
        return verification_method(self.issuer, self.key)


@transaction.atomic
def signing_key_register(*, issuer: Issuer, public_key: Ed25519PublicKey) -> SigningKey:
    """Make ``public_key`` the issuer's active key; the previous one is retired, never deleted."""
    multibase = signing.public_key_to_multibase(public_key)
    Issuer.objects.select_for_update().get(pk=issuer.pk)
    key, _ = SigningKey.objects.get_or_create(
        issuer=issuer, public_key_multibase=multibase, defaults={"is_active": False}
    )
    if not key.is_active:
        SigningKey.objects.filter(issuer=issuer, is_active=True).update(is_active=False, retired_at=timezone.now())
        key.is_active = True
        key.retired_at = None
        key.save(update_fields=["is_active", "retired_at"])
        from .publisher import KEYS_TARGET, publication_request

        # did.json lists the new key; status lists and achievements are signed or named by it.
        publication_request([KEYS_TARGET])
    return key


#: Signers made in this process, by (issuer, its active key, key file, passphrase, file mtime).
_SIGNERS: dict[tuple[int, int, str, str, float], Signer] = {}


def signer_for(issuer: Issuer, *, active_key_id: int | None = None) -> Signer:
    """The worker's signer: the private key from the file, matched to the issuer's active key.

    A key file that does not match the active public key is refused (it would produce badges
    nobody can verify); rotation is `badges_keygen --rotate`, which registers the new key.

    ``active_key_id``: the issuer's active key as the caller has just read it (the batch's lock
    query reads it with ``active_key_id_of``). A signer made earlier in this process for that key
    and the same key file is then reused: no query, no key check. A rotation changes both (a
    new active key row, a new file), so a cached signer is never used after it; a key retired
    without a rotation is no longer the active key the caller reads, so it misses too.
    """
    path, passphrase, mtime = _key_file()
    if active_key_id is not None:
        cached = _SIGNERS.get((issuer.pk, active_key_id, path, passphrase, mtime))
        if cached is not None:
            return replace(cached, issuer=issuer)
    private = _read_private_key(path, passphrase, mtime)
    key = active_key(issuer)
    if signing.public_key_to_multibase(private.public_key()) != key.public_key_multibase:
        raise SigningKeyMissing("the signing key file does not match the issuer's active key")
    signer = Signer(issuer=issuer, key=key, private_key=private)
    if len(_SIGNERS) >= 32:  # rotations and issuers are few; never let it grow
        _SIGNERS.clear()
    _SIGNERS[(issuer.pk, key.pk, path, passphrase, mtime)] = signer
    return signer


def public_origin_host() -> str:
    return urlsplit(settings.PORTAL_BASE_URL).netloc
