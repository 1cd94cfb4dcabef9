"""HR's admin for the catalogue and for enrolments (decisions, completion, grade reports).

One module per part; importing this package registers every model admin, in this order:
``catalogue`` (providers, skills, courses, programmes), ``enrolments`` (with the filters,
history inline and decisions of ``enrolment_parts``), ``careers`` (role profiles) and
``promotion`` (昇任選考 rule sets and frozen lists). ``common`` holds what they share.
"""

from __future__ import annotations

# isort: off
# In the order of registration (catalogue, enrolments, careers, promotion), as before the split.
from .common import FILE_FORMATS, JapanDateExportMixin, log_admin_change
from .catalogue import CourseAdmin, CourseSkillInline, ProgrammeAdmin, ProviderAdmin, SkillAdmin
from .enrolment_parts import CourseFilter, Decision, DepartmentFilter, EnrolmentEventInline, StateFilter
from .enrolments import EnrolmentAdmin
from .careers import RoleProfileAdmin, RoleProfileSkillInline
from .promotion import PromotionCategoryInline, PromotionRuleInline, PromotionRuleSetAdmin, PromotionSnapshotAdmin

# isort: on

__all__ = [
    "FILE_FORMATS",
    "CourseAdmin",
    "CourseFilter",
    "CourseSkillInline",
    "Decision",
    "DepartmentFilter",
    "EnrolmentAdmin",
    "EnrolmentEventInline",
    "JapanDateExportMixin",
    "ProgrammeAdmin",
    "PromotionCategoryInline",
    "PromotionRuleInline",
    "PromotionRuleSetAdmin",
    "PromotionSnapshotAdmin",
    "ProviderAdmin",
    "RoleProfileAdmin",
    "RoleProfileSkillInline",
    "SkillAdmin",
    "StateFilter",
    "log_admin_change",
]
