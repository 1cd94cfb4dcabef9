"""Rebuild the published public tree (PORTAL_PUBLISH_DIR, badges/publisher.py).

    manage.py publish_public            # write everything, remove what should not be there
    manage.py publish_public --to DIR   # into another folder (e.g. to compare with the live tree)

Safe to run at any time, also while workers publish: each award is locked while its files are
written, so a change made meanwhile is published after it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from badges import publisher


class Command(BaseCommand):
    help = "Write the whole public tree (issuer, did.json, badge classes, status lists, shared badges)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", help="folder to write (default: PORTAL_PUBLISH_DIR)")

    def handle(self, *args: Any, to: str | None = None, **options: Any) -> None:
        root = Path(to) if to else publisher.publish_root()
        if root is None:
            raise CommandError("PORTAL_PUBLISH_DIR is not set (or pass --to DIR)")
        counts = publisher.publish_all(root)
        self.stdout.write(
            f"Published into {root}: {counts['awards']} shared badges; removed {counts['removed_awards']} "
            f"badge folders and {counts['removed_shares']} share pages that should not be there."
        )
