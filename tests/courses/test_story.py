"""The issue's "done when", as a new user would try it, page by page."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.test import Client
from django.urls import reverse

from badges.models import Award
from courses.models import Enrolment
from tests.factories import make_badge_class, make_course, make_provider, make_skill, make_started_course, today

pytestmark = pytest.mark.django_db


def test_from_search_to_badge_request(alice, bob, carol, enqueued, django_capture_on_commit_callbacks):
    law = make_skill(code="LAW", name="法務")
    make_started_course(
        code="CHUO-LAW-2026-GYOSEI",
        title="行政法",
        provider=make_provider(name="中央大学法学部 通信教育課程"),
        skills={law: 3},
        badge_class=make_badge_class(name="行政法 修了"),
    )
    make_course(code="CITY-BOSAI", title="防災研修")
    learner, head, hr = Client(), Client(), Client()
    learner.force_login(alice)
    head.force_login(bob)
    hr.force_login(carol)

    with django_capture_on_commit_callbacks(execute=True):
        # 1. Alice finds the course by part of a word and requests it.
        found = learner.get(reverse("courses:catalogue"), {"q": "行政"})
        assert [c.code for c in found.context["page"].object_list] == ["CHUO-LAW-2026-GYOSEI"]
        detail_url = reverse("courses:detail", args=["CHUO-LAW-2026-GYOSEI"])
        assert detail_url in found.content.decode()
        request_url = reverse("courses:request", args=["CHUO-LAW-2026-GYOSEI"])
        data = {"use_type": "promotion", "reason": "審査請求の対応に必要なため"}
        learner.post(request_url, data)
        learner.post(request_url, {**data, "confirm": "1"})
        enrolment = Enrolment.objects.get()
        # Her status badge says 申込中 (Requested); the heading 申込中・受講中の講座 is always on the page.
        assert ">申込中</span>" in learner.get(reverse("courses:my_learning")).content.decode()

        # 2. Bob, her head of section, recommends it.
        assert enrolment in head.get(reverse("courses:approvals")).context["awaiting"]
        head.post(reverse("courses:decide", args=[enrolment.pk]), {"decision": "recommend", "comment": "推薦します"})

        # 3. Carol (HR) approves it in the admin, then marks it completed.
        changelist = reverse("admin:courses_enrolment_changelist")
        pending = hr.get(changelist, {"state": "awaiting_hr"}).context["cl"].result_list
        assert [e.pk for e in pending] == [enrolment.pk]
        hr.post(changelist, {"action": "approve", ACTION_CHECKBOX_NAME: [enrolment.pk]})
        hr.post(
            changelist,
            {
                "action": "mark_completed",
                ACTION_CHECKBOX_NAME: [enrolment.pk],
                "apply": "1",
                "completed_on": today().isoformat(),
                "grade": "優",
                "result_note": "",
            },
        )

    # 4. Alice sees every step, with the history, and got an email for each decision.
    enrolment.refresh_from_db()
    assert enrolment.state == "completed"
    page = learner.get(reverse("courses:my_learning"))
    assert [e.pk for e in page.context["finished"]] == [enrolment.pk]
    assert [ev.to_state for ev in enrolment.events.all()] == ["requested", "recommended", "approved", "completed"]
    content = page.content.decode()
    assert "優" in content and "推薦します" in content
    to_alice = [m for m in mail.outbox if m.to == [alice.email]]
    assert len(to_alice) == 3  # recommended, approved, completed
    assert any(m.to == [bob.email] for m in mail.outbox)  # asked to review
    # And the badge app got exactly one award request, queued after the commit.
    assert Award.objects.get().source_key == f"enrolment:{enrolment.pk}"
    assert len(enqueued) == 1
