from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import Assignment, Department, StaffMember


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


@admin.register(StaffMember)
class StaffMemberAdmin(UserAdmin):
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
