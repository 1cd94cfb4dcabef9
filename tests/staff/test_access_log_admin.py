"""The record-access log in the admin as HR reads it (issue 13): purposes as Japanese labels, the
time column headed 日時 (not 日程), year/month/day in Japan time, and a CSV of the rows shown."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.staff.test_access_log import log  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:staff_recordaccess_changelist")
EXPORT = reverse("admin:staff_recordaccess_export")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_admin_list_heads_the_time_column_and_shows_purposes_in_japanese(client, carol, log):  # noqa: F811
    client.force_login(carol)
    html = client.get(CHANGELIST).content.decode()
    html = html[html.index('id="result_list"') :]
    head = _text(html[html.index("<thead>") : html.index("</thead>")])
    assert "日時" in head and "日程" not in head and "目的" in head
    body = _text(html[html.index("<tbody>") : html.index("</tbody>")])
    for label in ("所属長による確認", "職員検索結果の書き出し", "研修履歴の閲覧"):
        assert label in body
    for code in ("export", "head_review", "training_record"):
        assert f" {code} " not in body
    # The purpose filter offers the labels too.
    page = client.get(CHANGELIST).content.decode()
    sidebar = _text(page[page.index('id="changelist-filter"') :])
    assert "所属長による確認" in sidebar and "head_review" not in sidebar


def test_the_date_hierarchy_counts_days_in_japan_time(client, carol, log):  # noqa: F811
    client.force_login(carol)
    # 00:30 on 1 April in Tokyo is still 31 March in UTC: it belongs to 1 April.
    response = client.get(CHANGELIST, {"at__year": "2026", "at__month": "4", "at__day": "1"})
    assert [e.pk for e in response.context["cl"].result_list] == [log[0].pk]
    response = client.get(CHANGELIST, {"at__year": "2026", "at__month": "3"})
    assert [e.pk for e in response.context["cl"].result_list] == [log[1].pk]


def test_hr_exports_the_rows_shown_as_csv_with_a_bom_japan_time_and_a_japan_dated_name(client, carol, log):  # noqa: F811
    client.force_login(carol)
    page = client.get(CHANGELIST, {"at__year": "2026", "at__month": "4"}).content.decode()
    link = re.search(r'<a href="([^"]+)" class="recordaccess-export" download>([^<]+)</a>', page)
    assert link is not None and link.group(2) == "この条件の記録をダウンロード（CSV）"
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith(EXPORT) and "at__month=4" in href and "at__year=2026" in href
    response = client.get(href)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    stamp = timezone.localtime().strftime("%Y%m%d")
    assert re.fullmatch(
        rf'attachment; filename="record-access-log-{stamp}-\d{{4}}\.csv"', response["Content-Disposition"]
    )
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "日時" and rows[0][5] == "目的"
    assert [(r[0], r[5]) for r in rows[1:]] == [
        ("2026-04-02 09:00:00", "研修履歴の閲覧"),
        ("2026-04-01 00:30:00", "所属長による確認"),
    ]


def test_the_export_follows_the_purpose_filter_and_the_search(client, carol, log):  # noqa: F811
    client.force_login(carol)
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(client.get(EXPORT, {"purpose__exact": "export"}).streaming_content).decode("utf-8-sig")
            )
        )
    )
    assert [r[5] for r in rows[1:]] == ["職員検索結果の書き出し"]
    rows = list(
        csv.reader(io.StringIO(b"".join(client.get(EXPORT, {"q": "100002"}).streaming_content).decode("utf-8-sig")))
    )
    assert [r[1] for r in rows[1:]] == ["100002"]


def test_a_bad_filter_goes_back_to_the_list(client, carol, log):  # noqa: F811
    client.force_login(carol)
    response = client.get(EXPORT, {"nonsense__field": "1"})
    assert response.status_code == 302 and response["Location"] == CHANGELIST


def test_only_those_who_may_read_the_log_export_it(client, alice, bob, log):  # noqa: F811
    for person in (alice, bob):
        client.force_login(person)
        response = client.get(EXPORT)
        assert response.status_code in (302, 403)
        assert not response.has_header("Content-Disposition")


def test_the_export_reads_the_log_in_a_fixed_number_of_queries(
    client, carol, alice, bob, django_assert_max_num_queries
):
    from staff.models import RecordAccess

    RecordAccess.objects.bulk_create(
        [RecordAccess(viewer=bob, subject=alice, purpose="head_review", path=f"/hr/people/{n}/") for n in range(60)]
    )
    client.force_login(carol)
    with django_assert_max_num_queries(12):
        body = b"".join(client.get(EXPORT).streaming_content)
    assert body.decode("utf-8-sig").count("\r\n") == 61
