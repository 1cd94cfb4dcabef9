"""Every signed-in request reads the session and the person afresh: the roles come with the
person in one query (staff/auth_backends.py), the session row with one fixed statement
(hachioji_portal/sessions.py). Nothing is kept between requests, so signing out, a role taken
away and a deactivated account all take effect on the very next request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from staff import roles
from staff.auth_backends import AuthenticationBackend, ModelBackend
from staff.selectors import is_hr, user_has_role
from tests.factories import totp_enable

pytestmark = pytest.mark.django_db


@pytest.mark.postgres  # the roles come with the person as ARRAY(subquery), PostgreSQL's
def test_the_person_and_their_roles_are_read_in_one_query(carol, alice):
    for backend in (ModelBackend(), AuthenticationBackend()):
        with CaptureQueriesContext(connection) as ctx:
            hr = backend.get_user(carol.pk)
            learner = backend.get_user(alice.pk)
            assert is_hr(hr) and user_has_role(hr, roles.HR)
            assert not is_hr(learner) and not user_has_role(learner, roles.SECTION_HEAD)
        assert len(ctx.captured_queries) == 2  # one per person, none for their groups
        assert backend.get_user(999_999) is None


@pytest.mark.postgres  # the roles come with the person as ARRAY(subquery), PostgreSQL's
def test_a_signed_in_page_reads_session_and_person_and_nothing_more_before_the_view(client, alice):
    client.force_login(alice)
    assert client.session[BACKEND_SESSION_KEY] == settings.AUTHENTICATION_BACKENDS[0]
    client.get(reverse("courses:my_learning"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("courses:my_learning")).status_code == 200
    first_two = [q["sql"] for q in ctx.captured_queries[:2]]
    assert "django_session" in first_two[0] and "staff_staffmember" in first_two[1]
    assert not any("auth_group" in q["sql"] for q in ctx.captured_queries[2:]), "groups came with the person"


def test_a_role_taken_away_takes_effect_on_the_next_request(client, carol):
    client.force_login(carol)
    assert client.get("/hr/").status_code == 200
    carol.groups.clear()
    assert client.get("/hr/").status_code == 403


def test_a_role_given_takes_effect_on_the_next_request(client, alice):
    from django.contrib.auth.models import Group

    totp_enable(alice)  # HR must have two-step verification set up
    client.force_login(alice)
    assert client.get("/hr/").status_code == 403
    alice.groups.add(Group.objects.get_or_create(name=roles.HR)[0])
    assert client.get("/hr/").status_code == 200


def test_a_deactivated_account_is_signed_out_on_the_next_request(client, alice):
    client.force_login(alice)
    assert client.get(reverse("courses:my_learning")).status_code == 200
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = client.get(reverse("courses:my_learning"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_signing_out_ends_the_session_at_once(client, alice):
    client.force_login(alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(reverse("courses:my_learning")).status_code == 200
    client.post(reverse("account_logout"))
    assert not Session.objects.filter(session_key=cookie).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie  # the old cookie, replayed
    response = client.get(reverse("courses:my_learning"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_expired_session_is_not_read(client, alice):
    client.force_login(alice)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("courses:my_learning"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_password_change_elsewhere_signs_this_session_out(client, alice):
    client.force_login(alice)
    assert client.get(reverse("courses:my_learning")).status_code == 200
    alice.set_password("an entirely new passphrase 8c1f")
    alice.save()
    assert client.get(reverse("courses:my_learning")).status_code == 302
