from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):  # type: ignore[no-untyped-def]
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    hr, _ = Group.objects.get_or_create(name="hr")
    hr.permissions.add(Permission.objects.get(content_type__app_label="staff", codename="view_recordaccess"))


class Migration(migrations.Migration):
    dependencies = [("staff", "0003_recordaccess")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
