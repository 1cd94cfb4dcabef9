"""Awards: the list, each award's documents, and revocation with a reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from staff.http import AuthenticatedHttpRequest

from .. import services
from ..models import Award
from .common import PersonNameSearchMixin, json_document


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
class AwardAdmin(PersonNameSearchMixin, admin.ModelAdmin):
    list_display = ["badge_class", "recipient", "status", "issued_at", "expires_at", "attempts", "thumbnail"]
    list_filter = [StatusFilter, "issuer", "badge_class", "visibility"]
    # Each word of the search must match one of these (Django's admin search); full names without
    # a space, and kana typed in hiragana or half-width, are matched in get_search_results.
    search_fields = [
        "recipient__employee_number",
        "recipient__family_name",
        "recipient__given_name",
        "recipient__family_name_kana",
        "recipient__given_name_kana",
        "recipient__email",
        "source_key",
        "badge_class__name",
        "badge_class__name_en",
        "badge_class__courses__title",
        "badge_class__courses__code",
    ]
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
        "credential_document",
        "assertion_document",
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
                "fields": (
                    "salt",
                    "recipient_identity",
                    "status_list_index",
                    "signing_key",
                    "assertion_document",
                    "credential_document",
                ),
            },
        ),
    )

    # What a signed badge says: it cannot change once signed (revoke and re-issue instead).
    SIGNED_CONTENT = ("recipient", "badge_class", "achieved_on", "evidence")

    @admin.display(description=_("Open Badges 2.0 assertion (hosted)"))
    def assertion_document(self, obj: Award) -> str:
        return json_document(obj.assertion)

    @admin.display(description=_("Open Badges 3.0 credential (signed)"))
    def credential_document(self, obj: Award) -> str:
        return json_document(obj.credential)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # awards come from completions (courses) only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the public record must stay true

    @staticmethod
    def _is_signed(obj: Award | None) -> bool:
        return obj is not None and (obj.is_public or obj.credential is not None)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if self._is_signed(obj):
            fields += [f for f in self.SIGNED_CONTENT if f not in fields]
        return fields

    def save_model(self, request: HttpRequest, obj: Award, form: Any, change: bool) -> None:
        # Never ``obj.save()``: that would write back every column as read before the form,
        # over whatever the worker signed meanwhile. Only an unsigned award is corrected, and
        # only if it is still unsigned when the update runs.
        if self._is_signed(Award.objects.get(pk=obj.pk)):
            if any(f in form.changed_data for f in self.SIGNED_CONTENT):
                raise PermissionDenied("a signed badge cannot be edited: revoke and re-issue it")
            return
        corrected = services.award_correct_pending(
            award=obj,
            recipient=form.cleaned_data.get("recipient", obj.recipient),
            badge_class=form.cleaned_data.get("badge_class", obj.badge_class),
            achieved_on=form.cleaned_data.get("achieved_on", obj.achieved_on),
            evidence=form.cleaned_data.get("evidence", obj.evidence),
            by=request.user,  # type: ignore[arg-type]
        )
        if not corrected:
            messages.error(
                request, _("The badge was signed in the meantime and was not changed: revoke and re-issue it.")
            )

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return super().log_change(request, obj, message) if message else None

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
    def revoke_selected(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Award]) -> HttpResponse | None:
        asked = self._ask_reason(request, queryset, "revoke_selected", str(_("Revoke badges")))
        if asked is not None:
            return asked
        reason = request.POST["reason"]
        count = sum(services.award_revoke(award=a, reason=reason, by=request.user) for a in queryset)
        self.message_user(
            request, ngettext("%(n)d badge revoked.", "%(n)d badges revoked.", count) % {"n": count}, messages.SUCCESS
        )
        return None

    @admin.action(description=_("Re-issue selected badges after a correction"), permissions=["change"])
    def reissue_selected(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Award]) -> HttpResponse | None:
        asked = self._ask_reason(request, queryset, "reissue_selected", str(_("Re-issue badges")))
        if asked is not None:
            return asked
        done = 0
        for award in queryset.filter(is_current=True):
            services.award_reissue(award=award, reason=request.POST["reason"], by=request.user)
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
