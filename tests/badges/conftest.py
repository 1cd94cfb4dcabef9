"""Badges test helpers: an issued award of alice's, and badges from elsewhere signed with a
fresh did:key, baked onto a small PNG."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from badges import issuing, ratelimit, services
from badges.core import baking, credentials, signing
from badges.public import views_share
from tests.conftest import _missing


def small_png(size: tuple[int, int] = (16, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (29, 78, 137)).save(out, format="PNG")
    return out.getvalue()


def issue(recipient: Any, badge_class: Any, key: str) -> Any:
    award, _ = services.award_request(
        recipient=recipient, badge_class=badge_class, source_key=key, achieved_on=dt.date(2026, 4, 1)
    )
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    return award


@pytest.fixture
def award(alice, badge_class, signing_key, enqueued):  # type: ignore[no-untyped-def]
    """Alice's issued badge (private, as every badge starts)."""
    return issue(alice, badge_class, "enrolment:501")


# The share page both ways: with its two speed tricks (a query compiled once and prepared on the
# server; the whole page cached for anonymous visitors) and without them (settings
# BADGE_PREPARED_QUERIES / BADGE_SHARE_PAGE_CACHE). The page must be the same.
SHARE_MODES = {
    "fast": {"BADGE_PREPARED_QUERIES": True, "BADGE_SHARE_PAGE_CACHE": True},
    "plain": {"BADGE_PREPARED_QUERIES": False, "BADGE_SHARE_PAGE_CACHE": False},
}


@pytest.fixture(params=list(SHARE_MODES))
def share_mode(request: pytest.FixtureRequest, settings: Any) -> str:
    for name, value in SHARE_MODES[request.param].items():
        setattr(settings, name, value)
    return str(request.param)


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def share_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The share page's clock, standing at second 30 of the coming minute (after anything the
    test issues now, and far from the minute's end, which the page's cache keys name)."""
    now = timezone.now().replace(second=30, microsecond=0) + dt.timedelta(minutes=1)
    clock = Clock(now)
    monkeypatch.setattr(views_share, "clock", clock)
    return clock


@pytest.fixture
def rate_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The rate limiter's clock, standing in the middle of a minute: a test's checks all fall
    in one window, however slow the machine, until the test moves it."""
    clock = Clock(timezone.now().replace(second=30, microsecond=0))
    monkeypatch.setattr(ratelimit, "clock", clock.timestamp)
    return clock


# --- The interop tests' Node (tests/badges/test_interop_dcc.py, test_wallet_interop.py) --------

INTEROP_DIR = Path(__file__).resolve().parents[2] / "interop"
# Both come from interop/package-lock.json (`make interop-deps`).
INTEROP_PACKAGES = (
    INTEROP_DIR / "node_modules" / "@digitalcredentials" / "verifier-core",  # the DCC verifier
    INTEROP_DIR / "node_modules" / "@openid4vc" / "openid4vci",  # the OpenID4VCI wallet client
)


@pytest.fixture
def node() -> str:
    """Node.js with the interop packages; skipped without them, except in CI (a failure)."""
    node = shutil.which("node")
    if node is None:
        _missing("Node.js is not installed (`make system-deps` installs Debian's nodejs)")
    if not all(package.is_dir() for package in INTEROP_PACKAGES):
        _missing("interop/node_modules is missing: run `make interop-deps`")
    assert node is not None
    return node


@pytest.fixture
def no_notifications(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emails are queued after commit (every statement commits here); keep them off the broker."""
    monkeypatch.setattr("badges.notifications.awards_notify_enqueue", lambda award_ids: None)
    monkeypatch.setattr("staff.emails.email_dispatch", lambda email_id: True)


def baked_bytes(award: Any) -> bytes:
    with award.baked_image.open("rb") as handle:
        return handle.read()


def external_credential(
    *,
    email: str = "alice@city.test",
    name: str = "データ分析入門",
    issuer_name: str = "中央大学",
    valid_until: str | None = None,
    private_key: Any = None,
    credential_id: str = "urn:uuid:6a1c2f1e-8f1b-4c59-9d1e-0a7b4e1f2c3d",
) -> dict[str, Any]:
    """An OB 3.0 credential signed by another did:key issuer (not this portal)."""
    key = private_key or signing.generate_private_key()
    did = signing.did_key_for(key.public_key())
    credential = credentials.build_ob3_credential(
        credential_id=credential_id,
        issuer_id=did,
        issuer_name=credentials.LocalizedText(issuer_name),
        issuer_url="https://www.chuo-u.ac.jp/",
        achievement_id="https://badges.example.ac.jp/achievements/data-101",
        achievement_name=credentials.LocalizedText(name),
        achievement_description=credentials.LocalizedText("統計の基礎とデータの読み方を学んだ。"),
        criteria_narrative=credentials.LocalizedText("全8回の講義に出席し、課題に合格すること。"),
        recipient_email=email,
        salt="c0ffee",
        valid_from="2026-03-01T10:00:00+09:00",
        valid_until=valid_until,
        alignments=[credentials.Alignment(target_name="データ活用", target_url="https://example.ac.jp/skills/data")],
    )
    return credentials.sign_credential(
        credential,
        private_key=key,
        verification_method=signing.did_key_verification_method(key.public_key()),
        created="2026-03-01T10:00:00+09:00",
    )


def bake_ob3(credential: dict[str, Any]) -> bytes:
    return baking.bake(small_png(), {baking.KEYWORD_OB3: json.dumps(credential, ensure_ascii=False)})


def register_issuer(
    private_key: Any,
    *,
    name: str = "中央大学",
    kind: str = "university",
    valid_from: dt.date = dt.date(2020, 4, 1),
    valid_until: dt.date | None = None,
    by: Any = None,
) -> Any:
    """Put an issuer's did:key in the register of trusted issuers, as HR does in the admin."""
    from badges.models import TrustedIssuer, TrustedIssuerIdentifier

    entry = TrustedIssuer.objects.create(
        name=name,
        kind=kind,
        valid_from=valid_from,
        valid_until=valid_until,
        reason="職員の学習支援に関する覚書",
        added_by=by,
    )
    TrustedIssuerIdentifier.objects.create(
        issuer=entry, kind="did", value=signing.did_key_for(private_key.public_key())
    )
    return entry
