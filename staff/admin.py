from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import Format
from import_export.results import Result

from .formats import ROSTER_FORMATS, RosterFileError
from .forms import RosterConfirmImportForm, RosterImportForm
from .models import Assignment, Department, RecordAccess, StaffMember
from .resources import RosterResult, StaffRosterResource


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    raw_id_fields = ["department"]
    fields = ["valid_from", "valid_to", "department", "grade", "job_family"]


class StaffCreationForm(BaseUserCreationForm):
    class Meta:
        model = StaffMember
        fields = ("employee_number", "email", "family_name", "given_name")


class StaffChangeForm(UserChangeForm):
    class Meta:
        model = StaffMember
        fields = "__all__"


def _forbid_signed_in_without(allowed: Callable[[HttpRequest], bool], view: Callable[..., HttpResponse]) -> Any:
    """403 for a signed-in person without the permission, even one who cannot use the admin
    (the admin itself would send them round the login page again)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not allowed(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


class RosterImportExportMixin(ImportExportMixin):
    """HR's personnel roster import and export (see staff/resources.py), HR only.

    Permissions: ``staff.import_staffmember`` and ``staff.export_staffmember`` (the hr group).
    """

    resource_classes = [StaffRosterResource]
    import_form_class = RosterImportForm
    confirm_form_class = RosterConfirmImportForm
    import_formats = ROSTER_FORMATS
    export_formats = ROSTER_FORMATS
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

    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = super().process_import(request, **kwargs)
        except RosterFileError as exc:  # e.g. the uploaded file expired from the cache
            messages.error(request, str(exc))
            return HttpResponseRedirect(self._import_url())
        return response

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
    add_form = StaffCreationForm
    form = StaffChangeForm
    ordering = ["employee_number"]
    list_display = ["employee_number", "full_name", "email", "department", "grade", "employment_type", "is_active"]
    list_filter = ["is_active", "employment_type", "grade", "job_family", "is_staff", "groups"]
    search_fields = ["employee_number", "email", "family_name", "given_name", "family_name_kana", "given_name_kana"]
    list_select_related = ["department"]
    raw_id_fields = ["department"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [AssignmentInline]
    fieldsets = (
        (None, {"fields": ("employee_number", "email", "password")}),
        (_("Name"), {"fields": (("family_name", "given_name"), ("family_name_kana", "given_name_kana"))}),
        (_("Post"), {"fields": ("department", "grade", "job_family", "employment_type", "preferred_language")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("employee_number", "email", "family_name", "given_name", "password1", "password2"),
            },
        ),
    )

    @admin.display(description=_("name"), ordering="family_name_kana")
    def full_name(self, obj: StaffMember) -> str:
        return obj.full_name


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]
    filter_horizontal = ["heads"]
    readonly_fields = ["path"]


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
    date_hierarchy = "at"
    readonly_fields = ["at", "viewer", "subject", "purpose", "path"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
