"""The record-access log stores each purpose as a code (shown as a label in the reader's language)
instead of free text in two languages. Existing rows get the code of their old text; the reverse
writes the old texts back."""

from __future__ import annotations

from django.db import migrations, models

# The texts written before this migration → their codes.
OLD_TO_CODE = {
    "研修履歴の閲覧": "training_record",
    "外部バッジ原本の閲覧": "external_original",
    "HR people search": "hr_search",
    "所属長による確認": "head_review",
    "export": "export",
}


def to_codes(apps, schema_editor):  # type: ignore[no-untyped-def]
    RecordAccess = apps.get_model("staff", "RecordAccess")
    for old, code in OLD_TO_CODE.items():
        if old != code:
            RecordAccess.objects.filter(purpose=old).update(purpose=code)


def to_texts(apps, schema_editor):  # type: ignore[no-untyped-def]
    RecordAccess = apps.get_model("staff", "RecordAccess")
    for old, code in OLD_TO_CODE.items():
        if old != code:
            RecordAccess.objects.filter(purpose=code).update(purpose=old)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0007_staffmember_email_reminders"),
    ]

    operations = [
        migrations.AlterField(
            model_name="recordaccess",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("training_record", "Viewing a training record"),
                    ("external_original", "Viewing an external badge's original file"),
                    ("hr_search", "HR people search"),
                    ("head_review", "Review by the head of section"),
                    ("export", "Export of a people search"),
                ],
                max_length=200,
                verbose_name="purpose",
            ),
        ),
        migrations.RunPython(to_codes, to_texts),
    ]
