"""The training record (研修履歴): badges from the portal and from elsewhere, skills and hours,
printable with QR codes; the person and their head of section may read it (HR reads it in the HR
insight's profile page, docs/roles.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from badges import record, services
from badges.core import qr, signing
from badges.models import BadgeClass
from tests.badges.conftest import bake_ob3, external_credential, issue, register_issuer

pytestmark = pytest.mark.django_db


def test_every_role_on_the_training_record(client, award, alice, bob, carol, dave):
    url = f"/badges/record/{alice.employee_number}/"
    client.logout()
    for path in ("/badges/record/", url):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    expected = {alice: 200, bob: 200, carol: 404, dave: 404}
    for person, status in expected.items():
        client.force_login(person)
        assert client.get(url).status_code == status, person.full_name
        assert client.get("/badges/record/").status_code == 200
    client.force_login(carol)
    assert client.get("/badges/record/000000/").status_code == 404


def test_a_head_of_section_sees_only_people_in_departments_they_head(client, alice, bob, dave):
    client.force_login(bob)
    assert client.get(f"/badges/record/{alice.employee_number}/").status_code == 200
    assert client.get(f"/badges/record/{dave.employee_number}/").status_code == 404
    client.force_login(alice)
    assert client.get(f"/badges/record/{bob.employee_number}/").status_code == 404


def test_reading_someone_elses_record_is_logged_and_ones_own_is_not(client, alice, bob, carol):
    from staff.models import RecordAccess

    client.force_login(bob)
    client.get(f"/badges/record/{alice.employee_number}/")
    client.force_login(alice)
    client.get(f"/badges/record/{alice.employee_number}/")
    client.get("/badges/record/")
    views = RecordAccess.objects.filter(subject=alice).order_by("at")
    assert [(v.viewer, v.purpose) for v in views] == [(bob, "training_record")]
    assert views[0].path == f"/badges/record/{alice.employee_number}/"


def test_hr_reads_a_record_in_the_hr_insight_not_on_the_heads_page(client, alice, carol, award):
    """docs/roles.md: the record page is the person's and their head's; HR's way to a person's
    record is its own profile page, which shows the same badges and courses (logged)."""
    from staff.models import RecordAccess

    client.force_login(carol)
    assert client.get(f"/badges/record/{alice.employee_number}/").status_code == 404
    assert not RecordAccess.objects.filter(subject=alice).exists()
    profile = client.get(f"/hr/people/{alice.employee_number}/")
    assert profile.status_code == 200 and award.badge_class.name in profile.content.decode()
    assert RecordAccess.objects.filter(subject=alice, viewer=carol).count() == 1


def test_the_record_lists_badges_skills_and_hours(client, alice, carol, badge_class, signing_key, enqueued):
    BadgeClass.objects.filter(pk=badge_class.pk).update(hours=Decimal("30.0"))
    award = issue(alice, badge_class, "enrolment:601")
    revoked = issue(alice, badge_class, "enrolment:602")
    services.award_revoke(award=revoked, reason="取消")
    chuo = signing.generate_private_key()
    register_issuer(chuo)  # a registered issuer: HR confirms with one click
    confirmed = services.external_badge_add(holder=alice, data=bake_ob3(external_credential(private_key=chuo)))
    services.external_badge_confirm(badge=confirmed, by=carol, hours=Decimal("8"), recognised_as="データ研修相当")
    pending = services.external_badge_add(
        holder=alice,
        data=bake_ob3(
            external_credential(
                name="英語で行政",
                email="alice@city.test",
                private_key=chuo,
                credential_id="urn:uuid:0e5f3a52-7d4b-4f0e-9b61-3c2a1d9e8f70",
            )
        ),
    )

    data = record.training_record(alice)
    # A revoked badge is listed (marked) but counts for nothing: no hours, no badge, no skill.
    assert {a.pk for a in data.awards} == {award.pk, revoked.pk}
    assert data.totals.badges == 1
    assert {b.pk for b in data.external} == {confirmed.pk, pending.pk}
    assert data.total_hours == Decimal("38.0")
    assert [s.name for s in data.skills] == ["データ活用", "法務"]  # unconfirmed badges add no skills

    client.force_login(alice)
    page = client.get("/badges/record/").content.decode()
    assert "山田 花子" in page and alice.employee_number in page
    assert award.badge_class.name in page and "データ研修相当" in page and "英語で行政" in page
    assert '<dd class="record__total-hours">38 時間</dd>' in page
    assert f'<img src="/public/assertions/{award.public_id}/qr.svg"' in page
    assert " style=" not in page and "<script>" not in page


def test_the_qr_code_in_the_record_opens_the_badges_public_verification_page(client, award):
    svg = client.get(f"/public/assertions/{award.public_id}/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    url = f"http://127.0.0.1:8000/public/assertions/{award.public_id}"
    assert qr.svg_modules(svg.content) == qr.qr_matrix(url)
    page = client.get(url.removeprefix("http://127.0.0.1:8000"), HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and "山田" not in page.content.decode()  # no name on it


def test_an_external_badge_with_a_public_address_gets_a_qr_code_for_those_who_may_read_the_record(
    client, alice, bob, dave
):
    import json

    from badges.core import baking
    from tests.badges.conftest import small_png

    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://openbadge.example.jp/assertions/42",
        "recipient": {"type": "email", "hashed": False, "identity": "alice@city.test"},
        "badge": {"type": "BadgeClass", "name": "防災士", "issuer": {"name": "日本防災士機構"}},
        "verification": {"type": "HostedBadge"},
        "issuedOn": "2025-10-01T00:00:00+09:00",
    }
    png = baking.bake(small_png(), {baking.KEYWORD_OB2: json.dumps(assertion, ensure_ascii=False)})
    badge = services.external_badge_add(holder=alice, data=png)
    url = f"/badges/portfolio/{badge.public_id}/qr.svg"
    for person, status in {alice: 200, bob: 200, dave: 404}.items():
        client.force_login(person)
        assert client.get(url).status_code == status
    client.force_login(alice)
    assert qr.svg_modules(client.get(url).content) == qr.qr_matrix(assertion["id"])


def test_the_record_prints_on_a4():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "badges.css").read_text()
    assert "@media print" in css and "size: A4" in css


# --- The official record (issue 13): every completed course, hours, fiscal years, office ---------


def _completed(person, *, title, completed_on, badge_class=None, **course_fields):  # type: ignore[no-untyped-def]
    """A completed course (written directly, as HR's completion left it)."""
    from tests.factories import make_course, make_enrolment

    course = make_course(title=title, badge_class=badge_class, **course_fields)
    return make_enrolment(staff=person, course=course, state="completed", completed_on=completed_on, grade="")


def _issue_for(enrolment, *, on=None):  # type: ignore[no-untyped-def]
    """The badge of a completed enrolment, issued (as the worker does after completion)."""
    from badges import issuing

    award, _ = services.award_request(
        recipient=enrolment.staff,
        badge_class=enrolment.course.badge_class,
        source_key=f"enrolment:{enrolment.pk}",
        achieved_on=on or enrolment.completed_on,
    )
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    return award


def _page(client, url="/badges/record/"):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_completed_course_without_a_badge_is_listed_with_provider_grade_hours_and_fiscal_year(client, alice):
    import datetime as dt

    from tests.factories import make_course, make_enrolment, make_provider

    city = make_provider(name="八王子市 人事課 研修担当", name_en="Hachioji City, HR training desk")
    bosai = make_course(title="防災研修", title_en="Disaster preparedness", provider=city, hours=Decimal("6"))
    make_enrolment(staff=alice, course=bosai, state="completed", completed_on=dt.date(2026, 2, 15), grade="合格")
    make_enrolment(staff=alice, course=make_course(title="統計の基礎"), state="not_completed")
    make_enrolment(staff=alice, course=make_course(title="窓口英会話"), state="approved")

    data = record.training_record(alice)
    assert [(c.completion.title, c.fiscal_year, c.completion.grade, c.badge) for c in data.courses] == [
        ("防災研修", 2025, "合格", None)  # February 2026 is in fiscal year 2025 (April to March)
    ]
    client.force_login(alice)
    page = _page(client)
    assert "防災研修" in page and "八王子市 人事課 研修担当" in page and "合格" in page
    assert "統計の基礎" not in page and "窓口英会話" not in page  # not completed: not on the record
    alice.preferred_language = "en"
    alice.save(update_fields=["preferred_language"])
    english = _page(client)
    assert "Disaster preparedness" in english and "Hachioji City, HR training desk" in english
    assert "FY2025" in english and "6 hours" in english


def test_hours_come_from_the_courses_so_credit_courses_no_longer_show_0_hours(client, alice, signing_key, enqueued):
    """The 0 時間 bug: the record added up the hours of badge classes only. A Chuo correspondence
    course is measured in credits (単位) and its badge has no hours, so a person whose record was
    one such course read 「学習時間 0 時間」, and a course without a badge counted nothing."""
    import datetime as dt

    from tests.factories import make_badge_class

    kenpo = _completed(
        alice, title="憲法", completed_on=dt.date(2026, 2, 20), credits=4, hours=None, badge_class=make_badge_class()
    )
    _issue_for(kenpo)
    data_course = _completed(
        alice,
        title="データ分析入門",
        completed_on=dt.date(2026, 6, 1),
        hours=Decimal("12"),
        badge_class=make_badge_class(hours=Decimal("12")),  # the badge repeats the course's hours
    )
    _issue_for(data_course)
    _completed(alice, title="防災研修", completed_on=dt.date(2026, 7, 1), hours=Decimal("6.5"))

    totals = record.training_record(alice).totals
    # Each course's hours once (not again for its badge), the credits apart.
    assert (totals.hours, totals.credits, totals.courses, totals.badges) == (Decimal("18.5"), 4, 3, 2)
    client.force_login(alice)
    page = _page(client)
    assert '<dd class="record__total-hours">18.5 時間</dd>' in page
    assert '<dd class="record__total-credits">4 単位</dd>' in page
    assert '<dd class="record__total-courses">3</dd>' in page and '<dd class="record__total-badges">2</dd>' in page
    # Only credit courses (the demo's correspondence student): no hours is a dash, never 「0 時間」.
    from tests.factories import make_staff

    student = make_staff()
    _issue_for(
        _completed(student, title="民法", completed_on=dt.date(2026, 2, 20), credits=4, badge_class=make_badge_class())
    )
    client.force_login(student)
    page = _page(client)
    assert '<dd class="record__total-hours">—</dd>' in page and "0 時間" not in page
    assert '<dd class="record__total-credits">4 単位</dd>' in page


def test_the_fiscal_year_range_filters_courses_badges_and_totals(client, alice, signing_key, enqueued):
    import datetime as dt

    from tests.factories import make_badge_class

    assert record.fiscal_year(dt.date(2025, 3, 31)) == 2024 and record.fiscal_year(dt.date(2025, 4, 1)) == 2025
    _completed(alice, title="講座A", completed_on=dt.date(2024, 5, 1), hours=Decimal("1"))
    _completed(alice, title="講座B", completed_on=dt.date(2025, 3, 31), hours=Decimal("2"))
    c = _completed(
        alice, title="講座C", completed_on=dt.date(2025, 4, 1), hours=Decimal("4"), badge_class=make_badge_class()
    )
    _issue_for(c)
    _completed(alice, title="講座D", completed_on=dt.date(2026, 6, 1), hours=Decimal("8"))
    # A programme's badge, earned by no single course: counted by the date it certifies.
    programme = make_badge_class(name="プログラムX修了", hours=Decimal("16"))
    award, _ = services.award_request(
        recipient=alice, badge_class=programme, source_key="programme:1:staff:1", achieved_on=dt.date(2024, 9, 1)
    )
    from badges import issuing

    issuing.award_ensure_issued(award_id=award.pk)

    def shown(data):  # type: ignore[no-untyped-def]
        return [line.completion.title for line in data.courses], [o.badge.award.pk for o in data.other_badges]

    everything = record.training_record(alice)
    assert shown(everything) == (["講座D", "講座C", "講座B", "講座A"], [award.pk])
    assert everything.years == [2026, 2025, 2024] and everything.totals.hours == Decimal("31")
    fy2024 = record.training_record(alice, first_year=2024, last_year=2024)
    assert shown(fy2024) == (["講座B", "講座A"], [award.pk])
    assert (fy2024.totals.hours, fy2024.totals.courses, fy2024.totals.badges) == (Decimal("19"), 2, 1)
    from2025 = record.training_record(alice, first_year=2025)
    assert shown(from2025) == (["講座D", "講座C"], []) and from2025.totals.badges == 1

    client.force_login(alice)
    page = _page(client, "/badges/record/?from_year=2025&to_year=2025")
    assert "講座C" in page and "講座B" not in page and "講座D" not in page and "プログラムX修了" not in page
    assert '<dd class="record__total-hours">4 時間</dd>' in page
    assert '<option value="2025" selected>2025年度</option>' in page  # the range is kept in the form
    assert '<dd class="record__range-shown">2025年度</dd>' in page
    # A range the wrong way round is refused, and the whole record shown.
    reversed_range = client.get("/badges/record/?from_year=2026&to_year=2024")
    assert reversed_range.status_code == 400
    body = reversed_range.content.decode()
    assert "講座A" in body and "講座D" in body and 'role="alert"' in body


def test_the_issuing_office_and_the_date_printed_are_on_the_record_and_in_every_pages_footer(
    client, alice, settings, signing_key
):
    import re

    from django.utils import timezone

    client.force_login(alice)
    page = _page(client)
    today = timezone.localdate()
    printed = f"{today.year}年{today.month}月{today.day}日"
    assert '<dd class="record__office">八王子市 人事課</dd>' in page
    assert f'<dd class="record__printed">{printed}</dd>' in page
    footer = re.search(r'<html lang="ja" data-print-footer="([^"]+)">', page)
    assert footer is not None, "the footer text printed on every page"
    assert "八王子市 人事課" in footer.group(1) and "山田 花子" in footer.group(1)
    assert alice.employee_number in footer.group(1) and printed in footer.group(1)

    # The office is a setting (one place), printed after the issuer's name.
    settings.PORTAL_RECORD_OFFICE = "総務部 人事課"
    assert '<dd class="record__office">八王子市 総務部 人事課</dd>' in _page(client)
    alice.preferred_language = "en"
    alice.save(update_fields=["preferred_language"])
    english = _page(client)
    assert '<dd class="record__office">Hachioji City, Human Resources Division</dd>' in english


def test_a_qr_code_opens_only_what_the_holder_shares_and_a_revoked_badge_has_none(client, alice, signing_key, enqueued):
    """A shared badge's code opens its share page (with the holder's name, withdrawable by the
    holder); a private badge's opens its nameless verification page; a revoked badge has none.
    A private badge's share link never appears on the record."""
    import datetime as dt

    from badges.models import Award
    from tests.factories import make_badge_class

    awards = {}
    for n, visibility in enumerate(("public", "staff", "private", "revoked")):
        enrolment = _completed(
            alice, title=f"講座{visibility}", completed_on=dt.date(2026, 5, n + 1), badge_class=make_badge_class()
        )
        awards[visibility] = _issue_for(enrolment)
        if visibility in ("public", "staff"):
            Award.objects.filter(pk=awards[visibility].pk).update(visibility=visibility)
    services.award_revoke(award=awards["revoked"], reason="成績の誤り")

    client.force_login(alice)
    page = _page(client)
    for shared in ("public", "staff"):
        assert f'<img src="/public/share/{awards[shared].share_token}/qr.svg"' in page
        assert f"/public/assertions/{awards[shared].public_id}/qr.svg" not in page
    private = awards["private"]
    assert f'<img src="/public/assertions/{private.public_id}/qr.svg"' in page
    assert str(private.share_token) not in page
    revoked = awards["revoked"]
    assert str(revoked.share_token) not in page and f"/public/assertions/{revoked.public_id}/qr.svg" not in page
    row = page[page.index("講座revoked") :].split("</tr>")[0]
    assert "取消し" in row and "成績の誤り" not in row  # marked; the reason stays out of the record

    # What each code says, read back from the image.
    public_svg = client.get(f"/public/share/{awards['public'].share_token}/qr.svg").content
    assert qr.svg_modules(public_svg) == qr.qr_matrix(
        f"http://127.0.0.1:8000/public/share/{awards['public'].share_token}/"
    )
    client.logout()
    assert client.get(f"/public/share/{private.share_token}/").status_code == 404  # nothing opened by printing
    nameless = client.get(f"/public/assertions/{private.public_id}", HTTP_ACCEPT="text/html").content.decode()
    assert "山田" not in nameless


def test_the_record_page_runs_a_constant_number_of_queries(client, alice, django_assert_num_queries, signing_key):
    import datetime as dt

    from badges.models import Award
    from tests.factories import make_badge_class, make_provider

    def grow(n: int) -> None:
        provider = make_provider()
        for i in range(n):
            badge = make_badge_class() if i % 2 else None
            enrolment = _completed(
                alice,
                title=f"講座{Award.objects.count()}-{i}",
                completed_on=dt.date(2024 + i % 3, 5, 1),
                badge_class=badge,
                provider=provider,
                hours=Decimal("3"),
            )
            if badge is not None:
                award, _ = services.award_request(
                    recipient=alice,
                    badge_class=badge,
                    source_key=f"enrolment:{enrolment.pk}",
                    achieved_on=dt.date(2024, 5, 1),
                )
                Award.objects.filter(pk=award.pk).update(status=Award.Status.ISSUED, issued_at=dt.datetime.now(dt.UTC))

    client.force_login(alice)
    grow(2)
    client.get("/badges/record/")  # warm the per-process caches first
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        _page(client)
    grow(20)
    with django_assert_num_queries(len(small.captured_queries)):
        page = _page(client)
    assert page.count('<td data-label="年度" class="record__fy">') == 22  # every course is listed
    assert len(small.captured_queries) <= 12, [q["sql"][:120] for q in small.captured_queries]
