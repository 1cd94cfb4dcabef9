"""Every OB 3.0 credential the portal issues passes the JSON Schema it names.

Each credential says in ``credentialSchema`` that it is an AchievementCredential as 1EdTech's
JSON Schema (draft 2019-09) defines it; 1EdTech's validator and wallets check exactly that. The
schema is kept offline in ``tests/badges/schemas/`` (see SOURCES.md there). Each kind of badge is
made through the real issuing path (HR records a completion, the worker's service signs and bakes
it) and checked three ways: as stored, as baked into the PNG and as served at its public URL.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from jsonschema import Draft201909Validator, FormatChecker

from badges import issuing, services
from badges.core import baking, credentials
from badges.models import Award
from badges.public import verification
from courses.services import enrolment_complete
from tests.factories import make_badge_class, make_enrolment, make_programme, make_staff, make_started_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signing_key", "enqueued", "clear_cache")]

SCHEMA_PATH = Path(__file__).parent / "schemas" / "ob_v3p0_achievementcredential_schema.json"


@functools.cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validator() -> Draft201909Validator:
    # The format checker matters: without it "date-time" is only an annotation and a
    # credential with an impossible date would pass.
    return Draft201909Validator(schema(), format_checker=FormatChecker())


def schema_errors(document: Any) -> list[str]:
    """Every way ``document`` breaks the schema, as "path: message" (empty: it conforms)."""
    return sorted(f"{error.json_path}: {error.message}" for error in validator().iter_errors(document))


# ------------------------------------------------------------------ issuing, as HR and the worker do


def _issue_pending() -> None:
    """The worker's batch service over everything waiting (what the queued task runs)."""
    pending = list(Award.objects.filter(status=Award.Status.PENDING).values_list("pk", flat=True))
    outcome = issuing.awards_ensure_issued(award_ids=pending)
    assert outcome["issued"] == len(pending), outcome


def _complete(staff: Any, course: Any, hr: Any, grade: str = "優") -> None:
    enrolment = make_enrolment(staff=staff, course=course, state="approved")
    assert enrolment_complete(enrolment=enrolment, actor=hr, grade=grade)


def course_badge_japanese_without_expiry(alice: Any, carol: Any, settings: Any) -> Award:
    badge = make_badge_class(name="行政法", name_en="", description_en="", criteria_en="", validity_days=None)
    _complete(alice, make_started_course(title="行政法", badge_class=badge), carol)
    _issue_pending()
    award = Award.objects.get(badge_class=badge)
    assert "validUntil" not in award.credential
    return award


def course_badge_english_with_expiry(alice: Any, carol: Any, settings: Any) -> Award:
    holder = make_staff(family_name="スミス", given_name="ジョン", preferred_language="en")
    badge = make_badge_class(
        name="Excel VBA Basics",
        name_en="Excel VBA Basics",
        description="Automating routine spreadsheet work with VBA macros.",
        description_en="Automating routine spreadsheet work with VBA macros.",
        criteria="Attend all four sessions and submit the final exercise.",
        criteria_en="Attend all four sessions and submit the final exercise.",
        validity_days=365,
    )
    _complete(holder, make_started_course(title="Excel VBA Basics", badge_class=badge), carol)
    _issue_pending()
    award = Award.objects.get(badge_class=badge)
    assert award.language == "en" and "validUntil" in award.credential
    return award


def programme_badge_japanese_and_english_with_expiry(alice: Any, carol: Any, settings: Any) -> Award:
    badge = make_badge_class(name="自治体法務プログラム", name_en="Municipal law programme", validity_days=3 * 365)
    kenpo, gyosei = make_started_course(title="憲法"), make_started_course(title="行政法")
    programme = make_programme(courses=[kenpo, gyosei], badge_class=badge)
    _complete(alice, kenpo, carol)
    _complete(alice, gyosei, carol, grade="良")
    _issue_pending()
    award = Award.objects.get(source_key=f"programme:{programme.pk}:staff:{alice.pk}")
    assert len(award.evidence) == 2 and "validUntil" in award.credential
    return award


def programme_badge_without_expiry(alice: Any, carol: Any, settings: Any) -> Award:
    badge = make_badge_class(name="DX推進リーダー育成", name_en="DX leadership", validity_days=None)
    courses = [
        make_started_course(title="データ活用"),
        make_started_course(title="業務改善"),
        make_started_course(title="情報セキュリティ"),
    ]
    programme = make_programme(courses=courses, badge_class=badge)
    for course in courses:
        _complete(alice, course, carol)
    _issue_pending()
    award = Award.objects.get(source_key=f"programme:{programme.pk}:staff:{alice.pk}")
    assert len(award.evidence) == 3 and "validUntil" not in award.credential
    return award


def reissued_after_revocation(alice: Any, carol: Any, settings: Any) -> Award:
    badge = make_badge_class(name="地方自治法", validity_days=730)
    _complete(alice, make_started_course(title="地方自治法", badge_class=badge), carol)
    _issue_pending()
    first = Award.objects.get(badge_class=badge)
    replacement = services.award_reissue(award=first, reason="修了日の訂正", by=carol)
    _issue_pending()
    first.refresh_from_db()
    assert first.status == Award.Status.REVOKED and replacement.supersedes_id == first.pk
    replacement.refresh_from_db()
    assert replacement.credential["id"] != first.credential["id"] and "validUntil" in replacement.credential
    return replacement


def course_badge_issued_as_did_web(alice: Any, carol: Any, settings: Any) -> Award:
    settings.BADGE_DID_WEB_DOMAIN = "learning.city.hachioji.tokyo.jp"  # the fixture restores it
    badge = make_badge_class(name="公文書管理")
    _complete(alice, make_started_course(title="公文書管理", badge_class=badge), carol)
    _issue_pending()
    award = Award.objects.get(badge_class=badge)
    assert award.credential["issuer"]["id"].startswith("did:web:")
    return award


KINDS: list[Callable[[Any, Any, Any], Award]] = [
    course_badge_japanese_without_expiry,
    course_badge_english_with_expiry,
    programme_badge_japanese_and_english_with_expiry,
    programme_badge_without_expiry,
    reissued_after_revocation,
    course_badge_issued_as_did_web,
]


@pytest.fixture(params=KINDS, ids=[kind.__name__ for kind in KINDS])
def issued(request: pytest.FixtureRequest, alice: Any, carol: Any, settings: Any) -> Award:
    award = request.param(alice, carol, settings)
    assert award.status == Award.Status.ISSUED
    return award


@pytest.fixture
def course_award(alice: Any, carol: Any, settings: Any) -> Award:
    return course_badge_japanese_without_expiry(alice, carol, settings)


def baked_credential(award: Award) -> dict[str, Any]:
    with award.baked_image.open("rb") as handle:
        return json.loads(baking.read_baked(handle.read())[baking.KEYWORD_OB3])


# ------------------------------------------------------------------ what the portal issues conforms


def test_the_schema_copy_is_a_valid_draft_2019_09_schema() -> None:
    assert schema()["$schema"].startswith("https://json-schema.org/draft/2019-09/schema")
    Draft201909Validator.check_schema(schema())


def test_every_format_the_schema_names_is_really_checked() -> None:
    # jsonschema checks a format only if the library that checks it is installed (date-time
    # needs rfc3339-validator); a missing one silently passes everything.
    used = set(re.findall(r'"format"\s*:\s*"([^"]+)"', SCHEMA_PATH.read_text(encoding="utf-8")))
    assert used == {"date", "date-time"}
    assert used <= set(FormatChecker().checkers)
    assert not FormatChecker().conforms("2026-02-30T10:00:00+09:00", "date-time")
    assert not FormatChecker().conforms("2026-04-01 10:00", "date-time")
    assert FormatChecker().conforms("2026-04-01T10:00:00+09:00", "date-time")


def test_every_kind_of_credential_the_portal_issues_conforms_as_stored(issued: Award) -> None:
    credential = issued.credential
    assert {"id": credentials.OB3_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"} in credential[
        "credentialSchema"
    ]
    assert schema_errors(credential) == []
    assert isinstance(credential["proof"], list) and len(credential["proof"]) == 1
    ob3 = [f for f in verification.verify_award(issued).findings if f.standard == "3.0"]
    assert len(ob3) == 1 and ob3[0].status == verification.VALID and ob3[0].signature == "valid", ob3


def test_every_kind_of_credential_conforms_as_baked_into_the_png(issued: Award) -> None:
    credential = baked_credential(issued)
    assert credential == issued.credential
    assert schema_errors(credential) == []


def test_every_kind_of_credential_conforms_as_served_at_its_public_url(client: Any, issued: Award) -> None:
    response = client.get(reverse("public:credential", args=[issued.public_id]), HTTP_ACCEPT="application/ld+json")
    assert response.status_code == 200
    served = json.loads(response.content)
    assert served == issued.credential
    assert schema_errors(served) == []


# ------------------------------------------------------------------ one break, and the schema says so


def test_a_single_proof_object_fails_the_schema(course_award: Award) -> None:
    credential = copy.deepcopy(course_award.credential)
    credential["proof"] = credential["proof"][0]  # how the portal emitted it before
    assert schema_errors(credential) == [f"$.proof: {credential['proof']!r} is not of type 'array'"]


def test_an_impossible_date_fails_the_schema(course_award: Award) -> None:
    credential = copy.deepcopy(course_award.credential)
    credential["validFrom"] = "2026-02-30T10:00:00+09:00"
    assert schema_errors(credential) == ["$.validFrom: '2026-02-30T10:00:00+09:00' is not a 'date-time'"]


def test_a_date_without_a_time_zone_fails_the_schema(course_award: Award) -> None:
    credential = copy.deepcopy(course_award.credential)
    credential["awardedDate"] = "2026-04-01T10:00:00"
    assert schema_errors(credential) == ["$.awardedDate: '2026-04-01T10:00:00' is not a 'date-time'"]


def test_an_extra_property_on_the_recipient_identifier_fails_the_schema(course_award: Award) -> None:
    credential = copy.deepcopy(course_award.credential)
    credential["credentialSubject"]["identifier"][0]["email"] = "alice@city.test"
    errors = schema_errors(credential)
    assert len(errors) == 1 and errors[0].startswith("$.credentialSubject.identifier[0]: Additional properties")


# ------------------------------------------------------------------ badges baked before proof became a list


def test_a_badge_baked_with_a_single_proof_object_still_verifies(course_award: Award) -> None:
    """Badges issued before this change carry ``proof`` as one object; they stay valid."""
    old_form = copy.deepcopy(course_award.credential)
    old_form["proof"] = old_form["proof"][0]
    with course_award.baked_image.open("rb") as handle:
        png = handle.read()
    old_png = baking.bake(png, {baking.KEYWORD_OB3: json.dumps(old_form, ensure_ascii=False)})
    assert json.loads(baking.read_baked(old_png)[baking.KEYWORD_OB3])["proof"] == old_form["proof"]

    report = verification.verify_bytes(old_png)
    ob3 = [f for f in report.findings if f.standard == "3.0"]
    assert len(ob3) == 1 and ob3[0].status == verification.VALID and ob3[0].signature == "valid", report


def test_a_stored_credential_with_a_single_proof_object_still_verifies(course_award: Award) -> None:
    Award.objects.filter(pk=course_award.pk).update(
        credential={**course_award.credential, "proof": course_award.credential["proof"][0]}
    )
    course_award.refresh_from_db()
    assert isinstance(course_award.credential["proof"], dict)
    report = verification.verify_award(course_award)
    ob3 = [f for f in report.findings if f.standard == "3.0"]
    assert len(ob3) == 1 and ob3[0].status == verification.VALID and ob3[0].signature == "valid", report


def test_two_proofs_are_still_refused_as_multiple_proofs(course_award: Award) -> None:
    credential = copy.deepcopy(course_award.credential)
    credential["proof"] = credential["proof"] * 2
    result = credentials.verify_credential(credential)  # did:key: resolved from the id itself
    assert not result.valid and result.reason == "multiple_proofs"


def test_a_stored_credential_with_a_single_proof_object_is_served_with_a_list_that_verifies(
    client: Any, course_award: Award
) -> None:
    """Badges signed before proof became a list are stored with one object: their hosted copy
    (and the holder's download) wraps it in a list, which the schema wants, and the signature,
    which does not cover ``proof``, still verifies."""
    old_form = {**course_award.credential, "proof": course_award.credential["proof"][0]}
    Award.objects.filter(pk=course_award.pk).update(credential=old_form)
    assert schema_errors(old_form) != []  # as stored, it fails

    response = client.get(
        reverse("public:credential", args=[course_award.public_id]), HTTP_ACCEPT="application/ld+json"
    )
    served = json.loads(response.content)
    assert served["proof"] == [old_form["proof"]]
    assert {k: v for k, v in served.items() if k != "proof"} == {k: v for k, v in old_form.items() if k != "proof"}
    assert schema_errors(served) == []
    result = credentials.verify_credential(served)  # did:key: the key is in the id
    assert result.valid, result

    client.force_login(course_award.recipient)
    download = json.loads(client.get(reverse("badges:download_credential", args=[course_award.public_id])).content)
    assert download == served
