"""Help texts shown on the HR insight pages (the definitions of the package docstring)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

HELP_SKILL_HOLDING = gettext_lazy(
    "A person holds a skill at a level when they completed a course aligned to that skill at that level "
    "or higher, or hold a valid badge (issued, not revoked, not expired) of such a course or of a "
    "programme that includes one."
)
HELP_VALID_ONLY = gettext_lazy(
    "Only valid badges count as evidence: a completion alone is not enough for a skill, and with no "
    "skill or badge chosen the person must hold at least one valid badge."
)
HELP_FISCAL_YEAR = gettext_lazy(
    "Fiscal years run from April to March. Subsidy spent is the city's share of enrolments that took a "
    "seat (approved, completed or not completed), counted in the fiscal year in which the course starts."
)
