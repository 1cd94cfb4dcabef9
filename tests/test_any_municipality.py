"""Any municipality's own portal: under a second city's configuration (立川市 / Tachikawa City,
its own colours, logo, issuer profile, skill framework, sender and subject prefix, and its own
partner university, 明星大学), nothing the portal shows or issues names the demo city or the demo
city's partner university (中央大学 / Chuo University).

The second city is configured the way a municipality does it: the settings of
docs/operations.md ("Your municipality's portal"), and a fresh trust register seeded by the
migration under them. Then a whole journey runs: HR records a completion, the badge is issued
(image drawn with the project's Japanese font, credential signed), the holder is emailed, and
the main pages are opened in Japanese and English. Every byte of every page, email, image and
JSON document is searched for the demo city's name (八王子, Hachioji, in any case, also as JSON
escapes and percent-encoded) and its partner's (中央大, Chuo University, chuo-u.ac.jp). Under the
demo city's configuration the home page and the portfolio still name 中央大学.
"""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from PIL import Image, ImageChops

from badges import issuing, keys
from badges.core import rendering, signing
from badges.models import Award, TrustedIssuer
from badges.notifications import award_notify_holder
from badges.public import verification
from courses import services as course_services
from hachioji_portal.organisation import organisation
from tests import worlds
from tests.factories import make_enrolment, make_provider, make_staff, make_started_course

pytestmark = pytest.mark.django_db

# The demo city's name in every spelling a document could carry it in.
CITY_TRACES = ("八王子", "hachioji", "\\u516b\\u738b\\u5b50", "%e5%85%ab%e7%8e%8b%e5%ad%90")
# And its partner university's (not a bare "chuo": four letters turn up in random tokens; the
# provider kinds' stored codes, chuo_correspondence..., are never shown).
PARTNER_TRACES = ("中央大", "chuo univ", "chuo-u", "\\u4e2d\\u592e\\u5927", "%e4%b8%ad%e5%a4%ae%e5%a4%a7")
TRACES = CITY_TRACES + PARTNER_TRACES

TACHIKAWA_GREEN = "#0b6e4f"
TACHIKAWA_GREEN_DARK = "#07503a"
# A small logo: a white disc with a green 立 shape (an SVG, as most cities have theirs).
TACHIKAWA_LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40">'
    '<circle cx="20" cy="20" r="19" fill="#fff"/>'
    '<path d="M11 30h18M20 7v6M12 15h16M16 18l2 10M24 18l-2 10" stroke="#0b6e4f" stroke-width="3.5" fill="none"/>'
    "</svg>"
)


def traces_in(data: Any) -> list[str]:
    """The spellings of the demo city's (or its partner's) name found in ``data`` (bytes, text or JSON)."""
    if isinstance(data, (dict, list)):
        text = json.dumps(data, ensure_ascii=False) + json.dumps(data)
    elif isinstance(data, bytes):
        text = data.decode("utf-8", errors="replace") + data.decode("latin-1")
    else:
        text = str(data)
    lowered = text.lower()
    return [t for t in TRACES if t in lowered]


def partner_lines(partner: str, language: str) -> dict[str, str]:
    """The lines of the home page and the portfolio that name the partner university."""
    with translation.override(language):
        return {
            "home page": gettext("%(partner)s correspondence courses and open lectures, city training and e-learning.")
            % {"partner": partner},
            "portfolio": gettext(
                "Badges you earned elsewhere: %(partner)s, the Open Badge Network, or any Open Badges 2.0 or "
                "3.0 issuer. The portal checks each one; once HR confirms it, it counts in your training record."
            )
            % {"partner": partner},
        }


def configure_tachikawa(settings: Any, tmp_path: Path) -> None:
    """The settings a second city sets (docs/operations.md), and its issuer's logo file."""
    logo = tmp_path / "tachikawa-logo.svg"
    logo.write_text(TACHIKAWA_LOGO, encoding="utf-8")
    issuer_image = tmp_path / "tachikawa-issuer.png"
    Image.new("RGB", (64, 64), (11, 110, 79)).save(issuer_image)
    settings.PORTAL_ORGANISATION_NAME = "立川市"
    settings.PORTAL_ORGANISATION_NAME_EN = "Tachikawa City"
    settings.PORTAL_TRAINING_DESK = "総務部 人事課 人材育成係"
    settings.PORTAL_TRAINING_DESK_EN = "Human Resources Division, staff development"
    settings.PORTAL_PARTNER_NAME = "明星大学"
    settings.PORTAL_PARTNER_NAME_EN = "Meisei University"
    settings.PORTAL_PARTNER_NOTE = "明星大学との連携事業"
    settings.PORTAL_PARTNER_NOTE_EN = "In partnership with Meisei University"
    settings.PORTAL_SKILL_FRAMEWORK = "立川市職員スキル体系"
    settings.PORTAL_SKILL_FRAMEWORK_EN = "Tachikawa City staff skill framework"
    settings.PORTAL_EMAIL_SUBJECT_PREFIX = "[立川市 学習ポータル]"
    settings.PORTAL_EMAIL_SUBJECT_PREFIX_EN = "[Tachikawa learning portal]"
    settings.PORTAL_COLOUR = TACHIKAWA_GREEN
    settings.PORTAL_COLOUR_DARK = TACHIKAWA_GREEN_DARK
    settings.PORTAL_LOGO_FILE = str(logo)
    settings.PORTAL_ISSUER_URL = "https://www.city.tachikawa.lg.jp/"
    settings.PORTAL_ISSUER_EMAIL = "jinzai@city.tachikawa.example.jp"
    settings.PORTAL_ISSUER_DESCRIPTION = "東京都立川市。職員の学びを明星大学と連携して支援しています。"
    settings.PORTAL_ISSUER_DESCRIPTION_EN = (
        "Tachikawa City, Tokyo, supporting its staff's learning with Meisei University."
    )
    settings.PORTAL_ISSUER_IMAGE_FILE = str(issuer_image)
    settings.DEFAULT_FROM_EMAIL = "立川市 学習ポータル <learning@city.tachikawa.example.jp>"
    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = "[立川市 学習ポータル] "
    settings.MFA_TOTP_ISSUER = "立川市 学習ポータル"
    settings.BADGE_DID_WEB_DOMAIN = "badges.city.tachikawa.example.jp"
    settings.PORTAL_BASE_URL = "https://badges.city.tachikawa.example.jp"
    # A fresh installation: the trust register's entry for this portal is seeded by the
    # migration, under these settings (the test database was seeded under the demo city's).
    migration = importlib.import_module("badges.migrations.0007_trust_register_seed_and_hr_permissions")
    TrustedIssuer.objects.filter(is_this_portal=True).delete()
    migration.seed_this_portal(django_apps, None)


@pytest.fixture
def tachikawa(settings, tmp_path):  # type: ignore[no-untyped-def]
    """A portal of 立川市 with its badge issued and its holder emailed."""
    configure_tachikawa(settings, tmp_path)
    private = signing.generate_private_key()
    key_file = tmp_path / "issuer.pem"
    key_file.write_bytes(signing.private_key_to_pem(private))
    settings.BADGE_SIGNING_KEY_FILE = str(key_file)
    settings.BADGE_SIGNING_KEY_PASSPHRASE = ""
    issuer = keys.default_issuer()
    keys.signing_key_register(issuer=issuer, public_key=private.public_key())
    return issuer


def build_journey(monkeypatch: Any, issuer: Any, department: Any) -> dict[str, Any]:
    """HR records 山田 花子's completion; the badge is issued and she is emailed about it."""
    from badges.models import BadgeClass

    monkeypatch.setattr("badges.services.award_enqueue", lambda award_id: True)
    monkeypatch.setattr("badges.services.awards_enqueue_many", lambda award_ids: len(award_ids))
    monkeypatch.setattr("staff.emails.email_dispatch", lambda email_id: True)
    monkeypatch.setattr("staff.emails.emails_dispatch", lambda email_ids: len(email_ids))
    # The common personas (tests/worlds.py), with this city's staff numbers and addresses.
    holder = worlds.make_alice(department, employee_number="200001", email="hanako@city.test")
    hr = worlds.make_carol(employee_number="200003", email="hr@city.test")
    law = worlds.city_skill("LAW", description="法令を読み解き適用する力")
    badge_class = BadgeClass.objects.create(
        issuer=issuer,
        name="行政法 修了",
        name_en="Administrative law completed",
        description="明星大学の公開講座「行政法」を修了した。",
        criteria="全回出席し、修了試験に合格すること。",
    )
    course = make_started_course(
        code="TACHI-LAW-1",
        title="行政法",
        title_en="Administrative law",
        provider=make_provider(name="明星大学 公開講座", name_en="Meisei University, open lectures"),
        skills={law: 3},
        badge_class=badge_class,
    )
    course_services.course_align_badge(course=course)
    enrolment = make_enrolment(staff=holder, course=course, state="approved")
    course_services.enrolment_complete(enrolment=enrolment, actor=hr, completed_on=timezone.localdate())
    award = Award.objects.get(recipient=holder)
    issuing.award_ensure_issued(award_id=award.pk)
    mail.outbox.clear()
    assert award_notify_holder(award_id=award.pk) == "sent"
    award.refresh_from_db()
    assert award.status == Award.Status.ISSUED
    Award.objects.filter(pk=award.pk).update(visibility=Award.Visibility.PUBLIC)
    award.refresh_from_db()
    return {"holder": holder, "hr": hr, "course": course, "award": award, "badge_class": badge_class}


@pytest.fixture
def journey(tachikawa, monkeypatch, department):  # type: ignore[no-untyped-def]
    return build_journey(monkeypatch, tachikawa, department)


def baked(award: Award) -> bytes:
    with award.baked_image.open("rb") as handle:
        return handle.read()


# ------------------------------------------------------------------ the accessor itself


def test_the_default_configuration_is_the_demo_city_as_before(settings):
    org = organisation()
    with translation.override("ja"):
        assert org.full_title == "八王子市 職員学習ポータル"
        assert org.signature == "八王子市 総務部 人事課 研修担当"
        assert org.email_subject_prefix == "[八王子市 学習ポータル]"
        assert org.display_skill_framework == "八王子市職員スキル体系"
        assert org.display_partner_name == "中央大学"
    with translation.override("en"):
        assert org.full_title == "Hachioji City staff learning portal"
        assert org.signature == "Hachioji City Human Resources Division, training desk"
        assert org.email_subject_prefix == "[Hachioji learning portal]"
        assert org.display_site_title == "Staff learning portal"
        assert org.display_partner_name == "Chuo University"
    assert not org.has_theme and org.logo_url == ""


def test_the_environment_names_the_organisation_and_what_follows_from_its_name(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from tests.settings_loading import settings_from_environment

    values = settings_from_environment(
        monkeypatch,
        PORTAL_ORGANISATION_NAME="立川市",
        PORTAL_ORGANISATION_NAME_EN="Tachikawa City",
        PORTAL_COLOUR="#0B6E4F",
        OIDC_SERVER_URL="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0",
        OIDC_CLIENT_ID="portal",
    )
    assert values["PORTAL_EMAIL_SUBJECT_PREFIX"] == "[立川市 学習ポータル]"
    assert values["PORTAL_EMAIL_SUBJECT_PREFIX_EN"] == "[Tachikawa City learning portal]"
    assert values["ACCOUNT_EMAIL_SUBJECT_PREFIX"] == "[立川市 学習ポータル] "
    assert values["MFA_TOTP_ISSUER"] == "立川市 学習ポータル"
    assert values["SOCIALACCOUNT_PROVIDERS"]["openid_connect"]["APPS"][0]["name"] == "立川市 統合認証"  # type: ignore[index]
    assert values["PORTAL_COLOUR"] == "#0b6e4f"
    for name, value in (
        ("PORTAL_COLOUR", "green"),
        ("PORTAL_COLOUR_DARK", "#12345"),
        ("PORTAL_ORGANISATION_NAME", " "),
    ):
        monkeypatch.delenv("PORTAL_COLOUR", raising=False)
        monkeypatch.delenv("PORTAL_ORGANISATION_NAME", raising=False)
        with pytest.raises(ImproperlyConfigured, match=name):
            settings_from_environment(monkeypatch, **{name: value})
        monkeypatch.delenv(name, raising=False)


def test_a_second_city_is_named_in_both_languages(settings, tmp_path, db):
    configure_tachikawa(settings, tmp_path)
    org = organisation()
    with translation.override("ja"):
        assert org.full_title == "立川市 職員学習ポータル"
        assert org.signature == "立川市 総務部 人事課 人材育成係"
    with translation.override("en"):
        assert org.full_title == "Tachikawa City staff learning portal"
        assert org.signature == "Tachikawa City Human Resources Division, staff development"
    assert org.has_theme and org.logo_url.startswith("/organisation/logo?v=")


def test_the_colours_and_the_logo_are_served_from_the_portal(client, settings, tmp_path, db):
    configure_tachikawa(settings, tmp_path)
    css = client.get(organisation().theme_url)
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
    assert TACHIKAWA_GREEN in css.content.decode() and TACHIKAWA_GREEN_DARK in css.content.decode()
    logo = client.get(organisation().logo_url)
    assert logo.status_code == 200 and logo["Content-Type"] == "image/svg+xml"
    assert logo.content == TACHIKAWA_LOGO.encode()
    assert "sandbox" in logo["Content-Security-Policy"]
    # HR who has not set up two-step verification yet sees the setup page in the city's colours.
    client.force_login(make_staff(employee_number="200009", role="hr", mfa=False))
    assert client.get(organisation().theme_url).status_code == 200
    assert client.get(organisation().logo_url).status_code == 200
    settings.PORTAL_LOGO_FILE = ""
    assert client.get(reverse("organisation_logo")).status_code == 404


def test_a_demo_value_left_next_to_another_name_is_reported_by_manage_py_check(settings, tmp_path, db):
    from staff.checks import organisation_check

    configure_tachikawa(settings, tmp_path)
    assert organisation_check() == []
    settings.PORTAL_ISSUER_URL = "https://www.city.hachioji.tokyo.jp/"
    settings.PORTAL_PARTNER_NAME = "中央大学"
    settings.PORTAL_COLOUR = "#88aaff"
    found = {(m.id, m.msg.split(" ")[0]) for m in organisation_check()}
    assert found == {
        ("staff.W001", "PORTAL_ISSUER_URL"),
        ("staff.W001", "PORTAL_PARTNER_NAME"),
        ("staff.W002", "White"),
    }


# ------------------------------------------------------------------ the journey


def test_the_badge_image_draws_the_second_citys_name_with_the_japanese_font(journey, settings):
    award = journey["award"]
    text = issuing.badge_image_text(award)
    assert text.issuer == "立川市"
    assert traces_in(json.dumps(text.__dict__, ensure_ascii=False)) == []
    png = baked(award)
    assert traces_in(png) == []
    font = rendering.find_font(tuple(settings.BADGE_FONT_PATHS))
    drawn = Image.open(io.BytesIO(png)).convert("RGB")
    # The stored image is exactly this text drawn (so what was checked above is what is shown).
    again = Image.open(io.BytesIO(rendering.render_badge(text, design=award.badge_class.design, font_path=font)))
    assert ImageChops.difference(drawn, again.convert("RGB")).getbbox() is None

    # The issuer's band (above the caption and the title): the same pixels as 立川市 drawn
    # alone over another title, and not those of the demo city's name.
    def band(issuer: str) -> Image.Image:
        other = rendering.BadgeText(title="別の講座", issuer=issuer, holder="x", date="y", caption=text.caption)
        image = Image.open(io.BytesIO(rendering.render_badge(other, design=award.badge_class.design, font_path=font)))
        return image.convert("RGB").crop((0, 70, 600, 125))

    ours = drawn.crop((0, 70, 600, 125))
    assert ImageChops.difference(ours, band("立川市")).getbbox() is None
    assert ImageChops.difference(ours, band("八王子市")).getbbox() is not None
    assert ImageChops.difference(ours, band("")).getbbox() is not None  # the name is drawn at all


def test_the_signed_credential_and_the_issuer_profile_name_only_the_second_city(journey, client):
    award = journey["award"]
    credential, assertion = award.credential, award.assertion
    assert credential["issuer"]["id"] == "did:web:badges.city.tachikawa.example.jp"
    assert credential["issuer"]["name"] == "立川市"
    assert verification.verify_award(award).status == "valid"
    frameworks = [a["targetFramework"] for a in credential["credentialSubject"]["achievement"]["alignment"]]
    assert frameworks == ["立川市職員スキル体系"]
    documents = {
        "credential": credential,
        "assertion": assertion,
        "baked image": baked(award),
    }
    issuer = award.issuer
    for name, url in {
        "issuer profile": reverse("public:issuer", args=[issuer.public_id]),
        "issuer image": reverse("public:issuer_image", args=[issuer.public_id]),
        "badge class": reverse("public:badge_class", args=[award.badge_class.public_id]),
        "badge class image": reverse("public:badge_class_image", args=[award.badge_class.public_id]),
        "hosted assertion": reverse("public:assertion", args=[award.public_id]),
        "hosted credential": reverse("public:credential", args=[award.public_id]),
        "did document": reverse("did_document"),
        "wallet metadata": reverse("oid4vci_issuer_metadata"),
    }.items():
        response = client.get(url, HTTP_ACCEPT="application/ld+json, application/json, image/png")
        assert response.status_code == 200, name
        documents[name] = response.content
    profile = json.loads(documents["issuer profile"])
    assert profile["name"] == "立川市" and profile["url"] == "https://www.city.tachikawa.lg.jp/"
    assert profile["email"] == "jinzai@city.tachikawa.example.jp"
    assert issuer.image.name  # the issuer's own image (PORTAL_ISSUER_IMAGE_FILE)
    wallet = json.loads(documents["wallet metadata"])
    assert "Tachikawa City staff learning portal" in json.dumps(wallet)
    found = {name: traces_in(data) for name, data in documents.items()}
    assert {name: t for name, t in found.items() if t} == {}


def test_the_email_names_the_second_city_in_the_sender_subject_body_and_attachment(journey):
    (message,) = mail.outbox
    assert message.from_email == "立川市 学習ポータル <learning@city.tachikawa.example.jp>"
    assert message.subject.startswith("[立川市 学習ポータル] ")
    assert "立川市 総務部 人事課 人材育成係" in message.body
    html = message.alternatives[0][0]
    assert "立川市 総務部 人事課 人材育成係" in html
    attachment = message.attachments[0][1]
    everything = {
        "headers and parts": message.message().as_bytes(),
        "text": message.body,
        "html": html,
        "attachment": attachment,
    }
    assert {name: traces_in(data) for name, data in everything.items() if traces_in(data)} == {}


def test_an_email_in_english_names_the_second_city(journey):
    from staff.emails import render_templated_email

    holder = journey["holder"]
    holder.preferred_language = "en"
    message = render_templated_email(
        to=holder, template="badge-issued", context={"badge_name": "x", "issuer_name": "Tachikawa City"}
    )
    assert message.subject.startswith("[Tachikawa learning portal] ")
    assert "Tachikawa City Human Resources Division, staff development" in message.body
    assert traces_in(message.message().as_bytes()) == []


def _signed_in(client: Any, person: Any) -> Any:
    client.force_login(person)  # HR has TOTP set up: the MFA gate lets them in
    return client


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_main_pages_name_only_the_second_city(journey, client, language):
    award, course = journey["award"], journey["course"]
    for person in (journey["holder"], journey["hr"]):
        person.preferred_language = language
        person.save(update_fields=["preferred_language"])
    client.cookies["django_language"] = language
    pages: dict[str, bytes] = {}
    _signed_in(client, journey["holder"])
    for name, url in {
        "home page": reverse("home"),
        "catalogue": reverse("courses:catalogue"),
        "course page": reverse("courses:detail", args=[course.code]),
        "my learning": reverse("courses:my_learning"),
        "my badges": reverse("badges:mine"),
        "portfolio": reverse("badges:portfolio"),
        "badge page": reverse("badges:detail", args=[award.public_id]),
        "skills": reverse("public_skills:index"),
    }.items():
        response = client.get(url)
        assert response.status_code == 200, name
        pages[name] = response.content
    client.logout()
    client.cookies["django_language"] = language
    pages["share page"] = client.get(reverse("public:share", args=[award.share_token])).content
    pages["verify page"] = client.get(reverse("public:verify")).content
    from django.core.files.uploadedfile import SimpleUploadedFile

    checked = client.post(reverse("public:verify"), {"file": SimpleUploadedFile("badge.png", baked(award))})
    assert checked.status_code == 200
    pages["verify result"] = checked.content
    pages["sign-in page"] = client.get(reverse("account_login")).content
    _signed_in(client, journey["hr"])
    client.cookies["django_language"] = language
    admin_index = client.get(reverse("admin:index"))
    assert admin_index.status_code == 200
    pages["admin index"] = admin_index.content
    assert {name: traces_in(body) for name, body in pages.items() if traces_in(body)} == {}

    name = "立川市" if language == "ja" else "Tachikawa City"
    for page in ("catalogue", "course page", "my learning", "badge page", "share page", "verify page"):
        text = pages[page].decode()
        assert f"| {name}</title>" in text or page == "share page", page
        assert organisation().logo_url in text and organisation().theme_url in text, page
    assert name in pages["verify result"].decode()
    assert name in pages["admin index"].decode()
    skills = pages["skills"].decode()
    assert ("立川市職員スキル体系" if language == "ja" else "Tachikawa City staff skill framework") in skills
    assert "明星大学" in pages["catalogue"].decode() or "Meisei" in pages["catalogue"].decode()
    for page, line in partner_lines("明星大学" if language == "ja" else "Meisei University", language).items():
        assert line in pages[page].decode(), page


def test_the_error_page_names_the_second_city(settings, tmp_path, db):
    from django.template.loader import render_to_string

    configure_tachikawa(settings, tmp_path)
    page = render_to_string("500.html")
    assert "立川市 職員学習ポータル" in page and traces_in(page) == []


def test_the_ics_calendar_and_the_trust_register_name_the_second_city(journey, client):
    holder, course = journey["holder"], journey["course"]
    entry = TrustedIssuer.objects.get(is_this_portal=True)
    assert (entry.name, entry.name_en, entry.url) == ("立川市", "Tachikawa City", "https://www.city.tachikawa.lg.jp/")
    from courses.models import Enrolment

    other = make_started_course(code="TACHI-2", title="憲法", provider=course.provider)
    enrolment = make_enrolment(staff=holder, course=other, state="approved")
    client.force_login(holder)
    ics = client.get(reverse("courses:calendar", args=[enrolment.pk]))
    assert ics.status_code == 200
    assert b"Tachikawa City" in ics.content and traces_in(ics.content) == []
    assert Enrolment.objects.filter(course=course).exists()


@pytest.mark.parametrize(("language", "partner"), [("ja", "中央大学"), ("en", "Chuo University")])
def test_the_demo_city_still_names_its_partner_university_and_a_portal_without_one_names_none(
    client, settings, language, partner
):
    client.force_login(make_staff(employee_number="200011", preferred_language=language))
    client.cookies["django_language"] = language
    urls = {"home page": reverse("home"), "portfolio": reverse("badges:portfolio")}
    for page, line in partner_lines(partner, language).items():
        assert line in client.get(urls[page]).content.decode(), page

    settings.PORTAL_PARTNER_NAME = settings.PORTAL_PARTNER_NAME_EN = ""
    settings.PORTAL_PARTNER_NOTE = settings.PORTAL_PARTNER_NOTE_EN = ""
    pages = {page: client.get(url).content.decode() for page, url in urls.items()}
    found = {page: [t for t in traces_in(body) if t in PARTNER_TRACES] for page, body in pages.items()}
    assert found == {"home page": [], "portfolio": []}
    with translation.override(language):
        generic = gettext("University correspondence courses and open lectures, city training and e-learning.")
    assert generic in pages["home page"]
