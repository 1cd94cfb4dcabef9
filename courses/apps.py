from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses and enrolments")

    def ready(self) -> None:
        from badges.signals import awards_changed

        from .holdings import on_awards_changed

        # Skill holdings follow badges being issued and revoked (badges does not know courses).
        awards_changed.connect(on_awards_changed, dispatch_uid="courses.holdings.awards_changed")
