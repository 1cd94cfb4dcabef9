"""Public verification (検証): a page for people and a JSON API for other systems. No login.

The input is untrusted. In order, before anything is decoded:

1. the client's rate limit (per address, shared by the page and the API) -> 429;
2. the request's Content-Length against the upload limit -> 413, before the body is read
   (Django reads at most Content-Length bytes, so this bounds the whole request);
3. the form's own checks (one input, file size);
4. ``badges.public.verification``, which checks pixel and text-chunk limits, PNG structure, JSON
   depth and size before it parses anything, and turns every problem into a report code;
5. around the check of an uploaded or pasted badge, ``badges.bounded``: a free slot among the
   few allowed to check untrusted input at once (else 503 ``busy`` at once, with Retry-After)
   and a time limit, on top of the work limits of canonicalisation (``too_complex``). Checks
   by URL read only this portal's own stored badges and run without a slot.

The page is CSRF-protected, but the check happens before the multipart body is parsed (that
is why it is ``csrf_exempt`` outside and ``csrf_protect`` inside).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from .. import bounded
from ..core import credentials
from ..forms import VerifyForm, read_upload
from ..ratelimit import WINDOW_SECONDS, client_address, rate_limited
from . import verification

logger = logging.getLogger(__name__)

# Room for the multipart envelope and the small fields next to the file.
_FORM_OVERHEAD = 64 * 1024


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _body_limit() -> int:
    return verification.max_upload_bytes() + _FORM_OVERHEAD


def guarded(api: bool) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Rate limit and size limit before the view (and before CSRF parses the body)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            checks = request.method == "POST" or bool(request.GET.get("url"))
            if checks and rate_limited(request):
                logger.info("verify rate limit hit by %s", client_address(request))
                return _refuse(request, api, "rate_limited", 429)
            if request.method == "POST" and _declared_length(request) > _body_limit():
                return _refuse(request, api, "file_too_large", 413)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _refusal_message(code: str) -> str:
    if code == "rate_limited":
        return _("Too many checks from your address. Please wait a minute and try again.")
    return str(verification.message_for(code))


def _refuse(request: HttpRequest, api: bool, code: str, status: int) -> HttpResponse:
    if api:
        response: HttpResponse = JsonResponse(
            {"status": "error", "code": code, "message": _refusal_message(code)},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = render(
            request,
            "badges/verify.html",
            {"form": VerifyForm(), "refusal": _refusal_message(code), "max_mb": _max_mb()},
            status=status,
        )
    if status == 429:
        response["Retry-After"] = str(WINDOW_SECONDS)
    elif status == 503:
        response["Retry-After"] = str(bounded.retry_after_seconds())
    return response


# ------------------------------------------------------------------ the page


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@guarded(api=False)
def verify_page(request: HttpRequest) -> HttpResponse:
    return _verify_page(request)


@csrf_protect
def _verify_page(request: HttpRequest) -> HttpResponse:
    report: verification.Report | None = None
    status = 200
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = _check(form.cleaned_data)
            except bounded.Busy:
                return _refuse(request, False, "busy", 503)
        elif any(e.code == "file_too_large" for e in form.errors.as_data().get("file", [])):
            status = 413
    elif request.GET.get("url"):
        # A link such as the share page's "check it yourself" runs the check directly.
        form = VerifyForm(initial={"url": request.GET["url"]})
        report = verification.verify_url(request.GET["url"][:2000])
    else:
        form = VerifyForm()
    return render(request, "badges/verify.html", {"form": form, "report": report, "max_mb": _max_mb()}, status=status)


def _max_mb() -> int:
    return max(1, verification.max_upload_bytes() // (1024 * 1024))


def _check(data: dict[str, Any]) -> verification.Report:
    """Raises :class:`bounded.Busy` when no slot is free for an uploaded or pasted badge."""
    email = data.get("email") or ""
    if data.get("file") is not None:
        with bounded.untrusted_check(bounded.PUBLIC):
            return verification.verify_bytes(data["file"], email=email)
    if data.get("credential"):
        with bounded.untrusted_check(bounded.PUBLIC):
            return verification.verify_json_text(data["credential"], email=email)
    return verification.verify_url(data["url"], email=email)


# ------------------------------------------------------------------ the API


def _report_response(report: verification.Report) -> JsonResponse:
    if report.status != verification.ERROR:
        status = 200
    elif report.code in ("file_too_large", "too_large"):
        status = 413
    else:
        status = 400
    response = JsonResponse(report.to_dict(), status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response


def _api_error(code: str, status: int = 400) -> JsonResponse:
    response = JsonResponse(
        {"status": "error", "code": code, "message": _refusal_message(code)},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    if status == 503:
        response["Retry-After"] = str(bounded.retry_after_seconds())
    return response


def _bounded_report(check: Callable[[], verification.Report]) -> HttpResponse:
    """An untrusted check in a slot and under the time limit; 503 ``busy`` when none is free."""
    try:
        with bounded.untrusted_check(bounded.PUBLIC):
            report = check()
    except bounded.Busy:
        return _api_error("busy", 503)
    return _report_response(report)


@csrf_exempt
@require_POST
@guarded(api=True)
def verify_api(request: HttpRequest) -> HttpResponse:
    """POST a file (multipart ``file``) or JSON ``{"credential": ...}`` / ``{"url": ...}``,
    with an optional ``email``; see docs/api-verify.md."""
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        try:
            upload = request.FILES.get("file")
            email = str(request.POST.get("email", ""))[:254]
        except MultiPartParserError:
            return _api_error("unsupported_request")
        if upload is None:
            return _api_error("no_input")
        try:
            data = read_upload(upload)
        except ValidationError:
            return _api_error("file_too_large", 413)
        return _bounded_report(lambda: verification.verify_bytes(data, email=email))
    if content_type in ("application/json", "application/ld+json"):
        try:
            envelope = credentials.parse_credential_json(
                request.body,
                max_bytes=_body_limit(),
                max_depth=credentials.DEFAULT_MAX_DEPTH + 1,
            )
        except credentials.CredentialError as exc:
            return _api_error(exc.code, 413 if exc.code == "too_large" else 400)
        given = envelope.get("email")
        email = given if isinstance(given, str) else ""
        if "credential" in envelope:
            value = envelope["credential"]
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            return _bounded_report(lambda: verification.verify_json_text(text, email=email[:254]))
        if isinstance(envelope.get("url"), str):
            return _report_response(verification.verify_url(envelope["url"], email=email[:254]))
        return _api_error("no_input")
    return _api_error("unsupported_request")
