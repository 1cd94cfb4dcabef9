"""django-import-export resources: the catalogue (courses, skills) and the university's grade report.

File encodings (UTF-8, UTF-8 with BOM, CP932) are handled by the shared formats in
``staff/formats.py``; the admin classes choose them. One module per file kind (``columns``
holds the Japanese headers and cells they share), all re-exported here.
"""

from __future__ import annotations

from .catalogue import CourseResource, SkillResource, parse_skills
from .columns import ChoiceLabelWidget, JapaneseColumnsResource, JapaneseDateWidget
from .enrolments import EnrolmentExportResource
from .grade_report import (
    COMPLETED_WORDS,
    GRADE_REPORT_ALIASES,
    GRADE_REPORT_COLUMNS,
    NOT_COMPLETED_WORDS,
    REQUIRED_COLUMNS,
    GradeReportResource,
    GradeReportResult,
    GradeRowResult,
)

__all__ = [
    "COMPLETED_WORDS",
    "GRADE_REPORT_ALIASES",
    "GRADE_REPORT_COLUMNS",
    "NOT_COMPLETED_WORDS",
    "REQUIRED_COLUMNS",
    "ChoiceLabelWidget",
    "CourseResource",
    "EnrolmentExportResource",
    "GradeReportResource",
    "GradeReportResult",
    "GradeRowResult",
    "JapaneseColumnsResource",
    "JapaneseDateWidget",
    "SkillResource",
    "parse_skills",
]
