"""The 昇任選考 candidates page: an index on AwardUse by kind and recipient, carrying the award's
id, so the badges requested for promotion selection (昇任選考活用型) of the people at a grade are
read from the index alone (courses/promotion/evaluation.py, ``_counted_awards_sql``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0011_learning_years"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="awarduse",
            index=models.Index(fields=["kind", "recipient"], include=["award"], name="award_use_kind_idx"),
        ),
    ]
