"""Searching awards in the admin the way HR types (issue 13): the full name with or without a
space, kana (katakana, hiragana, half-width), the badge's name and the course's name."""

from __future__ import annotations

import pytest
from django.urls import reverse

from badges import services
from tests.factories import make_badge_class, make_course, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def awards(alice, dave):  # type: ignore[no-untyped-def]
    """alice (山田 花子, ヤマダ ハナコ) holds the 行政法 badge; dave (高橋 健) the 防災 badge; a
    third person shares alice's family name."""
    alice.family_name_kana, alice.given_name_kana = "ヤマダ", "ハナコ"
    alice.save()
    dave.family_name_kana, dave.given_name_kana = "タカハシ", "ケン"
    dave.save()
    other_yamada = make_staff(
        family_name="山田", given_name="太郎", family_name_kana="ヤマダ", given_name_kana="タロウ"
    )
    law = make_badge_class(name="行政法 修了", name_en="Administrative law")
    make_course(title="行政法（通信教育）", code="CHUO-GYOSEI", badge_class=law)
    bosai = make_badge_class(name="防災リーダー")
    made = {}
    for person, badge in ((alice, law), (dave, bosai), (other_yamada, bosai)):
        award, _ = services.award_request(
            recipient=person, badge_class=badge, source_key=f"test:{person.pk}", achieved_on=person.date_joined.date()
        )
        made[person.family_name + person.given_name] = award
    return made


def _found(client, term: str) -> set[int]:  # type: ignore[no-untyped-def]
    response = client.get(reverse("admin:badges_award_changelist"), {"q": term})
    assert response.status_code == 200
    return {a.pk for a in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("term", "who"),
    [
        ("山田 花子", ["山田花子"]),
        ("山田花子", ["山田花子"]),
        ("山田　花子", ["山田花子"]),  # a full-width space, as a Japanese keyboard types it
        ("花子", ["山田花子"]),
        ("ヤマダ ハナコ", ["山田花子"]),
        ("ヤマダハナコ", ["山田花子"]),
        ("やまだはなこ", ["山田花子"]),
        ("ﾀｶﾊｼ", ["高橋健"]),
        ("山田", ["山田花子", "山田太郎"]),
        ("行政法 修了", ["山田花子"]),
        ("Administrative law", ["山田花子"]),
        ("行政法（通信教育）", ["山田花子"]),
        ("CHUO-GYOSEI", ["山田花子"]),
        ("防災リーダー", ["高橋健", "山田太郎"]),
        ("防災リーダー 山田", ["山田太郎"]),
        ("100004", ["高橋健"]),
    ],
)
def test_hr_finds_awards_by_name_kana_badge_or_course(client, carol, awards, term, who):
    client.force_login(carol)
    assert _found(client, term) == {awards[name].pk for name in who}


def test_a_name_that_matches_nobody_finds_nothing(client, carol, awards):
    client.force_login(carol)
    assert _found(client, "佐藤花子") == set()


@pytest.fixture
def external(alice, dave):  # type: ignore[no-untyped-def]
    """External badges HR confirms: alice's from a university, dave's from a vendor."""
    from django.utils import timezone

    from badges.models import ExternalBadge

    alice.family_name_kana, alice.given_name_kana = "ヤマダ", "ハナコ"
    alice.save()
    made = {}
    for person, name, issuer in ((alice, "データ分析入門", "東京大学"), (dave, "クラウド基礎", "Example Cloud")):
        made[person.family_name + person.given_name] = ExternalBadge.objects.create(
            holder=person,
            original_file="external/x.json",
            original_kind=ExternalBadge.Kind.JSON,
            file_sha256="0" * 64,
            standard=ExternalBadge.Standard.OB3,
            achievement_name=name,
            issuer_name=issuer,
            verification_status="valid",
            verification_code="ok",
            checked_at=timezone.now(),
        )
    return made


@pytest.mark.parametrize(
    ("term", "who"),
    [
        ("山田 花子", ["山田花子"]),
        ("山田花子", ["山田花子"]),
        ("ヤマダハナコ", ["山田花子"]),
        ("やまだ はなこ", ["山田花子"]),
        ("ﾔﾏﾀﾞ", ["山田花子"]),
        ("データ分析入門", ["山田花子"]),
        ("Example Cloud", ["高橋健"]),
        ("100004", ["高橋健"]),
    ],
)
def test_hr_finds_external_badges_by_the_holders_full_name_kana_badge_or_issuer(client, carol, external, term, who):
    client.force_login(carol)
    response = client.get(reverse("admin:badges_externalbadge_changelist"), {"q": term})
    assert response.status_code == 200
    assert {b.pk for b in response.context["cl"].result_list} == {external[name].pk for name in who}
