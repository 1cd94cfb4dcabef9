"""Tests for badges.core.credentials and badges.core.jsonld: builders, eddsa-rdfc-2022, safe mode."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyld import jsonld as pyld_jsonld

from badges.core import credentials as C
from badges.core import jsonld as J
from badges.core import signing

JST = timezone(timedelta(hours=9))

# ------------------------------------------------------------------ W3C vector
# w3c/vc-di-eddsa TestVectors/eddsa-rdfc-2022/signedDataInt.json, keyPair.json and
# combinedHashDataInt.txt.  The examples context is the published one-line @vocab.
W3C_EXAMPLES_CONTEXT = {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}
W3C_LOADER = J.make_document_loader({"https://www.w3.org/ns/credentials/examples/v2": W3C_EXAMPLES_CONTEXT})
W3C_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_SIGNED: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
    "proof": {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "proofPurpose": "assertionMethod",
        "proofValue": "z21EVs3eXERqTn4acNHT9viboqgzUaQ3kTmhPT3eA8qrVPE7CrQq78WkzctnMX5W4CrzcKnHw8V6dvy5pgWYCU5e9",
    },
}
W3C_COMBINED_HASH = (
    "4c4d3890a157f8d611b13c265c2c22f39aa0a567c7c7dd9ba3e45cd579784eeb"
    "517744132ae165a5349155bef0bb0cf2258fff99dfe1dbd914b938d775a36017"
)


def test_w3c_eddsa_rdfc_2022_vector_is_reproduced_exactly() -> None:
    key = signing.private_key_from_multibase(W3C_SECRET)
    unsigned = {k: v for k, v in W3C_SIGNED.items() if k != "proof"}
    proof = W3C_SIGNED["proof"]
    config = {"@context": unsigned["@context"], **{k: v for k, v in proof.items() if k != "proofValue"}}
    assert C.proof_hash_data(unsigned, config, loader=W3C_LOADER).hex() == W3C_COMBINED_HASH
    signed = C.sign_credential(
        unsigned,
        private_key=key,
        verification_method=proof["verificationMethod"],
        created=proof["created"],
        loader=W3C_LOADER,
    )
    # The vector's proof is a single object; this portal emits the same proof as a list of one.
    assert signed == {**W3C_SIGNED, "proof": [W3C_SIGNED["proof"]]}


def test_w3c_vector_verifies_and_a_changed_value_does_not() -> None:
    public = signing.private_key_from_multibase(W3C_SECRET).public_key()
    result = C.verify_credential(W3C_SIGNED, resolve_key=lambda vm: public, loader=W3C_LOADER)
    assert result.valid and result.reason == "ok"
    assert result.issuer_id == "https://vc.example/issuers/5678"
    tampered = copy.deepcopy(W3C_SIGNED)
    tampered["credentialSubject"]["alumniOf"] = "The School of Exemples"
    result = C.verify_credential(tampered, resolve_key=lambda vm: public, loader=W3C_LOADER)
    assert not result.valid and result.reason == "invalid_signature"


# ------------------------------------------------------------------ OB 3.0 fixtures

ISSUER_KEY = signing.private_key_from_seed(bytes(range(32)))
ISSUER_DID = signing.did_key_for(ISSUER_KEY.public_key())
ISSUER_VM = signing.did_key_verification_method(ISSUER_KEY.public_key())
STATUS_URL = "https://badges.city.hachioji.tokyo.jp/status/1"


def make_credential(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "credential_id": "urn:uuid:0b7f7c2e-9a51-4d8e-9f3a-1d2c3b4a5e6f",
        "issuer_id": ISSUER_DID,
        "issuer_name": C.LocalizedText("八王子市", "Hachioji City"),
        "issuer_url": "https://www.city.hachioji.tokyo.jp/",
        "achievement_id": "https://badges.city.hachioji.tokyo.jp/achievements/dx-101",
        "achievement_name": C.LocalizedText("DX基礎研修", "DX Fundamentals"),
        "achievement_description": C.LocalizedText("デジタル変革の基礎を修了した。", "Completed DX basics."),
        "criteria_narrative": C.LocalizedText("全4回に出席し、課題を提出すること。"),
        "recipient_email": "  Taro.Yamada@City.Hachioji.Tokyo.jp ",
        "salt": "c0ffee",
        "valid_from": datetime(2026, 4, 1, 10, 0, tzinfo=JST),
        "valid_until": datetime(2029, 3, 31, 23, 59, 59, tzinfo=JST),
        "evidence": [C.Evidence(url="https://learn.example.jp/e/1", name="最終課題", narrative="報告書")],
        "alignments": [
            C.Alignment(
                target_name="データ活用",
                target_url="https://skills.example.jp/framework/data-use",
                target_code="D-1",
                target_framework="八王子市DX人材育成方針",
                target_type="ext:MunicipalSkill",
            )
        ],
        "status": C.status_list_entry(status_list_url=STATUS_URL, index=94567),
        "image_url": "https://badges.city.hachioji.tokyo.jp/img/1.png",
    }
    kwargs.update(overrides)
    return C.build_ob3_credential(**kwargs)


def sign(doc: dict[str, Any]) -> dict[str, Any]:
    return C.sign_credential(doc, private_key=ISSUER_KEY, verification_method=ISSUER_VM, created="2026-04-01T01:00:00Z")


SIGNED = sign(make_credential())


def verify(doc: Any, **kwargs: Any) -> C.VerificationResult:
    return C.verify_credential(doc, resolve_key=lambda vm: None, **kwargs)


# ------------------------------------------------------------------ OB 3.0 happy path


def test_ob3_credential_has_the_required_shape() -> None:
    doc = make_credential()
    assert doc["@context"][:2] == [C.VC2_CONTEXT, C.OB3_CONTEXT]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["validFrom"] == "2026-04-01T10:00:00+09:00"
    identifier = doc["credentialSubject"]["identifier"][0]
    assert identifier["identityHash"] == C.hash_identity("taro.yamada@city.hachioji.tokyo.jp", "c0ffee")
    assert identifier["identityType"] == "emailAddress" and identifier["hashed"] is True
    assert "Taro" not in json.dumps(doc)  # no plain e-mail anywhere
    assert doc["image"] == {"id": "https://badges.city.hachioji.tokyo.jp/img/1.png", "type": "Image"}
    assert doc["credentialStatus"]["statusListIndex"] == "94567"


def test_signed_ob3_credential_verifies_offline_with_did_key() -> None:
    assert isinstance(SIGNED["proof"], list) and len(SIGNED["proof"]) == 1
    proof = SIGNED["proof"][0]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod" and proof["proofValue"].startswith("z")
    result = verify(SIGNED, now=datetime(2027, 1, 1, tzinfo=UTC))
    assert result.valid, result
    assert result.issuer_id == ISSUER_DID
    assert result.verification_method == ISSUER_VM
    assert result.status_entries[0]["statusListCredential"] == STATUS_URL


def test_signature_survives_a_json_round_trip_and_key_reordering() -> None:
    reordered = json.loads(json.dumps(SIGNED, sort_keys=True, ensure_ascii=True))
    assert verify(reordered).valid


def test_signing_is_deterministic() -> None:
    assert sign(make_credential()) == SIGNED


def test_language_value_objects_sign_and_verify() -> None:
    doc = make_credential(language_values=True)
    assert doc["name"][1] == {"@value": "DX Fundamentals", "@language": "en"}
    assert verify(sign(doc)).valid


# ------------------------------------------------------------------ tampering


@pytest.mark.parametrize(
    "path",
    [
        ("name",),
        ("credentialSubject", "achievement", "name"),
        ("credentialSubject", "identifier", 0, "identityHash"),
        ("issuer", "name"),
        ("validUntil",),
        ("credentialStatus", "statusListIndex"),
    ],
)
def test_changing_any_signed_value_breaks_the_signature(path: tuple[Any, ...]) -> None:
    tampered = copy.deepcopy(SIGNED)
    target = tampered
    for key in path[:-1]:
        target = target[key]
    value = target[path[-1]]
    target[path[-1]] = value[:-1] + ("X" if not value.endswith("X") else "Y")
    if path == ("validUntil",):
        target[path[-1]] = "2099-03-31T23:59:59+09:00"
    result = verify(tampered)
    assert not result.valid and result.reason == "invalid_signature"


def test_plain_pyld_would_silently_drop_an_undefined_property() -> None:
    # Why safe mode exists: without it the extra property never reaches the
    # canonical form, so the old signature would still "verify".
    doc = make_credential()
    plain = pyld_jsonld.normalize(
        doc, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": J.document_loader}
    )
    doc_extra = copy.deepcopy(doc)
    doc_extra["credentialSubject"]["grade"] = "S"
    plain_extra = pyld_jsonld.normalize(
        doc_extra, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": J.document_loader}
    )
    assert plain == plain_extra
    assert J.canonicalize(doc) == plain
    with pytest.raises(J.UndefinedTermError):
        J.canonicalize(doc_extra)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.__setitem__("grade", "S"),
        lambda d: d["credentialSubject"].__setitem__("grade", "S"),
        lambda d: d["credentialSubject"]["achievement"].__setitem__("level", 3),
        lambda d: d["type"].append("SuperCredential"),
        lambda d: d.__setitem__("id", "not-an-iri"),
        lambda d: d["issuer"].__setitem__("id", "relative/issuer"),
    ],
)
def test_tampering_with_undefined_terms_or_relative_iris_fails(mutate: Any) -> None:
    tampered = copy.deepcopy(SIGNED)
    mutate(tampered)
    result = verify(tampered)
    assert not result.valid
    assert result.reason in {"undefined_term", "key_controller_mismatch"}


def test_signing_refuses_undefined_terms() -> None:
    doc = make_credential()
    doc["credentialSubject"]["grade"] = "S"
    with pytest.raises(C.CredentialError) as err:
        sign(doc)
    assert err.value.code == "undefined_term"


def test_unknown_context_is_never_fetched() -> None:
    doc = make_credential()
    doc["@context"].append("https://evil.example/context.jsonld")
    with pytest.raises(C.CredentialError) as err:
        sign(doc)
    assert err.value.code == "unknown_context"
    with pytest.raises(J.ContextNotFound):
        J.document_loader("https://w3id.org/openbadges/v2", {})
    tampered = copy.deepcopy(SIGNED)
    tampered["@context"].append("https://evil.example/context.jsonld")
    assert verify(tampered).reason == "unknown_context"


def test_loader_serves_every_bundled_context_from_disk() -> None:
    for url in J.CONTEXT_FILES:
        remote = J.document_loader(url, {})
        assert remote["documentUrl"] == url
        assert "@context" in remote["document"]
    # Returned documents are copies: mutating one cannot poison the cache.
    J.document_loader(C.VC2_CONTEXT, {})["document"]["@context"]["name"] = "x"
    assert J.document_loader(C.VC2_CONTEXT, {})["document"]["@context"]["name"] != "x"


def test_a_context_known_to_another_loader_does_not_leak_into_the_default_one() -> None:
    unsigned = {k: v for k, v in W3C_SIGNED.items() if k != "proof"}
    assert J.canonicalize(unsigned, loader=W3C_LOADER)  # W3C_LOADER knows examples/v2
    with pytest.raises(J.ContextNotFound):
        J.canonicalize(unsigned)  # the production loader must still refuse it
    public = signing.private_key_from_multibase(W3C_SECRET).public_key()
    assert C.verify_credential(W3C_SIGNED, resolve_key=lambda vm: public).reason == "unknown_context"


def test_another_keys_signature_is_rejected() -> None:
    other = signing.private_key_from_seed(b"\x07" * 32)
    forged = C.sign_credential(
        make_credential(),
        private_key=other,
        verification_method=ISSUER_VM,  # claims the issuer's key
        created="2026-04-01T01:00:00Z",
    )
    assert verify(forged).reason == "invalid_signature"


def test_verification_method_must_belong_to_the_issuer() -> None:
    other = signing.private_key_from_seed(b"\x07" * 32)
    doc = C.sign_credential(
        make_credential(),
        private_key=other,
        verification_method=signing.did_key_verification_method(other.public_key()),
        created="2026-04-01T01:00:00Z",
    )
    assert verify(doc).reason == "key_controller_mismatch"


def test_unresolvable_key_and_custom_resolver() -> None:
    doc = C.sign_credential(
        make_credential(issuer_id="did:web:badges.city.hachioji.tokyo.jp"),
        private_key=ISSUER_KEY,
        verification_method="did:web:badges.city.hachioji.tokyo.jp#key-1",
        created="2026-04-01T01:00:00Z",
    )
    assert verify(doc).reason == "unknown_key"
    keys = {"did:web:badges.city.hachioji.tokyo.jp#key-1": ISSUER_KEY.public_key()}
    assert C.verify_credential(doc, resolve_key=keys.get).valid


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d.pop("proof"), "no_proof"),
        (lambda d: d.__setitem__("proof", d["proof"] * 2), "multiple_proofs"),
        (lambda d: d["proof"][0].__setitem__("cryptosuite", "eddsa-2022"), "unsupported_proof"),
        (lambda d: d["proof"][0].__setitem__("proofPurpose", "authentication"), "wrong_purpose"),
        (lambda d: d["proof"][0].__setitem__("proofValue", "u" + "A" * 86), "bad_proof"),
        (lambda d: d["proof"][0].__setitem__("proofValue", "z" + "1" * 10), "bad_proof"),
        (lambda d: d["proof"][0].__setitem__("proofValue", "z0OIl"), "bad_proof"),
        (lambda d: d["proof"][0].pop("verificationMethod"), "bad_proof"),
        (lambda d: d.__setitem__("@context", [C.OB3_CONTEXT, C.VC2_CONTEXT]), "bad_context"),
        (lambda d: d.__setitem__("@context", [C.VC2_CONTEXT, {"@vocab": "x:"}]), "bad_context"),
        (lambda d: d.pop("issuer"), "missing_issuer"),
        (lambda d: d.__setitem__("type", ["OpenBadgeCredential"]), "not_credential"),
        (lambda d: d.__setitem__("validFrom", "2026-04-01T10:00:00"), "bad_date"),
        (lambda d: d["credentialSubject"].__setitem__("id", "_:b0"), "blank_node_id"),
        (lambda d: d["credentialSubject"].__setitem__("@context", {"x": "https://example.org/"}), "bad_context"),
        (lambda d: d.__setitem__("id", None), "jsonld_error"),
        (lambda d: d.__setitem__("name", {"@id": 5}), "jsonld_error"),
    ],
)
def test_structural_problems_have_reason_codes(mutate: Any, reason: str) -> None:
    doc = copy.deepcopy(SIGNED)
    mutate(doc)
    result = verify(doc)
    assert not result.valid and result.reason == reason


def test_pyld_errors_other_than_jsonld_error_are_wrapped() -> None:
    # Found by fuzzing: pyld's IRI resolver raises a bare ValueError for this.
    with pytest.raises(J.CanonicalizationError) as err:
        J.canonicalize({"@context": [C.VC2_CONTEXT], "name": {"@context": "@json"}})
    assert err.value.code == "jsonld_error"


def test_a_single_proof_object_as_badges_baked_before_carry_it_is_accepted() -> None:
    doc = copy.deepcopy(SIGNED)
    doc["proof"] = doc["proof"][0]
    assert isinstance(doc["proof"], dict)
    assert verify(doc).valid


def test_validity_window_is_checked_when_now_is_given() -> None:
    assert verify(SIGNED, now=datetime(2026, 3, 31, tzinfo=UTC)).reason == "not_yet_valid"
    assert verify(SIGNED, now=datetime(2029, 4, 1, tzinfo=UTC)).reason == "expired"
    assert verify(SIGNED).valid  # no clock, no date check


def test_sign_refuses_signed_input_and_zone_less_dates() -> None:
    with pytest.raises(C.CredentialError) as err:
        sign(SIGNED)
    assert err.value.code == "already_signed"
    with pytest.raises(C.CredentialError):
        make_credential(valid_from=datetime(2026, 4, 1, 10, 0))
    with pytest.raises(C.CredentialError):
        make_credential(valid_until=datetime(2020, 1, 1, tzinfo=JST))


# ------------------------------------------------------------------ untrusted JSON


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_deeply_nested_input_gives_a_reason_not_a_crash() -> None:
    text = "[" * 1000 + "]" * 1000
    with pytest.raises(C.CredentialError) as err:
        C.parse_credential_json(text)
    assert err.value.code == "too_deep"
    deep_obj = '{"a":' * 100_000 + "1" + "}" * 100_000
    with pytest.raises(C.CredentialError) as err:
        C.parse_credential_json(deep_obj, max_bytes=10**6)
    assert err.value.code == "too_deep"
    doc = copy.deepcopy(SIGNED)
    doc["credentialSubject"]["x"] = nested(1000)
    assert verify(doc).reason == "too_deep"


def test_depth_scan_is_not_fooled_by_brackets_in_strings() -> None:
    text = json.dumps({"a": "[[[[{{{{" * 100, "b": '\\"[[[['})
    assert C.parse_credential_json(text, max_depth=2)["b"] == '\\"[[[['


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("[]", "not_object"),
        ("1", "not_object"),
        ("null", "not_object"),
        ('"x"', "not_object"),
        ("", "invalid_json"),
        ("{", "invalid_json"),
        ('{"a": NaN}', "invalid_json"),
        ('{"a": Infinity}', "invalid_json"),
        ('{"a": 1, "a": 2}', "duplicate_key"),
        ('{"a": "' + "x" * 2000 + '"}', "too_large"),
        ('{"a": ' + "9" * 5000 + "}", "invalid_json"),
        ('{"@id": "_:b1"}', "blank_node_id"),
    ],
)
def test_parse_credential_json_errors(text: str, code: str) -> None:
    with pytest.raises(C.CredentialError) as err:
        C.parse_credential_json(text, max_bytes=1000 if code == "too_large" else 100_000)
    assert err.value.code == code


def test_parse_accepts_bytes_with_bom_and_round_trips_a_signed_credential() -> None:
    raw = b"\xef\xbb\xbf" + json.dumps(SIGNED, ensure_ascii=False).encode("utf-8")
    assert verify(C.parse_credential_json(raw)).valid
    with pytest.raises(C.CredentialError):
        C.parse_credential_json(b"\xff\xfe{}")


@pytest.mark.parametrize("value", [[], "credential", 42, None, {"proof": 1}, {"@context": 5}])
def test_non_credential_values_give_reasons(value: Any) -> None:
    result = verify(value)
    assert not result.valid and result.reason


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_parse_never_raises_anything_but_credential_error(text: str) -> None:
    try:
        C.parse_credential_json(text)
    except C.CredentialError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_verify_never_raises_on_arbitrary_json(value: Any) -> None:
    assert isinstance(verify(value), C.VerificationResult)
    try:
        C.parse_credential_json(json.dumps(value))
    except C.CredentialError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["name", "credentialSubject", "issuer", "proof", "@context", "type", "validFrom", "id"]),
    json_values,
)
def test_verify_never_raises_on_a_signed_credential_with_one_field_replaced(key: str, value: Any) -> None:
    doc = copy.deepcopy(SIGNED)
    doc[key] = value
    result = verify(doc)
    assert not result.valid or doc == SIGNED


# ------------------------------------------------------------------ OB 2.0 + hashing


def test_hash_identity_normalises_and_matches_the_spec_format() -> None:
    expected = "sha256$33abc15c0f066607faba32be90ae35d829167dbdb7a59ad0b8a68e97a1de7c07"
    assert C.hash_identity("alice@example.jp", "abc") == expected
    assert C.hash_identity("  Alice@Example.JP\n", "abc") == expected
    assert C.verify_identity_hash("ALICE@example.jp", "abc", expected.upper().replace("SHA256", "sha256"))
    assert not C.verify_identity_hash("bob@example.jp", "abc", expected)
    assert len(C.make_salt()) == 32 and C.make_salt() != C.make_salt()


def test_ob2_hosted_assertion_badge_class_and_issuer() -> None:
    assertion = C.build_ob2_assertion(
        assertion_url="https://badges.example.jp/assertions/1",
        badge_class_url="https://badges.example.jp/badges/dx-101",
        recipient_email="Alice@Example.jp",
        salt="abc",
        issued_on=datetime(2026, 4, 1, 10, 0, tzinfo=JST),
        expires="2029-04-01T00:00:00+09:00",
        evidence=[C.Evidence(url="https://learn.example.jp/e/1", narrative="提出物")],
        image_url="https://badges.example.jp/assertions/1/image.png",
    )
    assert assertion["@context"] == "https://w3id.org/openbadges/v2"
    assert assertion["verification"] == {"type": "HostedBadge"}
    assert assertion["issuedOn"] == "2026-04-01T10:00:00+09:00"
    assert assertion["recipient"] == {
        "type": "email",
        "hashed": True,
        "salt": "abc",
        "identity": "sha256$33abc15c0f066607faba32be90ae35d829167dbdb7a59ad0b8a68e97a1de7c07",
    }
    assert assertion["evidence"][0]["id"] == "https://learn.example.jp/e/1"
    with pytest.raises(C.CredentialError):
        C.build_ob2_assertion(
            assertion_url="https://x/a",
            badge_class_url="https://x/b",
            recipient_email="a@b",
            salt="s",
            issued_on="2026-04-01T10:00:00+09:00",
            expires="2026-03-01T10:00:00+09:00",
        )
    with pytest.raises(C.CredentialError):
        C.build_ob2_assertion(
            assertion_url="https://x/a",
            badge_class_url="https://x/b",
            recipient_email="a@b",
            salt="s",
            issued_on="2026-04-01T10:00:00",  # no zone: validators reject it
        )
    badge_class = C.build_ob2_badge_class(
        badge_class_url="https://badges.example.jp/badges/dx-101",
        issuer_url="https://badges.example.jp/issuer",
        name="DX基礎研修",
        description="デジタル変革の基礎",
        image_url="https://badges.example.jp/badges/dx-101/image.png",
        criteria_narrative="全4回出席",
        alignments=[C.Alignment(target_name="データ活用", target_url="https://skills.example.jp/d1")],
        tags=["DX"],
    )
    assert badge_class["criteria"] == {"narrative": "全4回出席"}
    assert badge_class["alignment"] == [{"targetName": "データ活用", "targetUrl": "https://skills.example.jp/d1"}]
    issuer = C.build_ob2_issuer(
        issuer_url="https://badges.example.jp/issuer",
        name="八王子市",
        url="https://www.city.hachioji.tokyo.jp/",
        email="badges@city.hachioji.tokyo.jp",
        allowed_origins=["badges.example.jp"],
    )
    assert issuer["type"] == "Issuer" and issuer["verification"]["allowedOrigins"] == ["badges.example.jp"]


# ------------------------------------------------------------------ status list


def test_status_list_bits_encode_and_decode() -> None:
    bits = C.new_status_list()
    assert len(bits) * 8 == C.STATUS_LIST_MIN_BITS
    C.set_status_bit(bits, 0)
    C.set_status_bit(bits, 94567)
    assert bits[0] == 0x80  # index 0 is the left-most (most significant) bit
    encoded = C.encode_status_list(bits)
    assert encoded.startswith("u") and "=" not in encoded
    assert gzip.decompress(signing.b64url_decode(encoded[1:])) == bytes(bits)
    decoded = C.decode_status_list(encoded)
    assert C.get_status_bit(decoded, 94567) and C.get_status_bit(decoded, 0)
    assert not C.get_status_bit(decoded, 94566)
    C.set_status_bit(bits, 94567, False)
    assert not C.get_status_bit(bits, 94567)
    assert C.encode_status_list(bits) == C.encode_status_list(bytes(bits))  # deterministic


def test_status_list_limits() -> None:
    with pytest.raises(C.CredentialError):
        C.new_status_list(1000)
    with pytest.raises(C.CredentialError):
        C.get_status_bit(C.new_status_list(), C.STATUS_LIST_MIN_BITS)
    short = "u" + signing.b64url_encode(gzip.compress(b"\0" * 100))
    with pytest.raises(C.CredentialError):
        C.decode_status_list(short)
    bomb = "u" + signing.b64url_encode(gzip.compress(b"\0" * (64 * 1024 * 1024)))
    with pytest.raises(C.CredentialError) as err:
        C.decode_status_list(bomb)
    assert "too large" in str(err.value)
    for bad in ["zabc", "u!!!", "u" + signing.b64url_encode(b"not gzip")]:
        with pytest.raises(C.CredentialError):
            C.decode_status_list(bad)


def test_status_list_credential_signs_and_verifies() -> None:
    bits = C.new_status_list()
    C.set_status_bit(bits, 3)
    doc = C.build_status_list_credential(
        status_list_url=STATUS_URL, issuer_id=ISSUER_DID, bits=bits, valid_from="2026-04-01T00:00:00Z"
    )
    signed = sign(doc)
    assert verify(signed).valid
    subject = signed["credentialSubject"]
    assert C.get_status_bit(C.decode_status_list(subject["encodedList"]), 3)
