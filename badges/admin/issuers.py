"""The issuer (with its signing keys) and badge classes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import BadgeClass, Issuer, SigningKey


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
