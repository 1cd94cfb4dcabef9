"""Reads for the Open Badges 3.0 API: the holder's credentials and profile, the switch, the
holder's connections. Only the token owner's data, ever."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils.crypto import salted_hmac

from ..core.credentials import with_proof_list
from ..models import Award
from .models import ObApiConnection, ObApiSwitch

OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


def api_is_on() -> bool:
    """HR's switch (no row yet: on)."""
    enabled = ObApiSwitch.objects.values_list("enabled", flat=True).order_by("pk").first()
    return True if enabled is None else bool(enabled)


def api_credentials_of(holder: Any, *, since: dt.datetime | None = None) -> QuerySet[Award]:
    """The holder's OB 3.0 credentials the API returns: issued (not pending, failed or
    revoked; a re-issued badge's old award is revoked), signed, whatever their visibility
    (the visibility setting is about other people; here the holder sends their own badges to
    an application they allowed, see docs/ob-api.md). Expired ones are included: they carry
    their ``validUntil``. Oldest first, so that paging is stable while new badges arrive."""
    awards = Award.objects.issued().filter(recipient=holder, credential__isnull=False)
    if since is not None:
        awards = awards.filter(issued_at__gt=since)
    return awards.order_by("issued_at", "pk")


def api_credential_documents(awards: QuerySet[Award]) -> list[dict[str, Any]]:
    """The credentials as stored (signed), ``proof`` as a list (credentials.with_proof_list)."""
    return [with_proof_list(credential) for credential in awards.values_list("credential", flat=True)]


def pairwise_subject_id(holder: Any, client_id: str) -> str:
    """The profile's ``id``: stable for one holder and one application, different for each
    application (two applications cannot match their holders by it), not guessable."""
    digest = salted_hmac("badges.obapi.profile-id", f"{client_id}:{holder.pk}", algorithm="sha256").digest()
    return f"urn:uuid:{uuid.UUID(bytes=digest[:16], version=4)}"


def api_profile_of(holder: Any, client_id: str) -> dict[str, Any]:
    """``getProfile``: the holder's name and work email address (what the consent page says)."""
    return {
        "@context": OB3_CONTEXT,
        "id": pairwise_subject_id(holder, client_id),
        "type": ["Profile"],
        "name": holder.full_name,
        "givenName": holder.given_name,
        "familyName": holder.family_name,
        "email": holder.email,
    }


def connections_of(holder: Any) -> QuerySet[ObApiConnection]:
    """The applications the holder has connected (not disconnected), newest first."""
    return (
        ObApiConnection.objects.filter(holder=holder, disconnected_at__isnull=True)
        .select_related("application", "application__obapi_client")
        .order_by("-connected_at")
    )


def issued_badge_counts(holder: Any) -> dict[str, int]:
    """What the consent page tells the holder an application would read: how many badges,
    and how many of them only the holder sees on the portal."""
    awards = Award.objects.issued().filter(recipient=holder, credential__isnull=False)
    visibilities = list(awards.values_list("visibility", flat=True))
    return {
        "total": len(visibilities),
        "private": sum(1 for v in visibilities if v == Award.Visibility.PRIVATE),
    }
