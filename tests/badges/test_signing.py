"""Tests for badges.core.signing, mostly against published fixed vectors."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from badges.core import signing
from badges.core.signing import KeyFormatError

# W3C vc-di-eddsa test-vector key pair (TestVectors/keyPair.json).
W3C_SECRET_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_PUBLIC_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"

# RFC 8032 section 7.1, TEST 1 (empty message); the same key is RFC 8037 appendix A.
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG_EMPTY = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
    "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        # draft-msporny-base58 test vectors
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
        (b"", ""),
        (b"\0", "1"),
    ],
)
def test_base58btc_fixed_vectors(raw: bytes, encoded: str) -> None:
    assert signing.b58encode(raw) == encoded
    assert signing.b58decode(encoded) == raw


@given(st.binary(max_size=80))
def test_base58btc_round_trips_including_leading_zeros(raw: bytes) -> None:
    assert signing.b58decode(signing.b58encode(raw)) == raw


@pytest.mark.parametrize("bad", ["0", "O", "I", "l", "abc+", "z" * 600])
def test_base58_rejects_invalid_text(bad: str) -> None:
    with pytest.raises(KeyFormatError):
        signing.b58decode(bad)


def test_w3c_secret_multikey_gives_the_w3c_public_multikey_and_did_key() -> None:
    key = signing.private_key_from_multibase(W3C_SECRET_MULTIBASE)
    public = key.public_key()
    assert signing.public_key_to_multibase(public) == W3C_PUBLIC_MULTIBASE
    assert signing.private_key_to_multibase(key) == W3C_SECRET_MULTIBASE
    assert signing.did_key_for(public) == f"did:key:{W3C_PUBLIC_MULTIBASE}"
    vm = signing.did_key_verification_method(public)
    assert vm == f"did:key:{W3C_PUBLIC_MULTIBASE}#{W3C_PUBLIC_MULTIBASE}"
    assert signing.raw_public_bytes(signing.public_key_from_did_key(vm)) == signing.raw_public_bytes(public)


def test_fixed_seed_gives_a_known_did_key() -> None:
    # Regression pin (derived with this module; the W3C vector above checks the
    # encoding independently).
    key = signing.private_key_from_seed(bytes(range(32)))
    did = signing.did_key_for(key.public_key())
    assert did == "did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd"
    assert did.startswith("did:key:z6Mk")
    resolved = signing.public_key_from_did_key(did)
    assert signing.raw_public_bytes(resolved) == signing.raw_public_bytes(key.public_key())


def test_rfc8032_test1_public_key_and_signature() -> None:
    key = signing.private_key_from_seed(RFC8032_SEED)
    assert signing.raw_public_bytes(key.public_key()) == RFC8032_PUBLIC
    assert signing.sign(key, b"") == RFC8032_SIG_EMPTY
    assert signing.verify(key.public_key(), RFC8032_SIG_EMPTY, b"")
    assert not signing.verify(key.public_key(), RFC8032_SIG_EMPTY, b"x")
    assert not signing.verify(key.public_key(), RFC8032_SIG_EMPTY[:-1], b"")


def test_rfc8037_jwk_and_rfc7638_thumbprint() -> None:
    public = signing.private_key_from_seed(RFC8032_SEED).public_key()
    jwk = signing.public_key_to_jwk(public)
    # RFC 8037 appendix A.1 and A.3
    assert jwk["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert jwk["kid"] == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert signing.raw_public_bytes(signing.public_key_from_jwk(jwk)) == RFC8032_PUBLIC


def test_jwk_interoperates_with_pyjwt_eddsa() -> None:
    key = signing.generate_private_key()
    jwk = signing.public_key_to_jwk(key.public_key())
    token = jwt.encode({"sub": "x"}, key, algorithm="EdDSA", headers={"kid": jwk["kid"]})
    verifying_key = jwt.PyJWK(jwk).key
    assert jwt.decode(token, verifying_key, algorithms=["EdDSA"]) == {"sub": "x"}


def test_public_jwk_refuses_private_material_and_other_curves() -> None:
    jwk = signing.public_key_to_jwk(signing.generate_private_key().public_key())
    with pytest.raises(KeyFormatError):
        signing.public_key_from_jwk({**jwk, "d": "secret"})
    with pytest.raises(KeyFormatError):
        signing.public_key_from_jwk({**jwk, "crv": "X25519"})
    with pytest.raises(KeyFormatError):
        signing.public_key_from_jwk({**jwk, "x": "AAAA"})


def test_encrypted_pem_round_trip_and_wrong_passphrase() -> None:
    key = signing.generate_private_key()
    pem = signing.private_key_to_pem(key, b"correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in pem
    loaded = signing.load_private_key_pem(pem, b"correct horse")
    assert signing.raw_public_bytes(loaded.public_key()) == signing.raw_public_bytes(key.public_key())
    with pytest.raises(KeyFormatError):
        signing.load_private_key_pem(pem, b"wrong")
    with pytest.raises(KeyFormatError):
        signing.load_private_key_pem(pem, None)
    plain = signing.private_key_to_pem(key)
    assert signing.load_private_key_pem(plain) is not None
    with pytest.raises(KeyFormatError):
        signing.load_private_key_pem(plain, b"unexpected")
    public_pem = signing.public_key_to_pem(key.public_key())
    assert signing.raw_public_bytes(signing.load_public_key_pem(public_pem)) == signing.raw_public_bytes(
        key.public_key()
    )


def test_non_ed25519_keys_are_refused() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(KeyFormatError):
        signing.load_private_key_pem(pem)
    with pytest.raises(KeyFormatError):
        signing.load_private_key_pem(b"not a pem")


@pytest.mark.parametrize(
    "bad",
    [
        "did:web:example.jp",
        "did:key:" + W3C_PUBLIC_MULTIBASE + "#z6MkOther",
        "did:key:" + W3C_SECRET_MULTIBASE,  # secret-key multicodec, not a public key
        "did:key:zzzz",
        "did:key:" + W3C_PUBLIC_MULTIBASE[1:],  # no multibase prefix
        "did:key:",
    ],
)
def test_did_key_resolution_refuses_malformed_ids(bad: str) -> None:
    with pytest.raises(KeyFormatError):
        signing.public_key_from_did_key(bad)


def test_seed_must_be_32_bytes() -> None:
    with pytest.raises(KeyFormatError):
        signing.private_key_from_seed(b"short")
