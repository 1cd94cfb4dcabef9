"""Ed25519 key handling for badge signing: pure functions, no Django.

What lives here and why:

* Keys are ``cryptography`` Ed25519 objects.  Private keys are stored as PKCS#8 PEM,
  normally encrypted with a passphrase (docs/operations.md: the key file and its
  passphrase are separate secrets); only the Celery workers ever load them.
* Open Badges 3.0 / Data Integrity name keys as *Multikey* strings: multibase
  base58btc (``z`` prefix) of the multicodec header ``0xed 0x01`` followed by the
  32 raw public-key bytes, which always starts ``z6Mk``.  ``did:key`` is that same
  string behind ``did:key:``; its verification method is ``did:key:X#X``.
* JWK (RFC 8037 ``OKP``/``Ed25519``) with an RFC 7638 thumbprint as ``kid`` is
  offered for publishing keys (JWKS) and for a later VC-JWT path.

base58btc is implemented here (a dozen lines) rather than pulling a dependency for
it; it is tested against fixed vectors from the base58 draft and the W3C
vc-di-eddsa key pair.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "ED25519_PRIV_MULTICODEC",
    "ED25519_PUB_MULTICODEC",
    "KeyFormatError",
    "b58decode",
    "b58encode",
    "b64url_decode",
    "b64url_encode",
    "did_key_for",
    "did_key_verification_method",
    "generate_private_key",
    "jwk_thumbprint",
    "load_private_key_pem",
    "load_public_key_pem",
    "private_key_from_multibase",
    "private_key_from_seed",
    "private_key_to_multibase",
    "private_key_to_pem",
    "public_key_from_did_key",
    "public_key_from_jwk",
    "public_key_from_multibase",
    "public_key_to_jwk",
    "public_key_to_multibase",
    "public_key_to_pem",
    "raw_public_bytes",
    "sign",
    "verify",
]

# Multicodec varint prefixes (https://github.com/multiformats/multicodec table):
# 0xed = ed25519-pub -> varint bytes ed 01; 0x1300 = ed25519-priv -> 80 26.
ED25519_PUB_MULTICODEC = b"\xed\x01"
ED25519_PRIV_MULTICODEC = b"\x80\x26"

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
# Untrusted strings reach b58decode (proofValue, did:key ids).  Base58 decoding is
# quadratic in Python's big-int arithmetic only for huge inputs, but there is no
# reason to accept more than a few hundred characters for keys and signatures.
_B58_MAX_LEN = 512


class KeyFormatError(ValueError):
    """A key, multibase string, DID or JWK could not be parsed."""


# --------------------------------------------------------------------------- base58


def b58encode(data: bytes) -> str:
    """Bitcoin-alphabet base58 (what multibase calls ``base58btc``)."""
    # Leading zero bytes are not representable in the integer and are encoded
    # as one '1' each -- the rule every base58btc implementation shares.
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out: list[str] = []
    while n:
        n, rem = divmod(n, 58)
        out.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Inverse of :func:`b58encode`; raises :class:`KeyFormatError` on bad input."""
    if len(text) > _B58_MAX_LEN:
        raise KeyFormatError("base58 string too long")
    n = 0
    for ch in text:
        try:
            n = n * 58 + _B58_INDEX[ch]
        except KeyError:
            raise KeyFormatError("invalid base58 character") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (JOSE, multibase 'u')."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url strictly (no stray characters)."""
    if not isinstance(text, str):
        raise KeyFormatError("base64url value must be a string")
    try:
        raw = text.encode("ascii")
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (UnicodeEncodeError, ValueError) as exc:  # binascii.Error is a ValueError
        raise KeyFormatError("invalid base64url") from exc


# --------------------------------------------------------------------- key objects


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """Deterministic key from a 32-byte seed (tests, fixed vectors)."""
    if len(seed) != 32:
        raise KeyFormatError("Ed25519 seed must be 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key_to_pem(key: Ed25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM; encrypted with the best available scheme when a passphrase is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def load_private_key_pem(pem: bytes, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key; refuse other key types rather than mis-sign."""
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        # cryptography raises TypeError for "password given but key not
        # encrypted" (and the reverse) and ValueError for bad data / passphrase.
        raise KeyFormatError(f"cannot load private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError("private key is not Ed25519")
    return key


def public_key_to_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key_pem(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise KeyFormatError(f"cannot load public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFormatError("public key is not Ed25519")
    return key


def raw_public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _raw_private_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


# ------------------------------------------------------------- multikey / did:key


def public_key_to_multibase(key: Ed25519PublicKey) -> str:
    """Multikey ``publicKeyMultibase``: ``z`` + base58btc(0xed01 || raw key) -> ``z6Mk...``."""
    return "z" + b58encode(ED25519_PUB_MULTICODEC + raw_public_bytes(key))


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError("expected a base58btc multibase string ('z' prefix)")
    raw = b58decode(value[1:])
    if len(raw) != 34 or not raw.startswith(ED25519_PUB_MULTICODEC):
        raise KeyFormatError("not an Ed25519 multikey (0xed01 + 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def private_key_to_multibase(key: Ed25519PrivateKey) -> str:
    """Multikey ``secretKeyMultibase`` (0x1300 header); used by the W3C test vectors."""
    return "z" + b58encode(ED25519_PRIV_MULTICODEC + _raw_private_bytes(key))


def private_key_from_multibase(value: str) -> Ed25519PrivateKey:
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError("expected a base58btc multibase string ('z' prefix)")
    raw = b58decode(value[1:])
    if len(raw) != 34 or not raw.startswith(ED25519_PRIV_MULTICODEC):
        raise KeyFormatError("not an Ed25519 secret multikey (0x1300 + 32 bytes)")
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


def did_key_for(key: Ed25519PublicKey) -> str:
    """``did:key:z6Mk...`` -- the DID *is* the key, so it resolves offline."""
    return "did:key:" + public_key_to_multibase(key)


def did_key_verification_method(key: Ed25519PublicKey) -> str:
    """``did:key:z6Mk...#z6Mk...`` (the did:key method's single verification method)."""
    mb = public_key_to_multibase(key)
    return f"did:key:{mb}#{mb}"


def public_key_from_did_key(did_or_vm: str) -> Ed25519PublicKey:
    """Resolve a did:key DID or verification-method URL to its key, offline.

    A fragment, when present, must equal the method-specific id: the did:key
    method defines exactly one verification method per DID, so ``did:key:A#B``
    with ``A != B`` is not a reference to this key and is refused.
    """
    if not isinstance(did_or_vm, str) or not did_or_vm.startswith("did:key:"):
        raise KeyFormatError("not a did:key identifier")
    did, sep, fragment = did_or_vm.partition("#")
    mb = did[len("did:key:") :]
    if sep and fragment != mb:
        raise KeyFormatError("did:key fragment does not match the key")
    return public_key_from_multibase(mb)


# ----------------------------------------------------------------- sign / verify


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """64-byte deterministic Ed25519 signature (RFC 8032, pure Ed25519)."""
    return key.sign(data)


def verify(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """True if valid; never raises for a bad signature (callers branch on it)."""
    if len(signature) != 64:
        return False
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


# --------------------------------------------------------------------------- JWK


def public_key_to_jwk(key: Ed25519PublicKey, *, with_kid: bool = True) -> dict[str, str]:
    """RFC 8037 OKP JWK; ``kid`` = RFC 7638 thumbprint so it is stable per key."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw_public_bytes(key))}
    if with_kid:
        jwk["kid"] = jwk_thumbprint(jwk)
    return jwk


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url.

    Only the required members, lexicographically ordered, no whitespace -- for OKP
    those are ``crv``, ``kty``, ``x`` (RFC 8037 section 2).
    """
    if jwk.get("kty") != "OKP":
        raise KeyFormatError("only OKP keys are supported")
    try:
        members = {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}
    except KeyError as exc:
        raise KeyFormatError(f"JWK lacks {exc}") from None
    if not all(isinstance(v, str) for v in members.values()):
        raise KeyFormatError("JWK members must be strings")
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def public_key_from_jwk(jwk: dict[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise KeyFormatError("JWK is not OKP/Ed25519")
    if "d" in jwk:
        # A private JWK where a public one is expected is a key-handling mistake;
        # refusing it keeps secrets out of public key tables.
        raise KeyFormatError("JWK contains private key material")
    raw = b64url_decode(jwk.get("x", ""))
    if len(raw) != 32:
        raise KeyFormatError("Ed25519 JWK 'x' must be 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)
