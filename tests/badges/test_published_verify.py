"""The public verify deployment (PORTAL_URLCONF_MODE=public) reads the published tree and the
register the publisher wrote there, never the staff database: every check below runs with the
database refusing every query, and gives the same report as the staff portal's own check of
the same badge (except the moment it was checked).

The tree is written by the publisher itself (publish_public, then the outbox after a
revocation), into a temporary folder; docs/operations.md, "The public deployment".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from badges import publisher, services
from badges.core import signing
from badges.models import Award, PublicationRequest
from badges.public import verification
from badges.public.verification import facts
from tests.badges.conftest import bake_ob3, baked_bytes, external_credential, issue, register_issuer

pytestmark = pytest.mark.django_db

API = "/public/api/verify"
PAGE = "/public/verify/"
BASE = "http://127.0.0.1:8000"


class DatabaseUsed(AssertionError):
    pass


@contextmanager
def no_database() -> Iterator[list[str]]:
    """Every query fails (and is listed): the public deployment has no database."""
    tried: list[str] = []

    def refuse(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        tried.append(sql)
        raise DatabaseUsed(f"the public deployment queried the database: {sql[:200]}")

    with connection.execute_wrapper(refuse):
        yield tried


@contextmanager
def public_deployment(settings: Any) -> Iterator[list[str]]:
    """The settings PORTAL_URLCONF_MODE=public gives, with the database refusing every query."""
    saved = {name: getattr(settings, name) for name in ("ROOT_URLCONF", "PORTAL_VERIFY_SOURCE", "SESSION_ENGINE")}
    settings.ROOT_URLCONF = "hachioji_portal.urls_public_only"
    settings.PORTAL_VERIFY_SOURCE = "tree"
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    verification.signature_memo_clear()
    facts.memo_clear()
    try:
        with no_database() as tried:
            yield tried
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)
        verification.signature_memo_clear()


def publish_pending() -> None:
    """What the publishing worker does with the outbox rows the services wrote."""
    publisher.publications_run(request_ids=list(PublicationRequest.objects.values_list("pk", flat=True)))


@pytest.fixture
def tree(settings: Any, tmp_path: Path) -> Path:
    settings.PORTAL_PUBLISH_DIR = str(tmp_path / "tree")
    settings.BADGE_VERIFY_RATE_LIMIT = 10_000
    return tmp_path / "tree"


@pytest.fixture
def badges(tree, alice, bob, badge_class, signing_key, enqueued, no_notifications):  # type: ignore[no-untyped-def]
    """Two badges alice shares with anyone, one bob keeps private, a stranger's key, a
    registered university's key; the whole tree published."""
    shared = issue(alice, badge_class, "published-verify:1")
    to_revoke = issue(alice, badge_class, "published-verify:2")
    private = issue(bob, badge_class, "published-verify:3")
    for award in (shared, to_revoke):
        assert services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    university = signing.generate_private_key()
    register_issuer(university, name="中央大学")
    publisher.publish_all(tree)
    PublicationRequest.objects.all().delete()
    return {"shared": shared, "to_revoke": to_revoke, "private": private, "university": university}


def tampered(credential: dict[str, Any]) -> dict[str, Any]:
    altered = json.loads(json.dumps(credential))
    altered["credentialSubject"]["achievement"]["name"] = "情報セキュリティ上級（改ざん）"
    return altered


def inputs(b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What a visitor hands the verify API: name -> the POST (``file`` or JSON)."""
    shared, private = b["shared"], b["private"]
    stranger = signing.generate_private_key()
    return {
        "genuine baked PNG": {"file": baked_bytes(shared)},
        "genuine credential": {"json": {"credential": shared.credential, "email": "alice@city.test"}},
        "genuine hosted assertion": {"json": {"credential": json.dumps(shared.assertion)}},
        "genuine assertion URL": {"json": {"url": f"{BASE}/public/assertions/{shared.public_id}"}},
        "genuine share URL": {"json": {"url": f"{BASE}/public/share/{shared.share_token}/"}},
        "revoked baked PNG": {"file": baked_bytes(b["to_revoke"])},
        "revoked credential": {"json": {"credential": b["to_revoke"].credential}},
        "private badge's credential": {"json": {"credential": private.credential, "email": "bob@city.test"}},
        "forged: altered credential": {"json": {"credential": tampered(shared.credential)}},
        "forged: altered assertion": {
            "json": {"credential": {**shared.assertion, "issuedOn": "2020-01-01T00:00:00+00:00"}}
        },
        "forged: in the city's name": {
            "json": {"credential": external_credential(issuer_name="八王子市", private_key=stranger)}
        },
        "unknown issuer": {
            "file": bake_ob3(external_credential(issuer_name="関東オンライン学院", private_key=stranger))
        },
        "registered issuer": {"file": bake_ob3(external_credential(private_key=b["university"]))},
    }


def post(client: Client, request: dict[str, Any]) -> dict[str, Any]:
    if "file" in request:
        response = client.post(API, {"file": _upload(request["file"])})
    else:
        response = client.post(API, request["json"], content_type="application/json")
    body = response.json()
    body.pop("checked_at", None)
    return {"http": response.status_code, **body}


def _upload(data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("badge.png", data, content_type="image/png")


EXPECTED = {
    "genuine baked PNG": "valid",
    "genuine credential": "valid",
    "genuine hosted assertion": "valid",
    "genuine assertion URL": "valid",
    "genuine share URL": "valid",
    "revoked baked PNG": "revoked",
    "revoked credential": "revoked",
    "private badge's credential": "valid",
    "forged: altered credential": "invalid",
    "forged: altered assertion": "invalid",
    "forged: in the city's name": "invalid",
    "unknown issuer": "unknown_issuer",
    "registered issuer": "valid",
}


def test_the_public_deployment_gives_the_staff_portals_verdicts_without_its_database(client, settings, badges):  # type: ignore[no-untyped-def]
    assert services.award_revoke(award=badges["to_revoke"], reason="誤発行のため取り消し")
    publish_pending()  # the publisher writes the revocation (the gone marker, facts, status list)
    cases = inputs(badges)
    full = {name: post(client, request) for name, request in cases.items()}
    with public_deployment(settings) as tried:
        public = {name: post(client, request) for name, request in cases.items()}
    assert tried == []
    for name in cases:
        assert full[name]["status"] == EXPECTED[name], (name, full[name])
        assert public[name] == full[name], name
    assert public["revoked credential"]["findings"][0]["revocation_reason"] == "誤発行のため取り消し"
    assert public["forged: in the city's name"]["code"] == "impersonation"
    assert public["registered issuer"]["findings"][0]["issuer"]["registered_as"] == "中央大学"
    assert public["genuine credential"]["recipient_match"] is True


def test_the_page_says_what_was_checked_without_the_database(client, settings, badges):  # type: ignore[no-untyped-def]
    assert services.award_revoke(award=badges["to_revoke"], reason="誤発行のため取り消し")
    publish_pending()
    with public_deployment(settings):
        genuine = client.post(PAGE, {"file": _upload(baked_bytes(badges["shared"]))}).content.decode()
        revoked = client.get(PAGE, {"url": f"{BASE}/public/assertions/{badges['to_revoke'].public_id}"})
        forged = client.post(
            API, {"credential": tampered(badges["shared"].credential)}, content_type="application/json"
        ).json()
    assert "verdict--valid" in genuine and badges["shared"].badge_class.name in genuine
    page = revoked.content.decode()
    assert revoked.status_code == 200 and "verdict--revoked" in page and "誤発行のため取り消し" in page
    assert (forged["status"], forged["code"]) == ("invalid", "invalid_signature")
    assert forged["findings"][0]["signature"] == "invalid"


def test_a_private_badges_ob2_record_is_not_published_so_the_public_side_says_so(client, settings, badges):  # type: ignore[no-untyped-def]
    private = badges["private"]
    files = [p for p in Path(settings.PORTAL_PUBLISH_DIR).rglob("*") if p.is_file()]
    assert not any(str(private.public_id) in p.as_posix() for p in files)
    assert not any(str(private.public_id).encode() in p.read_bytes() for p in files)
    with public_deployment(settings):
        body = client.post(API, {"credential": json.dumps(private.assertion)}, content_type="application/json").json()
        png = client.post(API, {"file": _upload(baked_bytes(private))}).json()
    assert (body["status"], body["code"]) == ("unverifiable", "not_published")
    # The baked image's signed OB 3.0 credential still checks; the report names both.
    assert png["status"] == "unverifiable"
    by_standard = {f["standard"]: f for f in png["findings"]}
    assert by_standard["3.0"]["status"] == "valid" and by_standard["2.0"]["code"] == "not_published"


def test_a_register_change_reaches_the_public_side_through_the_outbox(client, settings, badges):  # type: ignore[no-untyped-def]
    newcomer = signing.generate_private_key()
    png = bake_ob3(external_credential(issuer_name="多摩ICTカレッジ", private_key=newcomer))
    with public_deployment(settings):
        assert post(client, {"file": png})["status"] == "unknown_issuer"
    register_issuer(newcomer, name="多摩ICTカレッジ")  # as HR does in the admin
    assert PublicationRequest.objects.filter(target=publisher.REGISTER_TARGET).exists()
    publish_pending()
    with public_deployment(settings):
        assert post(client, {"file": png})["status"] == "valid"


def test_the_register_can_be_a_file_of_its_own(client, settings, badges, tmp_path):  # type: ignore[no-untyped-def]
    register = Path(settings.PORTAL_PUBLISH_DIR) / ".verify" / "trusted-issuers.json"
    elsewhere = tmp_path / "register.json"
    elsewhere.write_bytes(register.read_bytes())
    register.unlink()
    settings.PORTAL_TRUST_REGISTER_FILE = str(elsewhere)
    png = bake_ob3(external_credential(private_key=badges["university"]))
    with public_deployment(settings):
        assert post(client, {"file": png})["status"] == "valid"
        health = client.get("/health").json()
    assert health["checks"] == {"keys": "ok", "register": "ok", "cache": "ok"}


def test_the_verifier_files_are_in_the_tree_and_name_nothing_private(settings, badges):  # type: ignore[no-untyped-def]
    tree = Path(settings.PORTAL_PUBLISH_DIR)
    shared = badges["shared"]
    award_facts = json.loads((tree / f"public/assertions/{shared.public_id}/.verify.json").read_text())
    assert award_facts["status"] == "issued" and award_facts["badge_class"] == str(shared.badge_class.public_id)
    assert "evidence" not in json.dumps(award_facts)  # the assertion only as its digest
    keys = json.loads((tree / ".verify/keys.json").read_text())
    assert {k["multibase"] for k in keys["keys"]} == {badges["shared"].issuer.keys.get().public_key_multibase}
    share_facts = json.loads((tree / f"public/share/{shared.share_token}/.verify.json").read_text())
    assert share_facts == {"award": str(shared.public_id)}


def test_a_published_share_page_says_when_it_was_checked_not_just_now(settings, badges):  # type: ignore[no-untyped-def]
    page = (Path(settings.PORTAL_PUBLISH_DIR) / f"public/share/{badges['shared'].share_token}/index.html").read_text()
    assert "verdict--valid" in page
    assert "たった今" not in page and "just now" not in page
    assert "Checked at" in page or "公開した" in page


def test_without_its_status_list_a_badge_is_never_valid_on_the_public_side(client, settings, badges):  # type: ignore[no-untyped-def]
    credential = badges["private"].credential
    status_url = credential["credentialStatus"]["statusListCredential"]
    listed = Path(settings.PORTAL_PUBLISH_DIR) / status_url.removeprefix(BASE + "/")
    listed.unlink()  # not published yet, or lost on the way
    with public_deployment(settings):
        body = post(client, {"json": {"credential": credential}})
    assert (body["status"], body["code"]) == ("unverifiable", "revocation_not_checked")
    assert body["findings"][0]["signature"] == "valid" and body["findings"][0]["check_at"] == status_url
