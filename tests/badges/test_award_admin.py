"""HR's award admin: a signed badge cannot be edited there; issued awards change only through
revoke and re-issue. An award not signed yet can still be corrected."""

from __future__ import annotations

import datetime as dt

import pytest

from badges import services
from badges.models import Award
from tests.factories import make_badge_class, make_staff

pytestmark = pytest.mark.django_db


def change_form(award: Award, **changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "recipient": award.recipient_id,
        "badge_class": award.badge_class_id,
        "achieved_on": award.achieved_on.isoformat(),
        "evidence": "[]",
    }
    fields.update(changes)
    return fields


def test_an_issued_awards_recipient_class_date_and_evidence_are_not_editable(client, carol, award, dave):
    url = f"/admin/badges/award/{award.pk}/change/"
    client.force_login(carol)
    page = client.get(url).content.decode()
    for field in ("recipient", "badge_class", "achieved_on", "evidence"):
        assert f'name="{field}"' not in page, field
    signed = (award.credential, award.assertion, award.recipient_id, award.achieved_on, award.evidence)

    other_class = make_badge_class()
    response = client.post(
        url,
        change_form(
            award,
            recipient=dave.pk,
            badge_class=other_class.pk,
            achieved_on="2020-01-01",
            evidence='[{"narrative": "改ざん"}]',
        ),
    )
    assert response.status_code in (302, 403)
    award.refresh_from_db()
    assert (award.credential, award.assertion, award.recipient_id, award.achieved_on, award.evidence) == signed
    assert award.badge_class_id != other_class.pk


def test_a_revoked_award_is_not_editable_either(client, carol, award):
    services.award_revoke(award=award, reason="受講記録の誤り")
    client.force_login(carol)
    page = client.get(f"/admin/badges/award/{award.pk}/change/").content.decode()
    assert 'name="achieved_on"' not in page


def test_a_pending_award_can_still_be_corrected_before_it_is_signed(client, carol, alice, badge_class, enqueued):
    award, _ = services.award_request(
        recipient=alice, badge_class=badge_class, source_key="enrolment:777", achieved_on=dt.date(2026, 4, 1)
    )
    client.force_login(carol)
    url = f"/admin/badges/award/{award.pk}/change/"
    assert 'name="achieved_on"' in client.get(url).content.decode()
    response = client.post(url, change_form(award, achieved_on="2026-04-02"))
    assert response.status_code == 302
    award.refresh_from_db()
    assert award.achieved_on == dt.date(2026, 4, 2) and award.status == Award.Status.PENDING


def test_a_correction_never_touches_an_award_signed_meanwhile(alice, carol, award):
    other = make_staff()
    assert not services.award_correct_pending(
        award=award,
        recipient=other,
        badge_class=award.badge_class,
        achieved_on=dt.date(2020, 1, 1),
        evidence=[],
        by=carol,
    )
    award.refresh_from_db()
    assert award.recipient_id == alice.pk and award.achieved_on == dt.date(2026, 4, 1)
