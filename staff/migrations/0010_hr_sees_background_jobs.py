from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations


def hr_sees_jobs(apps, schema_editor):  # type: ignore[no-untyped-def]
    # HR follows its own long operations (the job pages): the hr group may view the jobs.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    hr, _ = Group.objects.get_or_create(name="hr")
    hr.permissions.add(Permission.objects.get(content_type__app_label="staff", codename="view_backgroundjob"))


class Migration(migrations.Migration):
    dependencies = [("staff", "0009_background_jobs")]

    operations = [migrations.RunPython(hr_sees_jobs, migrations.RunPython.noop)]
