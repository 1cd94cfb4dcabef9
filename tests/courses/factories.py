"""Moved: every factory is in ``tests/factories.py`` now (issue 16). This module only re-exports
them for test files written before the move; import from ``tests.factories``."""

from tests.factories import (  # noqa: F401
    make_badge_class,
    make_course,
    make_enrolment,
    make_issuer,
    make_programme,
    make_provider,
    make_skill,
    make_started_course,
    today,
)
