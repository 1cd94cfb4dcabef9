from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = _("Open Badges")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
