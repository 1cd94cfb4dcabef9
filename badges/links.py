"""Absolute public URLs. Every URL inside a badge starts with PORTAL_BASE_URL."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

if TYPE_CHECKING:
    from .models import Award

# A BitstringStatusList must hold at least 131,072 entries (16 KiB); award n of an issuer
# lives in list n // size at index n % size, so no index is ever allocated under a lock.
STATUS_LIST_SIZE = 131_072


def absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL + path


def issuer_url(public_id: UUID) -> str:
    return absolute(reverse("public:issuer", args=[public_id]))


def issuer_image_url(public_id: UUID) -> str:
    return absolute(reverse("public:issuer_image", args=[public_id]))


def badge_class_url(public_id: UUID) -> str:
    return absolute(reverse("public:badge_class", args=[public_id]))


def badge_class_image_url(public_id: UUID) -> str:
    return absolute(reverse("public:badge_class_image", args=[public_id]))


def assertion_url(public_id: UUID) -> str:
    return absolute(reverse("public:assertion", args=[public_id]))


def status_list_url(issuer_public_id: UUID, list_number: int) -> str:
    return absolute(reverse("public:status_list", args=[issuer_public_id, list_number]))


def share_url(share_token: UUID) -> str:
    return absolute(reverse("public:share", args=[share_token]))


def award_page_url(public_id: UUID) -> str:
    """The holder's own page of a badge (staff portal)."""
    return absolute(reverse("badges:detail", args=[public_id]))


def linkedin_links(award: Award) -> dict[str, str]:
    """LinkedIn "Add to profile" (certification) and "Share" links: plain outbound URLs."""
    share = share_url(award.share_token)
    issued = timezone.localtime(award.issued_at) if award.issued_at else None
    expires = timezone.localtime(award.expires_at) if award.expires_at else None
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": award.badge_class.name,
        "organizationName": award.issuer.name,
        "issueYear": str(issued.year) if issued else "",
        "issueMonth": str(issued.month) if issued else "",
        "expirationYear": str(expires.year) if expires else "",
        "expirationMonth": str(expires.month) if expires else "",
        "certUrl": share,
        "certId": str(award.public_id),
    }
    return {
        "add": "https://www.linkedin.com/profile/add?" + urlencode(params),
        "share": "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": share}),
    }
