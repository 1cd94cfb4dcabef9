from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("Staff")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
        from .roster_jobs import register as register_jobs

        # A large roster import's confirmation runs as a background job (staff/jobs.py).
        register_jobs()
