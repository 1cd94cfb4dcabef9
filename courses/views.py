"""Staff pages: catalogue, course page, enrolment request, my learning, head of section approvals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_http_methods, require_POST

from staff import roles
from staff.models import StaffMember
from staff.selectors import staff_headed_by, user_has_role

from . import calendar, fragments, selectors
from .forms import CatalogueFilterForm, EnrolmentRequestForm, HeadDecisionForm
from .models import Enrolment, EnrolmentState, Provider, Skill
from .services import (
    EnrolmentError,
    EnrolmentPermissionError,
    enrolment_decline,
    enrolment_recommend,
    enrolment_request,
    enrolment_withdraw,
    enrolments_bulk_recommend,
)

PAGE_SIZE = 20
S = EnrolmentState


def _user(request: HttpRequest) -> StaffMember:
    return request.user  # type: ignore[return-value]


def _get_course(request: HttpRequest, code: str):  # type: ignore[no-untyped-def]
    course = selectors.course_for_page(user=_user(request), code=code)
    if course is None:
        raise Http404
    return course


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    # The form's choices: only what it shows (the code and the names), in the models' order.
    providers = list(
        Provider.objects.filter(is_active=True, courses__is_published=True)
        .only("kind", "code", "name", "name_en")
        .distinct()
    )
    skills = list(Skill.objects.filter(is_active=True).only("sort_order", "code", "name", "name_en"))
    form = CatalogueFilterForm(request.GET, providers=providers, skills=skills)
    params = form.params()
    courses = selectors.catalogue_courses(user=_user(request), **params)
    page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    filtered = any(v for k, v in params.items() if k != "sort")
    today = timezone.localdate()
    return render(
        request,
        "courses/catalogue.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": filtered,
            "today": today,
            # Cached HTML (courses/fragments.py): the rows are read every time, the rendering is kept.
            "filters": fragments.catalogue_filters(form, filtered=filtered),
            "cards": fragments.course_cards(page.object_list, today=today),
        },
    )


@login_required
def course_detail(request: HttpRequest, code: str) -> HttpResponse:
    course = _get_course(request, code)
    today = timezone.localdate()
    enrolment = selectors.live_enrolment(staff=_user(request), course=course)
    if enrolment is not None and enrolment.state == S.WAITLISTED:
        enrolment.waitlist_position = selectors.waitlist_positions(_user(request)).get(enrolment.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "courses/detail.html",
        {
            "course": course,
            "enrolment": enrolment,
            "is_open": course.is_open_on(today),
            "has_calendar": enrolment is not None and calendar.has_calendar(enrolment),
            "today": today,
        },
    )


@login_required
def course_request(request: HttpRequest, code: str) -> HttpResponse:
    """Choose the use type and write a reason, see the cost share, confirm (two POSTs, no script)."""
    course = _get_course(request, code)
    user = _user(request)
    if selectors.live_enrolment(staff=user, course=course) is not None:
        messages.info(request, _("You have already requested this course. Its status is in My learning."))
        return redirect("courses:my_learning")
    if not course.is_open_on(timezone.localdate()):
        messages.error(request, _("Applications for this course are not open."))
        return redirect("courses:detail", code=course.code)
    form = EnrolmentRequestForm(request.POST or None, course=course)
    if request.method == "POST" and "edit" not in request.POST and form.is_valid():
        if "confirm" not in request.POST:
            return render(request, "courses/request_confirm.html", {"course": course, "form": form})
        try:
            enrolment_request(
                staff=user, course=course, use_type=form.cleaned_data["use_type"], reason=form.cleaned_data["reason"]
            )
        except EnrolmentError as exc:
            messages.error(request, exc.message)
            return redirect("courses:detail", code=course.code)
        messages.success(request, _("Your request was sent to your head of section."))
        return redirect("courses:my_learning")
    return render(request, "courses/request.html", {"course": course, "form": form})


@dataclass
class Deadline:
    day: dt.date
    label: str
    enrolment: Enrolment


def _deadlines(enrolments: list[Enrolment], today: dt.date) -> list[Deadline]:
    # No application deadlines: every course here has been applied for already.
    found: list[Deadline] = []
    for e in enrolments:
        c = e.course
        if e.state in (S.APPROVED, S.WAITLISTED) and c.starts_on:
            found.append(Deadline(c.starts_on, _("Course starts"), e))
        if e.state == S.APPROVED and c.ends_on:
            found.append(Deadline(c.ends_on, _("Course ends"), e))
    return sorted((d for d in found if d.day >= today), key=lambda d: (d.day, d.enrolment.pk))[:10]


@login_required
def my_learning(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    enrolments = list(selectors.enrolments_for_staff(_user(request)))
    in_progress = [e for e in enrolments if e.state in (S.REQUESTED, S.RECOMMENDED, S.WAITLISTED, S.APPROVED)]
    finished = [e for e in enrolments if e.state == S.COMPLETED]
    not_completed = [e for e in enrolments if e.state == S.NOT_COMPLETED]
    closed = [e for e in enrolments if e.state in (S.REJECTED, S.WITHDRAWN)]
    positions = selectors.waitlist_positions(_user(request))
    for e in in_progress:
        e.withdrawable = e.can_be_withdrawn_on(today)  # type: ignore[attr-defined]
        e.waitlist_position = positions.get(e.pk)  # type: ignore[attr-defined]
        e.has_calendar = calendar.has_calendar(e)  # type: ignore[attr-defined]
    # The badge each completed course earned, with its status (a revoked one is marked).
    awards = selectors.enrolment_awards(_user(request))
    for e in finished:
        e.award = awards.get(f"enrolment:{e.pk}")  # type: ignore[attr-defined]
    return render(
        request,
        "courses/my_learning.html",
        {
            "in_progress": in_progress,
            "finished": finished,
            "not_completed": not_completed,
            "closed": closed,
            # Cached HTML of the table rows (courses/fragments.py), keyed on everything they show.
            "rows": fragments.my_learning_rows(
                {"progress": in_progress, "finished": finished, "not_completed": not_completed, "closed": closed}
            ),
            "deadlines": _deadlines(in_progress, today),
            "today": today,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def enrolment_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a request in two steps: this page asks, and only its own form (``confirm``)
    withdraws. Works without JavaScript; a bare POST from elsewhere only shows the question."""
    # Someone else's enrolment does not exist for this person: 404, never 403.
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("course", "course__provider"), pk=pk, staff=_user(request)
    )
    if request.method == "GET" or "confirm" not in request.POST:
        if not enrolment.can_be_withdrawn_on(timezone.localdate()):
            messages.info(request, _("This request can no longer be withdrawn here."))
            return redirect("courses:my_learning")
        positions = selectors.waitlist_positions(_user(request)) if enrolment.state == S.WAITLISTED else {}
        enrolment.waitlist_position = positions.get(enrolment.pk)  # type: ignore[attr-defined]
        return render(request, "courses/withdraw_confirm.html", {"enrolment": enrolment})
    try:
        enrolment_withdraw(enrolment=enrolment, actor=_user(request), comment=request.POST.get("comment", "")[:1000])
    except EnrolmentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("You withdrew your request for %(title)s.") % {"title": enrolment.course.display_title}
        )
    return redirect("courses:my_learning")


@login_required
def enrolment_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """The course dates of one's own approved (or completed) enrolment as an .ics file."""
    # Someone else's enrolment, or one without dates in a calendar, does not exist here: 404.
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("course", "course__provider"), pk=pk, staff=_user(request)
    )
    if not calendar.has_calendar(enrolment):
        raise Http404
    response = HttpResponse(calendar.enrolment_ics(enrolment), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = calendar.content_disposition(enrolment)
    response["Cache-Control"] = "private, no-store"
    return response


def _require_head(request: HttpRequest) -> StaffMember:
    user = _user(request)
    if not user_has_role(user, roles.SECTION_HEAD):
        raise PermissionDenied
    return user


#: Requests one bulk recommendation may carry (a page of the approvals list holds PAGE_SIZE).
BULK_LIMIT = 100


def _render_approvals(
    request: HttpRequest,
    head: StaffMember,
    *,
    page_number: str | None,
    invalid: tuple[int, HeadDecisionForm] | None = None,
) -> HttpResponse | None:
    """The approvals page. ``invalid`` is a decision form that did not validate, shown bound
    (its choice kept, its fields marked) on the request it belongs to; ``None`` is returned when
    that request is not on the page any more (the caller then redirects)."""
    page = Paginator(selectors.enrolments_awaiting_head(head), PAGE_SIZE).get_page(page_number)
    awaiting = list(page.object_list)
    select_all = request.GET.get("select") == "all"
    for e in awaiting:
        # One form per request; ids made unique so that every label points at its own field.
        e.form = HeadDecisionForm(auto_id=f"id_e{e.pk}_%s")  # type: ignore[attr-defined]
    if invalid is not None:
        pk, form = invalid
        target = next((e for e in awaiting if e.pk == pk), None)
        if target is None:
            return None
        target.form = form  # type: ignore[attr-defined]
    decided = selectors.enrolments_decided_by_head(head)
    return render(
        request,
        "courses/approvals.html",
        {
            "awaiting": awaiting,
            "page": page,
            "decided": decided,
            "today": timezone.localdate(),
            "select_all": select_all,
        },
    )


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    head = _require_head(request)
    # Without an invalid form to place, the page is always rendered.
    return cast(HttpResponse, _render_approvals(request, head, page_number=request.GET.get("page")))


def _approvals_url(page: str) -> str:
    url = reverse("courses:approvals")
    return f"{url}?page={page}" if page.isdigit() and page != "1" else url


@login_required
@require_POST
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    head = _require_head(request)
    enrolment = get_object_or_404(Enrolment.objects.select_related("course", "staff"), pk=pk)
    if not staff_headed_by(head).filter(pk=enrolment.staff_id).exists():
        raise PermissionDenied  # a real enrolment, but in another department
    page = request.POST.get("page", "")
    form = HeadDecisionForm(request.POST, auto_id=f"id_e{enrolment.pk}_%s")
    if not form.is_valid():
        # Show the page again with this form bound: the choice stays chosen, the field with the
        # error is marked and focused (the template's autofocus), nothing was saved.
        response = _render_approvals(request, head, page_number=page or None, invalid=(enrolment.pk, form))
        if response is not None:
            return response
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_approvals_url(page))
    comment = form.cleaned_data["comment"]
    try:
        if form.cleaned_data["decision"] == HeadDecisionForm.RECOMMEND:
            enrolment_recommend(enrolment=enrolment, actor=head, comment=comment)
            done = _("You recommended %(name)s for %(title)s. The request goes to HR.")
        else:
            enrolment_decline(enrolment=enrolment, actor=head, comment=comment)
            done = _("You declined the request of %(name)s for %(title)s.")
    except EnrolmentPermissionError as exc:
        raise PermissionDenied from exc
    except EnrolmentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"name": enrolment.staff.full_name, "title": enrolment.course.display_title})
    return redirect(_approvals_url(page))


@login_required
@require_POST
def approvals_recommend_many(request: HttpRequest) -> HttpResponse:
    """Recommend the ticked requests in one go (declining stays one at a time: it needs a reason).

    Each request is recommended in its own transaction (``enrolments_bulk_recommend``): one that
    was withdrawn or decided meanwhile gets its own message and the others still go through; a
    second submit of the same form finds them recommended and changes nothing."""
    head = _require_head(request)
    page = request.POST.get("page", "")
    ids = sorted({int(v) for v in request.POST.getlist("enrolment") if v.isdigit()})[:BULK_LIMIT]
    if not ids:
        messages.error(request, _("Tick at least one request to recommend."))
        return redirect(_approvals_url(page))
    # Only requests of people this head heads: anything else is "not found", never named.
    enrolments = list(
        Enrolment.objects.select_related("course", "staff", "staff__department").filter(
            pk__in=ids, staff__in=staff_headed_by(head)
        )
    )
    comment = request.POST.get("comment", "").strip()[:1000]
    outcome = enrolments_bulk_recommend(enrolments=enrolments, actor=head, comment=comment)
    if outcome.done:
        messages.success(
            request,
            ngettext(
                "You recommended %(count)d request. It goes to HR: %(names)s.",
                "You recommended %(count)d requests. They go to HR: %(names)s.",
                len(outcome.done),
            )
            % {
                "count": len(outcome.done),
                "names": pgettext("list separator", ", ").join(
                    _("%(name)s (%(title)s)") % {"name": e.staff.full_name, "title": e.course.display_title}
                    for e in outcome.done
                ),
            },
        )
    for e in outcome.unchanged:
        messages.info(
            request,
            _("%(name)s, %(title)s: already recommended; nothing was changed.")
            % {"name": e.staff.full_name, "title": e.course.display_title},
        )
    for e, reason in outcome.errors:
        messages.error(
            request,
            _("%(name)s, %(title)s: not recommended. %(reason)s")
            % {"name": e.staff.full_name, "title": e.course.display_title, "reason": reason},
        )
    missing = len(ids) - len(enrolments)
    if missing:
        messages.error(
            request,
            ngettext(
                "%(count)d ticked request was not found among your staff's requests.",
                "%(count)d ticked requests were not found among your staff's requests.",
                missing,
            )
            % {"count": missing},
        )
    return redirect(_approvals_url(page))
