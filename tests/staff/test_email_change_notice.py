"""When HR changes a person's email, the address it replaced is told (HR could otherwise change
an email, send a password reset to the new address and act as the person unnoticed)."""

from __future__ import annotations

import pytest
from django.core import mail

from staff.emails import email_deliver
from staff.models import OutgoingEmail
from staff.services import staff_upsert
from tests.staff.test_roles import _change_form, _change_url

pytestmark = pytest.mark.django_db


def _deliver_all() -> None:
    for email in OutgoingEmail.objects.filter(sent_at__isnull=True):
        email_deliver(email_id=email.pk)


def test_changing_an_email_in_the_admin_tells_the_old_address_in_japanese(
    client, carol, alice, django_capture_on_commit_callbacks
):
    client.force_login(carol)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(_change_url(alice), _change_form(alice, email="hanako.yamada@city.test"))
    assert response.status_code == 302
    _deliver_all()

    notices = [m for m in mail.outbox if "メールアドレスが変更されました" in m.subject]
    assert len(notices) == 1
    notice = notices[0]
    assert notice.to == ["alice@city.test"]  # the replaced address, not the new one
    assert "hanako.yamada@city.test" in notice.body
    assert "人事課の管理画面" in notice.body
    assert "心当たりがない場合" in notice.body


def test_a_roster_import_that_changes_an_email_tells_the_old_address(alice):
    staff_upsert(
        employee_number=alice.employee_number,
        email="new-alice@city.test",
        family_name=alice.family_name,
        given_name=alice.given_name,
    )
    row = OutgoingEmail.objects.get(template="email-changed")
    assert row.to_id == alice.pk
    email_deliver(email_id=row.pk)
    assert [m.to for m in mail.outbox] == [["alice@city.test"]]
    assert "職員名簿の取込み" in mail.outbox[0].body


def test_saving_a_person_without_changing_the_email_sends_nothing(client, carol, alice):
    client.force_login(carol)
    response = client.post(_change_url(alice), _change_form(alice, family_name="山田改"))
    assert response.status_code == 302
    staff_upsert(
        employee_number=alice.employee_number,
        email="ALICE@city.test ",
        family_name="山田改",
        given_name=alice.given_name,
    )
    assert not OutgoingEmail.objects.filter(template="email-changed").exists()
