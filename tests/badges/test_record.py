"""The training record (研修履歴): badges from the portal and from elsewhere, skills and hours,
printable with QR codes; the person, their head of section and HR may read it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from badges import qr, record, services
from badges.models import BadgeClass
from tests.badges.conftest import bake_ob3, external_credential, issue

pytestmark = pytest.mark.django_db


def test_every_role_on_the_training_record(client, award, alice, bob, carol, dave):
    url = f"/badges/record/{alice.employee_number}/"
    client.logout()
    for path in ("/badges/record/", url):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    expected = {alice: 200, bob: 200, carol: 200, dave: 404}
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

    client.force_login(carol)
    client.get(f"/badges/record/{alice.employee_number}/")
    client.force_login(bob)
    client.get(f"/badges/record/{alice.employee_number}/")
    client.force_login(alice)
    client.get(f"/badges/record/{alice.employee_number}/")
    client.get("/badges/record/")
    views = RecordAccess.objects.filter(subject=alice).order_by("at")
    assert [(v.viewer, v.purpose) for v in views] == [(carol, "研修履歴の閲覧"), (bob, "研修履歴の閲覧")]
    assert views[0].path == f"/badges/record/{alice.employee_number}/"


def test_the_record_lists_badges_skills_and_hours(client, alice, carol, badge_class, signing_key, enqueued):
    BadgeClass.objects.filter(pk=badge_class.pk).update(hours=Decimal("30.0"))
    award = issue(alice, badge_class, "enrolment:601")
    revoked = issue(alice, badge_class, "enrolment:602")
    services.award_revoke(award=revoked, reason="取消")
    confirmed = services.external_badge_add(holder=alice, data=bake_ob3(external_credential()))
    services.external_badge_confirm(badge=confirmed, by=carol, hours=Decimal("8"), recognised_as="データ研修相当")
    pending = services.external_badge_add(
        holder=alice, data=bake_ob3(external_credential(name="英語で行政", email="alice@city.test"))
    )

    data = record.training_record(alice)
    assert [a.pk for a in data.awards] == [award.pk]  # revoked badges are left out
    assert {b.pk for b in data.external} == {confirmed.pk, pending.pk}
    assert data.total_hours == Decimal("38.0")
    assert [s.name for s in data.skills] == ["データ活用", "法務"]  # unconfirmed badges add no skills

    client.force_login(alice)
    page = client.get("/badges/record/").content.decode()
    assert "山田 花子" in page and alice.employee_number in page
    assert award.badge_class.name in page and "データ研修相当" in page and "英語で行政" in page
    assert "38.0" in page
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

    from badges import baking
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


def test_other_apps_add_sections_such_as_completed_courses(client, alice, settings, tmp_path):
    (tmp_path / "section.html").write_text(
        "<ul>{% for row in section.context.rows %}<li>{{ row }}</li>{% endfor %}</ul>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]

    def courses(person):  # type: ignore[no-untyped-def]
        return record.RecordSection(
            key="courses",
            title="修了した講座",
            template="section.html",
            context={"rows": ["行政法"]},
            hours=Decimal("20"),
            order=10,
        )

    record.register_record_section(courses)
    try:
        data = record.training_record(alice)
        assert data.total_hours == Decimal("20")
        assert [s.key for s in data.sections] == ["courses"]
        client.force_login(alice)
        page = client.get("/badges/record/").content.decode()
        assert "修了した講座" in page and "<li>行政法</li>" in page
    finally:
        record.unregister_record_section(courses)
    assert record.training_record(alice).sections == []
