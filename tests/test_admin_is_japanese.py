"""Every admin page HR (and a superuser) reaches is Japanese, import-export's screens included.

The admin is crawled as carol (HR, with TOTP) and as a superuser: the index, and for each
registered model its changelist (with data present), add page, one change page and history
page; for the import-export models also the import page, the export page, an import preview
after uploading a valid file, and the headers of the exported file. The visible text of each
page (tests/test_no_english_on_japanese_pages.py's extraction, here with <code> kept: the
export and import screens list the file's columns in it) may hold no English: a run of two or
more ASCII words, or a single lower-case word, unless it is data shown as data (the value of a
row on the page), a proper noun or a code (CSV, TOTP, Open Badges …).
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.browser.conftest import build_portal
from tests.factories import make_staff
from tests.test_no_english_on_japanese_pages import SKIPPED, VisibleText

pytestmark = pytest.mark.django_db

# Apps whose admin HR or the city's administrators use; the rest (auth groups, allauth's and
# celery-beat's own models) are the libraries' screens for the system administrator only.
OUR_APPS = {"staff", "badges", "courses"}
# Proper nouns, codes and formats that stay as they are in Japanese.
ALLOWED = re.compile(
    r"Open Badges(?: \d\.\d)?|OpenBadges|Verifiable Credentials?|JSON-LD|Ed25519|"
    r"\b(?:CSV|XLSX|XLS|TSV|TOTP|URL|URI|ID|PNG|SVG|JSON|HTML|PDF|SSO|OB|OB3|VC|DID|JWT|JWS|"
    r"UTF|BOM|CP932|Excel|Entra|Microsoft|Django|OK|MFA|IP|HR|API|OIDC|ISO)\b|"
    # File formats as import-export names them in its format menu.
    r"\b(?:csv|xlsx)\b|"
    # The encoding of Ed25519 public keys (multibase z6Mk…), named like Ed25519 itself.
    r"\bmultibase\b|"
    # Open Badges' Alignment keys: the JSON keys HR types into the badge class's alignment field.
    r"\b(?:targetName|targetUrl|targetCode|targetFramework)\b"
)
# Identifiers (UUIDs, hex digests, multibase keys, did:key values): a token with a digit in it
# is no English word (enrolment:42, did:key:z6Mk…, urn:uuid:…).
IDENTIFIER = re.compile(r"[A-Za-z0-9_:.-]*\d[A-Za-z0-9_:.-]*")
# Django renders a boolean (list column or read-only field) as an icon whose alt text is
# Python's True / False / None (django.contrib.admin.utils._boolean_icon, built in Python, not
# in a template we could override): the icon is what people see, so those alt values are ignored.
BOOLEAN_ICON_ALT = re.compile(r'(<img [^>]*?)alt="(?:True|False|None)"')
# The models the fixture gives rows (a model added later without rows still has its list and
# add page checked).
WITH_ROWS = {
    "staff.StaffMember",
    "staff.Department",
    "staff.RecordAccess",
    "staff.RoleChange",
    "badges.Issuer",
    "badges.BadgeClass",
    "badges.Award",
    "badges.ExternalBadge",
    "badges.TrustedIssuer",
    "courses.Provider",
    "courses.Skill",
    "courses.Course",
    "courses.Programme",
    "courses.Enrolment",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
WORDS = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?(?:[ \t]+[A-Za-z]+(?:['’][A-Za-z]+)?)*")


class AdminText(VisibleText):
    """VisibleText, but with <code>: the import-export screens list the columns in it."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "code":
            return
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag != "code":
            super().handle_endtag(tag)


assert "code" in SKIPPED  # AdminText exists because the shared extraction skips <code>


def data_values() -> set[str]:
    """Every text value stored in our apps' rows: shown as data, never translated."""
    values: set[str] = set()
    for model in admin.site._registry:
        for field in model._meta.concrete_fields:
            if isinstance(
                field, models.CharField | models.TextField | models.EmailField | models.URLField | models.FileField
            ):
                for value in model._default_manager.values_list(field.attname, flat=True):
                    if value:
                        values.add(str(value))
            elif isinstance(field, models.JSONField):
                # Shown as the admin shows a read-only JSON field (a credential, a check's record).
                for value in model._default_manager.values_list(field.attname, flat=True):
                    if value:
                        values.add(json.dumps(value, ensure_ascii=False, cls=field.encoder))
    return values


def english_in(text: str, data: set[str]) -> list[str]:
    for value in sorted(data, key=len, reverse=True):
        if re.search(r"[A-Za-z]", value):
            text = text.replace(value, " ")
    text = EMAIL.sub(" ", text)
    text = IDENTIFIER.sub(" ", text)
    text = ALLOWED.sub(" ", text)
    found = []
    for match in WORDS.finditer(text):
        run = match.group(0).strip()
        words = run.split()
        if len(words) >= 2 or (len(run) >= 2 and run[0].islower()):
            found.append(run)
    return found


def csv_upload(name: str, rows: list[list[str]]) -> SimpleUploadedFile:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


@pytest.fixture
def superuser(db):  # type: ignore[no-untyped-def]
    return make_staff(
        employee_number="100009",
        email="root@city.test",
        family_name="管理",
        given_name="太郎",
        is_staff=True,
        is_superuser=True,
        mfa=True,
    )


@pytest.fixture
def admin_data(alice, bob, carol, badge_class, signing_key, monkeypatch, superuser):  # type: ignore[no-untyped-def]
    """The portal of the Japanese-page tests, with a programme, a trusted issuer and a role change."""
    from badges.models import TrustedIssuer
    from courses.models import Course
    from staff.services import role_grant
    from tests.factories import make_programme

    portal = build_portal(alice=alice, bob=bob, carol=carol, badge_class=badge_class, monkeypatch=monkeypatch)
    make_programme(courses=list(Course.objects.all()[:2]))
    role_grant(actor=superuser, staff=bob, role="hr", reason="研修担当の兼務")
    if not TrustedIssuer.objects.exists():
        TrustedIssuer.objects.create(
            **{
                f.name: "https://issuer.example.jp/" if isinstance(f, models.URLField) else "中央大学"
                for f in TrustedIssuer._meta.concrete_fields
                if isinstance(f, models.CharField) and not f.blank and not f.has_default()
            }
        )
    return portal


def _url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def admin_pages(client: Client, user: Any) -> dict[str, str]:
    """name → HTML of every admin page this user reaches (GET)."""
    pages: dict[str, str] = {}

    def get(name: str, url: str | None) -> str | None:
        if url is None:
            return None
        response = client.get(url)
        if response.status_code == 403:
            return None
        assert response.status_code == 200, f"{name} {url}: {response.status_code}"
        assert response["Content-Language"] == "ja", name
        pages[name] = response.content.decode()
        return pages[name]

    get("index", reverse("admin:index"))
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if meta.app_label not in OUR_APPS:
            continue
        request = _request(user)
        if not model_admin.has_view_or_change_permission(request):
            continue
        info = f"admin:{meta.app_label}_{meta.model_name}"
        label = meta.label
        get(f"{label} changelist", reverse(f"{info}_changelist"))
        if model_admin.has_add_permission(request):
            get(f"{label} add", reverse(f"{info}_add"))
        obj = model_admin.get_queryset(request).first()
        assert obj is not None or label not in WITH_ROWS, f"no {label} to show"
        if obj is not None:
            get(f"{label} change", reverse(f"{info}_change", args=[obj.pk]))
            get(f"{label} history", reverse(f"{info}_history", args=[obj.pk]))
        if hasattr(model_admin, "has_import_permission") and model_admin.has_import_permission(request):
            get(f"{label} import", _url(f"{info}_import"))
        if hasattr(model_admin, "has_export_permission") and model_admin.has_export_permission(request):
            get(f"{label} export", _url(f"{info}_export"))
    return pages


def _request(user: Any) -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


# The uploaded file's English name: data the preview shows as data (not yet in the database).
UPLOADED_NAME_EN = "Digital transformation"


def import_previews(client: Client) -> dict[str, str]:
    """The preview after uploading a valid file, for each import we own (the grade report's
    screens are another piece of work: tests/courses/test_grade_import.py)."""
    uploads = {
        "courses.Skill": csv_upload(
            "skills.csv",
            [
                ["code", "name", "name_en", "description", "description_en", "sort_order", "is_active"],
                ["DX", "デジタル変革", UPLOADED_NAME_EN, "", "", "5", "1"],
            ],
        ),
    }
    previews: dict[str, str] = {}
    for label, upload in uploads.items():
        app, model = label.lower().split(".")
        response = client.post(
            reverse(f"admin:{app}_{model}_import"),
            {"resource": "0", "format": "0", "import_file": upload},
        )
        assert response.status_code == 200, label
        previews[f"{label} import preview"] = response.content.decode()
    return previews


# Admin forms with a URL field warn that Django 6.0 assumes https (not a translation matter).
# Signed and machine-written JSON (an award's assertion and credential, an external badge's full
# verification report) is shown as it is, in a block marked lang="en" (its keys are the
# standard's identifiers, like code), which the text extraction leaves out as it does on every
# page; everything HR reads about those badges is in the Japanese fields above the block.
@pytest.mark.filterwarnings(
    "ignore:The default scheme will be changed:django.utils.deprecation.RemovedInDjango60Warning"
)
def test_every_admin_page_hr_and_a_superuser_reach_is_japanese(admin_data, carol, superuser):
    found: dict[str, list[str]] = {}
    for user in (carol, superuser):
        client = Client()
        client.force_login(user)  # both have TOTP set up: the MFA gate lets them in
        pages = admin_pages(client, user)
        if user.is_superuser:
            pages.update(import_previews(client))
        data = data_values() | {UPLOADED_NAME_EN}
        for name, page in pages.items():
            english = english_in(AdminText.of(BOOLEAN_ICON_ALT.sub(r'\1alt=""', page)), data)
            if english:
                found[f"{user.email} {name}"] = english
    assert not found, "English on Japanese admin pages:\n" + "\n".join(f"{k}: {v}" for k, v in found.items())
