"""昇任選考 points and the human-capital report in Chromium, on a 375 px phone and a 1280 px
desktop, in Japanese and English: HR opens a selection's candidates, freezes the list and
downloads the frozen CSV (its digest printed in it), then opens the human-capital report; a
candidate opens their own points and the courses that would add some.

Each page is measured the way a person looks at it (tests/browser/measure.py) and photographed
to test-artifacts/screenshots/<test>/. Controls are found by their place (form action, link
address), not their words: the Japanese texts are in docs/_pending_translations/promotion.po
until the lead merges the catalogue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.measure import MEASURE, WIDTHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _measure(page: Any, where: str, *, not_japanese_in: str = "") -> None:
    problems = page.evaluate(MEASURE, not_japanese_in)
    assert not problems, f"{where}: what a person would stumble on:\n  " + "\n  ".join(problems)


def test_hr_freezes_a_selection_and_reads_the_report_on_a_phone_and_a_desktop(
    open_context, live_server, carol, department, dave, shots
):
    from courses.models import PromotionSnapshot
    from staff.models import StaffMember
    from tests.courses.promotion_helpers import build_selection

    sel = build_selection(department, dave.department)
    for language in ("ja", "en"):
        StaffMember.objects.filter(pk=carol.pk).update(preferred_language=language)
        for width, options in WIDTHS.items():
            where = f"{language} {width}px"
            page = open_context(carol, **options).new_page()

            # 1. The rule sets, then the selection's candidates: most points first, with evidence.
            page.goto(f"{live_server.url}/hr/promotion/")
            assert page.evaluate("() => document.documentElement.lang") == language
            shots(page, f"{language}-{width}-1-rule-sets")
            _measure(page, f"{where} rule sets")
            with page.expect_navigation():
                page.locator(f"a[href='/hr/promotion/{sel.rule_set.pk}/']").first.click()
            rows = page.locator("table.candidates-table tbody tr")
            assert rows.count() == 2
            assert "伊藤 健二" in rows.nth(0).inner_text() and "20" in rows.nth(0).inner_text()
            assert "小林 真理" in rows.nth(1).inner_text()
            shots(page, f"{language}-{width}-2-candidates")
            _measure(page, f"{where} candidates")

            # 2. Freeze: the new freeze is listed with who froze it and its digest.
            before = PromotionSnapshot.objects.count()
            with page.expect_navigation():
                page.locator(f"form[action='/hr/promotion/{sel.rule_set.pk}/freeze/'] button").click()
            snapshot = PromotionSnapshot.objects.order_by("-pk").first()
            assert PromotionSnapshot.objects.count() == before + 1 and snapshot.frozen_by_id == carol.pk
            assert snapshot.digest in page.locator(".messages").inner_text()
            assert page.locator("table.snapshot-table code.digest").first.inner_text() == snapshot.digest
            shots(page, f"{language}-{width}-3-frozen")
            _measure(page, f"{where} after freezing")

            # 3. The frozen list as CSV: the digest is printed in it.
            with page.expect_download() as download:
                page.locator(f"a[href='/hr/promotion/frozen/{snapshot.pk}/export.csv']").click()
            body = Path(download.value.path()).read_text(encoding="utf-8-sig")
            assert snapshot.digest in body and "伊藤 健二" in body

            # 4. The human-capital report: a chart and a table for every figure.
            page.goto(f"{live_server.url}/hr/report/")
            assert page.locator("figure.chart-figure svg").count() >= 8
            assert page.locator("table.hc-summary tbody tr").count() == 8
            shots(page, f"{language}-{width}-4-report")
            # Division names in the charts come from the data (Japanese when there is no English).
            _measure(page, f"{where} report", not_japanese_in=".chart-figure")
            page.context.close()


def test_a_candidate_sees_their_own_points_on_a_phone_and_a_desktop(open_context, live_server, department, dave, shots):
    from staff.models import StaffMember
    from tests.courses.promotion_helpers import build_selection

    sel = build_selection(department, dave.department)
    mari = sel.people["mari"]
    for language in ("ja", "en"):
        StaffMember.objects.filter(pk=mari.pk).update(preferred_language=language)
        for width, options in WIDTHS.items():
            where = f"{language} {width}px"
            page = open_context(mari, **options).new_page()
            page.goto(f"{live_server.url}/courses/my-promotion/")
            assert page.evaluate("() => document.documentElement.lang") == language
            card = page.locator("section.my-points")
            assert card.count() == 1
            assert "10" in card.locator(".points-total").inner_text()
            assert "伊藤" not in page.content()  # nobody else's points
            # The DX course would add points; its request form is one click away.
            offer = card.locator(f"a[href='/courses/{sel.dx_course.code}/request/']")
            assert offer.count() == 1
            shots(page, f"{language}-{width}-my-points")
            _measure(page, f"{where} my points")
            with page.expect_navigation():
                offer.click()
            assert page.url.endswith(f"/courses/{sel.dx_course.code}/request/")
            page.context.close()
