"""Take in a register file another city or university shared (the admin's Import, for scripts).

    manage.py trust_import trusted.json --by 100003

``--by`` is the employee number of the HR member responsible: they are recorded as who added
the new entries, and the change is in each entry's admin history. All or nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from badges import services, trust
from staff.models import StaffMember


class Command(BaseCommand):
    help = "Import a register of trusted issuers from a JSON file (docs/api-verify.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--by", required=True, help="employee number of the HR member responsible")

    def handle(self, *args: Any, **options: Any) -> None:
        by = StaffMember.objects.filter(employee_number=options["by"], is_active=True).first()
        if by is None or not (by.is_superuser or by.has_perm("badges.change_trustedissuer")):
            raise CommandError("--by must name an active HR member who may change the register")
        path = Path(options["file"])
        if path.stat().st_size > trust.MAX_FILE_BYTES:
            raise CommandError("the file is larger than 2 MB")
        try:
            result = services.trusted_issuers_import(data=path.read_bytes(), by=by, source=path.name)
        except trust.RegisterFileError as exc:
            raise CommandError("nothing was imported:\n" + "\n".join(exc.problems)) from exc
        self.stdout.write(f"{len(result.created)} added, {len(result.updated)} changed, {result.unchanged} unchanged")
