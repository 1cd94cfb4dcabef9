"""The enrolments' export (HR's list, in Japanese columns)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from import_export import fields

from ..models import Enrolment, EnrolmentState, UseType
from .columns import ChoiceLabelWidget, JapaneseColumnsResource

# --- Enrolments ---------------------------------------------------------------------------


class EnrolmentExportResource(JapaneseColumnsResource):
    """Every enrolment with the person, department, course, state and cost split (export only)."""

    COLUMNS = {
        "id": "申込番号",
        "employee_number": "職員番号",
        "staff_name": "氏名",
        "department_code": "所属コード",
        "department": "所属",
        "course_code": "講座コード",
        "course_title": "講座名",
        "use_type": "活用区分",
        "state": "状態",
        "requested_at": "申請日時",
        "recommended_at": "推薦日時",
        "decided_at": "決定日時",
        "cost": "受講料（円）",
        "city_subsidy": "市の補助（円）",
        "staff_share": "本人負担（円）",
        "grade": "成績",
        "result_note": "結果の備考",
        "completed_on": "修了日",
    }

    employee_number = fields.Field(attribute="staff__employee_number", column_name="employee_number")
    staff_name = fields.Field(attribute="staff__full_name", column_name="staff_name")
    department_code = fields.Field(attribute="staff__department__code", column_name="department_code")
    department = fields.Field(attribute="staff__department__name", column_name="department")
    course_code = fields.Field(attribute="course__code", column_name="course_code")
    course_title = fields.Field(attribute="course__title", column_name="course_title")

    class Meta:
        model = Enrolment
        fields = (
            "id",
            "employee_number",
            "staff_name",
            "department_code",
            "department",
            "course_code",
            "course_title",
            "use_type",
            "state",
            "requested_at",
            "recommended_at",
            "decided_at",
            "cost",
            "city_subsidy",
            "staff_share",
            "grade",
            "result_note",
            "completed_on",
        )
        export_order = fields

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fields["use_type"].widget = ChoiceLabelWidget(UseType)
        self.fields["state"].widget = ChoiceLabelWidget(EnrolmentState)

    @classmethod
    def get_display_name(cls) -> str:
        return _("Enrolments (full export)")

    def get_queryset(self) -> QuerySet[Enrolment]:
        return Enrolment.objects.select_related("staff", "staff__department", "course")
