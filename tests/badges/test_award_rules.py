"""The award rules live on ``AwardQuerySet`` (issued, public, valid at a moment) with a row form
of each on ``Award``; the HR insight's ``valid_award_q`` / ``award_is_valid`` are those rules.
Which moments change a verdict is one helper (share page cache and verification memo)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from badges.models import Award, AwardQuerySet
from badges.public.verification import verdict_moments
from courses.insight import award_is_valid, valid_award_q
from tests.factories import make_award

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_kind(alice, badge_class) -> dict[str, Award]:  # type: ignore[no-untyped-def]
    now = timezone.now()
    return {
        "pending": make_award(recipient=alice, badge_class=badge_class, status="pending"),
        "failed": make_award(recipient=alice, badge_class=badge_class, status="failed"),
        "issued": make_award(recipient=alice, badge_class=badge_class),
        "issued, expires later": make_award(
            recipient=alice, badge_class=badge_class, expires_at=now + dt.timedelta(days=5)
        ),
        "issued, expired": make_award(recipient=alice, badge_class=badge_class, expires_at=now - dt.timedelta(days=1)),
        "revoked": make_award(recipient=alice, badge_class=badge_class, status="revoked"),
    }


def _names(awards: dict[str, Award], queryset: AwardQuerySet) -> set[str]:
    ids = set(queryset.values_list("pk", flat=True))
    return {name for name, award in awards.items() if award.pk in ids}


def test_issued_means_issued_and_not_revoked_whatever_the_expiry(every_kind):
    assert _names(every_kind, Award.objects.issued()) == {"issued", "issued, expires later", "issued, expired"}


def test_public_pages_show_issued_and_revoked_awards_never_pending_or_failed(every_kind):
    assert _names(every_kind, Award.objects.public()) == {
        "issued",
        "issued, expires later",
        "issued, expired",
        "revoked",
    }


def test_valid_at_a_moment_leaves_out_what_has_expired_by_then(every_kind):
    now = timezone.now()
    assert _names(every_kind, Award.objects.valid_at(now)) == {"issued", "issued, expires later"}
    assert _names(every_kind, Award.objects.valid_at(now + dt.timedelta(days=6))) == {"issued"}


def test_each_row_form_agrees_with_its_query(every_kind):
    later = timezone.now() + dt.timedelta(days=6)
    for name, award in every_kind.items():
        award.refresh_from_db()
        assert award.is_issued == Award.objects.issued().filter(pk=award.pk).exists(), name
        assert award.is_public == Award.objects.public().filter(pk=award.pk).exists(), name
        assert award.is_valid_at(later) == Award.objects.valid_at(later).filter(pk=award.pk).exists(), name


def test_the_insight_helpers_are_the_same_rules(every_kind):
    now = timezone.now()
    assert set(Award.objects.filter(valid_award_q(now))) == set(Award.objects.valid_at(now))
    assert set(Award.objects.filter(valid_award_q(now, prefix="badge_class__awards__")).distinct()) == set(
        Award.objects.filter(badge_class__awards__in=Award.objects.valid_at(now)).distinct()
    )
    assert {name for name, a in every_kind.items() if award_is_valid(a, now)} == {"issued", "issued, expires later"}


def test_the_moments_that_change_a_verdict_come_from_the_credential_and_its_proof():
    document = {
        "validFrom": "2026-04-01T00:00:00Z",
        "validUntil": "2029-03-31T23:59:59+09:00",
        "proof": [{"expires": "2030-01-01T00:00:00Z"}],
    }
    assert verdict_moments(document) == (
        dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
        dt.datetime(2029, 3, 31, 14, 59, 59, tzinfo=dt.UTC),
        dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    # Not a date with a zone, two proofs, no document at all: no moment.
    assert verdict_moments({"validFrom": "2026-04-01", "proof": [{}, {}]}) == (None, None, None)
    assert verdict_moments(None) == (None, None, None)
