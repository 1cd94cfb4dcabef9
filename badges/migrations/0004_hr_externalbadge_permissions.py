"""HR (人事課) reads the external badges staff add to their portfolio, and confirms or rejects them."""

from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

HR_PERMISSIONS = {"externalbadge": ("view", "change")}


def grant(apps, schema_editor):  # type: ignore[no-untyped-def]
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    hr, _ = Group.objects.get_or_create(name="hr")
    for model, actions in HR_PERMISSIONS.items():
        for action in actions:
            hr.permissions.add(Permission.objects.get(content_type__app_label="badges", codename=f"{action}_{model}"))


class Migration(migrations.Migration):
    dependencies = [
        ("badges", "0003_externalbadge_renewal_url_reminded_at"),
        ("staff", "0002_create_roles"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
