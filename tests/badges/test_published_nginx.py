"""The published public tree, served by Debian's nginx with the configuration shipped in
deploy/nginx/, is enough for an independent verifier: the DCC verifier-core (interop/verify.mjs)
checks a badge against that origin (status list fetched from nginx) as valid, and as revoked
once the revocation has been published. Files of private badges are never in the tree.

nginx runs as a child process on a free loopback port (tests/badges/nginx_server.py); Node and
nginx come from `WITH_TEST_TOOLS=1 scripts/system-deps.sh` and `make interop-deps`.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from badges import publisher, services, tasks
from badges.core import publishing
from badges.models import Award
from tests.badges.nginx_server import nginx_binary, running_nginx
from tests.badges.test_interop_dcc import dcc_verify, describe
from tests.conftest import _missing

pytestmark = [pytest.mark.interop, pytest.mark.django_db(transaction=True)]


def fetch(url: str, accept: str = "application/ld+json") -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 - loopback nginx
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Publishing messages recorded instead of going to a broker (the test runs the task itself);
    holders' emails kept off the broker too."""
    sent: list[list[int]] = []
    monkeypatch.setattr(publisher, "publications_enqueue", lambda ids: sent.append(list(ids)) or len(ids))
    monkeypatch.setattr("badges.notifications.awards_notify_enqueue", lambda award_ids: None)
    monkeypatch.setattr("staff.emails.email_dispatch", lambda email_id: True)
    return sent


def run_publishing_task(sent: list[list[int]]) -> None:
    """What the worker does with each message queued after the commits."""
    while sent:
        tasks.publications_publish_task.apply(args=(sent.pop(0),)).get()


def test_a_badge_verifies_from_the_nginx_served_tree_then_shows_revoked(
    node, settings, tmp_path, signing_key, badge_class, alice, bob, enqueued, published, clear_cache
):  # type: ignore[no-untyped-def]
    from badges import issuing

    if nginx_binary() is None:
        _missing("nginx is not installed (WITH_TEST_TOOLS=1 scripts/system-deps.sh)")
    tree = tmp_path / "tree"
    settings.PORTAL_PUBLISH_DIR = str(tree)
    settings.BADGE_DID_WEB_DOMAIN = ""  # did:key: did:web would need https
    with running_nginx(tree, tmp_path / "nginx") as origin:
        settings.PORTAL_BASE_URL = origin

        def issued(person: Any, key: str) -> Award:
            award, _ = services.award_request(
                recipient=person, badge_class=badge_class, source_key=key, achieved_on=dt.date(2026, 3, 31)
            )
            assert issuing.award_ensure_issued(award_id=award.pk) == "issued"
            return Award.objects.get(pk=award.pk)

        shared = issued(alice, "published:nginx:1")
        private = issued(bob, "published:nginx:2")
        assert services.award_set_visibility(award=shared, visibility=Award.Visibility.PUBLIC, by=alice)
        run_publishing_task(published)

        # 1. The credential as nginx serves it, verified against nginx: valid, not revoked.
        status, content_type, body = fetch(f"{origin}/public/assertions/{shared.public_id}/credential.json")
        assert status == 200 and content_type.startswith("application/ld+json")
        credential = json.loads(body)
        assert credential == json.loads(json.dumps(shared.credential))
        status_url = credential["credentialStatus"]["statusListCredential"]
        assert status_url.startswith(origin + "/public/issuers/")
        outcome = dcc_verify(node, credential, tmp_path, "published")
        assert outcome["valid"] is True, describe(outcome)
        assert outcome["revoked"] is False, describe(outcome)
        assert outcome["errors"] == [], describe(outcome)
        assert {"url": status_url, "action": "fetched"} in outcome["network"]

        # The rest of what a visitor or a verifier asks that origin for.
        assertion_url = f"{origin}/public/assertions/{shared.public_id}"
        status, content_type, body = fetch(assertion_url)
        assert (status, json.loads(body)["id"]) == (200, assertion_url)
        status, content_type, body = fetch(assertion_url, "text/html,application/xhtml+xml,*/*;q=0.8")
        assert status == 200 and content_type.startswith("text/html")
        badge_url = f"{origin}/public/badges/{badge_class.public_id}"
        assert json.loads(fetch(badge_url)[2])["type"] == "BadgeClass"
        assert "Achievement" in json.loads(fetch(badge_url, "application/vc+ld+json")[2])["type"]
        status, content_type, page = fetch(f"{origin}/public/share/{shared.share_token}/", "text/html")
        assert status == 200 and alice.family_name in page.decode()
        assert fetch(f"{origin}/public/assertions/{shared.public_id}/image.png")[1] == "image/png"
        assert json.loads(fetch(f"{origin}/.well-known/did.json")[2])["verificationMethod"]
        assert fetch(f"{origin}/admin/")[0] == 404  # the staff portal is not there

        # 2. A private badge: not one file in the tree, nothing at its URLs.
        private_files = [
            p
            for p in tree.rglob("*")
            if str(private.public_id) in p.as_posix() or str(private.share_token) in p.as_posix()
        ]
        assert private_files == []
        assert fetch(f"{origin}/public/assertions/{private.public_id}")[0] == 404
        assert fetch(f"{origin}/public/assertions/{private.public_id}/credential.json")[0] == 404
        assert fetch(f"{origin}/public/share/{private.share_token}/", "text/html")[0] == 404

        # 3. Revoked in the portal; the publishing task rewrites the signed status list.
        assert services.award_revoke(award=shared, reason="誤発行のため取り消し")
        assert published, "the revocation queued a publication"
        run_publishing_task(published)
        outcome = dcc_verify(node, credential, tmp_path, "published-revoked")
        assert outcome["valid"] is True, describe(outcome)
        assert outcome["revoked"] is True, describe(outcome)
        status, _type, body = fetch(assertion_url)
        assert status == 410 and json.loads(body)["revoked"] is True
        assert fetch(f"{origin}/public/assertions/{shared.public_id}/image.png")[0] == 404
        # Still nothing of the private badge after everything was published again.
        publisher.publish_all()
        assert not (tree / publishing.award_folder(private.public_id)).exists()
        assert not Path(tree / publishing.share_folder(private.share_token)).exists()
