"""Indexes for HR insight (courses/insight.py): each lets one query read an index alone.

Database-only (``SeparateDatabaseAndState`` with no state operations), because the models belong
to the courses engineer: moving these into ``Enrolment.Meta.indexes`` later needs a state-only
migration with the same names. Measured on the 600,000-enrolment data set in docs/benchmarks.md.
"""

from django.db import migrations, models
from django.db.models import Q

INDEXES = [
    # Dashboard: requests per use type and month (a COUNT of each requested_at range, read from
    # the index alone; use type first, so each entry is read once).
    models.Index(fields=["use_type", "requested_at"], name="enrolment_requested_idx"),
    # Dashboard completions per use type and month; the skill matrix's completions (staff and
    # course of every completion up to a date).
    models.Index(
        fields=["use_type", "completed_on", "staff", "course"],
        name="enrolment_completed_idx",
        condition=Q(state="completed"),
    ),
    # Dashboard per-course totals (rates, waiting lists, subsidy); people search "completed
    # one of these courses" (course, state → staff).
    models.Index(fields=["course", "state", "staff", "city_subsidy"], name="enrolment_course_totals_idx"),
]


class Migration(migrations.Migration):
    dependencies = [("courses", "0002_grant_hr_course_permissions")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AddIndex(model_name="enrolment", index=index) for index in INDEXES],
            state_operations=[],
        )
    ]
