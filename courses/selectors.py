"""Reads for courses and enrolments that depend on who is asking or on a search."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    Exists,
    Expression,
    F,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, JSONObject
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from badges.models import Award, ExternalBadge
from badges.record import Completion
from staff.models import StaffMember
from staff.selectors import staff_headed_by

from .models import (
    CLOSED_STATES,
    SEAT_STATES,
    WAITLIST_ORDER,
    Course,
    CourseQuerySet,
    CourseSkill,
    Delivery,
    Enrolment,
    EnrolmentEvent,
    EnrolmentState,
    Programme,
    Skill,
    UseType,
)

SORTS = {
    "start": (F("starts_on").asc(nulls_last=True), "code"),
    "deadline": (F("application_closes_on").asc(nulls_last=True), "code"),
    "title": ("title", "code"),
    "code": ("code",),
    "newest": ("-created_at", "code"),
}
DEFAULT_SORT = "start"


def search_terms(query: str) -> list[str]:
    """Split a search into terms: NFKC first (full-width ＤＸ is DX), then on any space (incl. 　)."""
    return unicodedata.normalize("NFKC", query or "").split()[:8]


def _seats_taken() -> Coalesce:
    seats = (
        Enrolment.objects.filter(course=OuterRef("pk"), state__in=SEAT_STATES)
        .order_by()
        .values("course")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(seats), Value(0))


def _my_state(user: StaffMember) -> Subquery:
    return Subquery(
        Enrolment.objects.filter(course=OuterRef("pk"), staff=user).exclude(state__in=CLOSED_STATES).values("state")[:1]
    )


_CARD_FIELDS = (
    "code",
    "title",
    "title_en",
    "delivery",
    "term",
    "starts_on",
    "ends_on",
    "capacity",
    "application_opens_on",
    "application_closes_on",
    "cost",
    "city_subsidy",
    "for_self_development",
    "for_promotion",
    "badge_class_id",
    "updated_at",
    "provider__name",
    "provider__name_en",
)
_SKILL_FIELDS = ("course_id", "level", "skill__code", "skill__name", "skill__name_en", "skill__sort_order")


def catalogue_courses(
    *,
    user: StaffMember,
    q: str = "",
    provider: str = "",
    skill: str = "",
    delivery: str = "",
    open_now: bool = False,
    use_type: str = "",
    sort: str = DEFAULT_SORT,
    today: dt.date | None = None,
) -> CourseQuerySet:
    """Published courses matching the search and filters, with what a list page shows.

    Every term must match somewhere: title, description, code, provider or a skill (partial
    words match: 行政 finds 行政法). Each course carries ``seats_taken`` and ``my_state``
    (the person's live enrolment, if any) as annotations, so a page costs the same queries
    whatever the number of courses.
    """
    today = today or timezone.localdate()
    courses = Course.objects.published()
    for term in search_terms(q):
        skill_match = CourseSkill.objects.filter(course=OuterRef("pk")).filter(
            Q(skill__name__icontains=term) | Q(skill__name_en__icontains=term) | Q(skill__code__iexact=term)
        )
        courses = courses.filter(
            Q(title__icontains=term)
            | Q(title_en__icontains=term)
            | Q(description__icontains=term)
            | Q(code__icontains=term)
            | Q(provider__name__icontains=term)
            | Q(provider__name_en__icontains=term)
            | Exists(skill_match)
        )
    if provider:
        courses = courses.filter(provider__code=provider)
    if skill:
        courses = courses.filter(Exists(CourseSkill.objects.filter(course=OuterRef("pk"), skill__code=skill)))
    if delivery in Delivery.values:
        courses = courses.filter(delivery=delivery)
    if use_type in UseType.values:
        courses = courses.supporting(use_type)
    if open_now:
        courses = courses.open_for_application(today)
    # Courses whose applications have closed go last whatever the sort: people look for what
    # they can still apply for.
    closed = Case(When(application_closes_on__lt=today, then=Value(1)), default=Value(0))
    return (
        courses.select_related("provider")
        # What a card shows (courses/fragments.py keys the cached card on exactly these).
        .only(*_CARD_FIELDS)
        .annotate(seats_taken=_seats_taken(), my_state=_my_state(user), closed=closed, card_skills=_card_skills())
        .order_by("closed", *SORTS.get(sort, SORTS[DEFAULT_SORT]))
    )


class _JSONGroupArray(Aggregate):
    """SQLite's ``json_group_array``: the rows' JSON objects as one JSON array."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()


def _card_skills() -> Expression | ArraySubquery:
    """A card's skills in the same query as the course, as plain values in the page's order (the
    skill's sort order, then code): no second query, no model instances for a card that comes
    from the cache (courses/fragments.py builds them only for a card it renders).

    PostgreSQL: ``ARRAY(SELECT json_build_object(...) ... ORDER BY ...)``. Elsewhere (SQLite,
    `make run`'s default): a ``json_group_array`` subquery, whose order follows SQLite's row
    order; the list is sorted again in Python there (``fragments.card_skills_in_order``)."""
    fields = {"code": F("skill__code"), "name": F("skill__name"), "name_en": F("skill__name_en"), "level": F("level")}
    skills = CourseSkill.objects.filter(course=OuterRef("pk"))
    if connection.vendor == "postgresql":
        ordered = skills.order_by("skill__sort_order", "skill__code")
        return ArraySubquery(ordered.annotate(item=JSONObject(**fields)).values("item"))
    item = JSONObject(**fields, sort_order=F("skill__sort_order"))
    rows = skills.order_by().values("course").annotate(items=_JSONGroupArray(item)).values("items")
    return Coalesce(Subquery(rows, output_field=JSONField()), Value("[]"), output_field=JSONField())


# The course page's columns: everything it shows of the course, its provider, badge and issuer
# (building the unused ones was a third of the page's ORM time, docs/benchmarks.md, "Load").
_COURSE_PAGE_FIELDS = (
    "code",
    "title",
    "title_en",
    "description",
    "description_en",
    "delivery",
    "term",
    "starts_on",
    "ends_on",
    "hours",
    "credits",
    "capacity",
    "application_opens_on",
    "application_closes_on",
    "prerequisites",
    "cost",
    "city_subsidy",
    "for_self_development",
    "for_promotion",
    "is_published",
    "provider__name",
    "provider__name_en",
    "provider__kind",
    "provider__url",
    "badge_class__name",
    "badge_class__name_en",
    "badge_class__description",
    "badge_class__description_en",
    "badge_class__issuer__name",
    "badge_class__issuer__name_en",
)


def course_for_page(*, user: StaffMember, code: str) -> Course | None:
    """One published course with its provider, skills, badge and programmes (for its page)."""
    return (
        Course.objects.published()
        .filter(code=code.upper())
        .select_related("provider", "badge_class", "badge_class__issuer")
        .only(*_COURSE_PAGE_FIELDS)
        .prefetch_related(
            Prefetch("course_skills", queryset=CourseSkill.objects.select_related("skill").only(*_SKILL_FIELDS)),
            Prefetch(
                "programmes",
                queryset=Programme.objects.filter(is_published=True)
                .select_related("badge_class")
                .only("name", "name_en", "badge_class__name", "badge_class__name_en")
                .prefetch_related(Prefetch("courses", queryset=Course.objects.only("pk", "code", "title"))),
            ),
        )
        .annotate(seats_taken=_seats_taken())
        .first()
    )


def live_enrolment(*, staff: StaffMember, course: Course) -> Enrolment | None:
    return Enrolment.objects.active().filter(staff=staff, course=course).prefetch_related(_history()).first()


# What "My learning" shows of each event: the actor's name, not their whole staff record.
_HISTORY_FIELDS = ("enrolment_id", "from_state", "to_state", "comment", "at", "actor__family_name", "actor__given_name")


def _history() -> Prefetch:
    return Prefetch("events", queryset=EnrolmentEvent.objects.select_related("actor").only(*_HISTORY_FIELDS))


def enrolments_for_staff(staff: StaffMember) -> QuerySet[Enrolment]:
    """Everything a person ever requested, newest first, with history (for "My learning").

    Only the columns the page shows (and ``can_be_withdrawn_on`` and the deadlines read):
    building the full course, provider, badge class and actor rows was a third of the page
    (docs/benchmarks.md, "Load").
    """
    return (
        Enrolment.objects.filter(staff=staff)
        .select_related("course", "course__provider", "course__badge_class")
        .only(
            "staff_id",
            "use_type",
            "state",
            "staff_share",
            "grade",
            "result_note",
            "completed_on",
            "requested_at",
            "course__code",
            "course__title",
            "course__title_en",
            "course__starts_on",
            "course__ends_on",
            "course__application_closes_on",
            "course__provider__name",
            "course__provider__name_en",
            "course__badge_class__name",
            "course__badge_class__name_en",
        )
        .prefetch_related(_history())
        .order_by("-requested_at", "-pk")
    )


def enrolment_awards(staff: StaffMember) -> dict[str, Award]:
    """The person's current badges earned by courses, by source key (``enrolment:<pk>``), as
    ``badges.selectors.awards_by_source(staff, "enrolment:")`` finds them, with only what "My
    learning" shows of each (not the signed documents and baked image: decoding those was most
    of the query's cost). One query."""
    awards = (
        Award.objects.filter(recipient=staff, is_current=True, source_key__startswith="enrolment:")
        .exclude(status=Award.Status.FAILED)
        .select_related("badge_class")
        .only("public_id", "source_key", "status", "expires_at", "badge_class__name", "badge_class__name_en")
    )
    return {a.source_key: a for a in awards}


def skill_display_names(codes: set[str]) -> dict[str, str]:
    """Skill names in the page's language, by code (for the training record)."""
    return {s.code: s.display_name for s in Skill.objects.filter(code__in=codes).only("code", "name", "name_en")}


def record_completions(staff: StaffMember) -> list[Completion]:
    """A person's completed courses for the training record (badges.record joins each to its
    badge by the source key ``enrolment:<pk>`` the badge was requested under). One query;
    titles and providers in the page's language."""
    rows = (
        Enrolment.objects.filter(staff=staff, state=EnrolmentState.COMPLETED, completed_on__isnull=False)
        .select_related("course", "course__provider")
        .only(
            "completed_on",
            "grade",
            "course__title",
            "course__title_en",
            "course__hours",
            "course__credits",
            "course__provider__name",
            "course__provider__name_en",
        )
        .order_by("-completed_on", "-pk")
    )
    return [
        Completion(
            source_key=f"enrolment:{e.pk}",
            title=e.course.display_title,
            provider=e.course.provider.display_name,
            completed_on=e.completed_on,  # filtered: never null here
            grade=e.grade,
            hours=e.course.hours,
            credits=e.course.credits,
        )
        for e in rows
    ]


def waitlist_positions(staff: StaffMember) -> dict[int, int]:
    """The person's waiting enrolments, each with its place on its course's waiting list (1: the
    next free seat is theirs), in the order seats are given (``WAITLIST_ORDER``). One query."""
    W = EnrolmentState.WAITLISTED
    mine = Enrolment.objects.filter(staff=staff, state=W).values("course_id")
    queue = (
        Enrolment.objects.filter(course_id__in=mine, state=W)
        .order_by("course_id", *WAITLIST_ORDER)
        .values_list("pk", "course_id", "staff_id")
    )
    positions: dict[int, int] = {}
    place: dict[int, int] = {}
    for pk, course_id, staff_id in queue:
        place[course_id] = place.get(course_id, 0) + 1
        if staff_id == staff.pk:
            positions[pk] = place[course_id]
    return positions


def enrolments_for_head(head: StaffMember) -> QuerySet[Enrolment]:
    """Enrolments of the people a head of section heads (their departments and below)."""
    return (
        Enrolment.objects.filter(staff__in=staff_headed_by(head))
        .select_related("staff", "staff__department", "course", "course__provider")
        .prefetch_related(Prefetch("events", queryset=EnrolmentEvent.objects.select_related("actor")))
    )


def enrolments_awaiting_head(head: StaffMember) -> QuerySet[Enrolment]:
    return enrolments_for_head(head).filter(state=EnrolmentState.REQUESTED).order_by("requested_at", "pk")


def enrolments_decided_by_head(head: StaffMember, limit: int = 20) -> list[Enrolment]:
    """The head's own most recent decisions (recommended or declined), newest first."""
    decided = EnrolmentEvent.objects.filter(
        actor=head, from_state=EnrolmentState.REQUESTED, enrolment=OuterRef("pk")
    ).values("at")[:1]
    return list(
        enrolments_for_head(head)
        .annotate(head_decided_at=Subquery(decided))
        .filter(head_decided_at__isnull=False)
        .order_by("-head_decided_at", "-pk")[:limit]
    )


def heads_of_section_for(staff: StaffMember) -> list[StaffMember]:
    """The heads of the person's unit, section and division (those who may recommend)."""
    department = staff.department
    if department is None:
        return []
    parts = [p for p in department.path.strip("/").split("/") if p]
    prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    return list(
        StaffMember.objects.filter(
            is_active=True, headed_departments__path__in=prefixes, headed_departments__is_active=True
        )
        .exclude(pk=staff.pk)
        .distinct()
    )


# --- HR's to-do on the admin index ----------------------------------------------------------


#: "Awaiting HR": recommended by the head of section, or waiting for a seat (the admin's filter).
AWAITING_HR_STATES = (EnrolmentState.RECOMMENDED, EnrolmentState.WAITLISTED)


@dataclass(frozen=True)
class TodoItem:
    """One line of HR's to-do: what is waiting, how many, and the admin list that shows them."""

    key: str
    label: str
    count: int
    url: str


def hr_todo(*, user: StaffMember) -> list[TodoItem]:
    """What waits for HR, for the admin index: only the lists ``user`` may view.

    Each count is the number of rows of the filtered change list its link opens (the same
    filter), so the number HR sees is the number HR finds. Three COUNT queries on indexed
    status columns.
    """
    items: list[TodoItem] = []
    if user.has_perm("courses.view_enrolment"):
        items.append(
            TodoItem(
                key="awaiting_hr",
                label=gettext("Requests awaiting HR (recommended or waiting)"),
                count=Enrolment.objects.filter(state__in=AWAITING_HR_STATES).count(),
                url=reverse("admin:courses_enrolment_changelist") + "?state=awaiting_hr",
            )
        )
    if user.has_perm("badges.view_award"):
        items.append(
            TodoItem(
                key="failed_awards",
                label=gettext("Badges whose issuing failed"),
                count=Award.objects.filter(status=Award.Status.FAILED).count(),
                url=reverse("admin:badges_award_changelist") + f"?status={Award.Status.FAILED}",
            )
        )
    if user.has_perm("badges.view_externalbadge"):
        items.append(
            TodoItem(
                key="external_to_confirm",
                label=gettext("External badges to confirm"),
                count=ExternalBadge.objects.filter(status=ExternalBadge.Status.SUBMITTED).count(),
                url=reverse("admin:badges_externalbadge_changelist")
                + f"?status__exact={ExternalBadge.Status.SUBMITTED}",
            )
        )
    return items
