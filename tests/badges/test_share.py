"""Sharing a badge: the public share page (cards for social media, LinkedIn, QR code), who may
open it, and the issue's "done when" walk-through from making a badge public to revoking it."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from badges.core import qr
from badges.models import Award

# Every test runs twice: with the share page's speed tricks and without (tests/badges/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache", "share_mode")]
BASE = "http://127.0.0.1:8000"


def share_path(award: Award) -> str:
    return f"/public/share/{award.share_token}/"


def meta(page: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', page)
    assert match, f"no {key} meta tag"
    return unescape(match.group(1))


def make(award: Award, visibility: str) -> None:
    Award.objects.filter(pk=award.pk).update(visibility=visibility)


# ------------------------------------------------------------------ the walk-through


def test_done_when_public_share_qr_verify_then_revoke(client, award, alice, carol):
    # A staff member makes a badge public from their badge page.
    client.force_login(alice)
    response = client.post(f"/badges/{award.public_id}/visibility", {"visibility": "public"})
    assert response.status_code == 302
    png = client.get(f"/badges/{award.public_id}/download.png").content
    client.logout()

    # The share page opens in a logged-out browser, with card preview tags in the source.
    page = client.get(share_path(award)).content.decode()
    share_url = f"{BASE}{share_path(award)}"
    assert meta(page, "og:title") == award.badge_class.name
    assert meta(page, "og:url") == share_url
    assert meta(page, "og:image") == f"{BASE}/public/badges/{award.badge_class.public_id}/image.png"
    assert meta(page, "twitter:card") == "summary_large_image"
    assert "山田 花子" in page  # public: the holder's name is shown

    # The QR code on the page decodes to the same page.
    svg = client.get(f"/public/share/{award.share_token}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert qr.svg_modules(svg.content) == qr.qr_matrix(share_url)
    assert client.get(urlsplit(share_url).path).status_code == 200

    # An outsider uploads the downloaded PNG to the verify page and sees "valid".
    result = client.post("/public/verify/", {"file": SimpleUploadedFile("badge.png", png)}).content.decode()
    assert "verdict--valid" in result

    # HR revokes the badge in the admin; the same upload now says "revoked" with the reason.
    client.force_login(carol)
    response = client.post(
        "/admin/badges/award/",
        {"action": "revoke_selected", "_selected_action": [award.pk], "apply": "1", "reason": "成績の登録誤り"},
    )
    assert response.status_code == 302
    client.logout()
    result = client.post("/public/verify/", {"file": SimpleUploadedFile("badge.png", png)}).content.decode()
    assert "verdict--revoked" in result and "成績の登録誤り" in result
    # And the share page says so too.
    page = client.get(share_path(award)).content.decode()
    assert "verdict--revoked" in page and "成績の登録誤り" in page


# ------------------------------------------------------------------ who may open it


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        ("private", {"anonymous": 404, "alice": 200, "bob": 404, "carol": 200, "dave": 404}),
        ("staff", {"anonymous": 404, "alice": 200, "bob": 200, "carol": 200, "dave": 200}),
        ("public", {"anonymous": 200, "alice": 200, "bob": 200, "carol": 200, "dave": 200}),
    ],
)
def test_who_may_open_the_share_page_and_its_qr_code(client, award, alice, bob, carol, dave, visibility, expected):
    make(award, visibility)
    people = {"anonymous": None, "alice": alice, "bob": bob, "carol": carol, "dave": dave}
    for who, status in expected.items():
        client.logout()
        if people[who] is not None:
            client.force_login(people[who])
        assert client.get(share_path(award)).status_code == status, who
        assert client.get(f"/public/share/{award.share_token}/qr.svg").status_code == status, who


def test_a_badge_not_yet_issued_has_no_share_page(client, alice, badge_class, enqueued):
    from badges import services

    pending, _ = services.award_request(
        recipient=alice, badge_class=badge_class, source_key="enrolment:900", achieved_on=award_date()
    )
    make(pending, "public")
    assert client.get(share_path(pending)).status_code == 404


def award_date():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.date(2026, 4, 1)


def test_making_the_badge_private_again_takes_effect_at_once(client, award, alice):
    make(award, "public")
    assert client.get(share_path(award)).status_code == 200
    client.force_login(alice)
    client.post(f"/badges/{award.public_id}/visibility", {"visibility": "private"})
    client.logout()
    response = client.get(share_path(award))
    assert response.status_code == 404
    assert client.get(f"/public/assertions/{award.public_id}/image.png").status_code == 404


def test_a_withdrawn_link_stops_working_and_the_new_one_works(client, award, alice):
    make(award, "public")
    old = share_path(award)
    client.force_login(alice)
    assert client.post(f"/badges/{award.public_id}/share-link/renew").status_code == 302
    award.refresh_from_db()
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(share_path(award)).status_code == 200


def test_the_holders_name_is_shown_only_to_those_the_badge_is_shared_with(client, award, alice, dave):
    make(award, "staff")
    client.force_login(dave)
    assert "山田 花子" in client.get(share_path(award)).content.decode()
    make(award, "public")
    client.logout()
    assert "山田 花子" in client.get(share_path(award)).content.decode()


def test_card_tags_are_only_on_public_pages(client, award, alice):
    client.force_login(alice)
    page = client.get(share_path(award)).content.decode()
    assert 'property="og:title"' not in page
    assert f'href="/badges/{award.public_id}/"' in page  # "change who can see it"


# ------------------------------------------------------------------ what the page shows


def test_the_share_page_shows_what_the_badge_certifies(client, award):
    make(award, "public")
    page = client.get(share_path(award)).content.decode()
    badge = award.badge_class
    for text in (badge.name, badge.description, badge.criteria, "法務", "八王子市"):
        assert text in page
    assert "verdict--valid" in page
    assert badge.name in re.search(r'<img src="/public/assertions/[^"]+" alt="([^"]+)"', page).group(1)
    assert f"/public/verify/?url={BASE.replace(':', '%3A').replace('/', '%2F')}" in page


def test_linkedin_links_carry_the_certification_fields(client, award):
    make(award, "public")
    page = client.get(share_path(award)).content.decode()
    share_link = unescape(re.search(r'href="(https://www\.linkedin\.com/sharing/share-offsite/[^"]+)"', page).group(1))
    assert parse_qs(urlsplit(share_link).query) == {"url": [f"{BASE}{share_path(award)}"]}
    from badges import links

    add = parse_qs(urlsplit(links.linkedin_links(award)["add"]).query)
    assert add["startTask"] == ["CERTIFICATION_NAME"]
    assert add["name"] == [award.badge_class.name]
    assert add["organizationName"] == ["八王子市"]
    assert add["certId"] == [str(award.public_id)]
    assert add["certUrl"] == [f"{BASE}{share_path(award)}"]
    assert add["issueYear"] == [str(award.issued_at.year)]


def test_the_share_page_works_without_javascript_and_has_no_inline_script_or_style(client, award):
    make(award, "public")
    page = client.get(share_path(award)).content.decode()
    assert "<script>" not in page and "<script " not in page.replace('<script src="', "")
    assert " style=" not in page and "<style" not in page
    assert f'value="{BASE}{share_path(award)}" readonly' in page  # the link is selectable without JS
    assert f'<img src="/public/share/{award.share_token}/qr.svg"' in page


def test_the_share_page_is_not_cached_so_withdrawal_is_immediate(client, award):
    make(award, "public")
    response = client.get(share_path(award))
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
