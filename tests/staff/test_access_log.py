"""The record-access log as HR reads it (issue 13): purposes stored as codes and shown as labels
in the reader's language, a 日時 column, a date filter in Japan time, and a CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import re
import zoneinfo

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from staff.models import RecordAccess

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


@pytest.fixture
def log(alice, bob, carol, dave):  # type: ignore[no-untyped-def]
    P = RecordAccess.Purpose
    return [
        # Just after midnight in Tokyo on 1 April: still 31 March in UTC.
        RecordAccess.objects.create(
            viewer=bob, subject=alice, purpose=P.HEAD_REVIEW, path="/hr/people/100001/", at=_at(2026, 4, 1, 0, 30)
        ),
        RecordAccess.objects.create(
            viewer=carol, subject=dave, purpose=P.EXPORT, path="/hr/people/export.csv?q=x", at=_at(2026, 3, 31, 23, 0)
        ),
        RecordAccess.objects.create(
            viewer=carol, subject=alice, purpose=P.TRAINING_RECORD, path="/badges/record/", at=_at(2026, 4, 2, 9, 0)
        ),
    ]


def test_the_purposes_written_by_the_pages_are_codes(client, alice, bob, carol):
    client.force_login(carol)
    client.get(reverse("hr:profile", args=[alice.employee_number]))
    client.force_login(bob)
    client.get(reverse("hr:profile", args=[alice.employee_number]))
    assert sorted(RecordAccess.objects.values_list("purpose", flat=True)) == ["head_review", "hr_search"]


def test_the_data_migration_turns_the_old_texts_into_codes_and_back(alice, bob):
    migration = importlib.import_module("staff.migrations.0008_recordaccess_purpose_codes")
    old = ["研修履歴の閲覧", "外部バッジ原本の閲覧", "HR people search", "所属長による確認", "export"]
    for text in old:
        RecordAccess.objects.create(viewer=bob, subject=alice, purpose=text, path="/")
    migration.to_codes(apps, None)
    # The five texts the log held before codes (later purposes never had a text form).
    assert sorted(RecordAccess.objects.values_list("purpose", flat=True)) == sorted(migration.OLD_TO_CODE.values())
    assert set(migration.OLD_TO_CODE.values()) <= set(RecordAccess.Purpose.values)
    migration.to_texts(apps, None)
    assert sorted(RecordAccess.objects.values_list("purpose", flat=True)) == sorted(old)


def test_hr_reads_the_log_with_a_date_and_time_column_and_japanese_purposes(client, carol, log):
    client.force_login(carol)
    html = client.get(reverse("hr:access_log")).content.decode()
    headings = re.findall(r'<th scope="col">([^<]+)</th>', html)
    assert headings[0] == "日時" and "日程" not in headings
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html[html.index("<tbody>") :])
    assert {"所属長による確認", "職員検索結果の書き出し", "研修履歴の閲覧"} <= set(cells)
    assert not {"export", "head_review", "training_record"} & set(cells)


def test_an_hr_officer_who_chose_english_reads_english_purposes(client, carol, log):
    carol.preferred_language = "en"
    carol.save(update_fields=["preferred_language"])
    client.force_login(carol)
    html = client.get(reverse("hr:access_log")).content.decode()
    assert "Review by the head of section" in html and "Date and time" in html


def test_the_date_filter_counts_days_in_japan_time(client, carol, log):
    client.force_login(carol)
    response = client.get(reverse("hr:access_log"), {"date_from": "2026-04-01", "date_to": "2026-04-01"})
    assert [e.pk for e in response.context["page"].object_list] == [log[0].pk]
    response = client.get(reverse("hr:access_log"), {"date_to": "2026-03-31"})
    assert [e.pk for e in response.context["page"].object_list] == [log[1].pk]
    backwards = client.get(reverse("hr:access_log"), {"date_from": "2026-04-02", "date_to": "2026-04-01"})
    assert backwards.context["form"].errors["date_to"] == ["終了日が開始日より前です。"]


def test_hr_exports_the_filtered_log_as_csv_with_a_bom_and_japanese_headers(client, carol, log, alice):
    client.force_login(carol)
    page = client.get(reverse("hr:access_log"), {"date_from": "2026-04-01"}).content.decode()
    link = re.search(r'<a href="([^"]+)" download>', page)
    assert link is not None and "date_from=2026-04-01" in link.group(1)
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    stamp = timezone.localtime().strftime("%Y%m%d")
    assert re.fullmatch(
        rf'attachment; filename="record-access-log-{stamp}-\d{{4}}\.csv"', response["Content-Disposition"]
    )
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [
        "日時",
        "閲覧者の職員番号",
        "閲覧者",
        "閲覧された職員の職員番号",
        "閲覧された職員",
        "目的",
        "ページ",
    ]
    assert rows[1:] == [
        ["2026-04-02 09:00:00", "100003", "鈴木 恵子", "100001", "山田 花子", "研修履歴の閲覧", "/badges/record/"],
        ["2026-04-01 00:30:00", "100002", "佐藤 一郎", "100001", "山田 花子", "所属長による確認", "/hr/people/100001/"],
    ]


def test_only_hr_exports_the_log(client, bob, alice, log):
    for person in (alice, bob):
        client.force_login(person)
        assert client.get(reverse("hr:access_log_export")).status_code == 403
