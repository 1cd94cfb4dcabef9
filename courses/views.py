"""Staff pages: catalogue, course page, enrolment request, my learning, head of section approvals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from staff import roles
from staff.models import StaffMember
from staff.selectors import staff_headed_by, user_has_role

from . import fragments, selectors
from .forms import CatalogueFilterForm, EnrolmentRequestForm, HeadDecisionForm
from .models import Enrolment, EnrolmentState, Provider, Skill
from .services import (
    EnrolmentError,
    EnrolmentPermissionError,
    enrolment_decline,
    enrolment_recommend,
    enrolment_request,
    enrolment_withdraw,
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
    providers = list(Provider.objects.filter(is_active=True, courses__is_published=True).distinct())
    skills = list(Skill.objects.filter(is_active=True))
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
    return render(
        request,
        "courses/detail.html",
        {
            "course": course,
            "enrolment": enrolment,
            "is_open": course.is_open_on(today),
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
    found: list[Deadline] = []
    for e in enrolments:
        c = e.course
        if e.state in (S.REQUESTED, S.RECOMMENDED) and c.application_closes_on:
            found.append(Deadline(c.application_closes_on, _("Applications close"), e))
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
    finished = [e for e in enrolments if e.state in (S.COMPLETED, S.NOT_COMPLETED)]
    closed = [e for e in enrolments if e.state in (S.REJECTED, S.WITHDRAWN)]
    for e in in_progress:
        e.withdrawable = e.can_be_withdrawn_on(today)  # type: ignore[attr-defined]
    return render(
        request,
        "courses/my_learning.html",
        {
            "in_progress": in_progress,
            "finished": finished,
            "closed": closed,
            "deadlines": _deadlines(in_progress, today),
            "today": today,
        },
    )


@login_required
@require_POST
def enrolment_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's enrolment does not exist for this person: 404, never 403.
    enrolment = get_object_or_404(Enrolment.objects.select_related("course"), pk=pk, staff=_user(request))
    try:
        enrolment_withdraw(enrolment=enrolment, actor=_user(request), comment=request.POST.get("comment", "")[:1000])
    except EnrolmentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("You withdrew your request for %(title)s.") % {"title": enrolment.course.display_title}
        )
    return redirect("courses:my_learning")


def _require_head(request: HttpRequest) -> StaffMember:
    user = _user(request)
    if not user_has_role(user, roles.SECTION_HEAD):
        raise PermissionDenied
    return user


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    head = _require_head(request)
    page = Paginator(selectors.enrolments_awaiting_head(head), PAGE_SIZE).get_page(request.GET.get("page"))
    awaiting = list(page.object_list)
    for e in awaiting:
        # One form per request; ids made unique so that every label points at its own field.
        e.form = HeadDecisionForm(auto_id=f"id_e{e.pk}_%s")  # type: ignore[attr-defined]
    decided = selectors.enrolments_decided_by_head(head)
    return render(
        request,
        "courses/approvals.html",
        {"awaiting": awaiting, "page": page, "decided": decided, "today": timezone.localdate()},
    )


@login_required
@require_POST
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    head = _require_head(request)
    enrolment = get_object_or_404(Enrolment.objects.select_related("course", "staff"), pk=pk)
    if not staff_headed_by(head).filter(pk=enrolment.staff_id).exists():
        raise PermissionDenied  # a real enrolment, but in another department
    form = HeadDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("courses:approvals")
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
    return redirect("courses:approvals")
