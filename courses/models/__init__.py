"""The course catalogue (providers, skills, courses, programmes) and enrolments with their history.

Workflows live in ``courses.services``; these modules hold fields, constraints and the state
machine's table of allowed transitions (an invariant of the data, not a workflow). One module
per part, every model re-exported here (Django finds them through this package):

* ``states``: enrolment states, allowed transitions and the groups of states;
* ``catalogue``: providers, skills, courses, course skills, programmes, ``CodedEntry``;
* ``enrolments``: enrolments, their history and reminders;
* ``derived``: tables kept by the services (skill holdings and spans, award uses, learning years);
* ``careers``: role profiles, the skills they need and the profiles staff choose;
* ``promotion``: 昇任選考 rule sets, categories, rules and frozen lists.
"""

from __future__ import annotations

from .careers import RoleProfile, RoleProfileChoice, RoleProfileSkill
from .catalogue import (
    CodedEntry,
    Course,
    CourseQuerySet,
    CourseSkill,
    Delivery,
    Programme,
    Provider,
    ProviderKind,
    Skill,
    SkillLevel,
    UseType,
    _in_english,
    _localised,
    code_validator,
    term_label,
)
from .derived import AwardUse, LearningYear, SkillBadgeSpan, SkillHolding
from .enrolments import Enrolment, EnrolmentEvent, EnrolmentQuerySet, EnrolmentReminder
from .promotion import (
    SELECTION_SAT_BY,
    PromotionCategory,
    PromotionRule,
    PromotionRuleSet,
    PromotionSnapshot,
    Selection,
)
from .states import CLOSED_STATES, PENDING_STATES, SEAT_STATES, TRANSITIONS, WAITLIST_ORDER, EnrolmentState, S

__all__ = [
    "CLOSED_STATES",
    "PENDING_STATES",
    "SEAT_STATES",
    "SELECTION_SAT_BY",
    "TRANSITIONS",
    "WAITLIST_ORDER",
    "AwardUse",
    "CodedEntry",
    "Course",
    "CourseQuerySet",
    "CourseSkill",
    "Delivery",
    "Enrolment",
    "EnrolmentEvent",
    "EnrolmentQuerySet",
    "EnrolmentReminder",
    "EnrolmentState",
    "LearningYear",
    "Programme",
    "PromotionCategory",
    "PromotionRule",
    "PromotionRuleSet",
    "PromotionSnapshot",
    "Provider",
    "ProviderKind",
    "RoleProfile",
    "RoleProfileChoice",
    "RoleProfileSkill",
    "S",
    "Selection",
    "Skill",
    "SkillBadgeSpan",
    "SkillHolding",
    "SkillLevel",
    "UseType",
    "_in_english",
    "_localised",
    "code_validator",
    "term_label",
]
