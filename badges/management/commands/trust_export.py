"""Write the register of trusted issuers as a JSON file (the admin's Export, for scripts).

manage.py trust_export                      # to standard output
manage.py trust_export -o trusted.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from badges import trust


class Command(BaseCommand):
    help = "Export the register of trusted issuers as JSON (docs/api-verify.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        text = json.dumps(trust.register_export(), ensure_ascii=False, indent=2) + "\n"
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
