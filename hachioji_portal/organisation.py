"""Whose portal this is: the organisation's names, signature, colours, logo and issuer profile.

One accessor, ``organisation()``, read by every page (the ``staff.context_processors.portal``
context processor puts it in every template as ``organisation``), by templates rendered without
a request (emails, the share page's cached parts, the 500 page: ``{% load organisation %}``), and
by the code that writes emails, badges, wallet metadata and calendars. It reads the settings once
per process (no query) and again after any ``override_settings`` (the ``setting_changed``
signal), so a test sees its configuration at once. The ``display_*`` properties answer in the
active language (Japanese unless English).
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation

# The colours static/css/portal.css is written with: the theme stylesheet is linked only when a
# portal is configured with others, so the default pages are exactly what they were.
DEFAULT_COLOUR = "#1d4e89"
DEFAULT_COLOUR_DARK = "#143a66"

LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".webp": "image/webp", ".jpg": "image/jpeg"}
LOGO_TYPES[".jpeg"] = "image/jpeg"


def _english() -> bool:
    return (translation.get_language() or settings.LANGUAGE_CODE).startswith("en")


@dataclass(frozen=True)
class Organisation:
    name: str
    name_en: str
    site_title: str
    site_title_en: str
    training_desk: str
    training_desk_en: str
    partner_name: str
    partner_name_en: str
    partner_note: str
    partner_note_en: str
    skill_framework: str
    skill_framework_en: str
    email_subject_prefix_ja: str
    email_subject_prefix_en: str
    colour: str
    colour_dark: str
    logo_file: str
    issuer_url: str
    issuer_email: str
    issuer_description: str
    issuer_description_en: str
    issuer_image_file: str

    # -- in a given language (wallet metadata carries both) --------------------------------
    def name_in(self, language: str) -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name

    def full_title_in(self, language: str) -> str:
        """「立川市 職員学習ポータル」 / "Tachikawa City staff learning portal"."""
        if language.startswith("en"):
            return f"{self.name_in('en')} {self.site_title_en or self.site_title}"
        return f"{self.name} {self.site_title}"

    # -- in the active language ------------------------------------------------------------
    @property
    def display_name(self) -> str:
        return self.name_in("en" if _english() else "ja")

    @property
    def display_site_title(self) -> str:
        """The header's second line: the portal's own name, capitalised as a heading."""
        title = (self.site_title_en or self.site_title) if _english() else self.site_title
        return title[:1].upper() + title[1:]

    @property
    def full_title(self) -> str:
        return self.full_title_in("en" if _english() else "ja")

    @property
    def full_title_ja(self) -> str:
        return self.full_title_in("ja")

    @property
    def signature(self) -> str:
        """Who signs pages and emails: 「立川市 総務部 人事課 研修担当」."""
        if _english():
            return f"{self.display_name} {self.training_desk_en or self.training_desk}".strip()
        return f"{self.name} {self.training_desk}".strip()

    @property
    def display_partner_name(self) -> str:
        """The partner university (「中央大学」 / "Chuo University"); empty when none is set."""
        return (self.partner_name_en or self.partner_name) if _english() else self.partner_name

    @property
    def partner(self) -> str:
        return (self.partner_note_en or self.partner_note) if _english() else self.partner_note

    @property
    def display_skill_framework(self) -> str:
        return (self.skill_framework_en or self.skill_framework) if _english() else self.skill_framework

    @property
    def email_subject_prefix(self) -> str:
        return (
            (self.email_subject_prefix_en or self.email_subject_prefix_ja)
            if _english()
            else self.email_subject_prefix_ja
        )

    # -- look ------------------------------------------------------------------------------
    @property
    def has_theme(self) -> bool:
        return (self.colour, self.colour_dark) != (DEFAULT_COLOUR, DEFAULT_COLOUR_DARK)

    @property
    def theme_url(self) -> str:
        version = hashlib.sha256(theme_css(self).encode()).hexdigest()[:12]
        return f"{reverse('organisation_theme')}?v={version}"

    @property
    def logo_url(self) -> str:
        """Empty when no logo is configured (or the file cannot be read)."""
        logo = logo_bytes(self.logo_file)
        if logo is None:
            return ""
        return f"{reverse('organisation_logo')}?v={hashlib.sha256(logo[0]).hexdigest()[:12]}"

    @property
    def logo_type(self) -> str:
        logo = logo_bytes(self.logo_file)
        return logo[1] if logo else ""

    def cache_material(self) -> list[str]:
        """What rendered parts cached elsewhere (the share page) depend on."""
        return [self.name, self.name_en, self.site_title, self.site_title_en]


# Built once: settings do not change in a running process (20 reads of Django's lazy settings
# object cost about 45 µs, on every page otherwise). Tests change them: see below.
_built: dict[str, Organisation] = {}


def organisation() -> Organisation:
    found = _built.get("organisation")
    if found is None:
        found = _built["organisation"] = _organisation_from_settings()
    return found


@receiver(setting_changed)
def _settings_changed(**kwargs: object) -> None:
    _built.clear()


def _organisation_from_settings() -> Organisation:
    s = settings
    return Organisation(
        name=s.PORTAL_ORGANISATION_NAME,
        name_en=s.PORTAL_ORGANISATION_NAME_EN,
        site_title=s.PORTAL_SITE_TITLE,
        site_title_en=s.PORTAL_SITE_TITLE_EN,
        training_desk=s.PORTAL_TRAINING_DESK,
        training_desk_en=s.PORTAL_TRAINING_DESK_EN,
        partner_name=s.PORTAL_PARTNER_NAME,
        partner_name_en=s.PORTAL_PARTNER_NAME_EN,
        partner_note=s.PORTAL_PARTNER_NOTE,
        partner_note_en=s.PORTAL_PARTNER_NOTE_EN,
        skill_framework=s.PORTAL_SKILL_FRAMEWORK,
        skill_framework_en=s.PORTAL_SKILL_FRAMEWORK_EN,
        email_subject_prefix_ja=s.PORTAL_EMAIL_SUBJECT_PREFIX,
        email_subject_prefix_en=s.PORTAL_EMAIL_SUBJECT_PREFIX_EN,
        colour=s.PORTAL_COLOUR,
        colour_dark=s.PORTAL_COLOUR_DARK,
        logo_file=s.PORTAL_LOGO_FILE,
        issuer_url=s.PORTAL_ISSUER_URL,
        issuer_email=s.PORTAL_ISSUER_EMAIL,
        issuer_description=s.PORTAL_ISSUER_DESCRIPTION,
        issuer_description_en=s.PORTAL_ISSUER_DESCRIPTION_EN,
        issuer_image_file=s.PORTAL_ISSUER_IMAGE_FILE,
    )


def theme_css(org: Organisation) -> str:
    """The stylesheet that replaces portal.css's two brand colours (linked after it)."""
    return f":root {{ --brand: {org.colour}; --brand-dark: {org.colour_dark}; }}\n"


def logo_bytes(path: str) -> tuple[bytes, str] | None:
    """The logo file's bytes and content type; None when none is configured or readable."""
    if not path:
        return None
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return _read_logo(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _read_logo(path: str, mtime_ns: int, size: int) -> tuple[bytes, str] | None:
    suffix = Path(path).suffix.lower()
    content_type = LOGO_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or ""
    if not content_type.startswith("image/"):
        return None
    try:
        return Path(path).read_bytes(), content_type
    except OSError:
        return None


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
