"""Development email: a file per message and one readable line, not a terminal full of base64."""

from __future__ import annotations

import email
import logging
from email.policy import default as default_policy

from django.core.mail import EmailMessage, get_connection


def test_each_development_email_is_a_file_and_one_readable_log_line(tmp_path, caplog):
    connection = get_connection("hachioji_portal.devmail.EmailBackend", file_path=str(tmp_path))
    message = EmailMessage(
        subject="[八王子市 学習ポータル] バッジが発行されました",
        body="山田 花子 様\n\nバッジが発行されました。",
        to=["alice@city.test"],
        connection=connection,
    )
    message.attach("badge.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 5000, "image/png")

    with caplog.at_level(logging.INFO, logger="hachioji_portal.devmail"):
        assert message.send() == 1

    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1
    assert files[0].stat().st_mode & 0o077 == 0
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert str(parsed["Subject"]).strip() == "[八王子市 学習ポータル] バッジが発行されました"
    lines = [r.getMessage() for r in caplog.records if r.name == "hachioji_portal.devmail"]
    assert lines == [
        f"mail to alice@city.test: [八王子市 学習ポータル] バッジが発行されました (1 attachment) -> {files[0]}"
    ]
    assert "base64" not in lines[0] and "=?utf-8?" not in lines[0]


def test_the_portal_uses_development_mail_when_no_smtp_server_is_configured(settings):
    from importlib import reload

    import hachioji_portal.settings as portal_settings

    assert reload(portal_settings).EMAIL_BACKEND == "hachioji_portal.devmail.EmailBackend"


def test_the_demo_accounts_are_printed_again_on_request(db, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True  # as `make run`: with DEBUG=0 seed_demo refuses
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    assert "Demo accounts" in out.getvalue()
    assert "head of section" in out.getvalue()
