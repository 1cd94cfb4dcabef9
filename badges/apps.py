from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = _("Open Badges")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import checks  # noqa: F401 - registers the system checks
        from .models import BadgeClass, Issuer, TrustedIssuer, TrustedIssuerIdentifier
        from .publisher import on_badge_class_or_issuer_saved, on_register_changed

        # The published public tree (badges/publisher.py): an edited badge class or issuer.
        for model in (BadgeClass, Issuer):
            post_save.connect(on_badge_class_or_issuer_saved, sender=model, dispatch_uid=f"publish-{model.__name__}")
        # ... and the register of trusted issuers, which the public verify deployment reads from it.
        for register_model in (TrustedIssuer, TrustedIssuerIdentifier):
            for signal in (post_save, post_delete):
                signal.connect(
                    on_register_changed, sender=register_model, dispatch_uid=f"publish-{register_model.__name__}"
                )
