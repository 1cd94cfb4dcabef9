"""Demo issuer: Hachioji City with a signing key, so that `make run` issues real badges."""

from __future__ import annotations

from typing import TextIO

from django.conf import settings
from django.core.management import call_command

from . import keys


def seed(out: TextIO) -> None:
    issuer = keys.default_issuer()
    if not keys.SigningKey.objects.filter(issuer=issuer, is_active=True).exists() or not _key_file_exists():
        call_command("badges_keygen", stdout=out)
    out.write(f"Issuer: {issuer.name} ({keys.issuer_did(issuer)})\n")


def _key_file_exists() -> bool:
    from pathlib import Path

    return Path(settings.BADGE_SIGNING_KEY_FILE).is_file()
