"""The register of trusted issuers (their identifiers, and the import of the register)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from staff.http import AuthenticatedHttpRequest

from .. import services, trust
from ..models import TrustedIssuer, TrustedIssuerIdentifier

# ---------------------------------------------------------------- the register of trusted issuers


class TrustedIssuerIdentifierInline(admin.TabularInline):
    model = TrustedIssuerIdentifier
    extra = 1
    fields = ["kind", "value", "note"]


class RegisterImportForm(forms.Form):
    file = forms.FileField(
        label=_("Register file (JSON)"),
        help_text=_("A file exported from this portal or another portal's register of trusted issuers."),
    )


@admin.register(TrustedIssuer)
class TrustedIssuerAdmin(admin.ModelAdmin):
    """HR's register of issuers whose badges the city accepts as genuine (docs/api-verify.md)."""

    list_display = ["name", "kind", "identifier_list", "valid_from", "valid_until", "in_force", "added_by"]
    list_filter = ["kind"]
    search_fields = ["name", "name_en", "identifiers__value"]
    list_select_related = ["added_by"]
    inlines = [TrustedIssuerIdentifierInline]
    readonly_fields = ["is_this_portal", "this_portal_identifiers", "added_by", "added_at", "changed_at", "public_id"]
    fieldsets = (
        (None, {"fields": ("name", "name_en", "kind", "url", "is_this_portal", "this_portal_identifiers")}),
        (_("Trusted"), {"fields": ("valid_from", "valid_until", "reason")}),
        (_("History"), {"fields": ("added_by", "added_at", "changed_at", "public_id")}),
    )
    change_list_template = "admin/badges/trustedissuer/change_list.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[TrustedIssuer]:
        return super().get_queryset(request).prefetch_related("identifiers")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_this_portal:
            # This portal's own badges are checked against its own records, whatever a date here
            # says: its dates and kind would only mislead.
            fields += ["kind", "valid_from", "valid_until"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_this_portal:
            return False
        # Ending trust is a date (valid until), so old badges keep their verdict; deleting is
        # for the administrator only, for an entry made by mistake.
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: TrustedIssuer, form: Any, change: bool) -> None:
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("identifiers"))
    def identifier_list(self, obj: TrustedIssuer) -> str:
        if obj.is_this_portal:
            values = [i["value"] for i in trust.this_portal_identifiers()]
        else:
            values = [i.value for i in obj.identifiers.all()]
        return format_html_join("", '<div class="mono">{}</div>', ((v,) for v in values)) or "—"

    @admin.display(description=_("this portal's identifiers (from its keys and settings)"))
    def this_portal_identifiers(self, obj: TrustedIssuer) -> str:
        if not obj.is_this_portal:
            return "—"
        return format_html_join(
            "",
            '<div><span class="mono">{}</span> ({})</div>',
            (
                (i["value"], TrustedIssuerIdentifier.Kind(i["kind"]).label)  # the label, not the code
                for i in trust.this_portal_identifiers()
            ),
        )

    @admin.display(description=_("in force today"), boolean=True)
    def in_force(self, obj: TrustedIssuer) -> bool:
        return obj.is_this_portal or obj.in_force_on(timezone.localdate())

    def get_urls(self) -> list[Any]:
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path("export.json", self.admin_site.admin_view(self.export_view), name="{}_{}_export".format(*info)),
            path("import/", self.admin_site.admin_view(self.import_view), name="{}_{}_import".format(*info)),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = trust.register_export()
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="trusted-issuers-{timezone.localdate():%Y%m%d}.json"'
        return response

    def import_view(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        problems: list[str] = []
        if request.method == "POST":
            form = RegisterImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                if upload.size > trust.MAX_FILE_BYTES:
                    problems = [str(_("The file is larger than 2 MB."))]
                else:
                    try:
                        result = services.trusted_issuers_import(
                            data=upload.read(),
                            by=request.user,
                            source=upload.name or "",
                        )
                    except trust.RegisterFileError as exc:
                        problems = exc.problems
                    else:
                        self.message_user(
                            request,
                            _("Register imported: %(created)d added, %(updated)d changed, %(unchanged)d unchanged.")
                            % {
                                "created": len(result.created),
                                "updated": len(result.updated),
                                "unchanged": result.unchanged,
                            },
                            messages.SUCCESS,
                        )
                        return HttpResponseRedirect(reverse("admin:badges_trustedissuer_changelist"))
        else:
            form = RegisterImportForm()
        return TemplateResponse(
            request,
            "admin/badges/trustedissuer/import.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Import a register of trusted issuers"),
                "form": form,
                "problems": problems,
                "opts": self.model._meta,
            },
            status=400 if problems else 200,
        )
