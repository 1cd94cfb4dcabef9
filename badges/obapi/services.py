"""Writes for the Open Badges 3.0 API: register a client, record a holder's consent, note a
use, disconnect, switch the API. Each is one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
)

from .models import ObApiClient, ObApiConnection, ObApiSwitch

# A use is noted at most this often per connection (an application paging through badges
# should not write a row per page).
LAST_USE_RESOLUTION = dt.timedelta(minutes=1)


@transaction.atomic
def obapi_client_register(
    *,
    name: str,
    client_uri: str,
    redirect_uris: list[str],
    scopes: list[str],
    confidential: bool,
    policy_uri: str = "",
    tos_uri: str = "",
    contacts: list[str] | None = None,
    software_id: str = "",
    software_version: str = "",
) -> tuple[Any, str]:
    """Create the toolkit's Application (authorization code grant) and its OB 3.0 metadata.
    Returns the application and its client secret in clear ("" for a public client): the
    toolkit stores only a hash of it, so this is the one chance to tell the client."""
    Application = get_application_model()
    application = Application(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL if confidential else Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        registration_source=Application.RegistrationSource.DCR,
        skip_authorization=False,
        user=None,
    )
    secret = application.client_secret if confidential else ""
    if not confidential:
        application.client_secret = ""
    application.full_clean()
    application.save()
    ObApiClient.objects.create(
        application=application,
        client_uri=client_uri,
        policy_uri=policy_uri,
        tos_uri=tos_uri,
        scopes=list(scopes),
        contacts=list(contacts or []),
        software_id=software_id,
        software_version=software_version,
    )
    return application, secret


@transaction.atomic
def obapi_connection_record(*, holder: Any, application: Any, scopes: list[str]) -> ObApiConnection:
    """The holder allowed ``application`` on the consent page: (re)connect it with these scopes."""
    connection, created = ObApiConnection.objects.select_for_update().get_or_create(
        holder=holder, application=application, defaults={"scopes": list(scopes)}
    )
    if not created:
        connection.scopes = sorted(set(scopes) | set(connection.scopes)) if connection.is_connected else list(scopes)
        connection.connected_at = timezone.now() if not connection.is_connected else connection.connected_at
        connection.disconnected_at = None
        connection.save(update_fields=["scopes", "connected_at", "disconnected_at"])
    return connection


def obapi_connection_touch(*, holder: Any, application: Any) -> None:
    """Note that ``application`` just read the holder's data (one UPDATE, and none while the
    last note is under a minute old)."""
    now = timezone.now()
    ObApiConnection.objects.filter(holder=holder, application=application, disconnected_at__isnull=True).exclude(
        last_used_at__gt=now - LAST_USE_RESOLUTION
    ).update(last_used_at=now)


@transaction.atomic
def obapi_connection_disconnect(*, connection: ObApiConnection) -> int:
    """Disconnect: delete every access token, refresh token and unused authorization code the
    application holds for this holder, and mark the connection. Returns the tokens deleted."""
    holder_id, application_id = connection.holder_id, connection.application_id
    locked = ObApiConnection.objects.select_for_update().get(pk=connection.pk)
    get_grant_model().objects.filter(user_id=holder_id, application_id=application_id).delete()
    refresh = get_refresh_token_model().objects.filter(user_id=holder_id, application_id=application_id)
    access = get_access_token_model().objects.filter(user_id=holder_id, application_id=application_id)
    deleted = access.count()
    # Refresh tokens first: an access token is protected while a refresh token points at it.
    refresh.delete()
    access.delete()
    if locked.disconnected_at is None:
        locked.disconnected_at = timezone.now()
        locked.save(update_fields=["disconnected_at"])
    return deleted


@transaction.atomic
def obapi_switch_set(*, enabled: bool, by: Any) -> ObApiSwitch:
    switch, _created = ObApiSwitch.objects.select_for_update().get_or_create(pk=1)
    switch.enabled = enabled
    switch.changed_by = by
    switch.save()
    return switch


def obapi_expired_tokens_clear() -> None:
    """Delete expired access tokens and codes, and refresh tokens past their lifetime, with the
    toolkit's own ``clear_expired`` (what ``manage.py cleartokens`` runs). Revoked refresh tokens
    are kept until they expire: reuse protection needs them to recognise a replayed token."""
    from oauth2_provider.models import clear_expired

    clear_expired()
