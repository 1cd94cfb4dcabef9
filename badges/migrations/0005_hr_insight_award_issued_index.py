"""An index for the HR insight dashboard (courses/insight.py), on the badges app's Award table.

Badges issued per month are counted as ranges of ``issued_at`` read from this index alone (and
badges by department join its ``recipient_id``). Without it each month is a full scan of the
awards: 2 s instead of 0.2 s for three fiscal years on the 300,000-award data set
(docs/benchmarks.md, "HR insight"). Database-only, so badges/models.py is unchanged: moving it
into ``Award.Meta.indexes`` later needs a state-only migration with the same name.
"""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [("badges", "0004_hr_externalbadge_permissions")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AddIndex(
                    model_name="award",
                    index=models.Index(
                        fields=["issued_at", "recipient"],
                        name="award_issued_idx",
                        condition=Q(status__in=["issued", "revoked"]),
                    ),
                )
            ],
            state_operations=[],
        )
    ]
