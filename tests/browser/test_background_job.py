"""HR marks 300 enrolments completed in Chromium (issue 13): the click answers at once with the
job's page and its progress bar, a real worker does the work, HR leaves, comes back through the
list of background jobs and finds the result. Waits for what the page signals (its
``data-job-state``), never for a fixed time."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from courses.models import Enrolment
from staff.models import BackgroundJob
from tests.browser.conftest import sign_in
from tests.factories import DEFAULT_PASSWORD, make_enrolment, make_staff, make_started_course, totp_code
from tests.worker import running_worker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

COUNT = 300


def test_hr_marks_300_completed_in_the_background_and_finds_the_result_later(
    open_context, live_server, carol, private_queue, tmp_path, shots
):
    hr = type(carol).objects.get(pk=carol.pk)
    assert hr.has_perms(["courses.change_enrolment", "staff.view_backgroundjob"]), "the HR role has no permissions"
    course = make_started_course(code="BOSAI-2026", title="防災リーダー研修", capacity=COUNT + 10)
    for _ in range(COUNT):
        make_enrolment(staff=make_staff(), course=course, state="approved")

    page = open_context().new_page()
    # The page's script is served and runs: no CSP refusal, no script error.
    script_statuses: list[int] = []
    page.on("response", lambda r: "background-job.js" in r.url and script_statuses.append(r.status))
    console_errors: list[str] = []
    page.on(
        "console", lambda m: m.type == "error" and "Content Security Policy" in m.text and console_errors.append(m.text)
    )
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    sign_in(page, live_server, carol.email, DEFAULT_PASSWORD, totp=totp_code())
    page.goto(f"{live_server.url}/admin/courses/enrolment/?course={course.pk}")
    # Tick the page, then "select all 300" (the admin's own script), and run the action.
    page.locator("#action-toggle").check()
    page.locator(".actions .question a").click()
    page.locator("select[name=action]").select_option("mark_completed")
    with page.expect_navigation():
        page.locator("#changelist-form button[name=index]").click()
    page.get_by_label("成績").fill("修了")
    with page.expect_navigation():
        page.get_by_role("button", name="実行").click()

    # The job's page, at once: nothing is done in the request.
    job = BackgroundJob.objects.get()
    assert page.url.endswith(f"/admin/staff/backgroundjob/{job.pk}/change/")
    content = page.locator("#content-main")
    assert content.get_attribute("data-job-state") == "queued"
    expect(page.locator("progress")).to_have_attribute("max", str(COUNT))
    shots(page, "job-waiting")

    # HR leaves for something else before the worker starts (leaving later races the page's own
    # reload when the job ends: the navigation is then aborted, which is not what is tested here).
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#content-main")).to_be_visible()
    with running_worker(tmp_path):
        # ...the worker works while HR is elsewhere, and HR comes back through the list of background jobs.
        page.goto(f"{live_server.url}/admin/staff/backgroundjob/")
        with page.expect_navigation():
            page.locator("#result_list tbody tr").first.locator("a").first.click()
        # The page reloads itself until the job has ended.
        expect(page.locator("#content-main")).to_have_attribute("data-job-state", "done", timeout=180_000)
    shots(page, "job-done")
    counts = page.locator(".background-job-counts").inner_text()
    assert str(COUNT) in counts
    assert page.locator("progress").count() == 0
    assert Enrolment.objects.filter(course=course, state="completed", grade="修了").count() == COUNT
    assert console_errors == []
    assert script_statuses and set(script_statuses) <= {200, 304}
