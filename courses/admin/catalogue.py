"""HR's admin for the catalogue: providers, skills, courses and programmes. A course or programme
edit ends in ``course_update`` / ``programme_update`` (the import calls them too)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from staff.export_forms import JapaneseExportForm
from staff.imports import PendingUploadsMixin

from ..models import SEAT_STATES, Course, CourseSkill, Programme, Provider, Skill
from ..resources import CourseResource, SkillResource
from ..services import course_align_badge, course_update, programme_align_badge, programme_update, waitlist_promote
from .common import FILE_FORMATS, JapanDateExportMixin, S, _count_in


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Skill)
class SkillAdmin(JapanDateExportMixin, PendingUploadsMixin, ImportExportModelAdmin):
    resource_classes = [SkillResource]
    import_formats = FILE_FORMATS
    export_formats = FILE_FORMATS
    export_form_class = JapaneseExportForm
    list_display = ["code", "name", "name_en", "sort_order", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["code", "name", "name_en"]


class CourseSkillInline(admin.TabularInline):
    model = CourseSkill
    extra = 1
    fields = ["skill", "level"]


@admin.register(Course)
class CourseAdmin(JapanDateExportMixin, PendingUploadsMixin, ImportExportModelAdmin):
    resource_classes = [CourseResource]
    import_formats = FILE_FORMATS
    export_formats = FILE_FORMATS
    export_form_class = JapaneseExportForm
    list_display = [
        "code",
        "title",
        "provider",
        "starts_on",
        "application_closes_on",
        "seats",
        "waitlisted",
        "has_badge",
        "is_published",
    ]
    list_filter = ["provider__kind", "provider", "delivery", "for_promotion", "is_published"]
    search_fields = ["code", "title", "title_en"]
    list_select_related = ["provider"]
    raw_id_fields = ["badge_class"]
    inlines = [CourseSkillInline]
    show_full_result_count = False
    actions = ["promote_waitlist", "align_badges"]
    fieldsets = (
        (None, {"fields": ("code", "title", "title_en", "provider", "delivery", "is_published")}),
        (_("Description"), {"fields": ("description", "description_en", "prerequisites")}),
        (_("When"), {"fields": ("term", ("starts_on", "ends_on"), ("application_opens_on", "application_closes_on"))}),
        (_("Size and cost"), {"fields": (("hours", "credits"), "capacity", ("cost", "city_subsidy"))}),
        (_("Use types and badge"), {"fields": (("for_self_development", "for_promotion"), "badge_class")}),
    )

    list_per_page = 30

    def get_queryset(self, request: HttpRequest) -> QuerySet[Course]:
        # Correlated subqueries: computed for the page's rows only, not grouped over every enrolment.
        return (
            super()
            .get_queryset(request)
            .annotate(seats_taken=_count_in(SEAT_STATES), waitlisted_count=_count_in((S.WAITLISTED,)))
        )

    @admin.display(description=_("badge"), boolean=True, ordering="badge_class")
    def has_badge(self, obj: Course) -> bool:
        return obj.badge_class_id is not None

    @admin.display(description=_("seats taken"), ordering="seats_taken")
    def seats(self, obj: Course) -> str:
        taken = getattr(obj, "seats_taken", 0)
        return f"{taken} / {obj.capacity}" if obj.capacity is not None else f"{taken} / —"

    @admin.display(description=_("waiting"), ordering="waitlisted_count")
    def waitlisted(self, obj: Course) -> str:
        count = getattr(obj, "waitlisted_count", 0)
        if not count:
            return "0"
        url = reverse("admin:courses_enrolment_changelist") + f"?course={obj.pk}&state={S.WAITLISTED}"
        return format_html('<a href="{}">{}</a>', url, count)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        changed = set(form.changed_data)
        if any(fs.has_changed() for fs in formsets if fs.model is CourseSkill):
            changed.add("skills")
        promoted = course_update(
            course=form.instance,
            changed=changed,
            created=not change,
            old_badge_class_id=form.initial.get("badge_class") if "badge_class" in changed else None,
        )
        if promoted:
            self.message_user(
                request,
                ngettext(
                    "%(count)d person moved from the waiting list to a seat.",
                    "%(count)d people moved from the waiting list to a seat.",
                    len(promoted),
                )
                % {"count": len(promoted)},
                messages.SUCCESS,
            )

    @admin.action(description=_("Give free seats to the waiting list"), permissions=["change"])
    def promote_waitlist(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        total = sum(len(waitlist_promote(course=course)) for course in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d person moved from the waiting list to a seat.",
                "%(count)d people moved from the waiting list to a seat.",
                total,
            )
            % {"count": total},
        )

    @admin.action(description=_("Copy skills to the badge's alignments"), permissions=["change"])
    def align_badges(self, request: HttpRequest, queryset: QuerySet[Course]) -> None:
        done = [course for course in queryset if course.badge_class_id]
        for course in done:
            course_align_badge(course=course)
        self.message_user(request, gettext("Alignments updated for %(count)d course badges.") % {"count": len(done)})


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "course_count", "badge_class", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["code", "name", "name_en"]
    autocomplete_fields = ["courses"]
    raw_id_fields = ["badge_class"]
    list_select_related = ["badge_class"]
    actions = ["align_badges"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Programme]:
        return super().get_queryset(request).annotate(n_courses=Count("courses"))

    @admin.display(description=_("courses"), ordering="n_courses")
    def course_count(self, obj: Programme) -> int:
        return getattr(obj, "n_courses", 0)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        programme_update(
            programme=form.instance,
            changed=form.changed_data,
            created=not change,
            old_badge_class_id=form.initial.get("badge_class") if "badge_class" in form.changed_data else None,
        )

    @admin.action(description=_("Copy the courses' skills to the badge's alignments"), permissions=["change"])
    def align_badges(self, request: HttpRequest, queryset: QuerySet[Programme]) -> None:
        for programme in queryset:
            programme_align_badge(programme=programme)
        self.message_user(request, gettext("Alignments updated."))
