"""昇任選考 (promotion selection) points: who may sit a selection, their points and the evidence
behind every point, a frozen snapshot for the selection committee, and what a person could add.

Definitions (also in docs/architecture.md, "Promotion selection points"):

* **Candidates** of a rule set: active regular staff (not 会計年度任用職員) whose current grade is
  the one that sits the selection (主事 → 主任選考, 主任 → 係長選考, 係長 → 課長補佐選考) and
  who have held it for at least ``min_years_in_grade`` years at the cutoff date. **In grade
  since** is read from the assignment history (``staff.Assignment``): the first day of the
  person's latest unbroken run of assignments at their current grade that began by the cutoff.
  A person with no assignment at that grade has no known date: they are a candidate only when
  the rule set asks for no minimum.
* A **badge counts** when it is issued and not revoked now, was issued no later than the end of
  the cutoff day and no earlier than ``recency_years`` before the cutoff date, does not expire
  before the end of the cutoff day, and (when ``promotion_use_only``) was issued for a request
  of the 昇任選考活用型 (``AwardUse.kind``; programme badges have no single request and do not
  count then). A confirmed external badge counts (when ``count_external``) under the same dates
  (its issue date and expiry).
* A badge matches a rule for its badge class, or a rule for a skill at a level when the badge's
  course (or a course of the badge's programme) is aligned to that skill at that level or
  higher. A badge matching several rules counts **once**, for the rule giving the most points.
* Points add up per **category**; a category's total is cut to its cap. The total is the sum of
  the categories.

Every function costs a fixed number of queries whatever the number of candidates (the tests
assert it at two sizes): the rules (three queries), the candidates with their points (two
GROUP BY statements), and the page's people and evidence (three queries). The candidates page
asks for one page only (:func:`standings_page`: the ranking, the caps and the count in one
statement, the page's people returned); the exports and the freeze use :func:`standings`.

Modules: ``rules`` (a rule set loaded once), ``evaluation`` (candidates, points, one ranked page,
evidence), ``snapshot`` (rows, the whole list as data, digest, freeze), ``mine`` (a staff member's
own view). Callers import from the package (``from courses import promotion``).
"""

from __future__ import annotations

from .evaluation import Evidence, Standing, evidence, standings, standings_page
from .mine import HELP_POINTS, CourseOffer, MyStanding, courses_adding_points, my_standing, selections_for
from .rules import EXTERNAL_CATEGORY, Category, Match, Rules, rules_load, years_before
from .snapshot import (
    CandidateRow,
    candidate_rows,
    canonical,
    content_build,
    digest,
    snapshot_freeze,
    years_between,
)

__all__ = [
    "EXTERNAL_CATEGORY",
    "HELP_POINTS",
    "CandidateRow",
    "Category",
    "CourseOffer",
    "Evidence",
    "Match",
    "MyStanding",
    "Rules",
    "Standing",
    "candidate_rows",
    "canonical",
    "content_build",
    "courses_adding_points",
    "digest",
    "evidence",
    "my_standing",
    "rules_load",
    "selections_for",
    "snapshot_freeze",
    "standings",
    "standings_page",
    "years_before",
    "years_between",
]
