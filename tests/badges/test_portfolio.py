"""Learning portfolio (学習ポートフォリオ): badges earned elsewhere are verified when added, kept
as uploaded, and count in the training record once HR confirms them."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from badges import services
from badges.core import baking, signing
from badges.models import ExternalBadge
from tests.badges.conftest import bake_ob3, baked_bytes, external_credential, register_issuer, small_png

pytestmark = pytest.mark.django_db
ADD = "/badges/portfolio/add/"


def add(client, data: bytes, name: str = "badge.png"):  # type: ignore[no-untyped-def]
    return client.post(ADD, {"file": SimpleUploadedFile(name, data)})


@pytest.fixture
def external(alice) -> ExternalBadge:  # type: ignore[no-untyped-def]
    return services.external_badge_add(holder=alice, data=bake_ob3(external_credential()), filename="chuo.png")


def test_done_when_an_external_did_key_badge_is_added_and_hr_confirms_it(client, alice, carol):
    chuo = signing.generate_private_key()
    register_issuer(chuo, name="中央大学", by=carol)
    png = bake_ob3(external_credential(private_key=chuo))
    client.force_login(alice)
    response = add(client, png, "chuo-data.png")
    assert response.status_code == 302
    badge = ExternalBadge.objects.get(holder=alice)
    assert badge.status == ExternalBadge.Status.SUBMITTED
    assert (badge.issuer_name, badge.achievement_name, badge.standard) == ("中央大学", "データ分析入門", "3.0")
    assert badge.issuer_id.startswith("did:key:z6Mk")
    assert badge.issued_on.isoformat() == "2026-03-01"
    assert badge.skills == ["データ活用"]
    assert (badge.verification_status, badge.verification_code) == ("valid", "ok")
    assert badge.verification["recipient_match"] is True
    with badge.original_file.open("rb") as handle:
        assert handle.read() == png  # the original file is kept as uploaded
    assert badge.original_name == "chuo-data.png"

    # Unconfirmed: shown as such in the record, not counted.
    record = client.get("/badges/record/").content.decode()
    assert "データ分析入門" in record and "record__unconfirmed" in record

    # HR gives the hours and confirms it in the admin.
    client.force_login(carol)
    change = f"/admin/badges/externalbadge/{badge.pk}/change/"
    assert client.get(change).status_code == 200
    response = client.post(change, {"recognised_as": "データ活用研修（基礎）相当", "hours": "12.5", "hr_note": ""})
    assert response.status_code == 302
    response = client.post(
        "/admin/badges/externalbadge/", {"action": "confirm_selected", "_selected_action": [badge.pk]}
    )
    assert response.status_code == 302
    badge.refresh_from_db()
    assert badge.status == ExternalBadge.Status.CONFIRMED
    assert badge.confirmed_by == carol and badge.hours == Decimal("12.5")

    client.force_login(alice)
    record = client.get("/badges/record/").content.decode()
    assert "データ活用研修（基礎）相当" in record and "12.5" in record and "record__unconfirmed" not in record


def test_done_when_a_tampered_copy_is_refused_with_a_clear_reason(client, alice):
    credential = external_credential()
    credential["credentialSubject"]["achievement"]["name"] = "博士号"
    client.force_login(alice)
    response = add(client, bake_ob3(credential))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="message message--error" role="alert"' in page
    from badges.public.verification import message_for

    assert str(message_for("invalid_signature")) in page
    assert not ExternalBadge.objects.exists()


def test_a_credential_can_be_pasted_as_json(client, alice):
    client.force_login(alice)
    response = client.post(ADD, {"credential": json.dumps(external_credential(), ensure_ascii=False)})
    assert response.status_code == 302
    badge = ExternalBadge.objects.get()
    assert badge.original_kind == ExternalBadge.Kind.JSON


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"GIF89a not a badge", "unsupported_file"),
        (small_png(), "no_badge"),
        (b"[]", "not_object"),
        (b'{"a":' * 1000 + b"1" + b"}" * 1000, "too_deep"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(client, alice, data, code):
    from badges.public.verification import message_for

    client.force_login(alice)
    response = add(client, data)
    assert response.status_code == 400
    assert str(message_for(code)) in response.content.decode()
    assert not ExternalBadge.objects.exists()


def test_a_badge_of_this_portal_is_not_added_twice(client, award, alice):
    client.force_login(alice)
    response = add(client, baked_bytes(award))
    assert response.status_code == 400
    from badges.public.verification import message_for

    assert str(message_for("own_badge")) in response.content.decode()


def test_the_same_badge_cannot_be_added_twice(client, alice, external):
    client.force_login(alice)
    with external.original_file.open("rb") as handle:
        data = handle.read()
    assert add(client, data).status_code == 400
    assert ExternalBadge.objects.count() == 1


def test_a_revoked_or_unsigned_badge_is_refused(alice):
    credential = external_credential()
    del credential["proof"]
    with pytest.raises(services.ExternalBadgeRefused) as refused:
        services.external_badge_add(holder=alice, data=bake_ob3(credential))
    assert refused.value.code == "no_proof"


def test_an_expired_external_badge_is_kept_and_marked_expired(alice):
    chuo = signing.generate_private_key()
    register_issuer(chuo)
    badge = services.external_badge_add(
        holder=alice, data=bake_ob3(external_credential(valid_until="2026-03-31T00:00:00+09:00", private_key=chuo))
    )
    assert badge.verification_status == "expired"


def test_a_badge_that_cannot_be_checked_here_is_kept_for_hr_to_judge(alice):
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://openbadge.example.jp/assertions/42",
        "recipient": {"type": "email", "hashed": False, "identity": "alice@city.test"},
        "badge": {"type": "BadgeClass", "name": "防災士養成講座", "issuer": {"name": "日本防災士機構"}},
        "verification": {"type": "HostedBadge"},
        "issuedOn": "2025-10-01T00:00:00+09:00",
    }
    png = baking.bake(small_png(), {baking.KEYWORD_OB2: json.dumps(assertion, ensure_ascii=False)})
    badge = services.external_badge_add(holder=alice, data=png)
    assert (badge.standard, badge.verification_status, badge.verification_code) == (
        "2.0",
        "unverifiable",
        "hosted_elsewhere",
    )
    assert badge.public_url == "https://openbadge.example.jp/assertions/42"


def test_hr_can_reject_with_a_note_the_holder_sees(client, alice, carol, external):
    client.force_login(carol)
    response = client.post(
        "/admin/badges/externalbadge/",
        {
            "action": "reject_selected",
            "_selected_action": [external.pk],
            "apply": "1",
            "note": "修了証の確認が取れません",
        },
    )
    assert response.status_code == 302
    external.refresh_from_db()
    assert external.status == ExternalBadge.Status.REJECTED
    client.force_login(alice)
    assert "修了証の確認が取れません" in client.get(f"/badges/portfolio/{external.public_id}/").content.decode()
    assert "データ分析入門" not in client.get("/badges/record/").content.decode()


def test_a_rejection_needs_a_note(client, carol, external):
    client.force_login(carol)
    response = client.post(
        "/admin/badges/externalbadge/",
        {"action": "reject_selected", "_selected_action": [external.pk], "apply": "1", "note": ""},
    )
    assert response.status_code == 200  # the form again
    external.refresh_from_db()
    assert external.status == ExternalBadge.Status.SUBMITTED


def test_hr_cannot_add_or_delete_external_badges_in_the_admin(client, carol, external):
    client.force_login(carol)
    assert client.get("/admin/badges/externalbadge/add/").status_code == 403
    assert client.get(f"/admin/badges/externalbadge/{external.pk}/delete/").status_code == 403


def test_staff_without_hr_role_cannot_reach_the_admin_list(client, alice, bob):
    for person in (alice, bob):
        client.force_login(person)
        assert client.get("/admin/badges/externalbadge/").status_code == 302


def test_the_holder_may_remove_an_unconfirmed_badge_but_not_a_confirmed_one(client, alice, carol, external):
    client.force_login(alice)
    other = services.external_badge_add(
        holder=alice, data=bake_ob3(external_credential(name="別の講座", private_key=signing.generate_private_key()))
    )
    services.external_badge_confirm(badge=other, by=carol, exception_reason="協定校の修了証を原本で確認した")
    assert client.post(f"/badges/portfolio/{other.public_id}/remove").status_code == 302
    assert ExternalBadge.objects.filter(pk=other.pk).exists()
    assert client.post(f"/badges/portfolio/{external.public_id}/remove").status_code == 302
    assert not ExternalBadge.objects.filter(pk=external.pk).exists()


def test_every_role_on_the_portfolio_pages(client, alice, bob, carol, dave, external):
    base = f"/badges/portfolio/{external.public_id}"
    own_only = ["/badges/portfolio/", ADD, f"{base}/"]
    client.logout()
    for url in [*own_only, f"{base}/original"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert client.post(f"{base}/remove").status_code == 302
    # The holder sees everything.
    client.force_login(alice)
    for url in [*own_only, f"{base}/original"]:
        assert client.get(url).status_code == 200, url
    # Another person's badge page is a 404 for everyone else; the original file is for those
    # who may see the holder's training record (HR, the head of section).
    expected_original = {bob: 200, carol: 200, dave: 404}
    for person, status in expected_original.items():
        client.force_login(person)
        assert client.get(f"{base}/").status_code == 404
        assert client.post(f"{base}/remove").status_code == 404
        assert client.get(f"{base}/original").status_code == status
        assert client.get("/badges/portfolio/").status_code == 200  # their own (empty) portfolio
    assert ExternalBadge.objects.filter(pk=external.pk).exists()


# ------------------------------------------------------------ who issued it, and to whom


def confirm_action(client, badge, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        "/admin/badges/externalbadge/", {"action": "confirm_selected", "_selected_action": [badge.pk], **extra}
    )


def test_a_forged_badge_in_the_citys_name_cannot_enter_the_portfolio(client, alice):
    stranger = signing.generate_private_key()
    forged = bake_ob3(external_credential(issuer_name="八王子市", private_key=stranger))
    client.force_login(alice)
    response = add(client, forged)
    assert response.status_code == 400
    from badges.public.verification import message_for

    page = response.content.decode()
    assert escape(str(message_for("impersonation"))) in page
    assert signing.did_key_for(stranger.public_key()) in page
    assert not ExternalBadge.objects.exists()


def test_an_unregistered_issuers_badge_is_confirmed_only_by_an_explicit_decision_with_a_reason(
    client, alice, carol, external
):
    assert (external.verification_status, external.verification_code) == ("unknown_issuer", "unknown_issuer")
    client.force_login(alice)
    assert "status--ok" not in client.get(f"/badges/portfolio/{external.public_id}/").content.decode()

    client.force_login(carol)
    listing = client.get("/admin/badges/externalbadge/").content.decode()
    from badges.selectors import EXTERNAL_BADGE_WARNINGS

    assert escape(str(EXTERNAL_BADGE_WARNINGS["issuer_unknown"])) in listing

    # One click is not enough: HR is asked for a decision and a reason, the warning first.
    response = confirm_action(client, external)
    assert response.status_code == 200
    external.refresh_from_db()
    assert external.status == ExternalBadge.Status.SUBMITTED
    # A reason without the explicit decision, or the decision without a reason: nothing happens.
    for fields in ({"reason": "協定校の講座"}, {"decision": "on", "reason": "  "}):
        assert confirm_action(client, external, apply="1", **fields).status_code == 200
        external.refresh_from_db()
        assert external.status == ExternalBadge.Status.SUBMITTED
    with pytest.raises(services.ConfirmationNeedsReason):
        services.external_badge_confirm(badge=external, by=carol)

    response = confirm_action(client, external, apply="1", decision="on", reason="中央大学の修了証原本を確認した")
    assert response.status_code == 302
    external.refresh_from_db()
    assert external.status == ExternalBadge.Status.CONFIRMED
    assert external.exceptions == ["issuer_unknown"]
    assert external.exception_reason == "中央大学の修了証原本を確認した"
    # The record shows the decision and its reason: HR's admin page, the holder's portfolio.
    assert (
        "中央大学の修了証原本を確認した"
        in client.get(f"/admin/badges/externalbadge/{external.pk}/change/").content.decode()
    )
    client.force_login(alice)
    assert "中央大学の修了証原本を確認した" in client.get(f"/badges/portfolio/{external.public_id}/").content.decode()


def test_a_badge_issued_to_someone_else_shows_the_mismatch_first_and_needs_a_reason(client, alice, carol):
    chuo = signing.generate_private_key()
    register_issuer(chuo)
    badge = services.external_badge_add(
        holder=alice, data=bake_ob3(external_credential(email="someone.else@example.jp", private_key=chuo))
    )
    assert badge.verification_status == "valid" and badge.recipient_match is False
    from badges.selectors import EXTERNAL_BADGE_WARNINGS

    mismatch = escape(str(EXTERNAL_BADGE_WARNINGS["recipient_mismatch"]))
    client.force_login(carol)
    listing = client.get("/admin/badges/externalbadge/").content.decode()
    assert mismatch in listing
    # The mismatch comes before the verification result ("valid: genuine") in the row.
    assert listing.index(mismatch) < listing.index("field-verification_result")
    change = client.get(f"/admin/badges/externalbadge/{badge.pk}/change/").content.decode()
    assert mismatch in change and change.index(mismatch) < change.index("field-verification_result")

    assert confirm_action(client, badge).status_code == 200
    badge.refresh_from_db()
    assert badge.status == ExternalBadge.Status.SUBMITTED
    response = confirm_action(client, badge, apply="1", decision="on", reason="旧姓時代のメールアドレスと確認")
    assert response.status_code == 302
    badge.refresh_from_db()
    assert badge.status == ExternalBadge.Status.CONFIRMED
    assert badge.exceptions == ["recipient_mismatch"]
    assert badge.exception_reason == "旧姓時代のメールアドレスと確認"


def test_a_registered_issuers_badge_issued_to_the_holder_is_confirmed_with_one_click(client, alice, carol):
    chuo = signing.generate_private_key()
    register_issuer(chuo)
    badge = services.external_badge_add(holder=alice, data=bake_ob3(external_credential(private_key=chuo)))
    client.force_login(carol)
    assert confirm_action(client, badge).status_code == 302
    badge.refresh_from_db()
    assert badge.status == ExternalBadge.Status.CONFIRMED and badge.exceptions == [] and badge.exception_reason == ""


def test_registering_the_issuer_later_clears_the_warning(alice, carol):
    chuo = signing.generate_private_key()
    badge = services.external_badge_add(holder=alice, data=bake_ob3(external_credential(private_key=chuo)))
    with pytest.raises(services.ConfirmationNeedsReason) as refused:
        services.external_badge_confirm(badge=badge, by=carol)
    assert refused.value.warnings == ["issuer_unknown"]
    register_issuer(chuo)
    assert services.external_badge_confirm(badge=badge, by=carol)
