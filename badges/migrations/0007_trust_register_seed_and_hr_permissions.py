"""The register of trusted issuers starts with this portal in it; HR keeps the register.

1. This portal's own entry (``is_this_portal``). Its identifiers are not stored: they are derived
   at run time from the Issuer and SigningKey tables and the settings (did:web domain, public
   origin), which do not exist yet when migrations run (keys are made by ``badges_keygen``
   afterwards), and which change when a key is rotated. The verifier treats this portal's
   issuers as registered by those same records. The name is the default issuer's if there is
   one, the configured organisation's otherwise (settings ``PORTAL_ORGANISATION_NAME``,
   ``PORTAL_ISSUER_URL``).
2. HR adds, changes and views entries; it adds, changes and removes their identifiers (a
   mistyped identifier). Deleting an entry is for the administrator: trust ends with a date.
3. External badges added before this migration: ``recipient_match`` from their stored report.

Each step is idempotent (tests/conftest.py runs them again after a flush).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

HR_PERMISSIONS = {
    "trustedissuer": ("add", "change", "view"),
    "trustedissueridentifier": ("add", "change", "delete", "view"),
}


def seed_this_portal(apps, schema_editor):  # type: ignore[no-untyped-def]
    TrustedIssuer = apps.get_model("badges", "TrustedIssuer")
    Issuer = apps.get_model("badges", "Issuer")
    if TrustedIssuer.objects.filter(is_this_portal=True).exists():
        return
    issuer = Issuer.objects.filter(is_default=True).first()
    TrustedIssuer.objects.create(
        is_this_portal=True,
        name=issuer.name if issuer else settings.PORTAL_ORGANISATION_NAME,
        name_en=issuer.name_en if issuer else settings.PORTAL_ORGANISATION_NAME_EN,
        kind="city",
        url=issuer.url if issuer else settings.PORTAL_ISSUER_URL,
        valid_from=dt.date(2000, 1, 1),
        reason="この職員学習ポータル自身の発行者（Issuer と署名鍵から自動で決まります）。",
    )


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


def backfill_recipient_match(apps, schema_editor):  # type: ignore[no-untyped-def]
    ExternalBadge = apps.get_model("badges", "ExternalBadge")
    for badge in ExternalBadge.objects.filter(recipient_match__isnull=True).only("pk", "verification").iterator():
        match = (badge.verification or {}).get("recipient_match")
        if isinstance(match, bool):
            ExternalBadge.objects.filter(pk=badge.pk).update(recipient_match=match)


class Migration(migrations.Migration):
    dependencies = [
        ("badges", "0006_trusted_issuer_register"),
        ("staff", "0002_create_roles"),
    ]

    operations = [
        migrations.RunPython(seed_this_portal, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(backfill_recipient_match, migrations.RunPython.noop),
    ]
