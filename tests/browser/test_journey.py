"""The whole story in a real browser, with a real Celery worker on Redis and PostgreSQL:

1. alice (staff) signs in to the Japanese portal, searches the catalogue and requests a course;
2. bob, her head of section, recommends it;
3. carol (HR, with TOTP) approves it in the Django admin and marks it completed;
4. the worker issues the badge; alice finds it in マイバッジ, downloads the PNG (its OB 3.0
   credential verifies), makes it public and the share page opens logged out;
5. an outsider uploads the PNG to the verify page: valid; carol revokes it; revoked, with the reason.

Then steps 1 and 4 again in English, switched to in the UI. Each person has a browser context
of their own; every step leaves a numbered screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import email
import email.header
import json
import re
from pathlib import Path
from typing import Any

import pytest

from badges.core import baking, credentials
from badges.models import Award
from courses.models import Enrolment
from tests.browser.conftest import check_accessibility, sign_in
from tests.factories import (
    DEFAULT_PASSWORD,
    make_course,
    make_provider,
    make_skill,
    make_started_course,
    today,
    totp_code,
)
from tests.worker import running_worker, sent_emails, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

REASON = "審査請求の対応に必要なため"


@pytest.fixture
def story(settings, live_server, alice, bob, carol, badge_class, signing_key, private_queue, clear_cache):  # type: ignore[no-untyped-def]
    """The catalogue: the course alice will take (with the badge) and one she will not."""
    settings.PORTAL_BASE_URL = live_server.url  # badge URLs point at the live server
    law = make_skill(code="LAW", name="法務", name_en="Law")
    course = make_started_course(
        code="CHUO-LAW-2026-GYOSEI",
        title="行政法",
        title_en="Administrative law",
        provider=make_provider(name="中央大学法学部 通信教育課程", name_en="Chuo University (correspondence)"),
        skills={law: 3},
        badge_class=badge_class,
    )
    make_course(code="CITY-BOSAI", title="防災研修", title_en="Disaster preparedness")
    # The admin answers 403 otherwise: say why at once (roles lose their permissions in a flush).
    assert type(carol).objects.get(pk=carol.pk).has_perm("courses.change_enrolment"), "the HR role has no permissions"
    return course


def _subjects(tmp_path: Path, to: str) -> list[str]:
    """Decoded subjects of the emails the worker sent to ``to``."""
    subjects = []
    for raw in sent_emails(tmp_path):
        message = email.message_from_string(raw.strip())
        if to in str(message.get("To", "")):
            subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
            subjects.append(" ".join(subject.split()))
    return subjects


def _download_png(page: Any, tmp_path: Path, name: str) -> tuple[Path, dict[str, Any]]:
    """Download the baked PNG from the badge page; return it and its verified OB 3.0 credential."""
    with page.expect_download() as download:
        page.locator("a[href$='/download.png']").click()
    path = tmp_path / name
    download.value.save_as(path)
    chunks = baking.read_baked(path.read_bytes())
    credential = json.loads(chunks[baking.KEYWORD_OB3])
    result = credentials.verify_credential(credential)
    assert result.valid, result
    return path, credential


def _admin_action(page: Any, live_server: Any, changelist: str, pk: int, action: str) -> None:
    """Tick one row of an admin change list and run an action on it."""
    page.goto(f"{live_server.url}{changelist}")
    page.locator(f"input.action-select[value='{pk}']").check()
    page.locator("select[name=action]").select_option(action)
    with page.expect_navigation():
        page.locator("#changelist-form button[name=index]").click()


def _verify(page: Any, live_server: Any, png: Path) -> None:
    page.goto(f"{live_server.url}/public/verify/")
    page.get_by_label("バッジ画像（PNG）または資格情報ファイル（JSON）").set_input_files(str(png))
    with page.expect_navigation():
        page.locator("form.verify-form").get_by_role("button", name="検証").click()


def test_the_whole_story_in_japanese(open_context, live_server, story, alice, bob, carol, shots, tmp_path):
    course = story
    with running_worker(tmp_path):
        # 1. alice signs in (Japanese UI), searches the catalogue and requests the course.
        staff = open_context().new_page()
        sign_in(staff, live_server, alice.email, DEFAULT_PASSWORD)
        assert staff.locator("html").get_attribute("lang") == "ja"
        assert staff.get_by_role("heading", level=1).inner_text() == "山田 花子 さん、ようこそ"
        shots(staff, "1-alice-home")
        with staff.expect_navigation():
            staff.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="講座を探す").click()
        staff.get_by_label("検索", exact=True).fill("行政")
        with staff.expect_navigation():
            staff.locator("form.catalogue-filters").get_by_role("button", name="検索").click()
        results = staff.locator(".course-card__title")
        assert results.all_inner_texts() == ["行政法"]
        shots(staff, "1-alice-search")
        with staff.expect_navigation():
            results.get_by_role("link", name="行政法").click()
        assert staff.get_by_role("heading", level=1).inner_text() == "行政法"
        shots(staff, "1-alice-course")
        with staff.expect_navigation():
            staff.get_by_role("link", name="この講座に申し込む").click()
        staff.get_by_label("昇任選考活用型", exact=False).check()
        staff.get_by_label("理由").fill(REASON)
        shots(staff, "1-alice-request")
        with staff.expect_navigation():
            staff.get_by_role("button", name="次へ").click()
        assert staff.get_by_role("heading", level=1).inner_text() == "申込内容の確認"
        shots(staff, "1-alice-confirm")
        with staff.expect_navigation():
            staff.get_by_role("button", name="申し込む").click()
        assert "申込を所属長に送りました。" in staff.locator(".messages").inner_text()
        assert "申込中" in staff.locator("main").inner_text()
        shots(staff, "1-alice-my-learning")
        enrolment = Enrolment.objects.get(staff=alice, course=course)
        assert (enrolment.state, enrolment.use_type, enrolment.reason) == ("requested", "promotion", REASON)

        # 2. bob, her head of section, recommends it.
        head = open_context().new_page()
        sign_in(head, live_server, bob.email, DEFAULT_PASSWORD)
        with head.expect_navigation():
            head.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="承認").click()
        request = head.locator(f"article[aria-labelledby='approval-{enrolment.pk}-title']")
        assert "山田 花子 — 行政法" in request.get_by_role("heading").inner_text()
        request.get_by_label("推薦する").check()
        request.get_by_label("コメント").fill("推薦します")
        shots(head, "2-bob-approvals")
        with head.expect_navigation():
            request.get_by_role("button", name="判断を保存").click()
        shots(head, "2-bob-recommended")
        assert wait_for(lambda: Enrolment.objects.get(pk=enrolment.pk).state == "recommended", timeout=30)

        # 3. carol (HR) signs in with her TOTP code, approves in the admin, then marks it completed.
        hr = open_context().new_page()
        sign_in(hr, live_server, carol.email, DEFAULT_PASSWORD, totp=totp_code())
        changelist = "/admin/courses/enrolment/"
        _admin_action(hr, live_server, f"{changelist}?state=awaiting_hr", enrolment.pk, "approve")
        assert "1 件を承認しました。" in hr.locator(".messagelist").inner_text()
        shots(hr, "3-carol-approved")
        assert Enrolment.objects.get(pk=enrolment.pk).state == "approved"
        _admin_action(hr, live_server, changelist, enrolment.pk, "mark_completed")
        assert hr.get_by_label(re.compile(r"^修了日")).input_value() == today().isoformat()
        hr.get_by_label("成績").fill("優")
        shots(hr, "3-carol-complete-form")
        with hr.expect_navigation():
            hr.get_by_role("button", name="実行").click()
        assert "1 件を修了として記録しました。" in hr.locator(".messagelist").inner_text()
        shots(hr, "3-carol-completed")
        assert Enrolment.objects.get(pk=enrolment.pk).state == "completed"

        # 4. The worker issues the badge; alice sees it, downloads it and makes it public.
        assert wait_for(lambda: Award.objects.filter(recipient=alice, status=Award.Status.ISSUED).exists(), timeout=60)
        award = Award.objects.get(recipient=alice)
        assert award.source_key == f"enrolment:{enrolment.pk}" and award.language == "ja"
        with staff.expect_navigation():
            staff.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="マイバッジ").click()
        card = staff.locator(".badge-card")
        assert card.count() == 1
        assert card.locator("img").get_attribute("alt") == f"オープンバッジ画像：{award.badge_class.name}"
        shots(staff, "4-alice-my-badges")
        with staff.expect_navigation():
            card.get_by_role("link", name=award.badge_class.name).click()
        assert staff.get_by_role("heading", level=1).inner_text() == award.badge_class.name
        png, credential = _download_png(staff, tmp_path, "badge-ja.png")
        assert credential["credentialSubject"]["achievement"]["name"] == award.badge_class.name
        staff.get_by_label("リンクを知っている全員").check()
        with staff.expect_navigation():
            staff.locator("form.visibility-form").get_by_role("button", name="保存").click()
        share_url = staff.get_by_label("共有リンク").input_value()
        assert share_url.startswith(f"{live_server.url}/public/share/")
        shots(staff, "4-alice-public")

        outsider = open_context().new_page()  # nobody signed in
        outsider.goto(share_url)
        assert outsider.get_by_role("heading", level=1).inner_text() == award.badge_class.name
        assert outsider.locator(".verdict").inner_text().startswith("検証結果： 有効")
        assert "山田 花子" in outsider.locator(".holder").inner_text()
        check_accessibility(outsider)
        shots(outsider, "4-share-page-logged-out")

        # 5. The outsider uploads the PNG to the verify page: valid.
        _verify(outsider, live_server, png)
        report = outsider.locator(".report")
        assert "verdict--valid" in (report.get_attribute("class") or "")
        assert "結果： 有効" in report.get_by_role("heading", level=2).inner_text()
        shots(outsider, "5-verify-valid")

        # carol revokes it in the admin, with a reason; the same upload now says revoked.
        _admin_action(hr, live_server, "/admin/badges/award/", award.pk, "revoke_selected")
        hr.get_by_label("取消しの理由").fill("修了記録の誤りのため")
        shots(hr, "5-carol-revoke-reason")
        with hr.expect_navigation():
            hr.get_by_role("button", name="確定").click()
        assert "1 件のバッジを取り消しました。" in hr.locator(".messagelist").inner_text()
        shots(hr, "5-carol-revoked")
        assert Award.objects.get(pk=award.pk).status == Award.Status.REVOKED
        _verify(outsider, live_server, png)
        report = outsider.locator(".report")
        assert "verdict--revoked" in (report.get_attribute("class") or "")
        assert "取消し" in report.get_by_role("heading", level=2).inner_text()
        assert "修了記録の誤りのため" in report.inner_text()
        shots(outsider, "5-verify-revoked")

        # Emails went out in alice's language.
        issued = f"バッジ「{award.badge_class.name}」が発行されました"
        assert wait_for(lambda: any(issued in s for s in _subjects(tmp_path, alice.email)), timeout=30)
        assert wait_for(lambda: _subjects(tmp_path, bob.email), timeout=30)


def test_steps_1_and_4_in_english(open_context, live_server, story, alice, bob, carol, shots, tmp_path):
    from courses import services

    course = story
    with running_worker(tmp_path):
        # 1. alice switches to English in the UI, searches and requests the course.
        staff = open_context().new_page()
        sign_in(staff, live_server, alice.email, DEFAULT_PASSWORD)
        staff.get_by_label("言語").select_option("en")
        with staff.expect_navigation():
            staff.get_by_role("button", name="切替").click()
        assert staff.locator("html").get_attribute("lang") == "en"
        assert staff.get_by_role("heading", level=1).inner_text() == "Welcome, 山田 花子"
        shots(staff, "1-alice-home-en")
        with staff.expect_navigation():
            staff.get_by_role("navigation", name="Main menu").get_by_role("link", name="Find courses").click()
        staff.get_by_label("Search", exact=True).fill("Administrative")
        with staff.expect_navigation():
            staff.locator("form.catalogue-filters").get_by_role("button", name="Search").click()
        results = staff.locator(".course-card__title")
        assert results.all_inner_texts() == ["Administrative law"]
        shots(staff, "1-alice-search-en")
        with staff.expect_navigation():
            results.get_by_role("link", name="Administrative law").click()
        with staff.expect_navigation():
            staff.get_by_role("link", name="Request this course").click()
        staff.get_by_label("Evidence for promotion selection", exact=False).check()
        staff.get_by_label("Reason").fill("For handling appeals at work.")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Continue").click()
        assert staff.get_by_role("heading", level=1).inner_text() == "Confirm your request"
        shots(staff, "1-alice-confirm-en")
        with staff.expect_navigation():
            staff.get_by_role("button", name="Send request").click()
        assert "Your request was sent to your head of section." in staff.locator(".messages").inner_text()
        shots(staff, "1-alice-my-learning-en")

        # 2 and 3, tested in Japanese above, done here by the services.
        enrolment = Enrolment.objects.get(staff=alice, course=course)
        services.enrolment_recommend(enrolment=enrolment, actor=bob)
        services.enrolment_approve(enrolment=Enrolment.objects.get(pk=enrolment.pk), actor=carol)
        services.enrolment_complete(enrolment=Enrolment.objects.get(pk=enrolment.pk), actor=carol, grade="A")

        # 4. The badge, issued in English; alice downloads it, makes it public and shares it.
        assert wait_for(lambda: Award.objects.filter(recipient=alice, status=Award.Status.ISSUED).exists(), timeout=60)
        award = Award.objects.get(recipient=alice)
        assert award.language == "en"
        with staff.expect_navigation():
            staff.get_by_role("navigation", name="Main menu").get_by_role("link", name="My badges").click()
        card = staff.locator(".badge-card")
        # Her pages are in English, so the badge's English name shows (its image is English too).
        assert award.badge_class.name_en
        assert card.locator("img").get_attribute("alt") == f"Open Badge image: {award.badge_class.name_en}"
        assert "Issued on" in card.inner_text()
        shots(staff, "4-alice-my-badges-en")
        with staff.expect_navigation():
            card.get_by_role("link", name=award.badge_class.name_en).click()
        _png, credential = _download_png(staff, tmp_path, "badge-en.png")
        assert credential["credentialSubject"]["achievement"]["id"]
        staff.get_by_label("Anyone with the link").check()
        with staff.expect_navigation():
            staff.locator("form.visibility-form").get_by_role("button", name="Save").click()
        share_url = staff.get_by_label("Share link").input_value()
        shots(staff, "4-alice-public-en")
        outsider = open_context().new_page()
        outsider.goto(share_url)
        assert outsider.get_by_role("heading", level=1).inner_text() == award.badge_class.name
        shots(outsider, "4-share-page-logged-out")

        # Her badge email is in English too.
        assert wait_for(
            lambda: any("You received the badge" in s for s in _subjects(tmp_path, alice.email)), timeout=30
        )
