"""External badges staff add: HR checks them against the register of trusted issuers and
confirms or rejects them."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from staff.http import AuthenticatedHttpRequest

from .. import selectors, services, trust
from ..models import ExternalBadge
from ..public import verification
from .common import PersonNameSearchMixin, json_document

# The register of trusted issuers as read for the admin request being rendered (see
# ``ExternalBadgeAdmin._with_register``); a context variable, so threads never share one.
_REGISTER: ContextVar[trust.Register | None] = ContextVar("badges_admin_register", default=None)


class ConfirmDespiteWarningsForm(forms.Form):
    decision = forms.BooleanField(
        label=_("I have checked the warnings above and recognise these badges all the same."),
        required=True,
    )
    reason = forms.CharField(
        label=_("Reason for confirming despite the warnings"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Kept with the record: e.g. how the recipient or the issuer was confirmed."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason."))
        return reason


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("Why it is not recognised"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Shown to the staff member in their learning portfolio."),
    )


@admin.register(ExternalBadge)
class ExternalBadgeAdmin(PersonNameSearchMixin, admin.ModelAdmin):
    """HR's queue of badges staff earned elsewhere: check, say what each is worth, confirm."""

    person_field = "holder"

    list_display = [
        "achievement_name",
        "holder",
        "warnings_column",
        "issuer_name",
        "standard",
        "verification_result",
        "status",
        "hours",
        "created_at",
    ]
    list_filter = ["status", "standard", "verification_status"]
    search_fields = [
        "holder__employee_number",
        "holder__family_name",
        "holder__given_name",
        "holder__family_name_kana",
        "holder__given_name_kana",
        "holder__email",
        "achievement_name",
        "issuer_name",
    ]
    list_select_related = ["holder"]
    date_hierarchy = "created_at"
    actions = ["confirm_selected", "reject_selected"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "warnings_display",
                    "holder",
                    "achievement_name",
                    "achievement_description",
                    "skills",
                    "issuer_name",
                )
            },
        ),
        (
            _("Verification"),
            {
                "fields": (
                    "recipient_match",
                    "verification_result",
                    "checked_at",
                    "standard",
                    "issuer_id",
                    "issuer_url",
                    "credential_id",
                    "issued_on",
                    "expires_at",
                    "original",
                )
            },
        ),
        (
            _("HR decision"),
            {
                "fields": (
                    "status",
                    "recognised_as",
                    "hours",
                    "hr_note",
                    "confirmed_by",
                    "confirmed_at",
                    "exceptions_display",
                    "exception_reason",
                )
            },
        ),
        (_("Full verification report"), {"classes": ("collapse",), "fields": ("verification_document",)}),
    )
    readonly_fields = [
        "holder",
        "achievement_name",
        "achievement_description",
        "skills",
        "issuer_name",
        "issuer_id",
        "issuer_url",
        "credential_id",
        "issued_on",
        "expires_at",
        "standard",
        "verification_result",
        "checked_at",
        "original",
        "status",
        "confirmed_by",
        "confirmed_at",
        "verification_document",
        "recipient_match",
        "warnings_display",
        "exceptions_display",
        "exception_reason",
    ]

    @admin.display(description=_("full verification report"))
    def verification_document(self, obj: ExternalBadge) -> str:
        return json_document(obj.verification)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # staff add them from their portfolio, where they are verified

    def _with_register(self, view: Any, *args: Any) -> HttpResponse:
        """Run an admin view with the register read once (every row of the list shows its
        warnings), rendered before the register is let go (a TemplateResponse renders late)."""
        token = _REGISTER.set(trust.load_register())
        try:
            response = view(*args)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response
        finally:
            _REGISTER.reset(token)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return self._with_register(super().changelist_view, request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        return self._with_register(super().change_view, request, object_id, form_url, extra_context)

    def _warnings_html(self, obj: ExternalBadge) -> str:
        codes = (
            selectors.external_badge_warnings(obj, _REGISTER.get())
            if obj.status == ExternalBadge.Status.SUBMITTED
            else []
        )
        if not codes:
            return "—"
        return format_html(
            '<ul class="errorlist">{}</ul>',
            format_html_join("", "<li>{}</li>", ((selectors.EXTERNAL_BADGE_WARNINGS[c],) for c in codes)),
        )

    @admin.display(description=_("warnings"))
    def warnings_column(self, obj: ExternalBadge) -> str:
        return self._warnings_html(obj)

    @admin.display(description=_("to decide before confirming"))
    def warnings_display(self, obj: ExternalBadge) -> str:
        return self._warnings_html(obj)

    @admin.display(description=_("warnings HR confirmed despite"))
    def exceptions_display(self, obj: ExternalBadge) -> str:
        if not obj.exceptions:
            return "—"
        return format_html_join(
            "", "<p>{}</p>", ((selectors.EXTERNAL_BADGE_WARNINGS.get(c, c),) for c in obj.exceptions)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # reject instead: the holder sees why

    @admin.display(description=_("verification"), ordering="verification_status")
    def verification_result(self, obj: ExternalBadge) -> str:
        return f"{verification.STATUS_LABELS.get(obj.verification_status, obj.verification_status)}: " + str(
            verification.message_for(obj.verification_code)
        )

    @admin.display(description=_("original file"))
    def original(self, obj: ExternalBadge) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("badges:portfolio_original", args=[obj.public_id]),
            obj.original_name or obj.get_original_kind_display(),
        )

    @admin.action(description=_("Confirm selected badges (they count in the training record)"), permissions=["change"])
    def confirm_selected(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[ExternalBadge]
    ) -> HttpResponse | None:
        """One click for badges without warnings; a badge issued to someone else or by an issuer
        not in the register needs an explicit decision with a reason, asked for here, the
        warnings shown first."""
        register = trust.load_register()
        badges = list(queryset.select_related("holder"))
        warned = [(b, selectors.external_badge_warnings(b, register)) for b in badges]
        warned = [(b, codes) for b, codes in warned if codes and b.status != ExternalBadge.Status.CONFIRMED]
        form: ConfirmDespiteWarningsForm | None = None
        reason = ""
        if warned:
            form = ConfirmDespiteWarningsForm(request.POST if "apply" in request.POST else None)
            if not form.is_valid():
                return TemplateResponse(
                    request,
                    "admin/badges/externalbadge/confirm.html",
                    {
                        **self.admin_site.each_context(request),
                        "title": _("Confirm badges despite warnings"),
                        "form": form,
                        "warned": [(b, [selectors.EXTERNAL_BADGE_WARNINGS[c] for c in codes]) for b, codes in warned],
                        "badges": badges,
                        "opts": self.model._meta,
                        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                    },
                )
            reason = form.cleaned_data["reason"]
        count = 0
        for badge in badges:
            try:
                count += services.external_badge_confirm(badge=badge, by=request.user, exception_reason=reason)
            except services.ConfirmationNeedsReason:
                # A warning that appeared after the form was shown (the register changed): not
                # confirmed; HR sees it on the next try.
                self.message_user(
                    request, _("%(badge)s was not confirmed: check its warnings.") % {"badge": badge}, messages.WARNING
                )
        self.message_user(
            request,
            ngettext("%(n)d badge confirmed.", "%(n)d badges confirmed.", count) % {"n": count},
            messages.SUCCESS,
        )
        return None

    @admin.action(description=_("Do not recognise selected badges (a note is required)"), permissions=["change"])
    def reject_selected(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[ExternalBadge]
    ) -> HttpResponse | None:
        if "apply" in request.POST:
            form = RejectForm(request.POST)
            if form.is_valid():
                count = sum(
                    services.external_badge_reject(badge=b, by=request.user, note=form.cleaned_data["note"])
                    for b in queryset
                )
                self.message_user(
                    request,
                    ngettext("%(n)d badge not recognised.", "%(n)d badges not recognised.", count) % {"n": count},
                    messages.SUCCESS,
                )
                return None
        else:
            form = RejectForm()
        return TemplateResponse(
            request,
            "admin/badges/externalbadge/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Do not recognise badges"),
                "form": form,
                "badges": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
