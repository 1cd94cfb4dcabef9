"""What outsiders find behind ``credentialSubject.achievement.id``: the badge class URL answers
OB 3.0 clients with the OB 3.0 Achievement, OB 2.0 clients (the default) with the OB 2.0
BadgeClass, and browsers with the page, as they ask (``Accept``, ``Vary: Accept``)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from jsonschema import Draft201909Validator, FormatChecker

from badges import issuing
from badges.core import credentials, jsonld
from badges.models import Award, BadgeClass
from courses.services import course_align_badge, enrolment_complete, programme_align_badge
from tests.factories import make_badge_class, make_enrolment, make_programme, make_skill, make_started_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signing_key", "enqueued", "clear_cache")]

SCHEMA_PATH = Path(__file__).parent / "schemas" / "ob_v3p0_achievementcredential_schema.json"
OB2_VERIFIER = "application/ld+json, application/json, image/png, image/svg+xml"  # validator-core's
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@functools.cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def achievement_schema_errors(document: Any) -> list[str]:
    """Errors of ``document`` against the Achievement definition of 1EdTech's schema."""
    schema = {"$schema": _schema()["$schema"], "$ref": "#/$defs/Achievement", "$defs": _schema()["$defs"]}
    validator = Draft201909Validator(schema, format_checker=FormatChecker())
    return sorted(f"{e.json_path}: {e.message}" for e in validator.iter_errors(document))


@pytest.fixture
def course_badge(carol: Any) -> BadgeClass:
    """A course badge aligned, as HR aligns it, to two skills of the framework."""
    badge = make_badge_class(name="行政法", alignments=[])
    law = make_skill(code="LAW", name="法務", name_en="Legal affairs", description="法令を読み、運用する力")
    data = make_skill(code="DATA", name="データ活用")
    course = make_started_course(title="行政法", badge_class=badge, skills={law: 2, data: 1})
    course_align_badge(course=course)
    badge.refresh_from_db()
    return badge


def get(client: Any, badge: BadgeClass, accept: str | None) -> Any:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return client.get(reverse("public:badge_class", args=[badge.public_id]), **headers)


def issue_for(alice: Any, carol: Any, badge: BadgeClass) -> Award:
    course = badge.courses.first()
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    assert enrolment_complete(enrolment=enrolment, actor=carol)
    award = Award.objects.get(badge_class=badge)
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    return award


# ------------------------------------------------------------------ OB 2.0 stays the default


def test_an_ob2_verifier_gets_the_ob2_badge_class_with_target_descriptions(
    client: Any, course_badge: BadgeClass
) -> None:
    response = get(client, course_badge, OB2_VERIFIER)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    body = response.json()
    # OB 2.0 BadgeClass (openbadges.md A.3): every required field, the v2 context, a PNG image.
    assert body["@context"] == "https://w3id.org/openbadges/v2" and body["type"] == "BadgeClass"
    for required in ("id", "name", "description", "image", "criteria", "issuer"):
        assert body[required], required
    assert body["id"] == f"http://127.0.0.1:8000/public/badges/{course_badge.public_id}"
    image = client.get(body["image"].removeprefix("http://127.0.0.1:8000"))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    # AlignmentObject (A.8): targetName and targetUrl required; targetDescription given too.
    by_code = {a["targetCode"]: a for a in body["alignment"]}
    assert set(by_code) == {"LAW", "DATA"}
    assert by_code["LAW"]["targetName"] == "法務"
    assert by_code["LAW"]["targetUrl"] == "http://127.0.0.1:8000/public/skills/LAW/"
    assert by_code["LAW"]["targetDescription"] == "法令を読み、運用する力（応用）"
    assert by_code["DATA"]["targetDescription"] == "基礎"
    assert by_code["LAW"]["targetFramework"] == "八王子市職員スキル体系"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/ld+json", OB2_VERIFIER])
def test_clients_that_do_not_ask_for_ob3_get_the_ob2_badge_class(
    client: Any, course_badge: BadgeClass, accept: str | None
) -> None:
    response = get(client, course_badge, accept)
    assert response.json()["type"] == "BadgeClass"
    assert "Accept" in response["Vary"]


def test_an_ob2_client_preferring_json_ld_over_vc_gets_ob2(client: Any, course_badge: BadgeClass) -> None:
    response = get(client, course_badge, "application/vc+ld+json;q=0.5, application/ld+json")
    assert response.json()["type"] == "BadgeClass"


# ------------------------------------------------------------------ OB 3.0 when asked for


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/vc+ld+json", "application/vc+ld+json"),
        ("application/vc", "application/vc"),
        (
            'application/ld+json; profile="https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"',
            'application/ld+json; profile="https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"',
        ),
        ("application/vc+ld+json, application/ld+json;q=0.9", "application/vc+ld+json"),
    ],
)
def test_an_ob3_client_gets_the_ob3_achievement(
    client: Any, course_badge: BadgeClass, accept: str, content_type: str
) -> None:
    response = get(client, course_badge, accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert "Accept" in response["Vary"]
    assert response["Access-Control-Allow-Origin"] == "*"
    body = json.loads(response.content)
    assert body["@context"] == [credentials.VC2_CONTEXT, credentials.OB3_CONTEXT]
    assert body["type"] == ["Achievement"]
    assert body["id"] == f"http://127.0.0.1:8000/public/badges/{course_badge.public_id}"
    assert body["achievementType"] == "Course"
    assert body["image"] == {"id": body["id"] + "/image.png", "type": "Image"}
    assert body["creator"]["type"] == ["Profile"] and body["creator"]["id"].startswith("did:key:")
    assert {a["targetUrl"] for a in body["alignment"]} == {
        "http://127.0.0.1:8000/public/skills/LAW/",
        "http://127.0.0.1:8000/public/skills/DATA/",
    }
    assert achievement_schema_errors(body) == []


def test_the_ob3_achievement_uses_only_terms_its_contexts_define(client: Any, course_badge: BadgeClass) -> None:
    # Safe-mode canonicalisation refuses any term the contexts do not define (badges/core/jsonld.py).
    body = get(client, course_badge, "application/vc+ld+json").json()
    nquads = jsonld.canonicalize(body)
    assert "https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievementType" in nquads
    assert '"Course"' in nquads


def test_a_browser_still_gets_the_page(client: Any, course_badge: BadgeClass) -> None:
    response = get(client, course_badge, BROWSER)
    assert response["Content-Type"].startswith("text/html")
    assert "Accept" in response["Vary"]
    assert "行政法" in response.content.decode()


def test_the_achievement_served_is_the_one_new_credentials_embed(
    client: Any, alice: Any, carol: Any, course_badge: BadgeClass
) -> None:
    award = issue_for(alice, carol, course_badge)
    embedded = award.credential["credentialSubject"]["achievement"]
    response = client.get(embedded["id"].removeprefix("http://127.0.0.1:8000"), HTTP_ACCEPT="application/vc")
    served = json.loads(response.content)
    assert {k: v for k, v in served.items() if k not in ("@context", "creator", "tag")} == embedded
    assert served["creator"]["id"] == award.credential["issuer"]["id"]


def test_a_programme_badge_is_a_learning_program(client: Any, alice: Any, carol: Any) -> None:
    badge = make_badge_class(name="自治体法務プログラム", alignments=[])
    kenpo, gyosei = make_started_course(title="憲法"), make_started_course(title="行政法")
    programme = make_programme(courses=[kenpo, gyosei], badge_class=badge)
    programme_align_badge(programme=programme)
    for course in (kenpo, gyosei):
        assert enrolment_complete(enrolment=make_enrolment(staff=alice, course=course, state="approved"), actor=carol)
    award = Award.objects.get(badge_class=badge)
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    assert award.credential["credentialSubject"]["achievement"]["achievementType"] == "LearningProgram"
    assert get(client, badge, "application/vc+ld+json").json()["achievementType"] == "LearningProgram"


def test_a_badge_class_of_neither_a_course_nor_a_programme_is_a_plain_achievement(
    client: Any, badge_class: BadgeClass
) -> None:
    assert get(client, badge_class, "application/vc+ld+json").json()["achievementType"] == "Achievement"


def test_an_achievement_type_outside_the_ob3_vocabulary_is_refused() -> None:
    arguments = {
        "achievement_id": "https://example.jp/a",
        "name": credentials.LocalizedText("名前"),
        "description": credentials.LocalizedText("説明"),
        "criteria_narrative": credentials.LocalizedText("基準"),
    }
    assert credentials.build_ob3_achievement(**arguments, achievement_type="ext:CityTraining")["achievementType"]
    with pytest.raises(credentials.CredentialError):
        credentials.build_ob3_achievement(**arguments, achievement_type="CourseCompletion")
