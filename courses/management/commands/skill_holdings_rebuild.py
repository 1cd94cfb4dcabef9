"""Recompute the tables derived from completions and awards (``courses.holdings``): skill
holdings and what each badge was issued for."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from courses.holdings import award_uses_rebuild, skill_holdings_rebuild
from courses.models import AwardUse, SkillBadgeSpan, SkillHolding


class Command(BaseCommand):
    help = (
        "Recompute every skill holding (and what each badge was issued for) from completions and awards: "
        "after data was loaded or edited "
        "around the services (bulk SQL, a restore, a badge class moved between courses)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        rows = skill_holdings_rebuild()
        uses = award_uses_rebuild()
        took = time.monotonic() - started
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Index-only scans need the visibility map of the rewritten pages (see seed_scale).
            with connection.cursor() as cursor:
                for model in (SkillHolding, SkillBadgeSpan, AwardUse):
                    cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        self.stdout.write(self.style.SUCCESS(f"{rows:,} skill holdings and {uses:,} badge uses in {took:.1f} s."))
