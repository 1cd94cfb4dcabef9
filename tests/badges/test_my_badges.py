"""My badges (マイバッジ): the holder's list and badge page, visibility, share link, downloads;
every other person gets a 404 for someone else's badge."""

from __future__ import annotations

import json

import pytest

from badges.core import baking, credentials
from badges.models import Award
from tests.badges.conftest import baked_bytes

pytestmark = pytest.mark.django_db


def login(client, person):  # type: ignore[no-untyped-def]
    client.logout()
    if person is not None:
        client.force_login(person)


def staff_pages(award: Award) -> list[tuple[str, str]]:
    base = f"/badges/{award.public_id}"
    return [
        ("get", f"{base}/"),
        ("get", f"{base}/download.png"),
        ("get", f"{base}/credential.json"),
        ("post", f"{base}/visibility"),
        ("post", f"{base}/share-link/renew"),
    ]


def test_every_role_sees_only_their_own_badge_pages(client, award, alice, bob, carol, dave):
    for who, person in {"bob (head of section)": bob, "carol (HR)": carol, "dave": dave}.items():
        login(client, person)
        for method, url in staff_pages(award):
            data = {"visibility": "public"} if url.endswith("visibility") else {}
            assert getattr(client, method)(url, data).status_code == 404, (who, url)
    award.refresh_from_db()
    assert award.visibility == Award.Visibility.PRIVATE  # nobody else could change it
    login(client, None)
    for method, url in [*staff_pages(award), ("get", "/badges/")]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    login(client, alice)
    for method, url in staff_pages(award):
        data = {"visibility": "staff"} if url.endswith("visibility") else {}
        assert getattr(client, method)(url, data).status_code in (200, 302), url


def test_the_list_shows_image_title_issuer_dates_and_status(client, award, alice):
    login(client, alice)
    page = client.get("/badges/").content.decode()
    assert award.badge_class.name in page and "八王子市" in page
    assert f'src="/public/assertions/{award.public_id}/image.png"' in page
    assert award.badge_class.name in page.split('alt="', 1)[1].split('"', 1)[0]  # meaningful alt text
    assert "status--ok" in page


def test_the_list_is_empty_for_someone_without_badges(client, award, dave):
    login(client, dave)
    page = client.get("/badges/").content.decode()
    assert award.badge_class.name not in page


def test_every_badge_starts_private(award):
    assert award.visibility == Award.Visibility.PRIVATE


def test_the_holder_downloads_the_baked_png_and_the_ob3_credential(client, award, alice):
    login(client, alice)
    png = client.get(f"/badges/{award.public_id}/download.png")
    assert png["Content-Type"] == "image/png"
    assert "attachment" in png["Content-Disposition"]
    assert set(baking.read_baked(png.content)) == {baking.KEYWORD_OB2, baking.KEYWORD_OB3}
    assert png.content == baked_bytes(award)
    document = client.get(f"/badges/{award.public_id}/credential.json")
    assert "attachment" in document["Content-Disposition"]
    assert credentials.verify_credential(json.loads(document.content)).valid


def test_changing_visibility_takes_effect_at_once(client, award, alice, dave):
    login(client, alice)
    client.post(f"/badges/{award.public_id}/visibility", {"visibility": "staff"})
    login(client, dave)
    assert client.get(f"/public/share/{award.share_token}/").status_code == 200
    login(client, alice)
    client.post(f"/badges/{award.public_id}/visibility", {"visibility": "private"})
    login(client, dave)
    assert client.get(f"/public/share/{award.share_token}/").status_code == 404


def test_an_unknown_visibility_is_refused(client, award, alice):
    login(client, alice)
    client.post(f"/badges/{award.public_id}/visibility", {"visibility": "everyone"})
    award.refresh_from_db()
    assert award.visibility == Award.Visibility.PRIVATE


def test_visibility_and_share_link_changes_must_be_posted(client, award, alice):
    login(client, alice)
    assert client.get(f"/badges/{award.public_id}/visibility").status_code == 405
    assert client.get(f"/badges/{award.public_id}/share-link/renew").status_code == 405


def test_the_badge_page_offers_sharing_once_it_is_not_private(client, award, alice):
    login(client, alice)
    page = client.get(f"/badges/{award.public_id}/").content.decode()
    assert "share-url" not in page
    client.post(f"/badges/{award.public_id}/visibility", {"visibility": "public"})
    page = client.get(f"/badges/{award.public_id}/").content.decode()
    assert f"http://127.0.0.1:8000/public/share/{award.share_token}/" in page
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in page
    assert f"/public/share/{award.share_token}/qr.svg" in page
    assert " style=" not in page


def test_a_revoked_badge_shows_the_reason_to_its_holder(client, award, alice):
    from badges import services

    services.award_revoke(award=award, reason="誤発行")
    login(client, alice)
    page = client.get(f"/badges/{award.public_id}/").content.decode()
    assert "誤発行" in page and "status--bad" in page


def test_the_navigation_links_my_badges_and_verify(client, award, alice):
    login(client, alice)
    page = client.get("/badges/").content.decode()
    assert 'href="/badges/" aria-current="page"' in page
    assert 'href="/public/verify/"' in page


def test_the_badge_name_follows_the_holders_page_language(client, award, alice):
    name, name_en = award.badge_class.name, award.badge_class.name_en
    assert name_en and name_en != name
    login(client, alice)
    for url in ("/badges/", f"/badges/{award.public_id}/"):
        page = client.get(url).content.decode()
        assert name in page and name_en not in page, url
    alice.preferred_language = "en"
    alice.save()
    for url in ("/badges/", f"/badges/{award.public_id}/"):
        page = client.get(url).content.decode()
        assert name_en in page and name not in page, url
