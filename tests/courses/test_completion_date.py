"""A completion date is the day the badge says the course was completed: never in the future, and
before the course starts only with a reason, which the enrolment's history keeps (issue 13)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from badges.models import Award
from courses.models import Enrolment
from courses.resources import GradeReportResource
from courses.services import EnrolmentError, enrolment_complete, enrolments_bulk_complete
from staff.formats import RosterCSV
from tests.factories import make_badge_class, make_course, make_enrolment, make_started_course, today

pytestmark = pytest.mark.django_db

STARTS = today() - dt.timedelta(days=10)
EARLY = STARTS - dt.timedelta(days=5)


def _course(**fields):  # type: ignore[no-untyped-def]
    return make_course(starts_on=STARTS, badge_class=make_badge_class(), **fields)


def test_a_date_before_the_course_starts_is_refused_without_a_reason_and_no_badge_is_requested(alice, carol):
    enrolment = make_enrolment(staff=alice, course=_course(), state="approved")
    with pytest.raises(EnrolmentError) as refused:
        enrolment_complete(enrolment=enrolment, actor=carol, completed_on=EARLY)
    assert "講座の開始日" in refused.value.message and "理由" in refused.value.message
    enrolment.refresh_from_db()
    assert (enrolment.state, enrolment.completed_on) == ("approved", None)
    assert not Award.objects.exists()


def test_with_a_reason_the_early_date_is_kept_and_the_reason_is_in_the_history(alice, carol, enqueued):
    enrolment = make_enrolment(staff=alice, course=_course(), state="approved")
    assert enrolment_complete(
        enrolment=enrolment, actor=carol, completed_on=EARLY, date_reason="日程が前倒しになったため"
    )
    enrolment.refresh_from_db()
    assert (enrolment.state, enrolment.completed_on) == ("completed", EARLY)
    last = enrolment.events.last()
    assert (last.to_state, last.actor) == ("completed", carol)
    assert "日程が前倒しになったため" in last.comment
    assert Award.objects.get().achieved_on == EARLY


def test_a_date_on_or_after_the_start_needs_no_reason_and_records_none(alice, carol, enqueued):
    enrolment = make_enrolment(staff=alice, course=_course(), state="approved")
    assert enrolment_complete(enrolment=enrolment, actor=carol, completed_on=STARTS)
    assert enrolment.events.last().comment == ""


def test_a_future_date_is_refused_even_with_a_reason(alice, carol):
    enrolment = make_enrolment(staff=alice, course=_course(), state="approved")
    with pytest.raises(EnrolmentError):
        enrolment_complete(
            enrolment=enrolment, actor=carol, completed_on=today() + dt.timedelta(days=1), date_reason="予定"
        )
    enrolment.refresh_from_db()
    assert enrolment.state == "approved"


def test_correcting_a_recorded_date_to_before_the_start_needs_a_reason_too(alice, carol, enqueued):
    enrolment = make_enrolment(staff=alice, course=_course(), state="approved")
    enrolment_complete(enrolment=enrolment, actor=carol, completed_on=today())
    with pytest.raises(EnrolmentError):
        enrolment_complete(enrolment=enrolment, actor=carol, completed_on=EARLY)
    enrolment.refresh_from_db()
    assert enrolment.completed_on == today()
    assert enrolment_complete(enrolment=enrolment, actor=carol, completed_on=EARLY, date_reason="成績表の誤記")
    assert "成績表の誤記" in enrolment.events.last().comment


def test_the_bulk_completion_refuses_only_the_courses_that_start_after_the_date(alice, dave, carol, enqueued):
    started = make_enrolment(staff=alice, course=make_started_course(), state="approved")
    later = make_enrolment(staff=dave, course=_course(), state="approved")
    outcome = enrolments_bulk_complete(enrolments=[started, later], actor=carol, completed_on=EARLY)
    assert [e.pk for e in outcome.done] == [started.pk]
    assert [e.pk for e, _message in outcome.errors] == [later.pk]
    assert Enrolment.objects.get(pk=later.pk).state == "approved"


def test_the_bulk_completion_with_a_reason_records_it_for_the_early_ones_only(alice, dave, carol, enqueued):
    started = make_enrolment(staff=alice, course=make_started_course(), state="approved")
    later = make_enrolment(staff=dave, course=_course(), state="approved")
    outcome = enrolments_bulk_complete(
        enrolments=[started, later], actor=carol, completed_on=EARLY, date_reason="集中講義で先に修了"
    )
    assert {e.pk for e in outcome.done} == {started.pk, later.pk} and not outcome.errors
    assert Enrolment.objects.get(pk=started.pk).events.last().comment == ""
    assert "集中講義で先に修了" in Enrolment.objects.get(pk=later.pk).events.last().comment


def test_the_admin_action_asks_for_the_reason_before_changing_anything(client, alice, carol):
    client.force_login(carol)
    enrolment = make_enrolment(staff=alice, course=_course(), state="approved")
    data = {
        "action": "mark_completed",
        ACTION_CHECKBOX_NAME: [enrolment.pk],
        "apply": "1",
        "completed_on": EARLY.isoformat(),
    }
    response = client.post(reverse("admin:courses_enrolment_changelist"), data)
    assert response.status_code == 200  # the form again, with the reason asked for
    assert response.context["form"].errors["date_reason"]
    assert Enrolment.objects.get(pk=enrolment.pk).state == "approved"
    data["date_reason"] = "日程変更"
    client.post(reverse("admin:courses_enrolment_changelist"), data, follow=True)
    enrolment.refresh_from_db()
    assert (enrolment.state, enrolment.completed_on) == ("completed", EARLY)
    assert "日程変更" in enrolment.events.last().comment


def test_a_grade_report_row_dated_before_the_course_starts_is_an_error_with_the_reason(alice, carol):
    course = _course(code="CHUO-KENPO")
    make_enrolment(staff=alice, course=course, state="approved")
    text = "employee_number,course_code,result,grade,completed_on,note\n"
    text += f"100001,CHUO-KENPO,修了,優,{EARLY.isoformat()},\n"
    dataset = RosterCSV().create_dataset(text.encode())
    result = GradeReportResource(actor=carol).import_data(dataset, dry_run=False, use_transactions=True)
    assert result.has_validation_errors()
    messages = [str(m) for row in result.invalid_rows for ms in row.error_dict.values() for m in ms]
    assert any("講座の開始日" in m for m in messages), messages
    assert Enrolment.objects.get(course=course).state == "approved"


def test_a_grade_report_line_dated_before_the_start_is_kept_with_the_reason_from_its_column(alice, carol, enqueued):
    course = _course(code="CHUO-KENPO")
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    text = "職員番号,科目コード,結果,成績,修了日,備考,修了日の理由\n"
    text += f"100001,CHUO-KENPO,修了,優,{EARLY.isoformat()},,集中講義で先に修了\n"
    dataset = RosterCSV().create_dataset(text.encode())
    preview = GradeReportResource(actor=carol).import_data(dataset, dry_run=True, use_transactions=True)
    assert not preview.has_validation_errors()
    assert any("集中講義で先に修了" in detail for detail in preview.lines[0].details)
    result = GradeReportResource(actor=carol).import_data(dataset, dry_run=False, use_transactions=True)
    assert not result.has_validation_errors() and not result.has_errors()
    enrolment.refresh_from_db()
    assert (enrolment.state, enrolment.completed_on) == ("completed", EARLY)
    assert "集中講義で先に修了" in enrolment.events.last().comment


def test_without_the_reason_the_grade_report_line_says_where_to_write_it(alice, carol):
    course = _course(code="CHUO-KENPO")
    make_enrolment(staff=alice, course=course, state="approved")
    text = f"employee_number,course_code,result,grade,completed_on\n100001,CHUO-KENPO,修了,優,{EARLY.isoformat()}\n"
    result = GradeReportResource(actor=carol).import_data(
        RosterCSV().create_dataset(text.encode()), dry_run=True, use_transactions=True
    )
    reasons = " ".join(result.lines[0].reasons)
    assert "講座の開始日" in reasons and "修了日の理由" in reasons


def test_the_enrolment_page_refuses_a_future_date_and_an_early_date_without_a_reason_in_japanese(
    client, alice, carol, enqueued
):
    client.force_login(carol)
    enrolment = make_enrolment(staff=alice, course=_course(), state="approved")
    url = reverse("admin:courses_enrolment_decide", args=[enrolment.pk, "complete"])
    future = (today() + dt.timedelta(days=1)).isoformat()
    page = client.post(
        url, {"expected_state": "approved", "complete-completed_on": future}, follow=True
    ).content.decode()
    assert "修了日に未来の日付は指定できません。" in page
    page = client.post(
        url, {"expected_state": "approved", "complete-completed_on": EARLY.isoformat()}, follow=True
    ).content.decode()
    assert "講座の開始日" in page
    assert Enrolment.objects.get(pk=enrolment.pk).state == "approved"
    client.post(
        url,
        {"expected_state": "approved", "complete-completed_on": EARLY.isoformat(), "complete-date_reason": "日程変更"},
    )
    enrolment.refresh_from_db()
    assert (enrolment.state, enrolment.completed_on) == ("completed", EARLY)
    assert "日程変更" in enrolment.events.last().comment


def test_the_bulk_action_refuses_a_future_date_in_japanese(client, alice, carol):
    client.force_login(carol)
    enrolment = make_enrolment(staff=alice, course=make_started_course(), state="approved")
    data = {
        "action": "mark_completed",
        ACTION_CHECKBOX_NAME: [enrolment.pk],
        "apply": "1",
        "completed_on": (today() + dt.timedelta(days=1)).isoformat(),
    }
    response = client.post(reverse("admin:courses_enrolment_changelist"), data)
    assert response.context["form"].errors["completed_on"] == ["修了日に未来の日付は指定できません。"]
    assert Enrolment.objects.get(pk=enrolment.pk).state == "approved"


def test_a_refused_completion_comes_back_filled_in_with_the_error_by_its_field(client, alice, carol):
    client.force_login(carol)
    enrolment = make_enrolment(staff=alice, course=_course(), state="approved")
    url = reverse("admin:courses_enrolment_decide", args=[enrolment.pk, "complete"])
    page = client.post(
        url,
        {"expected_state": "approved", "complete-completed_on": EARLY.isoformat(), "complete-grade": "優"},
        follow=True,
    ).content.decode()
    form = page[page.index('class="decision-complete"') :]
    form = form[: form.index("</form>")]
    assert f'value="{EARLY.isoformat()}"' in form and 'value="優"' in form
    assert 'class="errorlist' in form and "講座の開始日" in form
    # Only once: the next visit shows a fresh form.
    again = client.get(reverse("admin:courses_enrolment_change", args=[enrolment.pk])).content.decode()
    form = again[again.index('class="decision-complete"') :]
    assert 'class="errorlist' not in form[: form.index("</form>")]
