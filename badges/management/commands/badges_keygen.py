"""Create the issuer's Ed25519 signing key (development and first deployment).

    manage.py badges_keygen            # create the key file if missing and register it
    manage.py badges_keygen --rotate   # new key file; the old public key stays published

The private key is written to BADGE_SIGNING_KEY_FILE with mode 0600 (encrypted when
BADGE_SIGNING_KEY_PASSPHRASE is set). It never goes into the database or the repository.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from badges import keys
from badges.core import signing


class Command(BaseCommand):
    help = "Create (or rotate) the default issuer's Ed25519 signing key and register its public half."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rotate", action="store_true", help="replace an existing key file with a new key")

    def handle(self, *args: Any, rotate: bool = False, **options: Any) -> None:
        path = Path(settings.BADGE_SIGNING_KEY_FILE)
        passphrase = settings.BADGE_SIGNING_KEY_PASSPHRASE.encode() or None
        if path.exists() and not rotate:
            private = keys.private_key()
            self.stdout.write(f"Using the existing signing key at {path}.")
        else:
            private = signing.generate_private_key()
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(signing.private_key_to_pem(private, passphrase))
            tmp.replace(path)
            self.stdout.write(f"Wrote a new signing key to {path} (mode 0600).")
        key = keys.signing_key_register(issuer=keys.default_issuer(), public_key=private.public_key())
        self.stdout.write(f"Active public key: {key.public_key_multibase}")
