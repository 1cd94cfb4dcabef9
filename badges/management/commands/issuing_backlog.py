"""Report the issuing backlog for monitoring: pending, failed, oldest pending.

    manage.py issuing_backlog            # human-readable
    manage.py issuing_backlog --json     # for a monitoring agent
Exit status 1 when the oldest pending award waited longer than --max-age-minutes.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count, Min
from django.utils import timezone

from badges.models import Award


class Command(BaseCommand):
    help = "Report pending and failed awards and the age of the oldest pending one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--max-age-minutes", type=int, default=15)

    def handle(self, *args: Any, **options: Any) -> None:
        counts = dict(Award.objects.values_list("status").annotate(n=Count("pk")).order_by())
        oldest = Award.objects.filter(status=Award.Status.PENDING).aggregate(t=Min("requested_at"))["t"]
        age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        report = {
            "pending": counts.get(Award.Status.PENDING, 0),
            "failed": counts.get(Award.Status.FAILED, 0),
            "issued": counts.get(Award.Status.ISSUED, 0),
            "oldest_pending_seconds": round(age),
            "oldest_pending_at": oldest.isoformat() if oldest else None,
        }
        if options["json"]:
            self.stdout.write(json.dumps(report))
        else:
            self.stdout.write(
                f"pending {report['pending']}, failed {report['failed']}, issued {report['issued']}, "
                f"oldest pending {report['oldest_pending_seconds']} s"
            )
        if age > options["max_age_minutes"] * 60:
            raise SystemExit(1)
