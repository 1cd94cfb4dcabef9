"""Public verification (page and JSON API): genuine, revoked and altered badges, every bad
input the issue lists, the rate limit, and a fuzz test that never sees a server error."""

from __future__ import annotations

import json
import struct
import zlib

import pytest
from django.utils.html import escape
from django.utils.translation import gettext
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from badges import services
from badges.core import baking, credentials, signing
from badges.models import Award
from badges.public import verification
from tests.badges.conftest import bake_ob3, baked_bytes, external_credential, register_issuer, small_png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]

PAGE = "/public/verify/"
API = "/public/api/verify"


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def png_claiming(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return baking.PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def upload(client, data: bytes, name: str = "badge.png", url: str = API, email: str | None = None, **meta):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    fields = {"file": SimpleUploadedFile(name, data)}
    if email is not None:
        fields["email"] = email
    return client.post(url, fields, **meta)


def deep_json(levels: int = 1000) -> str:
    return '{"a":' * levels + "1" + "}" * levels


# ------------------------------------------------------------------ genuine badges


def test_a_badge_of_this_portal_uploaded_as_png_is_valid_under_both_standards(client, award):
    body = upload(client, baked_bytes(award)).json()
    assert body["status"] == "valid"
    assert body["standards"] == ["2.0", "3.0"]
    ob2, ob3 = body["findings"]
    assert ob2["signature"] == "hosted" and ob3["signature"] == "valid"
    assert ob3["revocation"] == "not_revoked" and ob3["expired"] is False
    assert ob3["issuer"]["name"] == "八王子市"
    assert ob3["achievement"]["name"] == award.badge_class.name
    assert ob3["achievement"]["skills"] == ["法務"]
    assert all(f["issued_by_this_portal"] for f in body["findings"])


def test_the_page_reports_who_issued_it_what_it_certifies_and_that_it_is_valid(client, award):
    response = upload(client, baked_bytes(award), url=PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "verdict--valid" in page
    assert "八王子市" in page and award.badge_class.name in page
    for version in ("2.0", "3.0"):
        assert gettext("Open Badges %(version)s") % {"version": version} in page


def test_the_holder_can_check_their_email_against_the_hashed_recipient(client, award):
    assert upload(client, baked_bytes(award), email="Alice@City.test ").json()["recipient_match"] is True
    assert upload(client, baked_bytes(award), email="mallory@example.com").json()["recipient_match"] is False
    assert upload(client, baked_bytes(award)).json()["recipient_match"] is None


def test_a_revoked_badge_is_reported_revoked_with_the_reason(client, award):
    services.award_revoke(award=award, reason="受講記録の誤りのため")
    body = upload(client, baked_bytes(award)).json()
    assert body["status"] == "revoked"
    assert {f["revocation"] for f in body["findings"]} == {"revoked"}
    assert body["findings"][1]["revocation_reason"] == "受講記録の誤りのため"
    page = upload(client, baked_bytes(award), url=PAGE).content.decode()
    assert "受講記録の誤りのため" in page and "verdict--revoked" in page


def test_an_expired_badge_is_reported_expired(client, award):
    import datetime as dt

    from django.utils import timezone

    later = timezone.now() + dt.timedelta(days=400)
    Award.objects.filter(pk=award.pk).update(expires_at=later - dt.timedelta(days=1))
    award.refresh_from_db()
    assert verification.verify_award(award, now=later).status == "expired"


def test_the_credential_json_and_the_hosted_assertion_verify_when_pasted(client, award):
    body = client.post(API, {"credential": award.credential}, content_type="application/json").json()
    assert body["status"] == "valid" and body["standards"] == ["3.0"]
    body = client.post(API, {"credential": json.dumps(award.assertion)}, content_type="application/json").json()
    assert body["status"] == "valid" and body["standards"] == ["2.0"]


def test_a_badge_url_of_this_portal_verifies_and_other_sites_are_not_fetched(client, award):
    url = f"http://127.0.0.1:8000/public/assertions/{award.public_id}"
    assert client.post(API, {"url": url}, content_type="application/json").json()["status"] == "valid"
    response = client.post(API, {"url": "https://badges.example.org/a/1"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "url_elsewhere"
    response = client.get(PAGE, {"url": url})
    assert response.status_code == 200 and "verdict--valid" in response.content.decode()


def test_a_private_share_link_reveals_nothing_to_the_verifier(client, award):
    url = f"http://127.0.0.1:8000/public/share/{award.share_token}/"
    assert client.post(API, {"url": url}, content_type="application/json").json()["code"] == "unknown_badge"
    Award.objects.filter(pk=award.pk).update(visibility=Award.Visibility.PUBLIC)
    assert client.post(API, {"url": url}, content_type="application/json").json()["status"] == "valid"


def test_a_registered_issuers_did_key_credential_verifies_offline(client):
    key = signing.generate_private_key()
    register_issuer(key, name="中央大学")
    body = upload(client, bake_ob3(external_credential(private_key=key))).json()
    assert (body["status"], body["code"]) == ("valid", "ok")
    finding = body["findings"][0]
    assert finding["issuer"]["name"] == "中央大学"
    assert finding["issuer"]["trust"] == "registered" and finding["issuer"]["registered_as"] == "中央大学"
    assert finding["issued_by_this_portal"] is False


# ------------------------------------------------------------------ who signed it (the register)


def forged_in_the_citys_name() -> tuple[dict, str]:
    """An OB 3.0 credential a stranger signs with their own did:key, naming the city as issuer."""
    stranger = signing.generate_private_key()
    return external_credential(issuer_name="八王子市", private_key=stranger), signing.did_key_for(stranger.public_key())


def test_a_forged_badge_in_the_citys_name_is_never_valid_in_the_api_or_on_the_page(client, award):
    forged, stranger_did = forged_in_the_citys_name()
    # Its signature is correct: only who signed it is wrong.
    assert credentials.verify_credential(forged).valid
    body = upload(client, bake_ob3(forged)).json()
    assert body["status"] != "valid"
    assert (body["status"], body["code"]) == ("invalid", "impersonation")
    finding = body["findings"][0]
    assert finding["signature"] == "valid"
    assert finding["issuer"] == {
        "id": stranger_did,
        "name": "八王子市",
        "url": "https://www.chuo-u.ac.jp/",
        "trust": "impersonation",
        "registered_as": "八王子市",
    }
    pasted = client.post(API, {"credential": forged}, content_type="application/json").json()
    assert (pasted["status"], pasted["code"]) == ("invalid", "impersonation")

    page = upload(client, bake_ob3(forged), url=PAGE).content.decode()
    assert "verdict--valid" not in page and "verdict--invalid" in page
    assert escape(str(verification.message_for("ok"))) not in page
    assert escape(str(verification.message_for("impersonation"))) in page
    # The stranger's identifier is shown prominently, not in small print.
    assert f'<p class="mono report__issuer-id">{stranger_did}</p>' in page

    # Our own badges are still valid.
    assert upload(client, baked_bytes(award)).json()["status"] == "valid"
    assert "verdict--valid" in upload(client, baked_bytes(award), url=PAGE).content.decode()


def test_a_correct_signature_from_an_unregistered_issuer_is_unknown_issuer_and_never_green(client):
    stranger = signing.generate_private_key()
    did = signing.did_key_for(stranger.public_key())
    png = bake_ob3(external_credential(issuer_name="関東オンライン学院", private_key=stranger))
    body = upload(client, png).json()
    assert (body["status"], body["code"]) == ("unknown_issuer", "unknown_issuer")
    assert body["findings"][0]["signature"] == "valid"
    assert body["findings"][0]["issuer"]["trust"] == "unknown"
    page = upload(client, png, url=PAGE).content.decode()
    assert "verdict--unknown_issuer" in page and "verdict--valid" not in page
    assert "status--ok" not in page  # nothing green, not even the signature line
    assert escape(str(verification.message_for("unknown_issuer"))) in page
    assert f'<p class="mono report__issuer-id">{did}</p>' in page


def test_an_unknown_issuer_outranks_expiry(client):
    stranger = signing.generate_private_key()
    credential = external_credential(private_key=stranger, valid_until="2026-03-31T00:00:00+09:00")
    assert upload(client, bake_ob3(credential)).json()["status"] == "unknown_issuer"
    register_issuer(stranger)
    assert upload(client, bake_ob3(credential)).json()["status"] == "expired"


def test_a_registered_name_under_another_key_is_flagged_as_impersonation(client):
    register_issuer(signing.generate_private_key(), name="中央大学")
    other = external_credential(issuer_name="中央 大学", private_key=signing.generate_private_key())
    body = upload(client, bake_ob3(other)).json()
    assert (body["status"], body["code"]) == ("invalid", "impersonation")
    assert body["findings"][0]["issuer"]["registered_as"] == "中央大学"


def test_a_registered_issuer_counts_only_for_badges_issued_while_it_is_in_force(client):
    import datetime as dt

    key = signing.generate_private_key()
    entry = register_issuer(key, valid_from=dt.date(2026, 4, 1))  # the badge is from 2026-03-01
    png = bake_ob3(external_credential(private_key=key))
    body = upload(client, png).json()
    assert (body["status"], body["code"]) == ("unknown_issuer", "issuer_not_in_force")
    entry.valid_from = dt.date(2026, 1, 1)
    entry.valid_until = dt.date(2026, 2, 28)
    entry.save()
    assert upload(client, png).json()["code"] == "issuer_not_in_force"
    entry.valid_until = None
    entry.save()
    assert upload(client, png).json()["status"] == "valid"


def test_an_external_badge_on_a_remote_status_list_is_unverifiable_with_where_to_check(client):
    key = signing.generate_private_key()
    register_issuer(key)
    status_list = "https://badges.chuo-u.ac.jp/status/3"
    credential = external_credential(private_key=key)
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    unsigned["credentialStatus"] = credentials.status_list_entry(status_list_url=status_list, index=42)
    signed = credentials.sign_credential(
        unsigned,
        private_key=key,
        verification_method=signing.did_key_verification_method(key.public_key()),
        created="2026-03-01T10:00:00+09:00",
    )
    body = upload(client, bake_ob3(signed)).json()
    assert (body["status"], body["code"]) == ("unverifiable", "revocation_not_checked")
    finding = body["findings"][0]
    assert finding["signature"] == "valid" and finding["revocation"] == "not_checked"
    assert finding["check_at"] == status_list


def test_a_strangers_credential_is_not_answered_from_our_status_list(client, award):
    """A forgery pointing at our list (where its index is 0, "not revoked") is not "not revoked"."""
    key = signing.generate_private_key()
    register_issuer(key)
    credential = external_credential(private_key=key)
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    unsigned["credentialStatus"] = award.credential["credentialStatus"]
    signed = credentials.sign_credential(
        unsigned,
        private_key=key,
        verification_method=signing.did_key_verification_method(key.public_key()),
        created="2026-03-01T10:00:00+09:00",
    )
    body = upload(client, bake_ob3(signed)).json()
    assert body["status"] == "unverifiable" and body["findings"][0]["revocation"] == "not_checked"


def test_the_portals_own_did_web_verifies_offline(client, alice, badge_class, signing_key, enqueued, settings):
    from tests.badges.conftest import issue

    settings.BADGE_DID_WEB_DOMAIN = "learning.city.hachioji.tokyo.jp"
    award = issue(alice, badge_class, "enrolment:777")
    assert award.credential["issuer"]["id"] == "did:web:learning.city.hachioji.tokyo.jp"
    body = upload(client, baked_bytes(award)).json()
    assert body["status"] == "valid" and body["findings"][1]["signature"] == "valid"


def test_another_issuers_did_web_cannot_be_checked_here_and_says_where_the_key_is(client):
    key = signing.generate_private_key()
    credential = external_credential()
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    unsigned["issuer"] = {**unsigned["issuer"], "id": "did:web:badges.example.ac.jp"}
    signed = credentials.sign_credential(
        unsigned,
        private_key=key,
        verification_method="did:web:badges.example.ac.jp#key-1",
        created="2026-03-01T10:00:00Z",
    )
    body = upload(client, bake_ob3(signed)).json()
    assert body["status"] == "unverifiable" and body["code"] == "issuer_key_unavailable"
    assert body["findings"][0]["check_at"] == "https://badges.example.ac.jp/.well-known/did.json"


def test_an_ob2_badge_hosted_by_another_issuer_cannot_be_checked_here_and_says_where(client):
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://openbadge.example.jp/assertions/42",
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": "s",
            "identity": credentials.hash_identity("a@b.jp", "s"),
        },
        "badge": {"type": "BadgeClass", "name": "防災士養成講座", "issuer": {"name": "オープンバッジ・ネットワーク"}},
        "verification": {"type": "HostedBadge"},
        "issuedOn": "2025-10-01T00:00:00+09:00",
    }
    png = baking.bake(small_png(), {baking.KEYWORD_OB2: json.dumps(assertion, ensure_ascii=False)})
    body = upload(client, png, email="a@b.jp").json()
    assert body["status"] == "unverifiable" and body["code"] == "hosted_elsewhere"
    finding = body["findings"][0]
    assert finding["check_at"] == "https://openbadge.example.jp/assertions/42"
    assert finding["achievement"]["name"] == "防災士養成講座"
    assert finding["recipient_match"] is True


# ------------------------------------------------------------------ altered badges


def test_a_credential_altered_after_signing_is_invalid(client, award):
    tampered = json.loads(json.dumps(award.credential))
    tampered["credentialSubject"]["achievement"]["name"] = "偽のバッジ"
    png = baking.bake(baked_bytes(award), {baking.KEYWORD_OB3: json.dumps(tampered, ensure_ascii=False)})
    body = upload(client, png).json()
    assert body["status"] == "invalid" and body["code"] == "invalid_signature"


def test_a_baked_assertion_that_differs_from_the_hosted_one_is_invalid(client, award):
    altered = dict(award.assertion, issuedOn="2020-01-01T00:00:00Z")
    png = baking.bake(baked_bytes(award), {baking.KEYWORD_OB2: json.dumps(altered)})
    assert upload(client, png).json()["code"] == "assertion_mismatch"


def test_chunks_from_two_different_badges_are_refused(client, award, alice, badge_class):
    from tests.badges.conftest import issue

    other = issue(alice, badge_class, "enrolment:502")
    png = baking.bake(baked_bytes(award), {baking.KEYWORD_OB3: json.dumps(other.credential, ensure_ascii=False)})
    assert upload(client, png).json()["code"] == "chunks_disagree"


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty", b"", "empty"),
        ("a JPEG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, "unsupported_file"),
        ("plain text named .png", b"hello, this is not an image", "unsupported_file"),
        ("a PNG claiming 100000 x 100000 pixels", png_claiming(100_000, 100_000), "image_too_large"),
        ("a PNG with no badge inside", small_png(), "no_badge"),
        ("JSON that is a list", b"[1, 2, 3]", "not_object"),
        ("JSON that is a number", b"42", "not_object"),
        ("a 1000-deep credential", deep_json().encode(), "too_deep"),
        ("broken JSON", b'{"a": ', "invalid_json"),
        ("JSON with a duplicate key", b'{"a": 1, "a": 2}', "duplicate_key"),
        ("JSON that is no badge", b'{"hello": "world"}', "not_a_badge"),
    ],
)
def test_bad_files_get_a_clear_message_and_never_a_server_error(client, name, data, code):
    response = upload(client, data)
    assert response.status_code == 400, name
    body = response.json()
    assert body["status"] == "error" and body["code"] == code
    assert body["message"] == str(verification.message_for(code))
    page = upload(client, data, url=PAGE)
    assert page.status_code == 200
    assert str(verification.message_for(code)) in page.content.decode()


def test_a_truncated_png_says_it_is_incomplete(client, award):
    data = baked_bytes(award)
    body = upload(client, data[: len(data) // 2]).json()
    assert body["code"] == "truncated"


def test_a_chunk_that_lies_about_its_length_is_refused(client, award):
    data = bytearray(baked_bytes(award))
    # The first chunk after IHDR is our iTXt: claim it is 100 MB long.
    struct.pack_into(">I", data, 33, 100 * 1024 * 1024)
    assert upload(client, bytes(data)).json()["code"] == "truncated"


def test_a_png_with_a_wrong_checksum_is_refused(client, award):
    data = bytearray(baked_bytes(award))
    data[60] ^= 0xFF  # inside the badge text
    assert upload(client, bytes(data)).json()["code"] == "bad_crc"


def test_a_text_chunk_over_the_limit_is_refused(client):
    huge = baking.bake(small_png(), {baking.KEYWORD_OB3: "x" * (verification.DEFAULT_MAX_TEXT_CHUNK + 1)})
    assert upload(client, huge).json()["code"] == "chunk_too_large"


def test_a_thousand_deep_credential_inside_a_png_is_invalid_not_a_crash(client):
    png = baking.bake(small_png(), {baking.KEYWORD_OB3: deep_json()})
    response = upload(client, png)
    assert response.status_code == 200
    assert response.json()["status"] == "invalid" and response.json()["code"] == "too_deep"


def test_a_thousand_deep_json_body_to_the_api_is_refused(client):
    body = '{"credential": ' + deep_json() + "}"
    response = client.post(API, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "too_deep"


def test_a_file_over_the_size_limit_is_refused_with_413(client, settings):
    settings.BADGE_VERIFY_MAX_BYTES = 70_000
    data = baking.PNG_SIGNATURE + b"\0" * 80_000
    response = upload(client, data)
    assert response.status_code == 413 and response.json()["code"] == "file_too_large"
    page = upload(client, data, url=PAGE)
    assert page.status_code == 413
    assert str(verification.message_for("file_too_large")) in page.content.decode()


def test_a_request_declaring_a_huge_body_is_refused_before_it_is_read(client):
    response = client.generic("POST", API, b"", CONTENT_TYPE="application/json", CONTENT_LENGTH=str(10**9))
    assert response.status_code == 413
    response = client.generic(
        "POST", PAGE, b"", CONTENT_TYPE="multipart/form-data; boundary=x", CONTENT_LENGTH=str(10**9)
    )
    assert response.status_code == 413


def test_the_api_explains_what_to_send(client):
    assert client.post(API, {}, content_type="application/json").json()["code"] == "no_input"
    assert client.post(API, b"file=x", content_type="text/plain").json()["code"] == "unsupported_request"
    assert client.post(API, {"email": "a@b.jp"}).json()["code"] == "no_input"
    assert client.get(API).status_code == 405


def test_the_page_asks_for_exactly_one_input(client, award):
    page = client.post(PAGE, {})
    assert str(verification.message_for("no_input")) in page.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.post(PAGE, {"file": SimpleUploadedFile("b.png", baked_bytes(award)), "url": "http://x/"})
    assert gettext("Give only one: a file, a pasted credential or an address.") in page.content.decode()


# ------------------------------------------------------------------ rate limit


def test_checks_are_rate_limited_per_client_with_a_clear_message(client, award, settings, rate_clock):
    settings.BADGE_VERIFY_RATE_LIMIT = 3
    png = baked_bytes(award)
    for _ in range(2):
        assert upload(client, png).status_code == 200
    assert upload(client, png, url=PAGE).status_code == 200  # the page and the API share the count
    refused = upload(client, png)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json()["code"] == "rate_limited"
    page = upload(client, png, url=PAGE)
    assert page.status_code == 429
    assert gettext("Too many checks from your address. Please wait a minute and try again.") in page.content.decode()
    # Another client is not affected.
    assert upload(client, png, REMOTE_ADDR="192.0.2.7").status_code == 200
    # Looking at the empty form is not a check.
    assert client.get(PAGE).status_code == 200


def test_behind_a_trusted_proxy_the_client_is_taken_from_x_forwarded_for(client, award, settings, rate_clock):
    settings.BADGE_VERIFY_RATE_LIMIT = 1
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    png = baked_bytes(award)
    assert upload(client, png, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert upload(client, png, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert upload(client, png, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


def test_the_next_minute_a_refused_client_may_check_again(client, award, settings, rate_clock):
    settings.BADGE_VERIFY_RATE_LIMIT = 1
    png = baked_bytes(award)
    assert [upload(client, png).status_code for _ in range(2)] == [200, 429]
    rate_clock.advance(29)  # the last second of the minute
    assert upload(client, png).status_code == 429
    rate_clock.advance(1)
    assert upload(client, png).status_code == 200


# ------------------------------------------------------------------ fuzz


def _mutations(base: bytes) -> st.SearchStrategy[bytes]:
    def mutate(data: tuple[int, int, bytes]) -> bytes:
        position, cut, noise = data
        position %= len(base)
        return base[:position] + noise + base[position + cut :]

    return st.tuples(st.integers(0, 10**6), st.integers(0, 64), st.binary(max_size=16)).map(mutate)


@hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_bytes_never_cause_a_server_error(client, award, settings, data):
    settings.BADGE_VERIFY_RATE_LIMIT = 10**9
    png = baked_bytes(award)
    payload = data.draw(
        st.one_of(
            st.binary(max_size=512),
            st.binary(max_size=512).map(lambda b: baking.PNG_SIGNATURE + b),
            _mutations(png),
            st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        )
    )
    response = upload(client, payload)
    assert response.status_code in (200, 400, 413, 429)
    assert response.json()["status"]


# ------------------------------------------------------------------ remembered signature checks


def test_a_stored_credential_is_canonicalised_once_then_its_check_is_remembered(award, monkeypatch):
    calls = []
    real = credentials.verify_credential
    monkeypatch.setattr(credentials, "verify_credential", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert verification.verify_award(award).status == "valid"
    assert verification.verify_award(award).status == "valid"
    assert len(calls) == 1


def test_an_altered_stored_credential_is_caught_even_after_a_remembered_check(award):
    assert verification.verify_award(award).status == "valid"
    altered = json.loads(json.dumps(award.credential))
    altered["credentialSubject"]["achievement"]["name"] = "改ざんされた名前"
    Award.objects.filter(pk=award.pk).update(credential=altered)
    award.refresh_from_db()
    report = verification.verify_award(award)
    assert report.status == "invalid" and report.findings[1].code == "invalid_signature"


def test_expiry_and_revocation_are_still_answered_after_a_remembered_check(alice, badge_class, signing_key, enqueued):
    import datetime as dt

    from tests.badges.conftest import issue

    badge_class.validity_days = 30
    badge_class.save()
    award = issue(alice, badge_class, "enrolment:777")
    assert award.credential["validUntil"]
    now = award.issued_at + dt.timedelta(days=1)
    assert verification.verify_award(award, now=now).status == "valid"
    later = award.issued_at + dt.timedelta(days=31)  # past the credential's own validUntil
    report = verification.verify_award(award, now=later)
    assert report.status == "expired" and report.findings[1].code == "expired"
    assert verification.verify_award(award, now=now).status == "valid"
    services.award_revoke(award=award, reason="受講記録の誤りのため")
    award.refresh_from_db()
    assert verification.verify_award(award, now=now).status == "revoked"


def test_checking_a_stored_award_again_needs_no_query(award, django_assert_num_queries):
    award = Award.objects.select_related("badge_class", "issuer").get(pk=award.pk)
    assert verification.verify_award(award).status == "valid"
    with django_assert_num_queries(0):
        # its own status entry is the row in hand; the signature check and the key are remembered
        assert verification.verify_award(award).status == "valid"
