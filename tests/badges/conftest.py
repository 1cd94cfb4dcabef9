"""Badges test helpers: an issued award of alice's, and badges from elsewhere signed with a
fresh did:key, baked onto a small PNG."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from PIL import Image

from badges import baking, credentials, issuing, services, signing


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
