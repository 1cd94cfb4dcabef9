"""The share page keeps its rendered article in the cache (badges/public/views_share.py): every change
that matters must still show on the very next request, with no deletion anywhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from badges import services
from badges.models import Award, BadgeClass
from badges.public import views_share

# Every test runs twice, with the share page's speed tricks and without (tests/badges/conftest.py),
# on the share page's own clock, which stands still inside one minute until a test moves it.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache", "share_mode", "share_clock")]


def share_path(award: Award) -> str:
    return f"/public/share/{award.share_token}/"


def page(client, award: Award) -> str:  # type: ignore[no-untyped-def]
    response = client.get(share_path(award))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def public_award(award):  # type: ignore[no-untyped-def]
    Award.objects.filter(pk=award.pk).update(visibility=Award.Visibility.PUBLIC)
    award.refresh_from_db()
    return award


def article(text: str) -> str:
    """The page's article without the "checked just now (time)" line, which names the minute."""
    body = text[text.index('<article class="badge-share">') : text.index("</article>")]
    return re.sub(r'<p class="help">.*?</p>', "", body)


def article_keys() -> list[str]:
    return [k for k in cache._cache if "share-page:" in k]  # type: ignore[attr-defined]


def test_a_second_request_is_served_from_the_cache_and_is_the_same_page(client, public_award):
    first = page(client, public_award)
    keys = article_keys()
    assert len(keys) == 1
    assert article(page(client, public_award)) == article(first)
    assert article_keys() == keys  # the same entry was used, no new one


def test_revocation_shows_at_once(client, public_award):
    assert "verdict--valid" in page(client, public_award)
    services.award_revoke(award=public_award, reason="受講記録の誤りのため")
    text = page(client, public_award)
    assert "verdict--revoked" in text and "受講記録の誤りのため" in text
    assert 'id="share-heading"' not in text  # no share tools on a revoked badge


def test_a_reissued_badge_shows_the_old_one_revoked_at_once(client, public_award):
    assert "verdict--valid" in page(client, public_award)
    services.award_reissue(award=public_award, reason="氏名の訂正")
    assert "verdict--revoked" in page(client, public_award)


def test_visibility_changes_show_at_once(client, public_award, alice, dave):
    assert "山田 花子" in page(client, public_award)
    services.award_set_visibility(award=public_award, visibility=Award.Visibility.STAFF, by=alice)
    assert client.get(share_path(public_award)).status_code == 404  # anonymous
    client.force_login(dave)
    text = page(client, public_award)
    assert "山田 花子" in text and 'property="og:title"' not in text
    client.force_login(alice)
    assert "このページはサインインした市職員だけが開けます。" in page(client, public_award)
    services.award_set_visibility(award=public_award, visibility=Award.Visibility.PRIVATE, by=alice)
    client.force_login(dave)
    assert client.get(share_path(public_award)).status_code == 404


def test_a_renewed_share_link_is_shown_at_once(client, public_award, alice):
    old = str(public_award.share_token)
    client.force_login(alice)
    assert old in page(client, public_award)
    new = services.award_share_link_renew(award=public_award, by=alice)
    public_award.refresh_from_db()
    text = page(client, public_award)
    assert str(new) in text and old not in text
    assert client.get(f"/public/share/{old}/").status_code == 404


def test_an_altered_credential_is_reported_at_once(client, public_award):
    assert "verdict--valid" in page(client, public_award)
    altered = dict(public_award.credential)
    altered["name"] = "改ざんされたバッジ"
    Award.objects.filter(pk=public_award.pk).update(credential=altered)
    assert "verdict--invalid" in page(client, public_award)


def test_expiry_passing_shows_at_once_without_any_change_to_the_row(client, public_award, share_clock):
    # Expires in a moment; the article is cached meanwhile, and nothing about the row changes.
    expires = share_clock.now + dt.timedelta(seconds=1.5)
    Award.objects.filter(pk=public_award.pk).update(expires_at=expires)
    assert "verdict--valid" in page(client, public_award)
    assert "verdict--valid" in page(client, public_award)
    share_clock.advance(1.6)  # still the same minute: the same cache keys
    assert "verdict--expired" in page(client, public_award)


def test_the_credentials_own_validity_dates_bound_the_cached_article(public_award):
    credential = dict(public_award.credential)
    now = timezone.now()
    until = now + dt.timedelta(days=3)
    credential["validUntil"] = until.isoformat()
    public_award.credential = credential
    public_award.expires_at = None
    assert views_share._next_change(public_award, now) == pytest.approx(until.timestamp())
    assert views_share._next_change(public_award, until + dt.timedelta(seconds=1)) is None


def test_badge_class_edits_show_at_once(client, public_award):
    assert public_award.badge_class.name in page(client, public_award)
    BadgeClass.objects.filter(pk=public_award.badge_class_id).update(description="新しい説明文です。")
    assert "新しい説明文です。" in page(client, public_award)


def test_the_holders_new_name_shows_at_once(client, public_award, alice):
    assert "山田 花子" in page(client, public_award)
    type(alice).objects.filter(pk=alice.pk).update(family_name="佐藤")
    assert "佐藤 花子" in page(client, public_award)


def test_each_language_has_its_own_article(client, public_award):
    ja = page(client, public_award)
    client.cookies["django_language"] = "en"
    en = page(client, public_award)
    assert "Open Badges 2.0 and 3.0" in en and "オープンバッジ 2.0 および 3.0" in ja
    client.cookies["django_language"] = "ja"
    assert article(page(client, public_award)) == article(ja)


def test_the_holder_and_an_outsider_get_different_articles(client, public_award, alice):
    outsider = page(client, public_award)
    client.force_login(alice)
    holder = page(client, public_award)
    assert "LinkedIn のプロフィールに追加（資格・認定）" in holder
    assert "LinkedIn のプロフィールに追加（資格・認定）" not in outsider
    client.logout()
    assert article(page(client, public_award)) == article(outsider)
