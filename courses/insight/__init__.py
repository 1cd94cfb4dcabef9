"""HR insight (/hr/): people search with the evidence for every match, the skill matrix, the
dashboard aggregates and a person's profile for HR.

One module per job: ``fiscal`` (年度), ``scope`` (who may see whom), ``departments`` (the index a
page shares), ``evidence`` (valid awards, skill alignment), ``search``, ``matrix``,
``dashboard_data``, ``profile_data`` and ``help_texts`` are the reads; ``dashboard_charts`` (the
dashboard's charts, from a table of definitions), ``forms``, ``views`` and ``urls`` are the pages.
This package re-exports the reads, so callers write ``insight.search_plan(...)``.

Every function here costs a fixed number of queries whatever the size of the data (the tests
assert it at two sizes): the page of people is one query, the evidence for that page is one
query per kind of evidence filtered by the page's ids, and aggregates are GROUP BY queries
rolled up in Python over small results (months, departments, skills).

Definitions (also shown as help on the pages and written in docs/benchmarks.md):

* A person **holds skill S at level L** when they completed a course aligned to S at level L
  or higher (``Enrolment.state == "completed"`` and ``CourseSkill.level >= L``), or hold a
  **valid** award whose badge class is the badge of such a course (``Course.badge_class``) or
  of a programme that includes such a course (``Programme.badge_class``).
* An award is **valid** when it is issued (not pending, failed or revoked) and not expired.
* **Valid only** makes valid awards the only evidence: a completion alone no longer counts for
  a skill, a badge criterion needs a valid award, and with no skill or badge chosen the person
  must hold at least one valid badge. Course completions stay facts (they do not expire).
* The **fiscal year** (年度) runs from 1 April to 31 March; FY2026 is 2026-04-01 … 2027-03-31.
* **Subsidy spent** in a fiscal year is the sum of ``Enrolment.city_subsidy`` (the city's share
  as it stood when the person applied) over enrolments that took a seat (approved, completed
  or not completed: the fee is paid either way), counted in the fiscal year in which the
  course starts (a course with no start date: the day applications close, else the day it
  was added to the catalogue).
* People are counted in their **current** department and grade (the skill matrix's date limits
  the evidence, not the organisation chart).
"""

from __future__ import annotations

from .dashboard_data import Dashboard, MonthlySeries, RateRow, WaitlistRow, count_many, dashboard, training_budgets
from .departments import DepartmentIndex, Dept
from .evidence import SkillAlignment, award_is_valid, valid_award_q
from .fiscal import fiscal_year_bounds, fiscal_year_label, fiscal_year_of, month_starts
from .help_texts import HELP_FISCAL_YEAR, HELP_SKILL_HOLDING, HELP_VALID_ONLY
from .matrix import MatrixRow, SkillMatrix, skill_matrix
from .profile_data import HeldSkill, Profile, person_for_profile, profile
from .scope import PURPOSE_EXPORT, PURPOSE_HEAD, PURPOSE_HR, Scope, insight_scope
from .search import EXPORT_MAX_ROWS, PeopleFilters, PersonMatch, SearchPlan, attach_evidence, name_terms, search_plan

__all__ = [
    "EXPORT_MAX_ROWS",
    "HELP_FISCAL_YEAR",
    "HELP_SKILL_HOLDING",
    "HELP_VALID_ONLY",
    "PURPOSE_EXPORT",
    "PURPOSE_HEAD",
    "PURPOSE_HR",
    "Dashboard",
    "DepartmentIndex",
    "Dept",
    "HeldSkill",
    "MatrixRow",
    "MonthlySeries",
    "PeopleFilters",
    "PersonMatch",
    "Profile",
    "RateRow",
    "Scope",
    "SearchPlan",
    "SkillAlignment",
    "SkillMatrix",
    "WaitlistRow",
    "attach_evidence",
    "award_is_valid",
    "count_many",
    "dashboard",
    "fiscal_year_bounds",
    "fiscal_year_label",
    "fiscal_year_of",
    "insight_scope",
    "month_starts",
    "name_terms",
    "person_for_profile",
    "profile",
    "search_plan",
    "skill_matrix",
    "training_budgets",
    "valid_award_q",
]
