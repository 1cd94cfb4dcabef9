"""The admin side of the Open Badges 3.0 API: HR's on/off switch, and the list of applications
that registered (read-only). The toolkit's own admin pages (applications, tokens, grants) are
taken off the admin: tokens are secrets, and holders disconnect applications themselves."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from . import services
from .models import ObApiClient, ObApiSwitch

for _model in (
    get_application_model(),
    get_access_token_model(),
    get_grant_model(),
    get_id_token_model(),
    get_refresh_token_model(),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(ObApiSwitch)
class ObApiSwitchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "changed_at", "changed_by"]
    fields = ["enabled", "changed_at", "changed_by"]
    readonly_fields = ["changed_at", "changed_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not ObApiSwitch.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ObApiSwitch, form: Any, change: bool) -> None:
        switch = services.obapi_switch_set(enabled=obj.enabled, by=request.user)
        obj.pk = switch.pk  # the admin goes on with the one row (its change page, the log)
        obj.refresh_from_db()


@admin.register(ObApiClient)
class ObApiClientAdmin(admin.ModelAdmin):
    list_display = ["application_name", "client_uri", "registered_at", "connected_count"]
    search_fields = ["application__name", "client_uri"]
    list_select_related = ["application"]
    readonly_fields = [
        "application",
        "client_uri",
        "policy_uri",
        "tos_uri",
        "scopes",
        "contacts",
        "software_id",
        "software_version",
        "registered_at",
    ]

    @admin.display(description=_("application"), ordering="application__name")
    def application_name(self, obj: ObApiClient) -> str:
        return obj.application.name

    @admin.display(description=_("people connected"))
    def connected_count(self, obj: ObApiClient) -> int:
        return obj.application.obapi_connections.filter(disconnected_at__isnull=True).count()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
