"""HR imports the university's grade report in the admin, in Chromium (issue 13): carol signs in
with her TOTP code and uploads a CSV with one good and one bad line, at 1280 px and at 375 px.

Measured as a person looks: the preview is Japanese, the bad line is numbered as the spreadsheet
numbers it (the header is line 1), its reason is on the screen without hovering anything, the
summary counts the lines, and nothing is imported. Then a good file is confirmed and imported.
Screenshots of each step go to test-artifacts/screenshots/<test>/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from courses.models import Enrolment
from tests.browser.conftest import sign_in
from tests.browser.measure import MEASURE, WIDTHS
from tests.factories import DEFAULT_PASSWORD, make_badge_class, make_course, make_enrolment, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "職員番号,科目コード,結果,成績,修了日,備考\r\n"
GOOD = "100001,CHUO-GYOSEI,修了,優,2026/3/10,\r\n"
BAD = "999999,CHUO-GYOSEI,修了,,,\r\n"  # line 3: nobody with this number is enrolled
REASON = "職員番号 999999 の講座 CHUO-GYOSEI への受講決定済みの申込がありません"

# The reason as a person sees it: shown, on the screen, not clipped by its cell.
SEEN = """(line) => {
  const row = document.querySelector(`#grade-lines tr[data-line="${line}"]`);
  if (!row) return null;
  const reasons = row.querySelector('.grade-reasons');
  const r = reasons.getBoundingClientRect(), s = getComputedStyle(reasons);
  return {text: reasons.innerText.trim(), number: row.querySelector('.grade-line-number').innerText.trim(),
          left: r.left, right: r.right, width: r.width, height: r.height,
          visible: s.visibility !== 'hidden' && s.display !== 'none' && s.opacity !== '0',
          viewport: document.documentElement.clientWidth};
}"""


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Nothing reaches a broker: the award and email tasks the import queues are recorded."""
    tasks: list[tuple[str, Any]] = []
    monkeypatch.setattr(
        "hachioji_portal.queueing.publish",
        lambda task, *, args=(), kwargs=None: tasks.append((task.name, args)) or True,
    )
    return tasks


@pytest.fixture
def enrolled(alice):  # type: ignore[no-untyped-def]
    course = make_course(
        code="CHUO-GYOSEI", title="行政法", badge_class=make_badge_class(), starts_on=dt.date(2026, 3, 1)
    )
    return make_enrolment(staff=alice, course=course, state="approved")


def _upload(page: Any, live_server: Any, text: str) -> None:
    page.goto(f"{live_server.url}/admin/courses/enrolment/import/")
    page.set_input_files(
        "input[name=import_file]",
        files=[{"name": "seiseki.csv", "mimeType": "text/csv", "buffer": text.encode("cp932")}],
    )
    page.select_option("select[name=format]", label="csv")
    with page.expect_navigation():
        page.locator("input[type=submit]").last.click()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_hr_sees_the_bad_lines_reason_numbered_as_the_spreadsheet_then_imports_a_good_file(  # type: ignore[no-untyped-def]
    open_context, live_server, enrolled, carol, shots, queued, width
):
    page = open_context(**WIDTHS[width]).new_page()
    sign_in(page, live_server, carol.email, DEFAULT_PASSWORD, totp=totp_code())

    _upload(page, live_server, HEADER + GOOD + BAD)
    shots(page, f"{width}-preview-with-an-error")
    body = page.locator("body").inner_text()
    assert "Some rows failed" not in body and "EMPLOYEE_NUMBER" not in body
    assert "新規 0 件、更新 1 件、エラー 1 件" in body
    seen = page.evaluate(SEEN, 3)
    assert seen is not None, "no line 3 in the preview"
    assert seen["number"] == "3" and REASON in seen["text"]
    assert seen["visible"] and seen["width"] > 100 and seen["height"] > 0
    assert 0 <= seen["left"] and seen["right"] <= seen["viewport"] + 1, seen
    assert page.locator('#grade-lines tr[data-line="2"]').inner_text().count("受講決定 → 修了") == 1
    assert page.get_by_role("button", name="インポートを確定").count() == 0
    assert not page.evaluate(MEASURE), page.evaluate(MEASURE)
    assert Enrolment.objects.get(pk=enrolled.pk).state == "approved"

    _upload(page, live_server, HEADER + GOOD)
    shots(page, f"{width}-preview-good")
    assert "新規 0 件、更新 1 件、エラー 0 件" in page.locator("body").inner_text()
    assert not page.evaluate(MEASURE), page.evaluate(MEASURE)
    with page.expect_navigation():
        page.get_by_role("button", name="インポートを確定").click()
    shots(page, f"{width}-imported")
    assert "成績を取り込みました（新規 0 件、更新 1 件、変更なし 0 件）。" in page.locator("body").inner_text()
    enrolment = Enrolment.objects.get(pk=enrolled.pk)
    assert (enrolment.state, enrolment.grade, enrolment.completed_on) == ("completed", "優", dt.date(2026, 3, 10))
    assert any("award" in name for name, _args in queued), queued  # its badge was requested once
