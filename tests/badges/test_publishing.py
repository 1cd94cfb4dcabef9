"""The published public tree (badges/core/publishing.py, badges/publisher.py): what is written, what
never is, and that nothing is lost when the target or the broker is down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from badges import keys, publisher, services
from badges.core import credentials, publishing, signing
from badges.models import Award, PublicationRequest
from tests.badges.conftest import issue

pytestmark = pytest.mark.django_db


# ----------------------------------------------------------------------------- pure part


def test_a_folder_url_is_stored_as_its_index_per_variant() -> None:
    uid = "0b0b0b0b-1111-2222-3333-444444444444"
    assert publishing.tree_path(f"/public/assertions/{uid}", "json") == f"public/assertions/{uid}/index.json"
    assert publishing.tree_path(f"/public/badges/{uid}", "ob3") == f"public/badges/{uid}/index.ob3"
    assert publishing.tree_path(f"/public/share/{uid}/") == f"public/share/{uid}/index.html"
    assert publishing.tree_path(f"/public/issuers/{uid}/status/0") == f"public/issuers/{uid}/status/0"
    assert publishing.tree_path("/.well-known/did.json") == ".well-known/did.json"


@pytest.mark.parametrize("path", ["/public/../../etc/passwd", "/public/./x", "/public/.publishing-x", "relative"])
def test_paths_that_would_leave_the_tree_or_hide_in_it_are_refused(path: str) -> None:
    with pytest.raises(publishing.TreePathError):
        publishing.tree_path(path)


def test_files_are_written_whole_and_unchanged_ones_are_left_alone(tmp_path: Path) -> None:
    assert publishing.write_files(tmp_path, {"public/a/index.json": b"{}", "public/b": b"1"}) == 2
    before = (tmp_path / "public/a/index.json").stat().st_mtime_ns
    assert publishing.write_files(tmp_path, {"public/a/index.json": b"{}", "public/b": b"2"}) == 1
    assert (tmp_path / "public/a/index.json").stat().st_mtime_ns == before
    assert (tmp_path / "public/b").read_bytes() == b"2"
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(publishing.TEMP_PREFIX)]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    publishing.write_files(tmp_path, {"public/x": b"old"})

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publishing.os, "replace", broken_replace)
    with pytest.raises(OSError):
        publishing.write_files(tmp_path, {"public/x": b"new"})
    assert (tmp_path / "public/x").read_bytes() == b"old"
    assert [p.name for p in (tmp_path / "public").iterdir()] == ["x"]


def test_a_static_page_loses_the_language_switch_that_posts_to_the_staff_portal() -> None:
    html = (
        '<header><form class="lang-switch" action="/me/language/" method="post">\n'
        '<input name="csrfmiddlewaretoken" value="t"></form></header><main>本文</main>'
    )
    assert publishing.static_page(html) == "<header></header><main>本文</main>"


# ----------------------------------------------------------------------------- the service


@pytest.fixture
def tree(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "published"
    settings.PORTAL_PUBLISH_DIR = str(root)
    return root


@pytest.fixture
def no_publish_queue(monkeypatch) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """Record the publishing messages instead of sending them to a broker."""
    sent: list[list[int]] = []
    monkeypatch.setattr(publisher, "publications_enqueue", lambda ids: sent.append(list(ids)) or len(ids))
    return sent


def publish_pending() -> int:
    """What the publishing task does with every request waiting."""
    return publisher.publications_run(request_ids=list(PublicationRequest.objects.values_list("pk", flat=True)))


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def award_files(root: Path, award: Award) -> set[str]:
    return {
        f
        for f in files_of(root)
        if f.startswith((publishing.award_folder(award.public_id), publishing.share_folder(award.share_token)))
    }


def revoked_bits(root: Path, award: Award) -> set[int]:
    path = root / f"public/issuers/{award.issuer.public_id}/status/0"
    document = json.loads(path.read_bytes())
    bits = credentials.decode_status_list(document["credentialSubject"]["encodedList"])
    return {i for n, b in enumerate(bits) if b for i in range(8 * n, 8 * n + 8) if credentials.get_status_bit(bits, i)}


def test_a_private_badge_publishes_its_issuer_badge_class_and_status_list_but_no_file_of_its_own(
    tree, alice, badge_class, signing_key, enqueued, no_publish_queue, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        award = issue(alice, badge_class, "publishing:1")
    assert no_publish_queue and PublicationRequest.objects.filter(target=f"award:{award.pk}").exists()
    assert publish_pending() >= 1
    assert not PublicationRequest.objects.exists()
    files = files_of(tree)
    issuer, badge = award.issuer.public_id, badge_class.public_id
    assert {
        ".well-known/did.json",
        f"public/issuers/{issuer}/index.json",
        f"public/issuers/{issuer}/index.html",
        f"public/issuers/{issuer}/image.png",
        f"public/issuers/{issuer}/status/0",
        f"public/badges/{badge}/index.json",
        f"public/badges/{badge}/index.ob3",
        f"public/badges/{badge}/index.html",
        f"public/badges/{badge}/image.png",
    } <= files
    assert award_files(tree, award) == set()
    achievement = json.loads((tree / f"public/badges/{badge}/index.ob3").read_bytes())
    assert "Achievement" in achievement["type"]
    assert revoked_bits(tree, award) == set()


def test_sharing_with_anyone_publishes_the_share_page_image_and_hosted_documents(
    tree, alice, badge_class, signing_key, enqueued, no_publish_queue
):  # type: ignore[no-untyped-def]
    award = issue(alice, badge_class, "publishing:2")
    assert services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    publish_pending()
    folder, share = publishing.award_folder(award.public_id), publishing.share_folder(award.share_token)
    assert award_files(tree, award) == {
        f"{folder}/index.json",
        f"{folder}/index.html",
        f"{folder}/credential.json",
        f"{folder}/qr.svg",
        f"{folder}/image.png",
        f"{share}/index.html",
        f"{share}/qr.svg",
        f"{folder}/.verify.json",  # what the public verify deployment reads (never served)
        f"{share}/.verify.json",
    }
    assert json.loads((tree / folder / "credential.json").read_bytes())["id"] == award.credential["id"]
    assert json.loads((tree / folder / "index.json").read_bytes())["type"] == "Assertion"
    page = (tree / share / "index.html").read_text()
    assert alice.family_name in page  # shared with anyone: the holder's name, as the page shows it
    assert "lang-switch" not in page and "csrfmiddlewaretoken" not in page
    assert (tree / "static/css/portal.css").is_file()  # what the page loads is published with it
    assert (tree / folder / "image.png").read_bytes().startswith(b"\x89PNG")


def test_making_a_badge_private_again_removes_every_file_of_it(
    tree, alice, badge_class, signing_key, enqueued, no_publish_queue
):  # type: ignore[no-untyped-def]
    award = issue(alice, badge_class, "publishing:3")
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    publish_pending()
    assert award_files(tree, award)
    services.award_set_visibility(award=award, visibility=Award.Visibility.PRIVATE, by=alice)
    publish_pending()
    assert award_files(tree, award) == set()
    assert not (tree / publishing.award_folder(award.public_id)).exists()


def test_city_staff_sharing_publishes_the_nameless_documents_but_no_page_or_image(
    tree, alice, badge_class, signing_key, enqueued, no_publish_queue
):  # type: ignore[no-untyped-def]
    award = issue(alice, badge_class, "publishing:4")
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    publish_pending()
    services.award_set_visibility(award=award, visibility=Award.Visibility.STAFF, by=alice)
    publish_pending()
    folder = publishing.award_folder(award.public_id)
    assert award_files(tree, award) == {
        f"{folder}/index.json",
        f"{folder}/index.html",
        f"{folder}/credential.json",
        f"{folder}/qr.svg",
        f"{folder}/.verify.json",
    }
    assert alice.family_name not in (tree / folder / "index.html").read_text()


def test_renewing_the_share_link_withdraws_the_old_page_from_the_tree(
    tree, alice, badge_class, signing_key, enqueued, no_publish_queue
):  # type: ignore[no-untyped-def]
    award = issue(alice, badge_class, "publishing:5")
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    publish_pending()
    old = award.share_token
    new = services.award_share_link_renew(award=award, by=alice)
    publish_pending()
    assert not (tree / publishing.share_folder(old)).exists()
    assert (tree / publishing.share_folder(new) / "index.html").is_file()


def test_revocation_answers_gone_sets_the_status_bit_and_takes_the_image_down(
    tree, alice, badge_class, signing_key, enqueued, no_publish_queue
):  # type: ignore[no-untyped-def]
    award = issue(alice, badge_class, "publishing:6")
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    publish_pending()
    assert revoked_bits(tree, award) == set()
    assert services.award_revoke(award=award, reason="誤発行")
    publish_pending()
    folder = tree / publishing.award_folder(award.public_id)
    assert (folder / publishing.GONE_MARKER).is_file()
    assert json.loads((folder / "index.json").read_bytes())["revoked"] is True
    assert not (folder / "image.png").exists()  # the portal no longer serves it either
    assert (folder / "credential.json").is_file()  # verifiers read its status from the list
    assert revoked_bits(tree, award) == {award.status_list_index}
    # The share page stays while shared, saying the badge was revoked (as the portal's page does).
    assert (tree / publishing.share_folder(award.share_token) / "index.html").is_file()


def test_a_key_rotation_republishes_did_json_and_the_status_lists(
    tree, alice, badge_class, signing_key, enqueued, no_publish_queue, settings
):  # type: ignore[no-untyped-def]
    award = issue(alice, badge_class, "publishing:7")
    publish_pending()
    before = json.loads((tree / ".well-known/did.json").read_bytes())
    status_before = json.loads((tree / f"public/issuers/{award.issuer.public_id}/status/0").read_bytes())
    new_private = signing.generate_private_key()
    key_file = Path(settings.BADGE_SIGNING_KEY_FILE)
    key_file.write_bytes(signing.private_key_to_pem(new_private))
    keys.signing_key_register(issuer=award.issuer, public_key=new_private.public_key())
    assert PublicationRequest.objects.filter(target=publisher.KEYS_TARGET).exists()
    publish_pending()
    after = json.loads((tree / ".well-known/did.json").read_bytes())
    assert len(after["verificationMethod"]) == len(before["verificationMethod"]) + 1
    status_after = json.loads((tree / f"public/issuers/{award.issuer.public_id}/status/0").read_bytes())
    new_multibase = signing.public_key_to_multibase(new_private.public_key())
    assert new_multibase in status_after["proof"][0]["verificationMethod"]
    assert status_after["proof"] != status_before["proof"]


def test_nothing_is_requested_when_publishing_is_off(settings, alice, badge_class, signing_key, enqueued) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_PUBLISH_DIR = ""
    award = issue(alice, badge_class, "publishing:8")
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    assert not PublicationRequest.objects.exists()


def test_a_target_that_cannot_be_written_keeps_the_requests_for_the_sweep(
    tree, alice, badge_class, signing_key, enqueued, no_publish_queue
):  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    award = issue(alice, badge_class, "publishing:9")
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    tree.parent.mkdir(parents=True, exist_ok=True)
    tree.write_bytes(b"not a directory: the mount is gone")
    waiting = PublicationRequest.objects.count()
    with pytest.raises(OSError):
        publish_pending()
    assert PublicationRequest.objects.count() == waiting  # nothing lost
    # The sweep queues them again once they have waited long enough.
    no_publish_queue.clear()
    later = timezone.now() + dt.timedelta(seconds=30)
    assert publisher.publications_requeue_stale(older_than=dt.timedelta(seconds=20), now=later) == waiting
    assert sorted(no_publish_queue[0]) == sorted(PublicationRequest.objects.values_list("pk", flat=True))
    tree.unlink()
    publish_pending()
    assert (tree / publishing.share_folder(award.share_token) / "index.html").is_file()


def test_the_publishing_task_is_queued_after_the_commit_with_the_request_ids(
    tree, alice, badge_class, signing_key, enqueued, monkeypatch, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    award = issue(alice, badge_class, "publishing:10")
    PublicationRequest.objects.all().delete()  # the issue's own, published meanwhile
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        "hachioji_portal.queueing.publish", lambda task, args=(), kwargs=None: sent.append(args) or True
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.award_revoke(award=award, reason="誤発行")
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    request = PublicationRequest.objects.get(target=f"award:{award.pk}")
    assert ([request.pk],) in sent
    request.refresh_from_db()
    assert request.queued_at is not None


def test_publish_public_rebuilds_everything_and_removes_what_should_not_be_there(
    tree, alice, bob, badge_class, signing_key, enqueued, no_publish_queue
):  # type: ignore[no-untyped-def]
    shared = issue(alice, badge_class, "publishing:11")
    private = issue(bob, badge_class, "publishing:12")
    Award.objects.filter(pk=shared.pk).update(visibility=Award.Visibility.PUBLIC)  # behind the services' back
    stray_share = tree / "public/share/5f0e3b52-0000-4000-8000-000000000000/index.html"
    stray_award = tree / publishing.award_folder(private.public_id) / "index.json"
    for stray in (stray_share, stray_award):
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_text("{}")
    call_command("publish_public")
    assert (tree / publishing.share_folder(shared.share_token) / "index.html").is_file()
    assert not stray_share.parent.exists()
    assert award_files(tree, private) == set()


def test_publishing_an_issuing_batch_of_private_badges_takes_a_few_queries_whatever_its_size(
    tree, alice, badge_class, signing_key, enqueued, no_publish_queue, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    issue(alice, badge_class, "publishing:20")
    publish_pending()  # the issuer, badge class, status list and did.json are there now
    for n in range(21, 41):
        issue(alice, badge_class, f"publishing:{n}")
    assert PublicationRequest.objects.count() == 20
    # lock the requests, lock the awards, lock the issuers (none), badge classes (none), delete
    with django_assert_max_num_queries(6):
        assert publish_pending() == 20
    assert not (tree / "public/assertions").exists()


def test_hr_editing_a_badge_class_rewrites_its_public_files(tree, badge_class, no_publish_queue) -> None:  # type: ignore[no-untyped-def]
    badge_class.name = "地方自治法の基礎（改訂）"
    badge_class.save()
    assert PublicationRequest.objects.filter(target=publisher.badge_class_target(badge_class.pk)).exists()
    publish_pending()
    document = json.loads((tree / f"public/badges/{badge_class.public_id}/index.json").read_bytes())
    assert document["name"] == "地方自治法の基礎（改訂）"


def test_a_shared_badge_that_expired_is_asked_for_again_by_the_sweep(
    tree, alice, badge_class, signing_key, enqueued, no_publish_queue
):  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    award = issue(alice, badge_class, "publishing:50")
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    publish_pending()
    now = timezone.now()
    Award.objects.filter(pk=award.pk).update(expires_at=now - dt.timedelta(minutes=1))
    publisher.publications_requeue_stale(older_than=dt.timedelta(seconds=20), now=now)
    assert PublicationRequest.objects.filter(target=publisher.award_target(award.pk)).exists()
