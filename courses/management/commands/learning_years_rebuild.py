"""Recompute the human-capital report's table (``courses.learning``: each person's learning per
fiscal year) from enrolments, badges and skill holdings."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from courses.learning import learning_years_rebuild
from courses.models import LearningYear


class Command(BaseCommand):
    help = (
        "Recompute each person's learning per fiscal year (the human-capital report's table) from enrolments, "
        "badges and skill holdings: after migrating, or after data was loaded or edited around the services "
        "(run skill_holdings_rebuild first if those were touched too)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        rows = learning_years_rebuild()
        took = time.monotonic() - started
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(LearningYear._meta.db_table)}")
        self.stdout.write(self.style.SUCCESS(f"{rows:,} person-years in {took:.1f} s."))
