"""HR's admin for 昇任選考 points (``courses.promotion``): rule sets, and frozen lists to look at."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import HttpRequest

from ..models import PromotionCategory, PromotionRule, PromotionRuleSet, PromotionSnapshot

# --- 昇任選考 points (courses/promotion.py): HR keeps the rules here; the candidates, freezes and
# exports are at /hr/promotion/. Snapshots are read-only: a frozen list is never edited.


class PromotionCategoryInline(admin.TabularInline):
    model = PromotionCategory
    extra = 2
    fields = ["name", "cap"]


class PromotionRuleInline(admin.TabularInline):
    model = PromotionRule
    extra = 3
    fields = ["category", "badge_class", "skill", "min_level", "points"]
    autocomplete_fields = ["badge_class"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Only the categories of the rule set being edited (saved first, then its rules).
        if db_field.name == "category":
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = PromotionCategory.objects.filter(rule_set_id=unquote(object_id) if object_id else 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(PromotionRuleSet)
class PromotionRuleSetAdmin(admin.ModelAdmin):
    """A selection's rules for one fiscal year: save the categories first, then add the rules."""

    list_display = ["fiscal_year", "selection", "cutoff_on", "is_published", "updated_at"]
    list_filter = ["fiscal_year", "selection", "is_published"]
    inlines = [PromotionCategoryInline, PromotionRuleInline]
    fields = [
        "fiscal_year",
        "selection",
        "cutoff_on",
        "recency_years",
        "min_years_in_grade",
        "promotion_use_only",
        "count_external",
        "external_points",
        "external_category",
        "is_published",
        "note",
    ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "external_category":
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = PromotionCategory.objects.filter(rule_set_id=unquote(object_id) if object_id else 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(PromotionSnapshot)
class PromotionSnapshotAdmin(admin.ModelAdmin):
    list_display = ["rule_set", "frozen_at", "frozen_by", "candidates", "digest"]
    list_filter = ["rule_set__fiscal_year", "rule_set__selection"]
    list_select_related = ["rule_set", "frozen_by"]
    fields = ["rule_set", "frozen_at", "frozen_by", "candidates", "digest"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("content")  # megabytes for a city-wide list

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
