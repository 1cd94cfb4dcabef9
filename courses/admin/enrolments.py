"""HR's admin for enrolments: decisions one by one and in bulk, completion, grade reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from staff.export_forms import JapaneseExportForm
from staff.http import AuthenticatedHttpRequest
from staff.imports import BackgroundConfirmMixin, PendingUploadsMixin

from ..forms import ApproveForm, CompleteForm, NotCompletedForm, RejectForm
from ..jobs import GRADE_IMPORT, bulk_complete_job_start, grade_report_log
from ..models import Enrolment
from ..resources import GRADE_REPORT_COLUMNS, EnrolmentExportResource, GradeReportResource
from ..services import (
    BulkOutcome,
    EnrolmentError,
    EnrolmentPermissionError,
    enrolment_approve,
    enrolment_complete,
    enrolment_mark_not_completed,
    enrolment_reject,
    enrolments_bulk_approve,
    enrolments_bulk_complete,
    enrolments_bulk_not_completed,
    enrolments_bulk_reject,
)
from .common import FILE_FORMATS, JapanDateExportMixin, S, log_admin_change
from .enrolment_parts import CourseFilter, Decision, DepartmentFilter, EnrolmentEventInline, StateFilter


@admin.register(Enrolment)
class EnrolmentAdmin(JapanDateExportMixin, BackgroundConfirmMixin, PendingUploadsMixin, ImportExportModelAdmin):
    import_formats = FILE_FORMATS
    export_formats = FILE_FORMATS
    export_form_class = JapaneseExportForm
    list_display = ["course_code", "staff_name", "department", "use_type", "state", "requested_on", "result"]
    list_filter = [StateFilter, "use_type", DepartmentFilter, CourseFilter]
    search_fields = [
        "=staff__employee_number",
        "staff__family_name",
        "staff__given_name",
        "staff__family_name_kana",
        "course__code",
        "course__title",
    ]
    list_select_related = ["staff", "staff__department", "course"]
    show_full_result_count = False
    # 30 rows keep the page fast; bulk actions can still "select all" across pages.
    list_per_page = 30
    ordering = ["-requested_at"]
    inlines = [EnrolmentEventInline]
    actions = ["approve", "reject", "mark_completed", "mark_not_completed"]
    readonly_fields = [
        "staff",
        "course",
        "use_type",
        "reason",
        "state",
        "cost",
        "city_subsidy",
        "staff_share",
        "grade",
        "result_note",
        "completed_on",
        "requested_at",
        "recommended_at",
        "decided_at",
        "updated_at",
    ]
    fieldsets = (
        (None, {"fields": ("staff", "course", "use_type", "reason", "state")}),
        (_("Cost share (as requested)"), {"fields": (("cost", "city_subsidy", "staff_share"),)}),
        (_("Result"), {"fields": ("grade", "result_note", "completed_on")}),
        (_("Dates"), {"fields": ("requested_at", "recommended_at", "decided_at", "updated_at")}),
    )

    # Import = the university's grade report; export = full list or a grade-report sheet.
    # Its preview lists every line of the file as the spreadsheet numbers it, in Japanese,
    # with each failing line's reasons in the table (templates/admin/courses/enrolment/).
    import_template_name = "admin/courses/enrolment/grade_import.html"
    # A report of PORTAL_BACKGROUND_FROM lines or more is confirmed by a background job (courses/jobs.py).
    background_job_kind = GRADE_IMPORT

    def get_import_resource_classes(self, request: HttpRequest) -> list[type]:
        return [GradeReportResource]

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if isinstance(context, dict) and "fields_list" in context:
            # The columns as the university's sheet names them, not the resource's field names.
            context["fields_list"] = [(GradeReportResource.get_display_name(), list(GRADE_REPORT_COLUMNS))]
        return response

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            # The enrolments changed between the preview and the confirmation: nothing was
            # written (the resource rolls back); show why, as the preview would.
            messages.error(request, gettext("Nothing was imported: the file no longer passes the checks."))
            form = self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request)
            )
            context = {
                **self.admin_site.each_context(request),
                **self.get_import_context_data(),
                "title": _("Import"),
                "form": form,
                "opts": self.model._meta,
                "media": self.media + form.media,
                "result": result,
                "import_error_display": self.import_error_display,
            }
            return TemplateResponse(request, [self.import_template_name], context)
        response: HttpResponse = super().process_result(result, request)
        return response

    def generate_log_entries(self, result: Any, request: HttpRequest) -> None:
        # In words, as the background job writes them (not import-export's "update through import_export").
        grade_report_log(user_id=request.user.pk, rows=result.rows)

    def add_success_message(self, result: Any, request: HttpRequest) -> None:
        messages.success(
            request,
            gettext("Grade report imported: %(new)d new, %(updated)d updated, %(unchanged)d unchanged.")
            % {
                "new": result.totals["new"],
                "updated": result.totals["update"],
                "unchanged": result.totals["skip"],
            },
        )

    def get_export_resource_classes(self, request: HttpRequest) -> list[type]:
        return [EnrolmentExportResource, GradeReportResource]

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_import_resource_kwargs(request, **kwargs), "actor": request.user}

    # Enrolments are created by staff requests and changed by decisions only.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("course"), ordering="course__code")
    def course_code(self, obj: Enrolment) -> str:
        return f"{obj.course.code} {obj.course.title}"

    @admin.display(description=_("staff member"), ordering="staff__family_name_kana")
    def staff_name(self, obj: Enrolment) -> str:
        return f"{obj.staff.full_name} ({obj.staff.employee_number})"

    @admin.display(description=_("requested on"), ordering="requested_at")
    def requested_on(self, obj: Enrolment) -> str:
        return date_format(timezone.localtime(obj.requested_at), "SHORT_DATE_FORMAT")

    @admin.display(description=_("result"))
    def result(self, obj: Enrolment) -> str:
        if obj.completed_on is None:
            return obj.grade or "—"
        return f"{obj.grade or '—'} ({date_format(obj.completed_on, 'SHORT_DATE_FORMAT')})"

    @admin.display(description=_("department"))
    def department(self, obj: Enrolment) -> str:
        return obj.staff.department.name if obj.staff.department else "—"

    def _report(self, request: HttpRequest, outcome: BulkOutcome, done_message: str, log_message: str) -> None:
        log_admin_change(request, [*outcome.done, *outcome.waitlisted], log_message)
        if outcome.done:
            self.message_user(request, done_message % {"count": len(outcome.done)}, messages.SUCCESS)
        if outcome.waitlisted:
            self.message_user(
                request,
                gettext("%(count)d put on the waiting list: the course is full.") % {"count": len(outcome.waitlisted)},
                messages.WARNING,
            )
        if outcome.unchanged:
            self.message_user(
                request,
                gettext("%(count)d were already recorded that way (no change).") % {"count": len(outcome.unchanged)},
                messages.INFO,
            )
        for enrolment, error in outcome.errors:
            self.message_user(
                request,
                f"{enrolment.staff.full_name} / {enrolment.course.code}: {error}",
                messages.ERROR,
            )

    def _with_form(
        self,
        request: HttpRequest,
        queryset: QuerySet[Enrolment],
        form_class: type[forms.Form],
        title: str,
        apply: Callable[[forms.Form], HttpResponse | None],
        **form_kwargs: Any,
    ) -> HttpResponse | None:
        """An action that first asks for a reason or a result (an intermediate page), then applies."""
        form = form_class(request.POST if "apply" in request.POST else None, **form_kwargs)
        if "apply" in request.POST and form.is_valid():
            return apply(form)
        return TemplateResponse(
            request,
            "courses/admin/enrolment_action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "form": form,
                "enrolments": queryset,
                "action": request.POST.get("action"),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            },
        )

    @admin.action(description=_("Approve selected (waiting list when full)"), permissions=["change"])
    def approve(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Enrolment]) -> None:
        outcome = enrolments_bulk_approve(enrolments=list(queryset), actor=request.user)
        self._report(request, outcome, gettext("%(count)d approved."), gettext("Approved (admin action)"))

    @admin.action(description=_("Reject selected, with a reason"), permissions=["change"])
    def reject(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Enrolment]) -> HttpResponse | None:
        def apply(form: forms.Form) -> None:
            outcome = enrolments_bulk_reject(
                enrolments=list(queryset),
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            self._report(request, outcome, gettext("%(count)d rejected."), gettext("Rejected (admin action)"))

        return self._with_form(request, queryset, RejectForm, gettext("Reject enrolments"), apply)

    @admin.action(description=_("Mark selected completed, with result"), permissions=["change"])
    def mark_completed(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Enrolment]) -> HttpResponse | None:
        def apply(form: forms.Form) -> HttpResponse | None:
            ids = list(queryset.values_list("pk", flat=True))
            if len(ids) >= settings.PORTAL_BACKGROUND_FROM:
                # Thousands take tens of seconds: a background job, and its page (staff/jobs.py).
                job, created = bulk_complete_job_start(
                    enrolment_ids=ids,
                    actor=request.user,
                    completed_on=form.cleaned_data["completed_on"],
                    grade=form.cleaned_data["grade"],
                    result_note=form.cleaned_data["result_note"],
                    date_reason=form.cleaned_data["date_reason"],
                )
                if not created:
                    self.message_user(
                        request,
                        gettext("These enrolments are already being marked completed: here is that job."),
                        messages.WARNING,
                    )
                return HttpResponseRedirect(reverse("admin:staff_backgroundjob_change", args=[job.pk]))
            outcome = enrolments_bulk_complete(
                enrolments=list(queryset),
                actor=request.user,
                completed_on=form.cleaned_data["completed_on"],
                grade=form.cleaned_data["grade"],
                result_note=form.cleaned_data["result_note"],
                date_reason=form.cleaned_data["date_reason"],
            )
            self._report(
                request, outcome, gettext("%(count)d marked completed."), gettext("Marked completed (admin action)")
            )
            return None

        latest_start = queryset.aggregate(latest=Max("course__starts_on"))["latest"]
        return self._with_form(
            request, queryset, CompleteForm, gettext("Mark enrolments completed"), apply, latest_start=latest_start
        )

    @admin.action(description=_("Mark selected not completed"), permissions=["change"])
    def mark_not_completed(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[Enrolment]
    ) -> HttpResponse | None:
        def apply(form: forms.Form) -> None:
            outcome = enrolments_bulk_not_completed(
                enrolments=list(queryset),
                actor=request.user,
                comment=form.cleaned_data["comment"],
            )
            self._report(
                request,
                outcome,
                gettext("%(count)d marked not completed."),
                gettext("Marked not completed (admin action)"),
            )

        return self._with_form(request, queryset, NotCompletedForm, gettext("Mark enrolments not completed"), apply)

    # --- The enrolment's own page: the same decisions, one at a time, next to the history --------

    DECISIONS = ("approve", "reject", "complete", "not_completed")

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        own = [
            path(
                "<path:object_id>/decide/<str:decision>/",
                self.admin_site.admin_view(self.decide_view),
                name="{}_{}_decide".format(*info),
            )
        ]
        return own + super().get_urls()  # before the catch-all <path:object_id>/ of the admin

    def _decision_form(self, decision: str, enrolment: Enrolment, data: Any = None) -> forms.Form:
        if decision == "approve":
            return ApproveForm(data, prefix=decision)
        if decision == "reject":
            return RejectForm(data, prefix=decision)
        if decision == "complete":
            initial = {}
            if enrolment.state == S.COMPLETED:  # a correction starts from what is recorded
                initial = {
                    "completed_on": enrolment.completed_on,
                    "grade": enrolment.grade,
                    "result_note": enrolment.result_note,
                }
            return CompleteForm(data, prefix=decision, initial=initial, latest_start=enrolment.course.starts_on)
        return NotCompletedForm(data, prefix=decision)

    @staticmethod
    def _draft_key(enrolment: Enrolment) -> str:
        return f"enrolment-decision-draft:{enrolment.pk}"

    def _keep_draft(self, request: HttpRequest, enrolment: Enrolment, decision: str) -> None:
        """A refused decision comes back filled in as HR typed it, its errors by its fields
        (bad input loses nothing): the page shows the form once more from the session."""
        data = {k: v for k, v in request.POST.items() if k.startswith(f"{decision}-")}
        request.session[self._draft_key(enrolment)] = {"decision": decision, "data": data}

    def _decisions(self, request: HttpRequest, enrolment: Enrolment) -> list[Decision]:
        """The decisions possible from the enrolment's current state, for someone who may change it."""
        if not self.has_change_permission(request, enrolment):
            return []
        draft = request.session.pop(self._draft_key(enrolment), None) or {}
        possible = {
            "approve": enrolment.state in (S.RECOMMENDED, S.WAITLISTED),
            "reject": enrolment.can_become(S.REJECTED),
            "complete": enrolment.can_become(S.COMPLETED) or enrolment.state == S.COMPLETED,
            "not_completed": enrolment.can_become(S.NOT_COMPLETED),
        }
        labels = {
            "approve": (gettext("Approve"), gettext("Approve (waiting list when the course is full)")),
            "reject": (gettext("Reject, with a reason"), gettext("Reject")),
            "complete": (
                (gettext("Correct the result"), gettext("Save the corrected result"))
                if enrolment.state == S.COMPLETED
                else (gettext("Mark completed"), gettext("Mark completed"))
            ),
            "not_completed": (gettext("Mark not completed"), gettext("Mark not completed")),
        }
        return [
            Decision(
                name=name,
                title=labels[name][0],
                button=labels[name][1],
                form=self._decision_form(name, enrolment, draft.get("data") if draft.get("decision") == name else None),
                url=reverse("admin:courses_enrolment_decide", args=[enrolment.pk, name]),
                primary=name == "approve",
            )
            for name in self.DECISIONS
            if possible[name]
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        enrolment = self.get_object(request, unquote(object_id))
        extra: dict[str, Any] = {**(extra_context or {})}
        if enrolment is not None:
            # Every field is read-only: 保存 would change nothing. Decisions are the page's buttons.
            extra.update(
                decisions=self._decisions(request, enrolment),
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
            )
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def decide_view(self, request: HttpRequest, object_id: str, decision: str) -> HttpResponse:
        """One decision from the enrolment's page (POST, CSRF-checked by the admin): the service
        the list action calls, a message, an admin log entry, and back to the page.

        The form carries the state the page showed: if the enrolment has moved on since (another
        HR officer, the person withdrawing), nothing is done and the page says so.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if decision not in self.DECISIONS:
            raise Http404
        enrolment = self.get_object(request, unquote(object_id))
        if enrolment is None:
            raise Http404
        if not self.has_change_permission(request, enrolment):
            raise PermissionDenied
        page = HttpResponseRedirect(reverse("admin:courses_enrolment_change", args=[enrolment.pk]))
        if request.POST.get("expected_state") != enrolment.state:
            self.message_user(
                request,
                gettext(
                    "This enrolment changed while the page was open: it is now “%(state)s”. Nothing was done; "
                    "check the history below and decide again."
                )
                % {"state": enrolment.get_state_display()},
                messages.WARNING,
            )
            return page
        form = self._decision_form(decision, enrolment, request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    self.message_user(request, error, messages.ERROR)
            self._keep_draft(request, enrolment, decision)
            return page
        actor = request.user
        data = form.cleaned_data
        try:
            if decision == "approve":
                result = enrolment_approve(enrolment=enrolment, actor=actor, comment=data["comment"])
                if result.state == S.APPROVED:
                    done, log = gettext("Approved."), gettext("Approved")
                else:
                    done = gettext("The course is full: the enrolment is on the waiting list.")
                    log = gettext("Put on the waiting list (course full)")
            elif decision == "reject":
                enrolment_reject(enrolment=enrolment, actor=actor, reason=data["reason"])
                done, log = gettext("Rejected."), gettext("Rejected: %(reason)s") % {"reason": data["reason"]}
            elif decision == "complete":
                changed = enrolment_complete(
                    enrolment=enrolment,
                    actor=actor,
                    completed_on=data["completed_on"],
                    grade=data["grade"],
                    result_note=data["result_note"],
                    date_reason=data["date_reason"],
                )
                if not changed:
                    self.message_user(request, gettext("That is already recorded; nothing changed."), messages.INFO)
                    return page
                day = date_format(data["completed_on"], "DATE_FORMAT")
                done = gettext("Marked completed on %(date)s.") % {"date": day}
                log = gettext("Marked completed (%(date)s)") % {"date": day}
            else:
                enrolment_mark_not_completed(enrolment=enrolment, actor=actor, comment=data["comment"])
                done, log = gettext("Marked not completed."), gettext("Marked not completed")
        except EnrolmentPermissionError as exc:
            raise PermissionDenied(exc.message) from exc
        except EnrolmentError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            self._keep_draft(request, enrolment, decision)
            return page
        log_admin_change(request, [enrolment], log)
        self.message_user(request, done, messages.SUCCESS)
        return page
