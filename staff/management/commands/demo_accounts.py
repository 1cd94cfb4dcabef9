"""Print the demo accounts again once the portal answers: ``manage.py demo_accounts --wait-for URL``.

``make run`` starts this beside the server, so the accounts are the last thing in the terminal
when the portal is ready, not buried under the worker's start-up lines.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from staff import demo


class Command(BaseCommand):
    help = "Print the demo accounts (after the portal at --wait-for answers, if given)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait-for", default="", help="a URL of the portal to wait for (e.g. its /health)")
        parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait at most")

    def handle(self, *args: Any, **options: Any) -> None:
        url: str = options["wait_for"]
        if url:
            if not url.startswith(("http://127.0.0.1", "http://localhost")):
                self.stderr.write("--wait-for takes a URL of this machine (http://127.0.0.1:PORT/...)")
                return
            deadline = time.monotonic() + options["timeout"]
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only, checked above
                        break
                except urllib.error.HTTPError:
                    break  # the server answers (health may report a degraded part): it is up
                except (urllib.error.URLError, OSError):
                    time.sleep(0.5)
            else:
                return
        demo.summary(self.stdout)
