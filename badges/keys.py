"""The issuer's identity (did:web or did:key) and its signing keys.

The private key is read from the file named by ``BADGE_SIGNING_KEY_FILE`` (optionally an
encrypted PKCS#8 PEM with ``BADGE_SIGNING_KEY_PASSPHRASE``); only workers need it. Its public
half is registered as a ``SigningKey`` row, which is never deleted, so badges signed with a
retired key stay verifiable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.files import File
from django.db import transaction
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


def private_key() -> Ed25519PrivateKey:
    path = settings.BADGE_SIGNING_KEY_FILE
    try:
        mtime = os.stat(path).st_mtime  # a rotated file is picked up without a restart
    except OSError as exc:
        raise SigningKeyMissing(
            f"no signing key at {path}: run `manage.py badges_keygen` or set BADGE_SIGNING_KEY_FILE"
        ) from exc
    return _read_private_key(path, settings.BADGE_SIGNING_KEY_PASSPHRASE, mtime)


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


def signer_for(issuer: Issuer) -> Signer:
    """The worker's signer: the private key from the file, matched to the issuer's active key.

    A key file that does not match the active public key is refused (it would produce badges
    nobody can verify); rotation is `badges_keygen --rotate`, which registers the new key.
    """
    private = private_key()
    key = active_key(issuer)
    if signing.public_key_to_multibase(private.public_key()) != key.public_key_multibase:
        raise SigningKeyMissing("the signing key file does not match the issuer's active key")
    return Signer(issuer=issuer, key=key, private_key=private)


def public_origin_host() -> str:
    return urlsplit(settings.PORTAL_BASE_URL).netloc
