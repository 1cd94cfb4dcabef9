"""Absolute public URLs. Every URL inside a badge starts with PORTAL_BASE_URL."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.urls import reverse

# A BitstringStatusList must hold at least 131,072 entries (16 KiB); award n of an issuer
# lives in list n // size at index n % size, so no index is ever allocated under a lock.
STATUS_LIST_SIZE = 131_072


def absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL + path


def issuer_url(public_id: UUID) -> str:
    return absolute(reverse("public:issuer", args=[public_id]))


def badge_class_url(public_id: UUID) -> str:
    return absolute(reverse("public:badge_class", args=[public_id]))


def badge_class_image_url(public_id: UUID) -> str:
    return absolute(reverse("public:badge_class_image", args=[public_id]))


def assertion_url(public_id: UUID) -> str:
    return absolute(reverse("public:assertion", args=[public_id]))


def credential_url(public_id: UUID) -> str:
    return absolute(reverse("public:credential", args=[public_id]))


def award_image_url(public_id: UUID) -> str:
    return absolute(reverse("public:award_image", args=[public_id]))


def status_list_url(issuer_public_id: UUID, list_number: int) -> str:
    return absolute(reverse("public:status_list", args=[issuer_public_id, list_number]))
