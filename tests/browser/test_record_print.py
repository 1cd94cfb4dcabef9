"""The training record (研修履歴) as a person reads it and as it comes out of the printer.

On screen, at 375 px and 1280 px, in Japanese and English: no sideways scrolling, no column
squeezed to a few characters, nothing cut off (the same measurements as every staff page,
tests/browser/measure.py), and each badge's QR code wholly visible at a size a phone
reads.

On paper: Chromium's own PDF of the page (what 「印刷」 produces), read back with pdftotext
(poppler-utils) page by page: every page carries the issuing office, whose record it is, the
date printed and "n / N"; the navigation and buttons are not printed. Each page is also drawn
to a PNG under test-artifacts/screenshots/<test>/ to be looked at.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import Portal
from tests.browser.measure import MEASURE, WIDTHS
from tests.conftest import _missing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF_PAGE_OPTIONS = {"prefer_css_page_size": True, "print_background": True}


def _record_portal(portal: Portal) -> Portal:
    """build_portal's alice, plus what an official record must show: a course without a badge,
    credit courses (hours empty), a private badge, a revoked badge, a programme's badge and
    enough courses to need several A4 pages."""
    from badges import issuing, services
    from badges.models import Award
    from tests.factories import make_badge_class, make_course, make_enrolment, make_provider

    alice = portal.alice
    chuo = make_provider(name="中央大学法学部 通信教育課程", name_en="Chuo University, Faculty of Law (correspondence)")
    city = make_provider(name="八王子市 人事課 研修担当", name_en="Hachioji City, HR training desk")

    def completed(title: str, title_en: str, on: dt.date, badge: bool = False, **fields: Any) -> Any:
        course = make_course(
            title=title, title_en=title_en, badge_class=make_badge_class() if badge else None, **fields
        )
        return make_enrolment(
            staff=alice, course=course, state="completed", completed_on=on, grade=fields.pop("grade", "")
        )

    def issued(enrolment: Any) -> Any:
        award, _ = services.award_request(
            recipient=alice,
            badge_class=enrolment.course.badge_class,
            source_key=f"enrolment:{enrolment.pk}",
            achieved_on=enrolment.completed_on,
        )
        issuing.award_ensure_issued(award_id=award.pk)
        award.refresh_from_db()
        return award

    kenpo = completed("憲法", "Constitutional law", dt.date(2025, 2, 20), badge=True, provider=chuo, credits=4)
    Award.objects.filter(pk=issued(kenpo).pk).update(visibility=Award.Visibility.STAFF)
    issued(completed("民法総則", "", dt.date(2025, 9, 30), badge=True, provider=chuo, credits=4))  # private
    revoked = issued(
        completed(
            "情報セキュリティ研修",
            "Information security",
            dt.date(2026, 5, 10),
            badge=True,
            provider=city,
            hours=Decimal("3"),
        )
    )
    services.award_revoke(award=revoked, reason="成績の誤りのため")
    completed(
        "公文書管理の実務と情報公開制度（事例研究・グループ討議を含む）",
        "",
        dt.date(2026, 2, 15),
        provider=city,
        hours=Decimal("6"),
    )
    for n in range(14):
        completed(
            f"職場研修 第{n + 1}回 接遇とクレーム対応",
            f"Workplace training {n + 1}: customer service",
            dt.date(2024 + n % 3, 6, 1),
            provider=city,
            hours=Decimal("1.5"),
        )
    programme = make_badge_class(name="自治体法務プログラム", name_en="Municipal law programme")
    award, _ = services.award_request(
        recipient=alice, badge_class=programme, source_key="programme:1:staff:1", achieved_on=dt.date(2025, 9, 30)
    )
    issuing.award_ensure_issued(award_id=award.pk)
    return portal


@pytest.fixture
def record_portal(portal: Portal) -> Portal:
    return _record_portal(portal)


def _set_language(person: Any, language: str) -> None:
    type(person).objects.filter(pk=person.pk).update(preferred_language=language)


QR_SIZES = """
() => [...document.querySelectorAll('.record__qr img')].map(img => {
  const r = img.getBoundingClientRect();
  return {w: r.width, h: r.height, left: r.left, right: r.right, loaded: img.complete && img.naturalWidth > 0};
})
"""

HEADINGS_ON_SEVERAL_LINES = """
() => [...document.querySelectorAll('.record__table thead th')].filter(th => {
  if (getComputedStyle(th).position === 'absolute') return false;  // stacked rows: headings hidden
  const range = document.createRange();
  range.selectNodeContents(th);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
  return tops.size > 1;
}).map(th => th.innerText.trim())
"""


def test_the_record_reads_well_on_a_phone_and_a_desktop_in_japanese_and_english(
    open_context, live_server, record_portal, shots
):
    alice = record_portal.alice
    problems: dict[str, list[str]] = {}
    for language in ("ja", "en"):
        _set_language(alice, language)
        for width, options in WIDTHS.items():
            page = open_context(alice, **options).new_page()
            where = f"record {width}px {language}"
            page.goto(f"{live_server.url}/badges/record/")
            page.wait_for_function("() => [...document.images].every(img => img.complete)")
            assert page.evaluate("() => document.documentElement.lang") == language, where
            shots(page, f"{language}-{width}")
            found = list(page.evaluate(MEASURE))
            # Every completed course is a row a person sees, with its hours or credits (19: with
            # and without badges), and the total reads 30 hours (14 × 1.5 + 3 + 6), not 0.
            rows = page.locator(".record__courses tbody tr")
            assert rows.count() == 19, where
            amounts = rows.locator("td.num").all_inner_texts()
            assert all(re.fullmatch(r"[\d.]+ (時間|hours)|\d+ (単位|credits)|—", a.strip()) for a in amounts), amounts
            hours = page.locator(".record__total-hours").inner_text().strip()
            assert hours == ("30 時間" if language == "ja" else "30 hours"), (where, hours)
            qrs = page.evaluate(QR_SIZES)
            # The public and the staff-shared badge, the private one, the programme's; not the revoked one.
            assert len(qrs) == 4, where
            viewport = options["viewport"]["width"]  # type: ignore[index]
            for qr in qrs:
                # A phone reads a code of about 2 cm; all of it on the screen, drawn.
                if not (qr["loaded"] and qr["w"] >= 80 and qr["left"] >= 0 and qr["right"] <= viewport):
                    found.append(f"QR code not wholly shown: {qr}")
            if width == "1280":
                # A table, not cards: no column so narrow that its heading wraps.
                found += [f"column heading on several lines: {h}" for h in page.evaluate(HEADINGS_ON_SEVERAL_LINES)]
            if found:
                problems[where] = found
            page.context.close()
    report = "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())
    assert not problems, f"what a person would stumble on:\n{report}"


def _pdf_pages(pdf: Path) -> list[str]:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        _missing("pdftotext is not installed (poppler-utils; scripts/system-deps.sh with WITH_TEST_TOOLS=1)")
    argv = [str(pdftotext), "-layout", str(pdf), "-"]
    text = subprocess.run(argv, check=True, capture_output=True, text=True).stdout  # noqa: S603 - fixed argv, no shell
    pages = text.split("\f")
    return [p for p in pages if p.strip()]


def _png_pages(pdf: Path, folder: Path, prefix: str) -> None:
    """Each page as a PNG next to the screenshots, to be looked at."""
    for old in folder.glob(f"{prefix}-*.png"):
        old.unlink()
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        _missing("pdftoppm is not installed (poppler-utils)")
    subprocess.run([str(pdftoppm), "-r", "70", "-png", str(pdf), str(folder / prefix)], check=True)  # noqa: S603


@pytest.mark.parametrize(
    ("language", "office", "printed"),
    [
        ("ja", "八王子市 人事課", "{d.year}年{d.month}月{d.day}日"),
        ("en", "Hachioji City, Human Resources Division", "{month} {d.day}, {d.year}"),
    ],
    ids=["ja", "en"],
)
def test_every_printed_page_has_the_office_the_date_and_its_number(
    open_context, live_server, record_portal, shots, language, office, printed
):
    alice = record_portal.alice
    _set_language(alice, language)
    page = open_context(alice).new_page()
    page.goto(f"{live_server.url}/badges/record/")
    page.wait_for_function("() => [...document.images].every(img => img.complete)")
    page.emulate_media(media="print")
    shots(page, f"{language}-print-media")
    # Navigation, the language menu, the range form and the buttons stay off the paper.
    for hidden in (".site-header", ".site-footer", ".record__range", ".js-print", ".lang-switch"):
        assert not page.locator(hidden).first.is_visible(), hidden
    pdf = shots.folder / f"record-{language}.pdf"
    page.pdf(path=str(pdf), **PDF_PAGE_OPTIONS)
    _png_pages(pdf, shots.folder, f"{language}-pdf-page")

    pages = _pdf_pages(pdf)
    assert len(pages) >= 2, "the record should need several pages here (to see the footer repeat)"
    today = timezone.localdate()
    # Django's English DATE_FORMAT: "Dec. 6, 2026" (AP style: "May 1", "June 3", "Sept. 2").
    month = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]
    date = printed.format(d=today, month=month[today.month - 1])
    for number, text in enumerate(pages, start=1):
        flat = re.sub(r"\s+", " ", text)
        assert re.search(rf"\b{number} ?/ ?{len(pages)}\b", flat), f"page {number} has no 'n / N': {flat[-300:]}"
        assert office in flat, f"page {number} does not name the issuing office: {flat[-300:]}"
        assert date in flat, f"page {number} has no printed date: {flat[-300:]}"
        assert alice.employee_number in flat, f"page {number} does not say whose record it is"
    whole = re.sub(r"\s+", " ", " ".join(pages))
    # Buttons and navigation are not printed; the content is.
    for word in ("ログアウト", "Sign out", "切替", "Switch", "年度（から）", "From fiscal year"):
        assert word not in whole, word
    title = "憲法" if language == "ja" else "Constitutional law"
    assert title in whole
    page.context.close()
