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
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from badges import publisher, services, tasks
from badges.core import publishing
from badges.models import Award
from tests.badges.nginx_server import REPO, free_port, nginx_binary, running_nginx
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


def test_nginx_sends_the_logo_with_its_type_and_never_the_verifiers_files(
    settings, tmp_path, signing_key, badge_class, alice, enqueued, published, clear_cache
):  # type: ignore[no-untyped-def]
    """The organisation's logo URL has no extension: the tree holds it as logo.svg, so nginx
    sends image/svg+xml (not its default JSON type). The facts the public verify deployment
    reads (.verify.json, .verify/) are in the tree but never served."""
    if nginx_binary() is None:
        _missing("nginx is not installed (WITH_TEST_TOOLS=1 scripts/system-deps.sh)")
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    settings.PORTAL_LOGO_FILE = str(logo)
    tree = tmp_path / "tree"
    settings.PORTAL_PUBLISH_DIR = str(tree)
    from tests.badges.conftest import issue

    award = issue(alice, badge_class, "published:nginx:logo")
    assert services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    run_publishing_task(published)
    publisher.publish_all()
    assert (tree / "organisation/logo.svg").is_file() and not (tree / "organisation/logo").exists()
    with running_nginx(tree, tmp_path / "nginx") as origin:
        status, content_type, body = fetch(f"{origin}/organisation/logo?v=1", "image/*")
        assert (status, content_type.split(";")[0]) == (200, "image/svg+xml") and body.startswith(b"<svg")
        assert (tree / f"public/assertions/{award.public_id}/.verify.json").is_file()
        assert fetch(f"{origin}/public/assertions/{award.public_id}/.verify.json")[0] == 404
        assert fetch(f"{origin}/public/share/{award.share_token}/.verify.json")[0] == 404
        assert fetch(f"{origin}/.verify/keys.json")[0] == 404
        assert fetch(f"{origin}/.verify/trusted-issuers.json")[0] == 404


@contextmanager
def public_gunicorn(tree: Path, work: Path, port: int) -> Iterator[None]:
    """The public verify deployment as docs/operations.md runs it: PORTAL_URLCONF_MODE=public,
    its own gunicorn, and a DATABASE_URL where no database answers."""
    env = {
        **os.environ,
        "PORTAL_URLCONF_MODE": "public",
        "PORTAL_PUBLISH_DIR": str(tree),
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/no_database",  # the discard port: refused
        "PORTAL_BASE_URL": django_settings.PORTAL_BASE_URL,
        "DJANGO_SETTINGS_MODULE": "hachioji_portal.settings",
    }
    env.pop("PORTAL_VERIFY_SOURCE", None)
    log = (work / "gunicorn.log").open("wb")
    args = [
        str(Path(sys.executable).parent / "gunicorn"),
        "hachioji_portal.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)  # noqa: S603 - fixed argv
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (work / "gunicorn.log").read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start within 30 s"
                time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_behind_nginx_the_public_deployment_verifies_from_the_tree_with_no_database(
    settings, tmp_path, signing_key, badge_class, alice, enqueued, published, clear_cache
):  # type: ignore[no-untyped-def]
    """nginx serves the tree and sends only the verify page and API to the public gunicorn,
    which reaches no database: a shared badge checks valid, then revoked once published."""
    if nginx_binary() is None:
        _missing("nginx is not installed (WITH_TEST_TOOLS=1 scripts/system-deps.sh)")
    from tests.badges.conftest import issue

    tree = tmp_path / "tree"
    settings.PORTAL_PUBLISH_DIR = str(tree)
    award = issue(alice, badge_class, "published:nginx:public")
    assert services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    run_publishing_task(published)
    publisher.publish_all()
    port = free_port()
    with public_gunicorn(tree, tmp_path, port), running_nginx(tree, tmp_path / "nginx", verify_port=port) as origin:
        assertion = f"{settings.PORTAL_BASE_URL}/public/assertions/{award.public_id}"
        report = post_json(f"{origin}/public/api/verify", {"url": assertion})
        assert (report["status"], report["findings"][0]["issued_by_this_portal"]) == ("valid", True)
        pasted = post_json(f"{origin}/public/api/verify", {"credential": award.credential})
        assert pasted["status"] == "valid"
        status, _type, page = fetch(f"{origin}/public/verify/?url={assertion}", "text/html")
        assert status == 200 and "verdict--valid" in page.decode()
        assert services.award_revoke(award=award, reason="誤発行のため取り消し")
        run_publishing_task(published)
        report = post_json(f"{origin}/public/api/verify", {"credential": award.credential})
        assert report["status"] == "revoked"
        assert report["findings"][0]["revocation_reason"] == "誤発行のため取り消し"
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log and "OperationalError" not in log, log


def post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - loopback nginx
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{exc.code}: {exc.read()[:500]!r}") from exc
