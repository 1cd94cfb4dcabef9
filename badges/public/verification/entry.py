"""The entry points: a baked PNG, credential JSON, a URL of this portal, or one of our awards."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import timezone

from ...core import baking, credentials
from ...models import Award
from . import facts
from .helpers import _with_recipient
from .ob2 import _own_award, _own_ob2_finding, _own_shared_award
from .ob3 import PORTAL_URLS, _ob3_finding
from .own import _verify_stored_credential
from .payloads import _document_finding, _verify_png
from .report import _MAX_URL_LENGTH, Report, _combine, _error, max_upload_bytes

# ================================================================== entry points


def verify_bytes(data: bytes, *, email: str = "", now: dt.datetime | None = None) -> Report:
    """Verify an uploaded file: a baked PNG or a JSON document."""
    now = now or timezone.now()
    if not data:
        return _error("empty", "file")
    if len(data) > max_upload_bytes():
        return _error("file_too_large", "file")
    if data.startswith(baking.PNG_SIGNATURE):
        return _verify_png(data, email=email, now=now)
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[", b'"')) or head[:1].isdigit() or head.startswith((b"true", b"false", b"null")):
        return verify_json_text(data, email=email, now=now)
    return _error("unsupported_file", "file")


def verify_json_text(text: str | bytes, *, email: str = "", now: dt.datetime | None = None) -> Report:
    """Verify a pasted or uploaded JSON document (OB 2.0 assertion or OB 3.0 credential)."""
    now = now or timezone.now()
    if not text.strip():
        return _error("empty", "json")
    try:
        document = credentials.parse_credential_json(text)
    except credentials.CredentialError as exc:
        return _error(exc.code, "json")
    finding = _document_finding(document, now=now)
    if finding is None:
        return _error("not_a_badge", "json")
    return _combine([_with_recipient(finding, email)], "json", bool(email))


def verify_url(url: str, *, email: str = "", now: dt.datetime | None = None) -> Report:
    """Verify a badge URL. Only this portal's URLs: the city network does not fetch other sites."""
    now = now or timezone.now()
    url = url.strip()
    if not url:
        return _error("no_input", "url")
    if len(url) > _MAX_URL_LENGTH or not url.lower().startswith(("http://", "https://")):
        return _error("bad_url", "url")
    base = settings.PORTAL_BASE_URL + "/"
    if not url.startswith(base):
        return _error("url_elsewhere", "url")
    path = "/" + url[len(base) :].split("#", 1)[0].split("?", 1)[0]
    try:
        match = resolve(path, urlconf=PORTAL_URLS)
    except Resolver404:
        return _error("not_a_badge_url", "url")
    award: Award | None = None
    if match.view_name in ("public:assertion", "public:credential", "public:award_image", "public:assertion_qr"):
        award = _own_award(public_id=match.kwargs["public_id"])
    elif match.view_name in ("public:share", "public:share_qr"):
        award = _own_shared_award(match.kwargs["share_token"])
    else:
        return _error("not_a_badge_url", "url")
    if award is None:
        return _error("not_published" if facts.from_tree() else "unknown_badge", "url")
    report = verify_award(award, now=now, email=email)
    return replace(report, input_kind="url")


def verify_award(award: Award, *, now: dt.datetime | None = None, email: str = "") -> Report:
    """Check one of this portal's awards from its stored documents (share page, URL input)."""
    now = now or timezone.now()
    findings = [_with_recipient(_own_ob2_finding(award, now=now), email)]
    if award.credential:
        finding = _ob3_finding(award.credential, now=now, verify=_verify_stored_credential, award=award)
        findings.append(_with_recipient(finding, email))
    return _combine(findings, "award", bool(email))
