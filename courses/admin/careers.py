"""HR's admin for career paths (``courses.careers``): role profiles and the skills they need."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import RoleProfile, RoleProfileSkill


class RoleProfileSkillInline(admin.TabularInline):
    model = RoleProfileSkill
    extra = 2
    fields = ["skill", "level"]


@admin.register(RoleProfile)
class RoleProfileAdmin(admin.ModelAdmin):
    """HR defines the role profiles staff follow on their career-path page (係長・法務担当…)."""

    list_display = ["code", "name", "is_active", "skills_needed", "followers", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en"]
    inlines = [RoleProfileSkillInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(_skills=Count("requirements", distinct=True), _followers=Count("choices", distinct=True))
        )

    @admin.display(description=_("skills needed"), ordering="_skills")
    def skills_needed(self, obj: Any) -> int:
        return obj._skills

    @admin.display(description=_("followers"), ordering="_followers")
    def followers(self, obj: Any) -> int:
        return obj._followers
