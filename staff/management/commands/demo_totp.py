"""Print the current two-step verification code of the demo HR account (demo data only)."""

from __future__ import annotations

import time
from typing import Any

from allauth.mfa import app_settings
from allauth.mfa.totp.internal import auth
from django.core.management.base import BaseCommand

from staff.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current TOTP code for the demo HR account (its secret is public demo data)."

    def handle(self, *args: Any, **options: Any) -> None:
        counter = int(time.time()) // app_settings.TOTP_PERIOD
        self.stdout.write(auth.format_hotp_value(auth.hotp_value(DEMO_TOTP_SECRET, counter)))
