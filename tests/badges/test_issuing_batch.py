"""Issuing in batches (bulk completions): the same badges as one by one, each exactly once; a
badge that cannot be issued fails alone; the holders' emails go once each."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from badges import issuing, services
from badges.core import baking, credentials
from badges.models import Award, BadgeClass, Issuer
from badges.signals import awards_changed
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def _requests(badge_class: BadgeClass, people: list, prefix: str = "enrolment") -> list[Award]:  # type: ignore[type-arg]
    return services.awards_request_many(
        [
            services.AwardRequest(
                recipient=person,
                badge_class=badge_class,
                source_key=f"{prefix}:{i}",
                achieved_on=dt.date(2026, 4, 1),
                evidence=[{"name": "憲法", "narrative": "成績: A"}],
            )
            for i, person in enumerate(people)
        ]
    )


def _people(n: int) -> list:  # type: ignore[type-arg]
    return [make_staff(family_name="髙橋", given_name=f"花子{i}") for i in range(n)]


def test_requesting_many_writes_one_pending_award_each_and_queues_them_once(badge_class, enqueued):
    people = _people(4)
    first = _requests(badge_class, people)
    again = _requests(badge_class, people)
    assert len(first) == 4 and again == []
    assert Award.objects.filter(status=Award.Status.PENDING).count() == 4
    assert {a.language for a in first} == {"ja"}


def test_a_batch_is_issued_as_verifiable_pngs_and_a_second_run_changes_nothing(badge_class, signing_key, enqueued):
    awards = _requests(badge_class, _people(5))
    ids = [a.pk for a in awards]
    assert issuing.awards_ensure_issued(award_ids=ids) == {"issued": 5, "already": 0, "missing": 0, "failed": 0}
    images = {}
    for award in Award.objects.filter(pk__in=ids):
        assert award.status == Award.Status.ISSUED and award.attempts == 1
        with award.baked_image.open("rb") as handle:
            chunks = baking.read_baked(handle.read())
        assert credentials.verify_credential(json.loads(chunks[baking.KEYWORD_OB3])).valid
        assert json.loads(chunks[baking.KEYWORD_OB2])["id"].endswith(str(award.public_id))
        assert award.credential == json.loads(chunks[baking.KEYWORD_OB3])
        images[award.pk] = (award.baked_image.name, award.credential["proof"][0]["proofValue"])
    assert issuing.awards_ensure_issued(award_ids=[*ids, 999_999]) == {
        "issued": 0,
        "already": 5,
        "missing": 1,
        "failed": 0,
    }
    assert {a.pk: (a.baked_image.name, a.credential["proof"][0]["proofValue"]) for a in Award.objects.all()} == images


def test_a_batch_and_the_single_path_make_the_same_documents(badge_class, signing_key, enqueued):
    one, other = _requests(badge_class, _people(2))
    issuing.award_ensure_issued(award_id=one.pk)
    issuing.awards_ensure_issued(award_ids=[other.pk])
    one.refresh_from_db()
    other.refresh_from_db()

    def shape(document: object) -> object:
        if isinstance(document, dict):
            return {k: shape(v) for k, v in document.items()}
        if isinstance(document, list):
            return [shape(v) for v in document]
        return type(document).__name__

    assert shape(one.credential) == shape(other.credential)
    assert shape(one.assertion) == shape(other.assertion)
    assert (one.status_list_index, other.status_list_index) == (one.pk, other.pk)


def test_an_award_whose_issuer_has_no_key_fails_alone_with_its_reason(badge_class, signing_key, enqueued):
    keyless = Issuer.objects.create(name="中央大学", url="https://www.chuo-u.ac.jp/", email="info@example.jp")
    other_class = BadgeClass.objects.create(
        issuer=keyless, name="公開講座修了", description="説明", criteria="基準", design=badge_class.design
    )
    good = _requests(badge_class, _people(2), prefix="good")
    bad = _requests(other_class, _people(1), prefix="bad")
    outcome = issuing.awards_ensure_issued(award_ids=[a.pk for a in good + bad])
    assert outcome == {"issued": 2, "already": 0, "missing": 0, "failed": 1}
    failed = Award.objects.get(pk=bad[0].pk)
    assert failed.status == Award.Status.FAILED and "no active signing key" in failed.failure_reason
    assert set(Award.objects.filter(pk__in=[a.pk for a in good]).values_list("status", flat=True)) == {"issued"}


def test_a_revoked_award_in_a_batch_stays_revoked(badge_class, signing_key, enqueued):
    kept, revoked = _requests(badge_class, _people(2))
    services.award_revoke(award=revoked, reason="誤登録")
    assert issuing.awards_ensure_issued(award_ids=[kept.pk, revoked.pk])["already"] == 1
    assert Award.objects.get(pk=revoked.pk).status == Award.Status.REVOKED


def test_a_batch_tells_other_apps_whose_badges_changed(badge_class, signing_key, enqueued):
    people = _people(3)
    awards = _requests(badge_class, people)
    heard: list[list[int]] = []

    def listen(sender, recipient_ids, **kwargs):  # type: ignore[no-untyped-def]
        heard.append(recipient_ids)

    awards_changed.connect(listen)
    try:
        issuing.awards_ensure_issued(award_ids=[a.pk for a in awards])
    finally:
        awards_changed.disconnect(listen)
    assert heard == [sorted(p.pk for p in people)]


def test_a_batch_costs_the_same_queries_for_two_awards_or_twelve(badge_class, signing_key, enqueued):
    def queries_for(n: int, prefix: str) -> int:
        ids = [a.pk for a in _requests(badge_class, _people(n), prefix=prefix)]
        with CaptureQueriesContext(connection) as queries:
            assert issuing.awards_ensure_issued(award_ids=ids)["issued"] == n
        return len(queries)

    queries_for(1, "warm")
    assert queries_for(2, "two") == queries_for(12, "twelve")


def test_the_holders_of_a_batch_get_one_email_each_even_if_the_task_runs_twice(badge_class, signing_key, enqueued):
    from badges.tasks import awards_notify_batch_task

    people = _people(3)
    ids = [a.pk for a in _requests(badge_class, people)]
    issuing.awards_ensure_issued(award_ids=ids)
    assert awards_notify_batch_task.run(ids) == {"sent": 3}
    assert awards_notify_batch_task.run(ids) == {"already": 3}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert all(m.attachments[0][2] == "image/png" for m in mail.outbox)


def test_email_tasks_wait_behind_issuing_on_the_broker():
    from badges.tasks import award_issue_task, awards_issue_batch_task, awards_notify_batch_task
    from staff.tasks import send_email_task, send_emails_task

    assert {t.priority for t in (award_issue_task, awards_issue_batch_task)} == {None}  # default: 0, first
    assert {t.priority for t in (awards_notify_batch_task, send_email_task, send_emails_task)} == {9}
