"""A revoked badge is marked 取消し wherever its holder sees it, and is no longer downloaded
or shared: the pages offer nothing, and the views refuse when asked directly."""

from __future__ import annotations

import pytest

from badges import services
from badges.models import Award

pytestmark = pytest.mark.django_db


@pytest.fixture
def revoked(award, alice):  # type: ignore[no-untyped-def]
    """Alice's badge, shared publicly, then revoked by HR."""
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    services.award_revoke(award=award, reason="成績の誤りのため")
    award.refresh_from_db()
    return award


def test_a_revoked_badge_cannot_be_downloaded(client, alice, revoked):
    client.force_login(alice)
    for url in (f"/badges/{revoked.public_id}/download.png", f"/badges/{revoked.public_id}/credential.json"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"/badges/{revoked.public_id}/", url
        assert "Content-Disposition" not in response


def test_a_revoked_badge_gets_no_new_share_link_and_cannot_be_shown_to_more_people(client, alice, revoked):
    client.force_login(alice)
    token = revoked.share_token
    client.post(f"/badges/{revoked.public_id}/share-link/renew")
    services.award_set_visibility(award=revoked, visibility=Award.Visibility.PRIVATE, by=alice)
    for wider in (Award.Visibility.STAFF, Award.Visibility.PUBLIC):
        client.post(f"/badges/{revoked.public_id}/visibility", {"visibility": wider})
    revoked.refresh_from_db()
    assert revoked.share_token == token
    assert revoked.visibility == Award.Visibility.PRIVATE


def test_the_holder_can_still_hide_a_revoked_badge(client, alice, revoked):
    client.force_login(alice)
    page = client.get(f"/badges/{revoked.public_id}/").content.decode()
    assert '<input type="hidden" name="visibility" value="private">' in page  # the one form offered
    assert 'type="radio"' not in page  # no choice of wider audiences
    client.post(f"/badges/{revoked.public_id}/visibility", {"visibility": "private"})
    revoked.refresh_from_db()
    assert revoked.visibility == Award.Visibility.PRIVATE


def test_the_page_of_a_revoked_badge_marks_it_and_offers_no_download_or_sharing(client, alice, revoked):
    client.force_login(alice)
    page = client.get(f"/badges/{revoked.public_id}/").content.decode()
    assert "取消し" in page and "成績の誤りのため" in page
    for offered in ("download.png", "credential.json", "linkedin.com", "share-url", "share-link/renew", "LinkedIn"):
        assert offered not in page, offered


def test_the_page_of_a_valid_badge_still_offers_download_and_sharing(client, alice, award):
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    client.force_login(alice)
    page = client.get(f"/badges/{award.public_id}/").content.decode()
    for offered in ("download.png", "credential.json", "linkedin.com", "share-url"):
        assert offered in page, offered


def test_my_badges_marks_a_revoked_badge_beside_its_name(client, alice, revoked):
    client.force_login(alice)
    page = client.get("/badges/").content.decode()
    title = page[page.index('class="badge-card__title"') :]
    title = title[: title.index("</h2>")]
    assert "取消し" in title


def test_english_badge_pages_name_the_issuer_in_english(client, alice, award):
    alice.preferred_language = "en"
    alice.save()
    client.force_login(alice)
    for url in ("/badges/", f"/badges/{award.public_id}/"):
        page = client.get(url).content.decode()
        assert "Hachioji City" in page and "八王子市</dd>" not in page, url


def test_the_page_of_a_revoked_badge_says_so_right_under_its_name(client, alice, revoked):
    client.force_login(alice)
    page = client.get(f"/badges/{revoked.public_id}/").content.decode()
    heading_end = page.index("</h1>")
    first_fact = page.index('class="facts"')
    between = page[heading_end:first_fact]
    assert "取消し" in between
    assert "このバッジは取り消されました" in between
