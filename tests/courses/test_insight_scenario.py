"""The issue's "done when", tried as a new user would, through the pages only."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from staff.models import RecordAccess
from tests.courses.insight_helpers import build_city

pytestmark = pytest.mark.django_db


def test_hr_finds_exports_opens_a_profile_and_sees_it_logged_and_a_head_is_refused_elsewhere(
    client, alice, bob, carol, dave, department
):
    build_city(alice=alice, bob=bob, dave=dave, department=department)

    # HR follows "HR insight" in the menu, then "People search".
    client.force_login(carol)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("hr:dashboard")}"' in home
    dashboard = client.get(reverse("hr:dashboard")).content.decode()
    assert f'href="{reverse("hr:people")}"' in dashboard
    form = client.get(reverse("hr:people")).content.decode()
    assert 'name="skill"' in form and "データ活用" in form and "福祉部" in form

    # "People in 福祉部 with データ活用 level 2 or above and a valid badge".
    search = {"department": "40", "skill": "DATA", "level": "2", "valid_only": "on"}
    response = client.get(reverse("hr:people"), search)
    assert response.status_code == 200
    assert [m.person.employee_number for m in response.context["results"]] == ["100001"]
    page = response.content.decode()
    assert "データ分析実践 修了" in page  # why: the valid badge
    assert "伊藤" not in page  # erika's badge expired

    # Export them (the links on the page carry the same search).
    csv_link = re.search(r'href="(/hr/people/export\.csv\?[^"]+)"', page)
    xlsx_link = re.search(r'href="(/hr/people/export\.xlsx\?[^"]+)"', page)
    assert csv_link and xlsx_link
    exported = client.get(csv_link.group(1).replace("&amp;", "&"))
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["職員番号", "氏名"] and [r[0] for r in rows[1:]] == ["100001"]
    workbook = load_workbook(io.BytesIO(client.get(xlsx_link.group(1).replace("&amp;", "&")).content))
    assert workbook.active["A2"].value == "100001"

    # Open the profile from the result.
    profile_link = re.search(r'href="(/hr/people/100001/\?back=[^"]+)"', page)
    assert profile_link
    profile = client.get(profile_link.group(1).replace("&amp;", "&"))
    assert profile.status_code == 200
    assert "山田 花子" in profile.content.decode()

    # The access log shows that view (and the two exports).
    log = client.get(reverse("hr:access_log"), {"person": "100001"})
    purposes = [(e.viewer.employee_number, e.purpose) for e in log.context["page"].object_list]
    assert purposes == [("100003", "hr_search"), ("100003", "export"), ("100003", "export")]
    assert RecordAccess.objects.filter(purpose="hr_search").count() == 1

    # A head of section (bob, 福祉政策課) tries the same for another department: refused.
    client.force_login(bob)
    for other in ("20", "40"):
        refused = client.get(reverse("hr:people"), {**search, "department": other})
        assert refused.status_code == 403
        assert client.get(reverse("hr:people_export_csv"), {**search, "department": other}).status_code == 403
    assert client.get(reverse("hr:profile", args=["100004"])).status_code == 403
    # …while his own section works.
    assert client.get(reverse("hr:people"), {**search, "department": "4010"}).status_code == 200
