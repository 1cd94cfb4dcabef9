"""``seed_demo`` creates an HR account whose password and TOTP secret are in the source code:
with DEBUG=0 it refuses, unless the instance is declared a demonstration server."""

from __future__ import annotations

import io

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.core.management.base import CommandError

from staff.demo import DEMO_ACCOUNTS
from staff.models import StaffMember

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_in_production_and_creates_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=0"):
        call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    assert not StaffMember.objects.exists()
    assert not Authenticator.objects.exists()


def test_seed_demo_runs_on_a_declared_demo_server_and_says_what_that_means(
    settings, enqueued, django_capture_on_commit_callbacks
):
    settings.DEBUG = False
    err = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--demo-server", stdout=io.StringIO(), stderr=err)
    hr = StaffMember.objects.get(employee_number=DEMO_ACCOUNTS["hr"][0])
    assert Authenticator.objects.filter(user=hr, type=Authenticator.Type.TOTP).exists()
    assert "public" in err.getvalue()
