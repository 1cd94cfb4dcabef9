"""A large roster's confirmation runs as a background job (staff/roster_jobs.py): HR gets the
job's page at once, a worker imports the file (all or nothing, as before), the job's page
shows the result, and confirming the same file again while it runs finds that job."""

from __future__ import annotations

import pytest
from django.urls import reverse

from staff import roster_jobs
from staff.jobs import job_run
from staff.models import BackgroundJob, StaffMember
from tests.factories import make_staff
from tests.staff.test_roster_import import CONFIRM_URL, confirm, csv_bytes, preview, row

pytestmark = pytest.mark.django_db

PEOPLE = [row(f"50000{i}", "職員", f"太郎{i}", f"taro{i}@city.test") for i in range(5)]


@pytest.fixture
def hr_client(client, carol):  # type: ignore[no-untyped-def]
    client.force_login(carol)
    return client


@pytest.fixture(autouse=True)
def in_background(settings):  # type: ignore[no-untyped-def]
    settings.PORTAL_BACKGROUND_FROM = 3  # files of three rows or more (the default is 200)


def _confirm_data(preview_response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    form = preview_response.context["confirm_form"]
    return {name: form.initial.get(name, "") for name in form.fields}


def test_confirming_a_large_roster_answers_with_the_job_page_and_a_worker_imports_it(
    hr_client, department, django_capture_on_commit_callbacks
):
    data = _confirm_data(preview(hr_client, csv_bytes(PEOPLE)))
    with django_capture_on_commit_callbacks() as queued:
        response = hr_client.post(CONFIRM_URL, data)
    job = BackgroundJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:staff_backgroundjob_change", args=[job.pk])
    assert len(queued) == 1
    assert (job.kind, job.state, job.total) == ("staff.roster_import", "queued", 5)
    assert not StaffMember.objects.filter(employee_number__startswith="50000").exists()

    assert job_run(job_id=job.pk) == "done"

    job.refresh_from_db()
    assert job.state == "done"
    assert job.result["counts"] == {"new": 5, "changed": 0, "unchanged": 0, "deactivated": 0}
    assert StaffMember.objects.filter(employee_number__startswith="50000", department=department).count() == 5
    page = hr_client.get(response["Location"]).content.decode()
    assert 'data-job-state="done"' in page and "<progress" not in page


def test_a_small_roster_is_still_imported_in_the_request(hr_client, department, settings):
    settings.PORTAL_BACKGROUND_FROM = 200
    response = confirm(hr_client, preview(hr_client, csv_bytes(PEOPLE)))
    assert response.status_code == 200
    assert not BackgroundJob.objects.exists()
    assert StaffMember.objects.filter(employee_number__startswith="50000").count() == 5


def test_a_second_click_on_confirm_or_the_same_file_again_goes_to_the_running_job(hr_client, department):
    preview_response = preview(hr_client, csv_bytes(PEOPLE))
    data = _confirm_data(preview_response)
    first = hr_client.post(CONFIRM_URL, data)
    second = hr_client.post(CONFIRM_URL, data)  # the same form, clicked twice
    assert second["Location"] == first["Location"]
    # HR uploads the same file again and confirms it while the first is still waiting.
    third = hr_client.post(CONFIRM_URL, _confirm_data(preview(hr_client, csv_bytes(PEOPLE))))
    assert third["Location"] == first["Location"]
    assert BackgroundJob.objects.count() == 1
    # As a full roster it is another operation.
    fourth = hr_client.post(CONFIRM_URL, _confirm_data(preview(hr_client, csv_bytes(PEOPLE), full_roster=True)))
    assert fourth["Location"] != first["Location"] and BackgroundJob.objects.count() == 2


def test_the_roster_job_reports_its_progress_every_few_rows(hr_client, department, monkeypatch):
    monkeypatch.setattr(roster_jobs, "PROGRESS_EVERY", 2)
    hr_client.post(CONFIRM_URL, _confirm_data(preview(hr_client, csv_bytes(PEOPLE))))
    job = BackgroundJob.objects.get()
    seen: list[int] = []
    roster_jobs.roster_import_run(job, seen.append)
    assert seen == [2, 4]


def test_a_problem_that_appears_before_the_job_runs_imports_nothing_and_the_job_says_why(hr_client, department):
    hr_client.post(CONFIRM_URL, _confirm_data(preview(hr_client, csv_bytes(PEOPLE))))
    make_staff(employee_number="300001", email="taro3@city.test")  # someone takes the address meanwhile
    job = BackgroundJob.objects.get()

    assert job_run(job_id=job.pk) == "failed"

    job.refresh_from_db()
    assert job.state == "failed"
    assert "taro3@city.test" in " ".join(job.result["errors"])
    assert not StaffMember.objects.filter(employee_number__startswith="50000").exists()
    page = hr_client.get(reverse("admin:staff_backgroundjob_change", args=[job.pk])).content.decode()
    assert "taro3@city.test" in page


def test_a_job_whose_file_is_gone_fails_with_a_message_for_hr(hr_client, department):
    from django.core.cache import cache

    hr_client.post(CONFIRM_URL, _confirm_data(preview(hr_client, csv_bytes(PEOPLE))))
    job = BackgroundJob.objects.get()
    cache.delete(f"background-job-upload:{job.input['upload']}")  # e.g. it waited more than a day
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert len(job.result["errors"]) == 1 and "ValueError" not in job.result["errors"][0]


def test_the_roster_job_records_hrs_actions_so_the_admin_index_lists_them(hr_client, carol, department):
    from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
    from django.utils import translation
    from django.utils.translation import gettext

    index = hr_client.get(reverse("admin:index")).content.decode()
    assert "利用不可" in index  # 「最近行った操作」 is empty
    stale = make_staff(employee_number="400001", family_name="退職", given_name="予定")
    hr_client.post(CONFIRM_URL, _confirm_data(preview(hr_client, csv_bytes(PEOPLE), full_roster=True)))
    assert job_run(job_id=BackgroundJob.objects.get().pk) == "done"

    entries = LogEntry.objects.filter(user=carol)
    added = entries.filter(action_flag=ADDITION)
    assert {int(e.object_id) for e in added} == set(
        StaffMember.objects.filter(employee_number__startswith="50000").values_list("pk", flat=True)
    )
    assert {e.get_change_message() for e in added} == {"職員名簿の取り込み"}
    deactivated = entries.get(action_flag=CHANGE, object_id=str(stale.pk))
    with translation.override("ja"):  # Japanese once the catalogue has the pending translations
        assert deactivated.get_change_message() == gettext("Deactivated: not in the full roster (roster import)")
    index = hr_client.get(reverse("admin:index")).content.decode()
    recent = index[index.index('id="recent-actions-module"') :]
    assert "利用不可" not in recent and "太郎0" in recent
