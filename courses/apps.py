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

        from badges.signals import external_badges_changed

        from .learning import on_external_badges_changed

        # The human-capital report's rows follow HR confirming external badges.
        external_badges_changed.connect(on_external_badges_changed, dispatch_uid="courses.learning.external_badges")

        from badges.record import register_completions, register_skill_namer

        from .selectors import record_completions, skill_display_names

        # The training record names skills in the page's language (badges carry the Japanese).
        register_skill_namer(skill_display_names)
        # ...and lists every completed course, with or without a badge (badges does not know
        # courses: it joins each to its badge by the source key, see badges/record.py).
        register_completions(record_completions)

        from badges.core.achievement_types import register as register_achievement_types

        from .skill_framework import badge_achievement_types

        # Badges say whether they certify a course or a programme (OB 3.0 achievementType).
        register_achievement_types(badge_achievement_types)

        from .jobs import register as register_jobs

        # HR's bulk completion runs as a background job (staff/jobs.py; staff does not know courses).
        register_jobs()
