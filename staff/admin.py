from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import Format
from import_export.results import Result

from .access_log import CSV_CONTENT_TYPE, access_log_csv, access_log_filename
from .export_forms import JapaneseExportForm
from .formats import ROSTER_FORMATS, RosterFileError
from .forms import RoleGrantForm, RosterConfirmImportForm, RosterImportForm
from .http import AuthenticatedHttpRequest
from .imports import BackgroundConfirmMixin, PendingUploadsMixin
from .jobs import job_kind, job_progress
from .models import Assignment, BackgroundJob, Department, RecordAccess, RoleChange, StaffMember
from .resources import RosterResult, StaffRosterResource
from .roster_jobs import ROSTER_IMPORT
from .selectors import roles_held
from .services import (
    email_address_ensure_verified,
    password_reset_email_send,
    role_grant,
    role_revoke,
    staff_account_ensure,
    staff_email_change_notify,
)


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    raw_id_fields = ["department"]
    fields = ["valid_from", "valid_to", "department", "grade", "job_family"]


class StaffCreationForm(forms.ModelForm):
    """A new person, without a password: they sign in with SSO or use a reset email (nobody
    chooses another person's password)."""

    class Meta:
        model = StaffMember
        fields = ("employee_number", "email", "family_name", "given_name")

    def save(self, commit: bool = True) -> StaffMember:
        person: StaffMember = super().save(commit=False)
        person.set_unusable_password()
        if commit:
            person.save()
        return person


class StaffChangeForm(forms.ModelForm):
    # A plain ModelForm, not Django's UserChangeForm: no password field and no link to a
    # set-password page, and never is_superuser, is_staff, groups or user_permissions: roles
    # change only on the role page (staff.services.role_grant), on the record.
    class Meta:
        model = StaffMember
        fields = (
            "employee_number",
            "email",
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "department",
            "grade",
            "job_family",
            "employment_type",
            "preferred_language",
            "is_active",
        )


def _forbid_signed_in_without(allowed: Callable[[HttpRequest], bool], view: Callable[..., HttpResponse]) -> Any:
    """403 for a signed-in person without the permission, even one who cannot use the admin
    (the admin itself would send them round the login page again)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not allowed(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


class RosterImportExportMixin(BackgroundConfirmMixin, PendingUploadsMixin, ImportExportMixin):
    """HR's personnel roster import and export (see staff/resources/), HR only. A large
    file's confirmation is a background job (staff/roster_jobs.py, ``BackgroundConfirmMixin``).

    Permissions: ``staff.import_staffmember`` and ``staff.export_staffmember`` (the hr group).
    """

    background_job_kind = ROSTER_IMPORT

    resource_classes = [StaffRosterResource]
    import_form_class = RosterImportForm
    confirm_form_class = RosterConfirmImportForm
    import_formats = ROSTER_FORMATS
    export_formats = ROSTER_FORMATS
    export_form_class = JapaneseExportForm
    import_template_name = "admin/staff/staffmember/roster_import.html"

    def get_urls(self) -> list[Any]:
        prefix = "{}_{}".format(*self.get_model_info())
        guards = {
            f"{prefix}_import": self.has_import_permission,
            f"{prefix}_process_import": self.has_import_permission,
            f"{prefix}_export": self.has_export_permission,
        }
        urls = []
        for pattern in super().get_urls():
            if isinstance(pattern, URLPattern) and pattern.name in guards:
                view = _forbid_signed_in_without(guards[pattern.name], pattern.callback)
                pattern = path(str(pattern.pattern), view, name=pattern.name)
            urls.append(pattern)
        return urls

    def _import_url(self) -> str:
        return reverse("admin:{}_{}_import".format(*self.get_model_info()), current_app=self.admin_site.name)

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        cleaned = getattr(kwargs.get("form"), "cleaned_data", None) or {}
        return {"full_roster": bool(cleaned.get("full_roster"))}

    def get_confirm_form_initial(self, request: HttpRequest, import_form: Any) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["full_roster"] = bool(import_form.cleaned_data.get("full_roster"))
        return initial

    def add_data_read_fail_error_to_form(self, form: Any, e: Exception) -> None:
        if isinstance(e, RosterFileError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def background_job_options(self, confirm_form: Any) -> dict[str, Any]:
        return {"full_roster": bool(confirm_form.cleaned_data.get("full_roster"))}

    def process_result(self, result: Result, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            # The data changed between the preview and the confirmation: nothing was written
            # (the resource rolls back); show why, like the preview would.
            messages.error(request, gettext("Nothing was imported: the file no longer passes the checks."))
            context = self.get_import_context_data()
            context.update(self.admin_site.each_context(request))
            form = self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request)
            )
            context.update(
                {
                    "title": _("Import"),
                    "form": form,
                    "opts": self.model._meta,
                    "media": self.media + form.media,
                    "result": result,
                    "import_error_display": self.import_error_display,
                }
            )
            return TemplateResponse(request, [self.import_template_name], context)
        response: HttpResponse = super().process_result(result, request)
        return response

    def add_success_message(self, result: Result, request: HttpRequest) -> None:
        deactivated = result.deactivated if isinstance(result, RosterResult) else 0
        messages.success(
            request,
            gettext(
                "Roster imported: %(new)d new, %(changed)d changed, %(unchanged)d unchanged, "
                "%(deactivated)d deactivated."
            )
            % {
                "new": result.totals["new"],
                "changed": result.totals["update"],
                "unchanged": result.totals["skip"],
                "deactivated": deactivated,
            },
        )

    def get_export_filename(self, request: HttpRequest, queryset: QuerySet[Any], file_format: Format) -> str:
        return f"staff-roster-{timezone.localdate():%Y%m%d}.{file_format.get_extension()}"


@admin.register(StaffMember)
class StaffMemberAdmin(RosterImportExportMixin, UserAdmin):
    """The staff directory. HR edits the fields of its job (name, post, email, active); roles are
    granted only by an administrator on the role page (``<id>/roles/``, staff.services.role_grant),
    and nobody sets another person's password: a reset email goes to the person instead."""

    add_form = StaffCreationForm
    add_form_template = None  # Django's user add page is about choosing a password
    form = StaffChangeForm
    ordering = ["employee_number"]
    list_display = ["employee_number", "full_name", "email", "department", "grade", "employment_type", "is_active"]
    list_filter = ["is_active", "employment_type", "grade", "job_family"]
    search_fields = ["employee_number", "email", "family_name", "given_name", "family_name_kana", "given_name_kana"]
    list_select_related = ["department"]
    raw_id_fields = ["department"]
    readonly_fields = ["last_login", "date_joined", "roles_summary"]
    filter_horizontal = ()
    inlines = [AssignmentInline]
    actions = ["send_password_reset_email"]
    fieldsets = (
        (None, {"fields": ("employee_number", "email")}),
        (_("Name"), {"fields": (("family_name", "given_name"), ("family_name_kana", "given_name_kana"))}),
        (_("Post"), {"fields": ("department", "grade", "job_family", "employment_type", "preferred_language")}),
        (_("Access"), {"fields": ("is_active",)}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("employee_number", "email", "family_name", "given_name")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: StaffMember | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.is_superuser:
            # Shown, never edited here: the role page changes roles, with a reason, on the record.
            fieldsets = (*fieldsets, (_("Roles"), {"fields": ("roles_summary",)}))
        return fieldsets

    def get_list_filter(self, request: HttpRequest) -> Any:
        if request.user.is_superuser:
            return [*self.list_filter, "is_staff", "is_superuser", "groups"]
        return self.list_filter

    def has_change_permission(self, request: HttpRequest, obj: StaffMember | None = None) -> bool:
        # An administrator's account is theirs and other administrators' to change: HR changing
        # its email (then sending a reset there) would be a way to become administrator.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return bool(super().has_change_permission(request, obj))

    def save_model(self, request: HttpRequest, obj: StaffMember, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            staff_account_ensure(staff=obj)
        elif "email" in form.changed_data:
            # allauth signs in (password, reset) by its own email table: the old address must
            # stop working the moment HR changes it, and hears of the change.
            email_address_ensure_verified(staff=obj)
            staff_email_change_notify(
                staff=obj, old_email=form.initial.get("email", ""), changed_by=gettext("the HR administration page")
            )

    @admin.display(description=_("roles"))
    def roles_summary(self, obj: StaffMember) -> str:
        url = reverse("admin:staff_staffmember_roles", args=[obj.pk], current_app=self.admin_site.name)
        held = roles_held(obj)
        return format_html(
            '{} <a href="{}">{}</a>',
            ", ".join(str(label) for label in held) or "—",
            url,
            gettext("Grant or revoke roles"),
        )

    @admin.display(description=_("name"), ordering="family_name_kana")
    def full_name(self, obj: StaffMember) -> str:
        return obj.full_name

    @admin.action(description=_("Send a password reset email"), permissions=["change"])
    def send_password_reset_email(self, request: HttpRequest, queryset: QuerySet[StaffMember]) -> None:
        sent = 0
        for person in queryset:
            if password_reset_email_send(staff=person, request=request):
                sent += 1
                # The admin history of the person shows who sent it, when, and to which address.
                self.log_change(
                    request, person, gettext("Password reset email sent to %(email)s.") % {"email": person.email}
                )
        messages.success(
            request,
            ngettext(
                "A password reset email was sent to %(count)d person.",
                "A password reset email was sent to %(count)d people.",
                sent,
            )
            % {"count": sent},
        )

    def get_urls(self) -> list[Any]:
        def nobody(request: HttpRequest) -> bool:
            return False

        def administrators(request: HttpRequest) -> bool:
            return bool(request.user.is_superuser)

        admin_view = self.admin_site.admin_view
        urls: list[Any] = [
            path(
                "<path:object_id>/roles/",
                _forbid_signed_in_without(administrators, admin_view(self.roles_view)),
                name="staff_staffmember_roles",
            )
        ]
        for pattern in super().get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == "auth_user_password_change":
                # Kept as a URL so that it answers 403 to everyone, instead of falling through
                # to the admin's catch-all redirect.
                pattern = path(
                    str(pattern.pattern),
                    _forbid_signed_in_without(nobody, admin_view(self.user_change_password)),
                    name=pattern.name,
                )
            urls.append(pattern)
        return urls

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        raise PermissionDenied  # nobody sets another person's password: send a reset email

    def roles_view(self, request: AuthenticatedHttpRequest, object_id: str) -> HttpResponse:
        """The administrator's role page for one person: what they hold, the form to grant or
        revoke a role with a reason, and every earlier change."""
        if not request.user.is_superuser:
            raise PermissionDenied
        person = self.get_object(request, unquote(object_id))
        if person is None:
            raise Http404
        form = RoleGrantForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            change_role = role_grant if data["action"] == RoleChange.Action.GRANT else role_revoke
            try:
                change = change_role(
                    actor=request.user,
                    staff=person,
                    role=data["role"],
                    reason=data["reason"],
                    department=data["department"] if data["role"] == "section_head" else None,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if change is None:
                    messages.info(request, gettext("Nothing changed: the person already had (or did not have) it."))
                else:
                    messages.success(request, gettext("The role change is recorded."))
                return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Roles of %(name)s") % {"name": person.full_name},
            "opts": self.opts,
            "original": person,
            "form": form,
            "held": roles_held(person),
            "history": person.role_changes.select_related("actor", "department")[:200],
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/staff/staffmember/roles.html", context)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]
    # Heads of section are appointed by an administrator on the person's role page (recorded),
    # not ticked here.
    readonly_fields = ["path", "heads_list"]
    exclude = ["heads"]

    @admin.display(description=_("heads of section"))
    def heads_list(self, obj: Department) -> str:
        return format_html_join(", ", "{}", ((p.full_name,) for p in obj.heads.all())) or "—"


@admin.register(RecordAccess)
class RecordAccessAdmin(admin.ModelAdmin):
    """HR reviews who looked at whose record. The log is append-only."""

    list_display = ["at", "viewer", "subject", "purpose", "path"]
    list_filter = ["purpose"]
    search_fields = [
        "viewer__employee_number",
        "viewer__family_name",
        "subject__employee_number",
        "subject__family_name",
    ]
    list_select_related = ["viewer", "subject"]
    # Year, month and day in Japan time (the current time zone); a date range is on the HR page.
    date_hierarchy = "at"
    readonly_fields = ["at", "viewer", "subject", "purpose", "path"]
    # A link to the CSV of the rows shown (the same filters, search and date).
    change_list_template = "admin/staff/recordaccess/change_list.html"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        export = path("export.csv", self.admin_site.admin_view(self.export_view), name="staff_recordaccess_export")
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The entries the list shows, with its filters (purpose, date, search), as CSV: UTF-8
        with a BOM, Japan time, Japanese headers and purposes (staff/access_log.py)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:staff_recordaccess_changelist"))
        entries = changelist.get_queryset(request).select_related("viewer", "subject").order_by("-at", "-pk")
        response = StreamingHttpResponse(
            access_log_csv(entries.iterator(chunk_size=2000)), content_type=CSV_CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="{access_log_filename()}"'
        response["Cache-Control"] = "no-store"
        return response


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """Who granted or revoked which role, to whom, when and why. Administrators only (no group has
    the view permission); append-only: written by staff.services.role_grant / role_revoke."""

    list_display = ["at", "staff", "action", "role", "department", "actor", "reason"]
    list_filter = ["role", "action"]
    search_fields = ["staff__employee_number", "staff__family_name", "actor__employee_number", "reason"]
    list_select_related = ["staff", "actor", "department"]
    date_hierarchy = "at"
    readonly_fields = ["at", "staff", "action", "role", "department", "actor", "reason"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(BackgroundJob)
class BackgroundJobAdmin(admin.ModelAdmin):
    """HR's long operations (staff/jobs.py): the recent jobs, and each job's page with its
    progress and, once it has ended, its result. Read-only: jobs are started by the actions
    that need them (the bulk completion, the roster import)."""

    list_display = ["kind_label", "state", "progress_text", "started_by", "created_at", "finished_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["started_by"]
    list_display_links = ["kind_label"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("operation"))
    def kind_label(self, obj: BackgroundJob) -> str:
        kind = job_kind(obj.kind)
        return str(kind.label) if kind else obj.kind

    @admin.display(description=_("progress"))
    def progress_text(self, obj: BackgroundJob) -> str:
        return f"{job_progress(obj)} / {obj.total}"

    def get_urls(self) -> list[Any]:
        urls = [
            path(
                "<path:object_id>/status.json",
                self.admin_site.admin_view(self.status_view),
                name="staff_backgroundjob_status",
            )
        ]
        return urls + super().get_urls()

    def _job(self, request: HttpRequest, object_id: str) -> BackgroundJob:
        job = self.get_object(request, unquote(object_id))
        if job is None:
            raise Http404
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return job

    def status_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """The job page's poll (static/js/background-job.js)."""
        job = self._job(request, object_id)
        return JsonResponse(
            {"state": job.state, "done": job_progress(job), "total": job.total, "active": job.is_active}
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        job = self._job(request, object_id)
        kind = job_kind(job.kind)
        labels = kind.count_labels if kind else {}
        counts = job.result.get("counts", {}) if isinstance(job.result, dict) else {}
        rows = [(labels.get(name, name), counts[name]) for name in [*labels, *counts] if name in counts]
        rows = list(dict.fromkeys(rows))
        back_url = ""
        if kind and kind.back_url_name:
            back_url = reverse(kind.back_url_name, current_app=self.admin_site.name)
        context = {
            **self.admin_site.each_context(request),
            "title": kind.label if kind else job.kind,
            "opts": self.model._meta,
            "job": job,
            "done": job_progress(job),
            "counts": rows,
            "errors": (job.result.get("errors", []) if isinstance(job.result, dict) else []),
            "back_url": back_url,
            "status_url": reverse("admin:staff_backgroundjob_status", args=[job.pk], current_app=self.admin_site.name),
        }
        return TemplateResponse(request, "admin/staff/backgroundjob/job.html", context)
