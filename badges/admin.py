from __future__ import annotations

import json
import unicodedata
from contextvars import ContextVar
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.functions import Concat
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from staff.http import AuthenticatedHttpRequest

from . import selectors, services, trust
from .models import Award, BadgeClass, ExternalBadge, Issuer, SigningKey, TrustedIssuer, TrustedIssuerIdentifier
from .public import verification

# The register of trusted issuers as read for the admin request being rendered (see
# ``ExternalBadgeAdmin._with_register``); a context variable, so threads never share one.
_REGISTER: ContextVar[trust.Register | None] = ContextVar("badges_admin_register", default=None)


class SigningKeyInline(admin.TabularInline):
    model = SigningKey
    extra = 0
    can_delete = False
    fields = ["public_key_multibase", "created_at", "is_active", "retired_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # keys are created by `manage.py badges_keygen`, from the key file


def json_document(value: Any) -> str:
    """A signed or machine-written JSON document, shown as it is: its keys are the standard's
    identifiers (English by definition, like code), so the block is marked ``lang="en"`` and
    ``translate="no"`` for screen readers and translation tools; HR reads the Japanese fields
    above it."""
    if not value:
        return "—"
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)
    return format_html('<pre class="json-document" lang="en" translate="no">{}</pre>', text)


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


def _katakana(text: str) -> str:
    """Half-width kana as full-width (NFKC) and hiragana as katakana: staff kana are stored in katakana."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


class PersonNameSearchMixin:
    """The admin search as HR types a person's name: Django's word-by-word search over
    ``search_fields``, or the whole name: 「山田花子」 and 「ヤマダハナコ」 as well as 「山田 花子」,
    kana in hiragana (やまだ) or half-width (ﾔﾏﾀﾞ) as the katakana stored. ``person_field`` names
    the foreign key to the staff member (the award's recipient, the external badge's holder)."""

    person_field = "recipient"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        term = search_term.strip()
        if not term:
            return results, may_have_duplicates
        kana = _katakana(term)
        compact, compact_kana = "".join(term.split()), "".join(kana.split())
        person = self.person_field
        named = queryset.annotate(
            _search_name=Concat(f"{person}__family_name", f"{person}__given_name"),
            _search_kana=Concat(f"{person}__family_name_kana", f"{person}__given_name_kana"),
        ).filter(Q(_search_name__icontains=compact) | Q(_search_kana__icontains=compact_kana))
        matched = Q(pk__in=results.values("pk")) | Q(pk__in=named.values("pk"))
        if kana != term:
            by_kana, _dup = super().get_search_results(request, queryset, kana)  # type: ignore[misc]
            matched |= Q(pk__in=by_kana.values("pk"))
        # Subqueries of primary keys: the outer query has no join that could repeat a row.
        return queryset.filter(matched), False


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


# The Open Badges 3.0 API's admin (HR's switch, registered applications): badges/obapi/admin.py.
from .obapi import admin as _obapi_admin  # noqa: E402, F401
