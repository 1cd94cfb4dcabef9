"""The public endpoints answer verifiers with JSON, browsers with HTML, and nobody with more
than the holder chose to share."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from badges import issuing, services
from badges.core import credentials
from badges.models import Award

pytestmark = pytest.mark.django_db
VERIFIER_ACCEPT = "application/ld+json, application/json, image/png, image/svg+xml"


@pytest.fixture
def award(alice, badge_class, signing_key, enqueued):  # type: ignore[no-untyped-def]
    award, _ = services.award_request(
        recipient=alice, badge_class=badge_class, source_key="enrolment:7", achieved_on=dt.date(2026, 4, 1)
    )
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    return award


def test_the_hosted_assertion_is_json_ld_for_verifiers(client, award):
    response = client.get(f"/public/assertions/{award.public_id}", HTTP_ACCEPT=VERIFIER_ACCEPT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    body = response.json()
    assert body["id"] == f"http://127.0.0.1:8000/public/assertions/{award.public_id}"
    assert body["verification"] == {"type": "HostedBadge"}


def test_a_client_asking_only_for_json_gets_application_json(client, award):
    response = client.get(f"/public/assertions/{award.public_id}", HTTP_ACCEPT="application/json")
    assert response["Content-Type"].startswith("application/json")


def test_a_browser_gets_a_page_without_the_holders_name(client, award, alice):
    response = client.get(f"/public/assertions/{award.public_id}", HTTP_ACCEPT="text/html,*/*")
    assert response["Content-Type"].startswith("text/html")
    assert award.badge_class.name in response.content.decode()
    assert alice.family_name not in response.content.decode()


def test_the_badge_class_and_issuer_resolve_and_link_to_each_other(client, award):
    badge = client.get(f"/public/badges/{award.badge_class.public_id}", HTTP_ACCEPT=VERIFIER_ACCEPT).json()
    issuer = client.get(badge["issuer"].replace("http://127.0.0.1:8000", ""), HTTP_ACCEPT=VERIFIER_ACCEPT).json()
    assert issuer["type"] == "Issuer" and issuer["name"] == "八王子市"
    image = client.get(badge["image"].replace("http://127.0.0.1:8000", ""))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert badge["alignment"][0]["targetName"] == "法務"


def test_a_revoked_assertion_answers_410_with_the_reason(client, award):
    services.award_revoke(award=award, reason="誤って発行したため")
    response = client.get(f"/public/assertions/{award.public_id}", HTTP_ACCEPT=VERIFIER_ACCEPT)
    assert response.status_code == 410
    body = response.json()
    assert body["revoked"] is True and body["revocationReason"] == "誤って発行したため"
    assert body["id"].endswith(str(award.public_id))


def test_the_status_list_is_signed_and_flips_at_once_on_revocation(client, award):
    entry = award.credential["credentialStatus"]
    path = entry["statusListCredential"].replace("http://127.0.0.1:8000", "")
    index = int(entry["statusListIndex"])

    def bit() -> bool:
        document = client.get(path, HTTP_ACCEPT=VERIFIER_ACCEPT).json()
        assert credentials.verify_credential(document).valid
        bits = credentials.decode_status_list(document["credentialSubject"]["encodedList"])
        return credentials.get_status_bit(bits, index)

    assert bit() is False
    services.award_revoke(award=award, reason="取消")
    assert bit() is True


def test_a_pending_award_is_not_public(client, alice, badge_class, enqueued):
    award, _ = services.award_request(
        recipient=alice, badge_class=badge_class, source_key="enrolment:8", achieved_on=dt.date(2026, 4, 1)
    )
    assert client.get(f"/public/assertions/{award.public_id}").status_code == 404


def test_the_baked_image_is_private_until_the_holder_shares_it(client, award, alice, dave, carol):
    url = f"/public/assertions/{award.public_id}/image.png"
    assert client.get(url).status_code == 404
    client.force_login(dave)
    assert client.get(url).status_code == 404
    client.force_login(alice)
    assert client.get(url).status_code == 200
    Award.objects.filter(pk=award.pk).update(visibility=Award.Visibility.STAFF)
    client.force_login(dave)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 404
    Award.objects.filter(pk=award.pk).update(visibility=Award.Visibility.PUBLIC)
    assert client.get(url).status_code == 200


def test_the_did_document_lists_every_key_ever_used(client, award, settings):
    from badges import keys
    from badges.core import signing

    settings.BADGE_DID_WEB_DOMAIN = "learning.city.hachioji.tokyo.jp"
    keys.signing_key_register(issuer=keys.default_issuer(), public_key=signing.generate_private_key().public_key())
    document = json.loads(client.get("/.well-known/did.json").content)
    assert document["id"] == "did:web:learning.city.hachioji.tokyo.jp"
    assert len(document["verificationMethod"]) == 2
    assert award.signing_key.public_key_multibase in {m["publicKeyMultibase"] for m in document["verificationMethod"]}


def test_with_a_public_domain_the_issuer_is_did_web_and_verifies_with_the_portals_keys(
    alice, badge_class, signing_key, settings, enqueued
):
    from badges.core import signing

    settings.BADGE_DID_WEB_DOMAIN = "learning.city.hachioji.tokyo.jp"
    award, _ = services.award_request(
        recipient=alice, badge_class=badge_class, source_key="enrolment:9", achieved_on=dt.date(2026, 4, 1)
    )
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    assert award.credential["issuer"]["id"] == "did:web:learning.city.hachioji.tokyo.jp"
    public = signing_key.public_key()

    def resolve(method: str):  # type: ignore[no-untyped-def]
        expected = f"did:web:learning.city.hachioji.tokyo.jp#{signing.public_key_to_multibase(public)}"
        return public if method == expected else None

    assert credentials.verify_credential(award.credential, resolve_key=resolve).valid
