"""Load the demo data: ``manage.py seed_demo``. Running it twice changes nothing.

Each app may have a ``demo`` module with ``seed(out)``; they run in INSTALLED_APPS order, so
the staff directory exists before the catalogue, and the catalogue before badges are issued.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Load demo data (departments, staff, courses, enrolments, badges). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
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
