"""Queries compiled once (badges/prepared.py) answer exactly what the ORM answers, every time:
the share page's row and the verify API's award, revocation included."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from badges import services
from badges.models import Award
from badges.public import verification, views_share

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]


def test_the_share_row_is_what_values_list_returns(award):
    expected = views_share._row_queryset(award.share_token).first()
    row = views_share._shared_row(award.share_token)
    assert row is not None
    assert tuple(row.values()) == expected
    assert row["share_token"] == award.share_token and row["issued_at"] == award.issued_at  # converted types
    assert views_share._shared_row(award.public_id) is None  # another value: no row


def test_the_award_of_a_check_by_url_is_the_orm_award(award):
    orm = Award.objects.select_related("badge_class", "issuer").get(pk=award.pk)
    fast = verification.ob2._own_award(public_id=award.public_id)
    assert fast is not None and fast.pk == orm.pk
    for name in ("public_id", "status", "issued_at", "expires_at", "credential", "assertion", "status_list_index"):
        assert getattr(fast, name) == getattr(orm, name), name
    assert (fast.badge_class.name, fast.badge_class.criteria, fast.badge_class.alignments) == (
        orm.badge_class.name,
        orm.badge_class.criteria,
        orm.badge_class.alignments,
    )
    assert (fast.issuer.public_id, fast.issuer.name, fast.issuer.url) == (
        orm.issuer.public_id,
        orm.issuer.name,
        orm.issuer.url,
    )
    assert verification.verify_award(fast).to_dict(messages=False) | {"checked_at": None} == verification.verify_award(
        orm
    ).to_dict(messages=False) | {"checked_at": None}


def test_each_check_reads_the_row_again_in_one_query(award):
    url = f"http://127.0.0.1:8000/public/assertions/{award.public_id}"
    assert verification.verify_url(url).status == "valid"
    with CaptureQueriesContext(connection) as ctx:
        assert verification.verify_url(url).status == "valid"
    assert len(ctx.captured_queries) == 1
    services.award_revoke(award=award, reason="受講記録の誤りのため")
    report = verification.verify_url(url)
    assert report.status == "revoked" and report.findings[0].revocation_reason == "受講記録の誤りのため"


def test_an_unknown_or_malformed_id_is_no_award(award):
    assert verification.ob2._own_award(public_id="not-a-uuid") is None
    assert verification.ob2._own_award(public_id=award.share_token) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side prepared statements are PostgreSQL's")
def test_on_postgresql_the_row_query_is_prepared_once_and_still_counted(award):
    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [sql for (sql,) in cursor.fetchall() if '"badges_award"."share_token"' in sql]

    with CaptureQueriesContext(connection) as captured:
        first = views_share._shared_row(award.share_token)
        second = views_share._shared_row(award.share_token)
    assert first == second and first is not None
    assert len(captured.captured_queries) == 2  # logged and counted like any other query
    assert len(prepared()) == 1  # prepared on this connection, once
    services.award_revoke(award=award, reason="受講記録の誤りのため")
    row = views_share._shared_row(award.share_token)
    assert row is not None and row["status"] == Award.Status.REVOKED  # executed afresh, not remembered
    assert len(prepared()) == 1


def test_turned_off_the_same_rows_come_from_the_orm_without_compiling_anything(award, settings):
    settings.BADGE_PREPARED_QUERIES = False
    compiled = dict(views_share._SHARE_ROW._compiled)
    row = views_share._shared_row(award.share_token)
    assert row is not None and tuple(row.values()) == views_share._row_queryset(award.share_token).first()
    assert views_share._shared_row(award.public_id) is None
    fast_off = verification.ob2._own_award(public_id=award.public_id)
    assert fast_off is not None and fast_off.pk == award.pk
    assert views_share._SHARE_ROW._compiled == compiled  # nothing new compiled meanwhile
