"""What the batch path writes and which key it signs with: the batch UPDATE stores exactly what
saving each award through the ORM stores, one statement for the batch on PostgreSQL; the signer
made for a batch is reused by the next one without a query, and never after a key rotation."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from badges import issuing, keys, services
from badges.core import baking, credentials, signing
from badges.models import Award, BadgeClass, SigningKey
from tests.factories import make_badge_class, make_staff

pytestmark = pytest.mark.django_db


def _requests(badge_class: BadgeClass, n: int, prefix: str) -> list[Award]:
    people = [make_staff(family_name="髙橋", given_name=f"花子{i}") for i in range(n)]
    return services.awards_request_many(
        [
            services.AwardRequest(
                recipient=person,
                badge_class=badge_class,
                source_key=f"{prefix}:{i}",
                achieved_on=dt.date(2026, 4, 1),
                # Quotes, a backslash, a newline and Japanese: what a literal would have to escape.
                evidence=[{"name": "憲法 \"基礎\" \\ 'A'", "narrative": "成績: A\n2026年度"}],
            )
            for i, person in enumerate(people)
        ]
    )


_ROW = ("pk", *(f if f != "signing_key" else "signing_key_id" for f in issuing._ISSUED_FIELDS))


def _stored(ids: list[int]) -> list[tuple[Any, ...]]:
    return list(Award.objects.filter(pk__in=ids).order_by("pk").values_list(*_ROW))


def _issued_in_memory(badge_class: BadgeClass, n: int, prefix: str) -> list[Award]:
    """Awards as ``_issue`` leaves them before the write: every field set, nothing saved."""
    ids = [a.pk for a in _requests(badge_class, n, prefix)]
    awards = list(Award.objects.select_related("badge_class", "issuer", "recipient").filter(pk__in=ids).order_by("pk"))
    signer = keys.signer_for(awards[0].issuer)
    for award in awards:
        issuing._issue(award, signer)
    awards[-1].failure_reason = "x" * 300  # a long text value, as a retry leaves it before it is cleared
    return awards


def _writers() -> list[Callable[[list[Award]], None]]:
    writers = [issuing._write_issued_each]
    if connection.vendor == "postgresql":
        writers.append(issuing._write_issued_values)
    return writers


@pytest.mark.parametrize("validity_days", [None, 365])
def test_the_batch_update_stores_exactly_what_saving_each_award_stores(signing_key, enqueued, validity_days):
    badge_class = make_badge_class(validity_days=validity_days)
    for writer in _writers():
        awards = _issued_in_memory(badge_class, 3, prefix=f"{writer.__name__}-{validity_days}")
        ids = [a.pk for a in awards]
        writer(awards)
        written = _stored(ids)
        Award.objects.filter(pk__in=ids).update(status=Award.Status.PENDING, assertion=None, credential=None)
        for award in awards:
            award.save(update_fields=issuing._ISSUED_FIELDS)
        saved = _stored(ids)
        assert written == saved, writer.__name__
        assert {row[_ROW.index("status")] for row in written} == {Award.Status.ISSUED}
        assert (written[0][_ROW.index("expires_at")] is None) == (validity_days is None)
        assert written[-1][_ROW.index("failure_reason")] == "x" * 300
        stored = Award.objects.get(pk=ids[0])
        assert stored.credential == awards[0].credential  # the signed document, to the last character
        assert credentials.verify_credential(stored.credential).valid


def test_the_batch_path_writes_the_documents_that_are_baked_into_the_png(badge_class, signing_key, enqueued):
    ids = [a.pk for a in _requests(badge_class, 3, "baked")]
    assert issuing.awards_ensure_issued(award_ids=ids)["issued"] == 3
    for award in Award.objects.filter(pk__in=ids):
        with award.baked_image.open("rb") as handle:
            chunks = baking.read_baked(handle.read())
        assert award.credential == json.loads(chunks[baking.KEYWORD_OB3])
        assert award.assertion == json.loads(chunks[baking.KEYWORD_OB2])
        assert award.evidence[0]["name"] == "憲法 \"基礎\" \\ 'A'"


def test_a_warm_batch_writes_its_awards_in_one_update_and_reads_no_signing_key(badge_class, signing_key, enqueued):
    issuing.awards_ensure_issued(award_ids=[a.pk for a in _requests(badge_class, 1, "warm")])
    ids = [a.pk for a in _requests(badge_class, 5, "five")]
    with CaptureQueriesContext(connection) as queries:
        assert issuing.awards_ensure_issued(award_ids=ids)["issued"] == 5
    sql = [q["sql"] for q in queries.captured_queries]
    award_updates = [s for s in sql if 'UPDATE "badges_award"' in s]
    # One statement for the batch on PostgreSQL; elsewhere one executemany (logged "5 times: …").
    assert len(award_updates) == 1
    assert award_updates[0].startswith("UPDATE" if connection.vendor == "postgresql" else "5 times: UPDATE")
    # The lock query reads the active key with the awards; the signer made for the first batch
    # does the rest: no query of its own.
    key_reads = [s for s in sql if "badges_signingkey" in s]
    lock = next(s for s in sql if s.startswith("SELECT"))
    assert key_reads == [lock] and 'FROM "badges_award"' in lock


def _rotate(key_file: Path) -> SigningKey:
    """``badges_keygen --rotate``: a new key file (a later modification time), the new key registered."""
    private = signing.generate_private_key()
    mtime = key_file.stat().st_mtime
    key_file.write_bytes(signing.private_key_to_pem(private))
    os.utime(key_file, (mtime + 5, mtime + 5))
    return keys.signing_key_register(issuer=keys.default_issuer(), public_key=private.public_key())


def _proof_key(award_id: int) -> str:
    award = Award.objects.get(pk=award_id)
    assert credentials.verify_credential(award.credential).valid
    return str(award.credential["proof"][0]["verificationMethod"]).rsplit("#", 1)[-1]


def test_after_a_key_rotation_the_next_batch_signs_with_the_new_key(badge_class, signing_key, settings, enqueued):
    first = _requests(badge_class, 2, "before")
    issuing.awards_ensure_issued(award_ids=[a.pk for a in first])
    old = SigningKey.objects.get(is_active=True)
    assert _proof_key(first[0].pk) == old.public_key_multibase
    new = _rotate(Path(settings.BADGE_SIGNING_KEY_FILE))
    later = _requests(badge_class, 2, "after")
    assert issuing.awards_ensure_issued(award_ids=[a.pk for a in later])["issued"] == 2
    assert new.pk != old.pk
    assert {_proof_key(a.pk) for a in later} == {new.public_key_multibase}
    assert set(Award.objects.filter(pk__in=[a.pk for a in later]).values_list("signing_key", flat=True)) == {new.pk}


def test_a_key_retired_without_a_new_file_is_not_used_from_the_cache(badge_class, signing_key, settings, enqueued):
    issuing.awards_ensure_issued(award_ids=[a.pk for a in _requests(badge_class, 1, "cached")])
    # Someone registers another public key (the key file on this worker is now the wrong one).
    keys.signing_key_register(issuer=keys.default_issuer(), public_key=signing.generate_private_key().public_key())
    stale = _requests(badge_class, 1, "stale")
    assert issuing.awards_ensure_issued(award_ids=[stale[0].pk])["failed"] == 1
    assert "does not match" in Award.objects.get(pk=stale[0].pk).failure_reason
