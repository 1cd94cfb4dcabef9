"""The register of trusted issuers (信頼する発行者): this portal is in it from the start, HR keeps
it in the admin with every change in the history, and it travels between cities and
universities as a JSON file."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from badges import services, trust
from badges.core import signing
from badges.models import TrustedIssuer, TrustedIssuerIdentifier
from tests.badges.conftest import bake_ob3, external_credential, register_issuer
from tests.factories import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]

REGISTER = "/admin/badges/trustedissuer/"
API = "/public/api/verify"


def verify(client, png: bytes) -> dict:  # type: ignore[type-arg]
    return client.post(API, {"file": SimpleUploadedFile("badge.png", png)}).json()


def add_form(name: str, did: str, **fields: str) -> dict[str, str]:
    """The admin's add form for an entry with one identifier (inline formset fields)."""
    return {
        "name": name,
        "name_en": "",
        "kind": "university",
        "url": "https://www.chuo-u.ac.jp/",
        "valid_from": "2020-04-01",
        "valid_until": "",
        "reason": "職員の学習支援に関する覚書（2020年）",
        "identifiers-TOTAL_FORMS": "1",
        "identifiers-INITIAL_FORMS": "0",
        "identifiers-MIN_NUM_FORMS": "0",
        "identifiers-MAX_NUM_FORMS": "1000",
        "identifiers-0-kind": "did",
        "identifiers-0-value": did,
        "identifiers-0-note": "",
        **fields,
    }


def test_this_portal_is_in_the_register_from_the_start_with_its_own_identifiers(signing_key, award):
    entry = TrustedIssuer.objects.get(is_this_portal=True)
    assert entry.name == "八王子市"
    exported = trust.register_export()
    own = exported["issuers"][0]
    assert own["name"] == "八王子市"
    values = {i["value"] for i in own["identifiers"]}
    # The key the worker signs with, and the OB 2.0 issuer profile of this portal.
    assert award.credential["issuer"]["id"] in values
    assert f"did:key:{signing.public_key_to_multibase(signing_key.public_key())}" in values
    assert any(v.startswith("http://127.0.0.1:8000/public/issuers/") for v in values)


def test_hr_registers_a_university_in_the_admin_and_its_badges_become_valid(client, carol):
    chuo = signing.generate_private_key()
    did = signing.did_key_for(chuo.public_key())
    png = bake_ob3(external_credential(private_key=chuo))
    assert verify(client, png)["status"] == "unknown_issuer"

    client.force_login(carol)
    assert client.get(REGISTER).status_code == 200
    response = client.post(f"{REGISTER}add/", add_form("中央大学", did))
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = TrustedIssuer.objects.get(name="中央大学")
    assert entry.added_by == carol and entry.kind == "university"
    assert list(entry.identifiers.values_list("kind", "value")) == [("did", did)]
    assert LogEntry.objects.filter(object_id=str(entry.pk), action_flag=ADDITION, user=carol).exists()
    assert verify(client, png)["status"] == "valid"

    # Ending trust is a change with a date, kept in the history.
    change = f"{REGISTER}{entry.pk}/change/"
    form = add_form("中央大学", did, valid_until="2026-02-28")
    form.update(
        {
            "identifiers-INITIAL_FORMS": "1",
            "identifiers-0-id": str(entry.identifiers.get().pk),
            "identifiers-0-issuer": str(entry.pk),
        }
    )
    response = client.post(change, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert LogEntry.objects.filter(object_id=str(entry.pk), action_flag=CHANGE, user=carol).exists()
    logged = json.loads(LogEntry.objects.get(object_id=str(entry.pk), action_flag=CHANGE).change_message)
    assert logged == [{"changed": {"fields": ["Trusted until"]}}]
    history = client.get(f"{change[: -len('change/')]}history/")
    assert history.status_code == 200
    assert (verify(client, png)["status"], verify(client, png)["code"]) == ("unknown_issuer", "issuer_not_in_force")


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("did", "did:key:z6MkNotAKey"),
        ("did", "https://badges.example.ac.jp"),
        ("did", "did:web:badges.example.ac.jp#key-1"),
        ("origin", "https://badges.example.ac.jp/assertions/"),
        ("issuer_url", "badges.example.ac.jp/issuer.json"),
        ("key", "z6MkNotAKey"),
    ],
)
def test_an_identifier_of_the_wrong_shape_is_refused_in_the_admin(client, carol, kind, value):
    client.force_login(carol)
    form = add_form("中央大学", value)
    form["identifiers-0-kind"] = kind
    response = client.post(f"{REGISTER}add/", form)
    assert response.status_code == 200  # the form again, with the error
    assert not TrustedIssuer.objects.filter(name="中央大学").exists()


def test_one_identifier_counts_for_one_issuer_only(client, carol):
    key = signing.generate_private_key()
    register_issuer(key, name="中央大学")
    client.force_login(carol)
    response = client.post(f"{REGISTER}add/", add_form("別の大学", signing.did_key_for(key.public_key())))
    assert response.status_code == 200
    assert not TrustedIssuer.objects.filter(name="別の大学").exists()


def test_hr_may_not_delete_entries_and_nobody_deletes_this_portal(client, carol):
    entry = register_issuer(signing.generate_private_key())
    own = TrustedIssuer.objects.get(is_this_portal=True)
    client.force_login(carol)
    assert client.get(f"{REGISTER}{entry.pk}/delete/").status_code == 403
    superuser = make_staff(is_staff=True, is_superuser=True, mfa=True)
    client.force_login(superuser)
    assert client.get(f"{REGISTER}{own.pk}/delete/").status_code == 403
    assert client.get(f"{REGISTER}{entry.pk}/delete/").status_code == 200


def test_staff_and_heads_cannot_open_the_register(client, alice, bob):
    for person in (alice, bob):
        client.force_login(person)
        for url in (REGISTER, f"{REGISTER}export.json", f"{REGISTER}import/"):
            assert client.get(url).status_code == 302, url  # to the admin login
    client.logout()
    assert client.get(f"{REGISTER}export.json").status_code == 302


def test_the_register_is_exported_and_imported_as_json(client, carol, signing_key):
    chuo = signing.generate_private_key()
    tama = signing.generate_private_key()
    register_issuer(chuo, name="中央大学")
    register_issuer(tama, name="多摩市", kind="city", valid_until=dt.date(2030, 3, 31))
    client.force_login(carol)
    response = client.get(f"{REGISTER}export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="trusted-issuers-')
    document = json.loads(response.content)
    assert document["format"] == trust.FILE_FORMAT and document["version"] == 1
    assert [e["name"] for e in document["issuers"]] == ["八王子市", "多摩市", "中央大学"]

    # Another city takes it in: here, the register emptied of everything but this portal.
    TrustedIssuer.objects.filter(is_this_portal=False).delete()
    data = json.dumps(document, ensure_ascii=False).encode()
    response = client.post(f"{REGISTER}import/", {"file": SimpleUploadedFile("hachioji.json", data)})
    assert response.status_code == 302
    imported = {e.name: e for e in TrustedIssuer.objects.filter(is_this_portal=False)}
    assert set(imported) == {"中央大学", "多摩市"}  # this portal's own entry is not imported into itself
    assert imported["多摩市"].valid_until == dt.date(2030, 3, 31) and imported["多摩市"].kind == "city"
    assert imported["中央大学"].added_by == carol
    assert set(imported["中央大学"].identifiers.values_list("value", flat=True)) == {
        signing.did_key_for(chuo.public_key())
    }
    assert LogEntry.objects.filter(object_id=str(imported["中央大学"].pk), action_flag=ADDITION).exists()
    assert verify(client, bake_ob3(external_credential(private_key=chuo)))["status"] == "valid"

    # The same file again changes nothing; a changed date is a change, in the history.
    result = services.trusted_issuers_import(data=data, by=carol, source="again.json")
    # (This portal's own entry, all of whose identifiers are ours, is left out.)
    assert (len(result.created), len(result.updated), result.unchanged) == (0, 0, 2)
    document["issuers"][1]["valid_until"] = "2031-03-31"
    result = services.trusted_issuers_import(
        data=json.dumps(document, ensure_ascii=False).encode(), by=carol, source="later.json"
    )
    assert [e.name for e in result.updated] == ["多摩市"]
    assert TrustedIssuer.objects.get(name="多摩市").valid_until == dt.date(2031, 3, 31)
    assert LogEntry.objects.filter(object_id=str(imported["多摩市"].pk), action_flag=CHANGE).exists()


def test_a_bad_register_file_imports_nothing_and_says_why(client, carol):
    good = {
        "name": "中央大学",
        "kind": "university",
        "valid_from": "2020-04-01",
        "identifiers": [{"kind": "did", "value": signing.did_key_for(signing.generate_private_key().public_key())}],
    }
    bad = {"name": "怪しい発行者", "kind": "pirate", "valid_from": "someday", "identifiers": [{"kind": "did"}]}
    document = {"format": trust.FILE_FORMAT, "version": 1, "issuers": [good, bad]}
    client.force_login(carol)
    response = client.post(
        f"{REGISTER}import/",
        {"file": SimpleUploadedFile("bad.json", json.dumps(document, ensure_ascii=False).encode())},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="errornote"' in page and "怪しい発行者" in page  # the problem, entry by entry
    assert not TrustedIssuer.objects.filter(is_this_portal=False).exists()
    for data in (b"not json", b"[]", json.dumps({"format": "something else", "version": 1}).encode()):
        with pytest.raises(trust.RegisterFileError):
            services.trusted_issuers_import(data=data, by=carol)
    assert not TrustedIssuerIdentifier.objects.exists()


def test_identifiers_from_the_file_that_belong_to_two_registered_issuers_are_refused(carol):
    one, two = signing.generate_private_key(), signing.generate_private_key()
    register_issuer(one, name="中央大学")
    register_issuer(two, name="多摩市", kind="city")
    document = {
        "format": trust.FILE_FORMAT,
        "version": 1,
        "issuers": [
            {
                "name": "合併後の法人",
                "kind": "other",
                "valid_from": "2020-04-01",
                "identifiers": [
                    {"kind": "did", "value": signing.did_key_for(one.public_key())},
                    {"kind": "did", "value": signing.did_key_for(two.public_key())},
                ],
            }
        ],
    }
    with pytest.raises(trust.RegisterFileError):
        services.trusted_issuers_import(data=json.dumps(document).encode(), by=carol)
    assert set(TrustedIssuer.objects.values_list("name", flat=True)) == {"八王子市", "中央大学", "多摩市"}


def test_an_ob2_issuer_is_registered_by_its_url_or_the_origin_hosting_its_badges(client):
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://openbadge.example.jp/assertions/42",
        "recipient": {"type": "email", "hashed": False, "identity": "alice@city.test"},
        "badge": {
            "type": "BadgeClass",
            "name": "防災士養成講座",
            "issuer": {"id": "https://openbadge.example.jp/issuer.json", "name": "日本防災士機構"},
        },
        "verification": {"type": "HostedBadge"},
        "issuedOn": "2025-10-01T00:00:00+09:00",
    }
    from badges.core import baking
    from tests.badges.conftest import small_png

    png = baking.bake(small_png(), {baking.KEYWORD_OB2: json.dumps(assertion, ensure_ascii=False)})
    finding = verify(client, png)["findings"][0]
    assert finding["status"] == "unverifiable" and finding["issuer"]["trust"] == "unknown"
    entry = TrustedIssuer.objects.create(
        name="日本防災士機構", kind="other", valid_from=dt.date(2020, 1, 1), reason="防災研修の指定機関"
    )
    TrustedIssuerIdentifier.objects.create(issuer=entry, kind="origin", value="https://openbadge.example.jp")
    finding = verify(client, png)["findings"][0]
    # Still unverifiable here (the hosted copy is on another site); who it is, is now known.
    assert finding["status"] == "unverifiable" and finding["issuer"]["trust"] == "registered"
    assert finding["check_at"] == "https://openbadge.example.jp/assertions/42"


def test_the_register_travels_by_management_command_too(tmp_path, carol, alice):
    from django.core.management import CommandError, call_command

    chuo = signing.generate_private_key()
    register_issuer(chuo, name="中央大学")
    out = tmp_path / "register.json"
    call_command("trust_export", "-o", str(out))
    TrustedIssuer.objects.filter(is_this_portal=False).delete()
    with pytest.raises(CommandError):
        call_command("trust_import", str(out), "--by", alice.employee_number)  # not HR
    call_command("trust_import", str(out), "--by", carol.employee_number)
    entry = TrustedIssuer.objects.get(name="中央大学")
    assert entry.added_by == carol
    assert entry.identifiers.get().value == signing.did_key_for(chuo.public_key())
