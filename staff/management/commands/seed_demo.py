"""Load the demo data: ``manage.py seed_demo``. Running it twice changes nothing.

Each app may have a ``demo`` module with ``seed(out)``; they run in INSTALLED_APPS order, so
the staff directory exists before the catalogue, and the catalogue before badges are issued.

The demo accounts' password and the HR account's TOTP secret are written in this repository,
so anyone who reads it can sign in as HR wherever the demo data is loaded. With ``DEBUG=0``
(production) the command therefore refuses, unless ``--demo-server`` says that this instance is
a demonstration server whose HR account may be known to everyone.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction


class Command(BaseCommand):
    help = "Load demo data (departments, staff, courses, enrolments, badges). Idempotent. Refused when DEBUG=0."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo-server",
            action="store_true",
            help=(
                "load the demo data although DEBUG=0: only on a demonstration server, whose demo "
                "accounts (HR included) anyone can sign in to"
            ),
        )

    def handle(self, *args: Any, demo_server: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not demo_server:
            raise CommandError(
                "seed_demo refuses to run with DEBUG=0: it creates an HR account whose password and "
                "TOTP secret are public (in the source code). On a demonstration server that may "
                "have such an account, run `manage.py seed_demo --demo-server`."
            )
        if not settings.DEBUG:
            self.stderr.write(
                "DEBUG=0 and --demo-server: loading demo accounts whose passwords and HR TOTP secret are public."
            )
        modules = []
        for app_config in apps.get_app_configs():
            try:
                modules.append(importlib.import_module(f"{app_config.name}.demo"))
            except ModuleNotFoundError as exc:
                if exc.name != f"{app_config.name}.demo":
                    raise
        for module in modules:
            with transaction.atomic():
                module.seed(self.stdout)
        for module in modules:
            if hasattr(module, "summary"):
                module.summary(self.stdout)
