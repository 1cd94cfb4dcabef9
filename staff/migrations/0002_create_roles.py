"""Create the portal's roles as groups, with the permissions HR needs on the staff directory.

Later apps grant their own permissions to these groups in their own migrations.
"""

from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("staff", "section_head", "hr")
HR_PERMISSIONS = {
    "staffmember": ("view", "add", "change", "import", "export"),
    "department": ("view", "add", "change", "import", "export"),
    "assignment": ("view", "add", "change"),
}


def create_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Permissions are normally created after all migrations ran; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    hr = Group.objects.get(name="hr")
    for model, actions in HR_PERMISSIONS.items():
        for action in actions:
            hr.permissions.add(Permission.objects.get(content_type__app_label="staff", codename=f"{action}_{model}"))


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_staffmember_department_assignment"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
