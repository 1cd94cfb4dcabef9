from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0006_enrolmentreminder"),
    ]

    operations = [
        migrations.AddField(
            model_name="skill",
            name="description_en",
            field=models.TextField(blank=True, verbose_name="description (English)"),
        ),
    ]
