"""Two-step verification covers the public tree too: HR and superusers signed in with a password
only (TOTP not set up yet) see what an anonymous visitor sees there, and nothing of what their
role opens (private badge images, private share pages) until they set it up (issue 12, part 5)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["hr", "superuser"])
def signed_in_without_totp(request, client):  # type: ignore[no-untyped-def]
    if request.param == "hr":
        person = make_staff(role="hr", mfa=False)
    else:
        person = make_staff(is_staff=True, is_superuser=True, mfa=False)
    client.force_login(person)
    return client


def test_hr_or_a_superuser_without_totp_cannot_open_a_private_badge_image(signed_in_without_totp, award):
    assert award.visibility == "private" and award.baked_image
    response = signed_in_without_totp.get(reverse("public:award_image", args=[award.public_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_hr_or_a_superuser_without_totp_cannot_open_a_private_share_page(signed_in_without_totp, award):
    for name in ("public:share", "public:share_qr"):
        response = signed_in_without_totp.get(reverse(name, args=[award.share_token]))
        assert response.status_code == 302, name
        assert response["Location"] == reverse("mfa_activate_totp")


def test_with_totp_set_up_hr_opens_them_as_before(client, carol, award):
    client.force_login(carol)
    assert client.get(reverse("public:award_image", args=[award.public_id])).status_code == 200
    assert client.get(reverse("public:share", args=[award.share_token])).status_code == 200


def test_the_way_to_set_up_totp_stays_open(signed_in_without_totp):
    for path in (reverse("mfa_activate_totp"), reverse("account_logout"), "/health", "/.well-known/did.json"):
        response = signed_in_without_totp.get(path)
        assert response.get("Location") != reverse("mfa_activate_totp"), path
