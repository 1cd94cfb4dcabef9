from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services, verification
from .models import Award, BadgeClass, ExternalBadge, Issuer, SigningKey


class SigningKeyInline(admin.TabularInline):
    model = SigningKey
    extra = 0
    can_delete = False
    fields = ["public_key_multibase", "created_at", "is_active", "retired_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # keys are created by `manage.py badges_keygen`, from the key file


@admin.register(Issuer)
class IssuerAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "email", "is_default"]
    readonly_fields = ["public_id", "created_at"]
    inlines = [SigningKeyInline]


@admin.register(BadgeClass)
class BadgeClassAdmin(admin.ModelAdmin):
    list_display = ["name", "issuer", "design", "validity_days", "is_active", "image_preview"]
    list_filter = ["issuer", "design", "is_active"]
    search_fields = ["name", "name_en", "description"]
    list_select_related = ["issuer"]
    readonly_fields = ["public_id", "created_at", "image_preview"]

    @admin.display(description=_("image"))
    def image_preview(self, obj: BadgeClass) -> str:
        if not obj.pk:
            return "—"
        url = reverse("public:badge_class_image", args=[obj.public_id])
        return format_html('<img src="{}" alt="" width="64" height="64">', url)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("Shown to the holder and to anyone who verifies the badge."),
    )


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Award.Status.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Award]) -> QuerySet[Award]:
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = ["badge_class", "recipient", "status", "issued_at", "expires_at", "attempts", "thumbnail"]
    list_filter = [StatusFilter, "issuer", "badge_class", "visibility"]
    search_fields = ["recipient__employee_number", "recipient__family_name", "recipient__email", "source_key"]
    list_select_related = ["badge_class", "recipient"]
    raw_id_fields = ["recipient", "badge_class"]
    date_hierarchy = "requested_at"
    actions = ["revoke_selected", "reissue_selected", "requeue_selected"]
    readonly_fields = [
        "public_id",
        "issuer",
        "source_key",
        "status",
        "requested_at",
        "queued_at",
        "issued_at",
        "expires_at",
        "attempts",
        "failure_reason",
        "salt",
        "recipient_identity",
        "status_list_index",
        "signing_key",
        "credential",
        "assertion",
        "baked_image",
        "notified_at",
        "reminded_at",
        "revoked_at",
        "revocation_reason",
        "is_current",
        "supersedes",
        "visibility",
        "share_token",
        "image_large",
    ]
    fieldsets = (
        (
            None,
            {"fields": ("public_id", "recipient", "badge_class", "issuer", "source_key", "achieved_on", "evidence")},
        ),
        (
            _("Issuing"),
            {
                "fields": (
                    "status",
                    "requested_at",
                    "queued_at",
                    "issued_at",
                    "expires_at",
                    "attempts",
                    "failure_reason",
                    "image_large",
                    "baked_image",
                    "notified_at",
                    "reminded_at",
                )
            },
        ),
        (_("Revocation and re-issue"), {"fields": ("revoked_at", "revocation_reason", "is_current", "supersedes")}),
        (_("Sharing"), {"fields": ("visibility", "share_token")}),
        (
            _("Signed documents"),
            {
                "classes": ("collapse",),
                "fields": ("salt", "recipient_identity", "status_list_index", "signing_key", "assertion", "credential"),
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # awards come from completions (courses) only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the public record must stay true

    @admin.display(description=_("image"))
    def thumbnail(self, obj: Award) -> str:
        if not obj.baked_image:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="48" height="48">', reverse("public:award_image", args=[obj.public_id])
        )

    @admin.display(description=_("baked image"))
    def image_large(self, obj: Award) -> str:
        if not obj.baked_image:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="200" height="200">', reverse("public:award_image", args=[obj.public_id])
        )

    def _ask_reason(
        self, request: HttpRequest, queryset: QuerySet[Award], action: str, title: str
    ) -> HttpResponse | None:
        if "apply" in request.POST:
            form = RevokeForm(request.POST)
            if form.is_valid():
                return None
        else:
            form = RevokeForm()
        return TemplateResponse(
            request,
            "admin/badges/award/reason.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "form": form,
                "awards": queryset,
                "action": action,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("Revoke selected badges (a reason is required)"), permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Award]) -> HttpResponse | None:
        asked = self._ask_reason(request, queryset, "revoke_selected", str(_("Revoke badges")))
        if asked is not None:
            return asked
        reason = request.POST["reason"]
        count = sum(services.award_revoke(award=a, reason=reason, by=request.user) for a in queryset)  # type: ignore[arg-type]
        self.message_user(
            request, ngettext("%(n)d badge revoked.", "%(n)d badges revoked.", count) % {"n": count}, messages.SUCCESS
        )
        return None

    @admin.action(description=_("Re-issue selected badges after a correction"), permissions=["change"])
    def reissue_selected(self, request: HttpRequest, queryset: QuerySet[Award]) -> HttpResponse | None:
        asked = self._ask_reason(request, queryset, "reissue_selected", str(_("Re-issue badges")))
        if asked is not None:
            return asked
        done = 0
        for award in queryset.filter(is_current=True):
            services.award_reissue(award=award, reason=request.POST["reason"], by=request.user)  # type: ignore[arg-type]
            done += 1
        self.message_user(
            request,
            ngettext("%(n)d badge re-issued.", "%(n)d badges re-issued.", done) % {"n": done},
            messages.SUCCESS,
        )
        return None

    @admin.action(description=_("Try issuing failed badges again"), permissions=["change"])
    def requeue_selected(self, request: HttpRequest, queryset: QuerySet[Award]) -> None:
        count = sum(services.award_requeue(award=a) for a in queryset.filter(status=Award.Status.FAILED))
        self.message_user(
            request, ngettext("%(n)d badge queued again.", "%(n)d badges queued again.", count) % {"n": count}
        )


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("Why it is not recognised"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Shown to the staff member in their learning portfolio."),
    )


@admin.register(ExternalBadge)
class ExternalBadgeAdmin(admin.ModelAdmin):
    """HR's queue of badges staff earned elsewhere: check, say what each is worth, confirm."""

    list_display = [
        "achievement_name",
        "holder",
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
        "achievement_name",
        "issuer_name",
    ]
    list_select_related = ["holder"]
    date_hierarchy = "created_at"
    actions = ["confirm_selected", "reject_selected"]
    fieldsets = (
        (None, {"fields": ("holder", "achievement_name", "achievement_description", "skills", "issuer_name")}),
        (
            _("Verification"),
            {
                "fields": (
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
        (_("HR decision"), {"fields": ("status", "recognised_as", "hours", "hr_note", "confirmed_by", "confirmed_at")}),
        (_("Full verification report"), {"classes": ("collapse",), "fields": ("verification",)}),
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
        "verification",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # staff add them from their portfolio, where they are verified

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
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[ExternalBadge]) -> None:
        count = sum(services.external_badge_confirm(badge=b, by=request.user) for b in queryset)  # type: ignore[arg-type]
        self.message_user(
            request,
            ngettext("%(n)d badge confirmed.", "%(n)d badges confirmed.", count) % {"n": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Do not recognise selected badges (a note is required)"), permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[ExternalBadge]) -> HttpResponse | None:
        if "apply" in request.POST:
            form = RejectForm(request.POST)
            if form.is_valid():
                count = sum(
                    services.external_badge_reject(badge=b, by=request.user, note=form.cleaned_data["note"])  # type: ignore[arg-type]
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
