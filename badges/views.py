"""Staff pages: my badges (visibility, sharing, downloads), the learning portfolio of badges
earned elsewhere, and the training record. Another person's badge in these URLs is a 404."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from staff.http import AuthenticatedHttpRequest
from staff.models import RecordAccess, StaffMember
from staff.services import record_access_log

from . import bounded, links, selectors, services, wallet
from .core import credentials, qr
from .forms import ExternalBadgeForm, RecordRangeForm, VisibilityForm
from .models import Award, ExternalBadge
from .public import verification
from .record import fiscal_year_label, training_record

#: RecordAccess purposes written here (HR filters the access log by these).
PURPOSE_RECORD = RecordAccess.Purpose.TRAINING_RECORD
PURPOSE_ORIGINAL = RecordAccess.Purpose.EXTERNAL_ORIGINAL


def _holder_award(request: HttpRequest, public_id: UUID) -> Award:
    """The signed-in person's own badge, or 404 (also for HR: HR uses the admin)."""
    return get_object_or_404(
        Award.objects.select_related("badge_class", "issuer").exclude(status=Award.Status.FAILED),
        public_id=public_id,
        recipient=request.user,
    )


def _refused_when_revoked(request: HttpRequest, award: Award) -> HttpResponse | None:
    """A revoked badge is no longer downloaded or shared: back to its page, saying why."""
    if award.status != Award.Status.REVOKED:
        return None
    messages.error(request, _("This badge was revoked: it can no longer be downloaded or shared."))
    return redirect("badges:detail", public_id=award.public_id)


# ------------------------------------------------------------------ my badges


@login_required
@require_GET
def my_badges(request: HttpRequest) -> HttpResponse:
    awards = list(selectors.awards_of(request.user))
    return render(
        request,
        "badges/my_badges.html",
        {"awards": awards, "now": timezone.now(), "external_count": selectors.external_badges_of(request.user).count()},
    )


@login_required
@require_GET
def award_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    award = _holder_award(request, public_id)
    return render(request, "badges/detail.html", award_detail_context(request, award))


def award_detail_context(request: HttpRequest, award: Award) -> dict[str, Any]:
    """The badge page's context (also shown by views_wallet.wallet_offer, with the offer)."""
    # A revoked badge offers no sharing (nor downloads); its holder may still hide it.
    shareable = award.is_issued
    now = timezone.now()
    context: dict[str, Any] = {
        "award": award,
        "now": now,
        "form": VisibilityForm(initial={"visibility": award.visibility}),
        "shareable": shareable,
        # "Add to wallet": for an issued badge that has not expired (badges/wallet.py).
        "wallet_possible": wallet.wallet_offer_refusal(award, now=now) is None,
    }
    if shareable:
        context["share_url"] = links.share_url(award.share_token)
        context["linkedin"] = links.linkedin_links(award)
    return context


@login_required
@require_GET
def award_download_png(request: HttpRequest, public_id: UUID) -> HttpResponse:
    award = _holder_award(request, public_id)
    if refused := _refused_when_revoked(request, award):
        return refused
    if not award.baked_image:
        raise Http404
    with award.baked_image.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="badge-{award.public_id}.png"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def award_download_credential(request: HttpRequest, public_id: UUID) -> HttpResponse:
    award = _holder_award(request, public_id)
    if refused := _refused_when_revoked(request, award):
        return refused
    if not award.credential:
        raise Http404
    # As a list of one proof, also for badges signed before (what wallets' schema check wants).
    body = json.dumps(credentials.with_proof_list(award.credential), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/ld+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="badge-{award.public_id}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def award_visibility(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    award = _holder_award(request, public_id)
    form = VisibilityForm(request.POST)
    # A revoked badge may be hidden, never shown to more people.
    if form.is_valid() and form.cleaned_data["visibility"] != Award.Visibility.PRIVATE:
        if refused := _refused_when_revoked(request, award):
            return refused
    if form.is_valid():
        services.award_set_visibility(award=award, visibility=form.cleaned_data["visibility"], by=request.user)
        messages.success(request, _("Saved: %(who)s can see this badge.") % {"who": award.get_visibility_display()})
    else:
        messages.error(request, _("Choose who can see this badge."))
    return redirect("badges:detail", public_id=award.public_id)


@login_required
@require_POST
def award_share_link_renew(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    award = _holder_award(request, public_id)
    if refused := _refused_when_revoked(request, award):
        return refused
    services.award_share_link_renew(award=award, by=request.user)
    messages.success(request, _("The old share link no longer works. Here is the new one."))
    return redirect("badges:detail", public_id=award.public_id)


# ---------------------------------------------------------- learning portfolio


def _holder_external(request: HttpRequest, public_id: UUID) -> ExternalBadge:
    return get_object_or_404(ExternalBadge, public_id=public_id, holder=request.user)


@login_required
@require_GET
def portfolio(request: HttpRequest) -> HttpResponse:
    return render(request, "badges/portfolio.html", {"badges": selectors.external_badges_of(request.user)})


@login_required
def portfolio_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    refused: services.ExternalBadgeRefused | None = None
    if request.method == "POST":
        form = ExternalBadgeForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data.get("file")
            from_file = upload is not None
            data = upload if from_file else form.cleaned_data["credential"].encode("utf-8")
            filename = request.FILES["file"].name if from_file else "credential.json"
            try:
                # Untrusted input: in a slot of its own scope and under the time limit.
                with bounded.untrusted_check(bounded.PORTFOLIO):
                    badge = services.external_badge_add(holder=request.user, data=data, filename=filename)
            except services.ExternalBadgeRefused as exc:
                refused = exc
            except bounded.Busy:
                refused = services.ExternalBadgeRefused(bounded.Busy.code)
            else:
                messages.success(request, _("The badge was added. HR will confirm it for your training record."))
                return redirect("badges:portfolio_detail", public_id=badge.public_id)
    else:
        form = ExternalBadgeForm()
    return render(
        request,
        "badges/portfolio_add.html",
        {
            "form": form,
            "refused": refused,
            "refused_message": verification.message_for(refused.code) if refused else "",
            "report": refused.report if refused else None,
        },
        status=(503 if refused.code == bounded.Busy.code else 400) if refused else 200,
    )


@login_required
@require_GET
def portfolio_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    badge = _holder_external(request, public_id)
    return render(
        request,
        "badges/portfolio_detail.html",
        {"badge": badge, "verification_message": verification.message_for(badge.verification_code)},
    )


@login_required
@require_GET
def portfolio_original(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """The file as the holder uploaded it: for the holder, HR, and their head of section."""
    badge = get_object_or_404(ExternalBadge.objects.select_related("holder"), public_id=public_id)
    if not selectors.external_badge_visible_to(badge, request.user):
        raise Http404
    record_access_log(viewer=request.user, subject=badge.holder, purpose=PURPOSE_ORIGINAL, path=request.get_full_path())
    with badge.original_file.open("rb") as handle:
        data = handle.read()
    is_png = badge.original_kind == ExternalBadge.Kind.PNG
    response = HttpResponse(data, content_type="image/png" if is_png else "application/json")
    response["Content-Disposition"] = f'attachment; filename="external-{badge.public_id}.{"png" if is_png else "json"}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def portfolio_remove(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    badge = _holder_external(request, public_id)
    try:
        services.external_badge_remove(badge=badge, by=request.user)
    except ValueError:
        messages.error(request, _("HR has confirmed this badge: ask the HR training desk to remove it."))
        return redirect("badges:portfolio_detail", public_id=badge.public_id)
    messages.success(request, _("The badge was removed from your portfolio."))
    return redirect("badges:portfolio")


# -------------------------------------------------------------- training record


@login_required
@require_GET
def record(request: AuthenticatedHttpRequest, employee_number: str | None = None) -> HttpResponse:
    if employee_number is None:
        person: StaffMember = request.user
    else:
        person = get_object_or_404(StaffMember, employee_number=employee_number)
        if not selectors.record_visible_to(person, request.user):
            raise Http404
        # Who looked at whose record is logged (personal information).
        record_access_log(viewer=request.user, subject=person, purpose=PURPOSE_RECORD, path=request.get_full_path())
    # A fiscal-year range (from 年度 to 年度); all years unless asked, and when the range is invalid.
    form = RecordRangeForm(request.GET or None)
    first = last = None
    if form.is_bound and form.is_valid():
        first, last = form.cleaned_data["from_year"], form.cleaned_data["to_year"]
    data = training_record(person, first_year=first, last_year=last)
    years = sorted({*data.years, *(y for y in (first, last) if y is not None)}, reverse=True)
    form.offer(years, fiscal_year_label)
    return render(
        request,
        "badges/record.html",
        {"record": data, "range_form": form, "own": person.pk == request.user.pk},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@require_GET
def external_qr(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """QR code for an external badge's own public address (printed in the training record)."""
    badge = get_object_or_404(ExternalBadge.objects.select_related("holder"), public_id=public_id)
    if not selectors.external_badge_visible_to(badge, request.user) or not badge.public_url:
        raise Http404
    response = HttpResponse(qr.qr_svg(badge.public_url), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response
