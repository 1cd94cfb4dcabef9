"""Development email: each message is saved as its own ``.eml`` file and announced in one line.

Django's console backend prints whole MIME messages, so a newcomer's terminal drowns in base64
badge images and MIME-encoded subjects. This backend (the default when no ``EMAIL_HOST`` is set)
writes every message to ``EMAIL_FILE_PATH`` (``var/sent-mail/`` by default), where any mail
program opens it, and logs one readable line per message: recipients, subject, file.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

logger = logging.getLogger("hachioji_portal.devmail")


class EmailBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str | None = None, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            name = f"{timezone.localtime():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            path = self.directory / name
            # 0600: development mail still carries real names and badge images.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(message.message().as_bytes(linesep="\n"))
            attachments = len(message.attachments)
            logger.info(
                "mail to %s: %s%s -> %s",
                ", ".join(message.recipients()),
                message.subject,
                f" ({attachments} attachment{'s' if attachments != 1 else ''})" if attachments else "",
                path,
            )
            sent += 1
        return sent
