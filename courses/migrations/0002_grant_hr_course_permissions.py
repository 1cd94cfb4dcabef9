"""Give the hr role (人事課 研修担当) what it needs on the catalogue and on enrolments.

No add/delete on enrolments: they come from staff requests and change through decisions only.
"""

from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

HR_PERMISSIONS = {
    "provider": ("view", "add", "change", "delete"),
    "skill": ("view", "add", "change", "delete", "import", "export"),
    "course": ("view", "add", "change", "delete", "import", "export"),
    "courseskill": ("view", "add", "change", "delete"),
    "programme": ("view", "add", "change", "delete"),
    "enrolment": ("view", "change", "import", "export"),
    "enrolmentevent": ("view",),
}


def grant(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Permissions are normally created after all migrations ran; make them now.
    app_config = apps.get_app_config("courses")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    hr, _created = Group.objects.get_or_create(name="hr")
    for model, actions in HR_PERMISSIONS.items():
        for action in actions:
            hr.permissions.add(Permission.objects.get(content_type__app_label="courses", codename=f"{action}_{model}"))


def revoke(apps, schema_editor):  # type: ignore[no-untyped-def]
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    hr = Group.objects.filter(name="hr").first()
    if hr is not None:
        hr.permissions.remove(*Permission.objects.filter(content_type__app_label="courses"))


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0001_catalogue_enrolments_and_history"),
        ("staff", "0002_create_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
