"""Status lists (issue 12, parts 2 and 5): only lists that exist are signed and served, and the
cached list follows the DID that signs it."""

from __future__ import annotations

import pytest

from badges import keys, links
from badges.core import credentials
from tests.factories import make_badge_class

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]

VERIFIER_ACCEPT = "application/ld+json"


def _path(public_id: object, list_number: int) -> str:
    return links.status_list_url(public_id, list_number).replace("http://127.0.0.1:8000", "")


def test_only_the_lists_in_use_are_served_and_any_other_number_is_404(client, award):
    issuer = award.issuer
    in_use = award.status_list_index // links.STATUS_LIST_SIZE
    assert client.get(_path(issuer.public_id, in_use), HTTP_ACCEPT=VERIFIER_ACCEPT).status_code == 200
    # Anonymous requests for made-up numbers used to be signed on demand and cached per number.
    for list_number in (in_use + 1, 7_000, 10**9, 10**28):
        assert client.get(_path(issuer.public_id, list_number), HTTP_ACCEPT=VERIFIER_ACCEPT).status_code == 404


def test_an_issuer_with_no_awards_has_no_status_list(client, signing_key):
    issuer = keys.default_issuer()
    make_badge_class()
    assert client.get(_path(issuer.public_id, 0), HTTP_ACCEPT=VERIFIER_ACCEPT).status_code == 404


def test_after_a_switch_to_did_web_the_status_list_is_signed_by_the_new_did(client, award, settings):
    path = award.credential["credentialStatus"]["statusListCredential"].replace("http://127.0.0.1:8000", "")
    before = client.get(path, HTTP_ACCEPT=VERIFIER_ACCEPT).json()
    assert before["issuer"].startswith("did:key:")
    assert credentials.verify_credential(before).valid

    settings.BADGE_DID_WEB_DOMAIN = "learning.city.hachioji.tokyo.jp"
    after = client.get(path, HTTP_ACCEPT=VERIFIER_ACCEPT).json()
    assert after["issuer"] == "did:web:learning.city.hachioji.tokyo.jp"
    proof = after["proof"][0] if isinstance(after["proof"], list) else after["proof"]
    assert proof["verificationMethod"].startswith("did:web:learning.city.hachioji.tokyo.jp#")

    settings.BADGE_DID_WEB_DOMAIN = ""  # and back: did:key again, not the did:web list
    assert client.get(path, HTTP_ACCEPT=VERIFIER_ACCEPT).json()["issuer"] == before["issuer"]
