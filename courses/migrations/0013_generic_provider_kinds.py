"""Any municipality's portal (issue 17 §2): the labels of the partner university's provider kinds
and the course code's example name no university. Labels only: the stored codes
(``chuo_correspondence``, ``chuo_open_lecture``) are kept, so no row changes."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0012_promotion_speed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="course",
            name="code",
            field=models.CharField(
                help_text="Used in addresses and imports, e.g. LAW-2026-KENPO.",
                max_length=40,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Z0-9][A-Z0-9_-]*$", "Use capital letters, digits, hyphens and underscores only."
                    )
                ],
                verbose_name="course code",
            ),
        ),
        migrations.AlterField(
            model_name="provider",
            name="kind",
            field=models.CharField(
                choices=[
                    ("chuo_correspondence", "Partner university correspondence course (通信教育課程)"),
                    ("chuo_open_lecture", "Partner university open lecture (公開講座)"),
                    ("city", "City training (職員研修)"),
                    ("elearning", "E-learning"),
                    ("university", "Other university"),
                ],
                max_length=30,
                verbose_name="kind",
            ),
        ),
    ]
