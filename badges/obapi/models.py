"""Models of the Open Badges 3.0 API (imported by badges/models.py, app label ``badges``).

The OAuth 2.0 rows themselves (applications, grants, tokens) are django-oauth-toolkit's. These
add what the OB 3.0 API and the holder's page need around them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings


class ObApiSwitch(models.Model):
    """HR's switch for the whole Open Badges API (one row; no row: on).

    Off: discovery, registration, the consent page, the token endpoint and the API answer 503
    with a clear message; the holder's page says so. Connections and tokens are kept, so turning
    it back on resumes them (a holder who wants an application gone disconnects it).
    """

    enabled = models.BooleanField(
        _("Open Badges API is on"),
        default=True,
        help_text=_("Off: other platforms cannot connect or read anyone's badges until it is on again."),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("Open Badges API switch")
        verbose_name_plural = _("Open Badges API switch")

    def __str__(self) -> str:
        return str(_("On") if self.enabled else _("Off"))


class ObApiClient(models.Model):
    """What an application said about itself when it registered (RFC 7591), beside the
    toolkit's Application: its home page, the scopes it may ask for, who to contact."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="obapi_client",
    )
    client_uri = models.URLField(_("application website"), max_length=500)
    policy_uri = models.URLField(_("privacy policy"), max_length=500, blank=True)
    tos_uri = models.URLField(_("terms of service"), max_length=500, blank=True)
    scopes = models.JSONField(_("scopes it may ask for"), default=list)
    contacts = models.JSONField(_("contacts"), default=list, blank=True)
    software_id = models.CharField(_("software id"), max_length=200, blank=True)
    software_version = models.CharField(_("software version"), max_length=100, blank=True)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("Open Badges API client")
        verbose_name_plural = _("Open Badges API clients")

    def __str__(self) -> str:
        return f"{self.application.name} ({self.client_uri})"


class ObApiConnection(models.Model):
    """A holder connected an application: what they allowed, when, and when it last read.

    Made (or renewed) when the holder allows access on the consent page; ``disconnected_at`` is
    set when the holder disconnects it (every token of the application for the holder is
    deleted then). ``last_used_at`` moves on each API call, at most once a minute.
    """

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.CASCADE, related_name="+"
    )
    application = models.ForeignKey(
        oauth2_settings.APPLICATION_MODEL,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="obapi_connections",
    )
    scopes = models.JSONField(_("scopes allowed"), default=list)
    connected_at = models.DateTimeField(_("connected at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    disconnected_at = models.DateTimeField(_("disconnected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("connected application")
        verbose_name_plural = _("connected applications")
        constraints = [
            models.UniqueConstraint(fields=["holder", "application"], name="one_obapi_connection_per_app"),
        ]

    def __str__(self) -> str:
        return f"{self.holder_id} → {self.application_id}"

    @property
    def is_connected(self) -> bool:
        return self.disconnected_at is None
