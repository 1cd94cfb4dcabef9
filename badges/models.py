"""Open Badges: issuers and their keys, badge classes (achievements) and awards (assertions).

This app knows nothing of courses: an award is requested for a ``source_key`` (for example
"enrolment:42") by whoever completed something, and the award row is the outbox that the
worker and the periodic sweep work from.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Issuer(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    url = models.URLField(_("website"))
    email = models.EmailField(_("contact email"))
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    image = models.ImageField(_("logo"), upload_to="issuers/", blank=True)
    is_default = models.BooleanField(
        _("default issuer"),
        default=False,
        help_text=_("Badges are issued in this issuer's name unless a badge class says otherwise."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("issuer")
        verbose_name_plural = _("issuers")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_issuer")
        ]

    def __str__(self) -> str:
        return self.name


class SigningKey(models.Model):
    """The public half of an issuer's Ed25519 key. Never deleted: old badges stay verifiable.

    The private half lives in a file named by ``BADGE_SIGNING_KEY_FILE`` (never in the database).
    """

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="keys")
    public_key_multibase = models.CharField(_("public key (multibase)"), max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["issuer", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["issuer"], condition=Q(is_active=True), name="one_active_key_per_issuer")
        ]

    def __str__(self) -> str:
        return f"{self.public_key_multibase[:16]}… ({self.issuer})"


class BadgeClass(models.Model):
    """What a badge certifies (OB 2.0 BadgeClass, OB 3.0 Achievement)."""

    class Design(models.TextChoices):
        BLUE = "blue", _("Blue (law and administration)")
        GREEN = "green", _("Green (welfare and environment)")
        ORANGE = "orange", _("Orange (digital and data)")
        PURPLE = "purple", _("Purple (programme)")
        RED = "red", _("Red (disaster management)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="badge_classes")
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"))
    description_en = models.TextField(_("description (English)"), blank=True)
    criteria = models.TextField(_("criteria"), help_text=_("What a person did to earn it (Markdown allowed)."))
    criteria_en = models.TextField(_("criteria (English)"), blank=True)
    design = models.CharField(_("image design"), max_length=10, choices=Design.choices, default=Design.BLUE)
    alignments = models.JSONField(
        _("skill alignments"),
        default=list,
        blank=True,
        help_text=_("Open Badges Alignment objects: targetName, targetUrl, targetCode, targetFramework."),
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    validity_days = models.PositiveIntegerField(
        _("valid for (days)"), null=True, blank=True, help_text=_("Empty: the badge does not expire.")
    )
    hours = models.DecimalField(_("learning hours"), max_digits=6, decimal_places=1, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("badge class")
        verbose_name_plural = _("badge classes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AwardQuerySet(models.QuerySet["Award"]):
    def issued(self) -> AwardQuerySet:
        return self.filter(status=Award.Status.ISSUED)

    def valid_at(self, moment: object) -> AwardQuerySet:
        return self.filter(status=Award.Status.ISSUED).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=moment))


class Award(models.Model):
    """One badge awarded to one person for one completion (OB 2.0 Assertion / OB 3.0 credential)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ISSUED = "issued", _("Issued")
        FAILED = "failed", _("Failed")
        REVOKED = "revoked", _("Revoked")

    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Only me")
        STAFF = "staff", _("City staff")
        PUBLIC = "public", _("Anyone with the link")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="awards")
    badge_class = models.ForeignKey(BadgeClass, on_delete=models.PROTECT, related_name="awards")
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="awards")
    source_key = models.CharField(
        _("source"), max_length=100, help_text=_("What was completed, e.g. enrolment:42. One award per source.")
    )
    achieved_on = models.DateField(_("completed on"))
    evidence = models.JSONField(_("evidence"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=5, default="ja")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    queued_at = models.DateTimeField(_("last queued at"), null=True, blank=True, editable=False)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    failure_reason = models.TextField(_("failure reason"), blank=True)

    salt = models.CharField(max_length=64, blank=True)
    recipient_identity = models.CharField(_("hashed recipient"), max_length=100, blank=True)
    status_list_index = models.PositiveIntegerField(null=True, blank=True, editable=False)
    signing_key = models.ForeignKey(SigningKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    credential = models.JSONField(_("signed OB 3.0 credential"), null=True, blank=True)
    assertion = models.JSONField(_("OB 2.0 assertion"), null=True, blank=True)
    baked_image = models.FileField(_("baked image"), upload_to="awards/%Y/%m/", blank=True)
    notified_at = models.DateTimeField(_("holder notified at"), null=True, blank=True)

    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.TextField(_("revocation reason"), blank=True)
    # A re-issue after a correction: the old award is revoked, stops being current, and the
    # new one points back at it.
    is_current = models.BooleanField(_("current"), default=True, editable=False)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("re-issue of"),
        editable=False,
    )

    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    share_token = models.UUIDField(_("share link"), default=uuid.uuid4, unique=True, editable=False)

    objects = AwardQuerySet.as_manager()

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["-requested_at"]
        constraints = [
            # Exactly one (current) award per completion.
            models.UniqueConstraint(fields=["source_key"], condition=Q(is_current=True), name="one_award_per_source"),
            models.UniqueConstraint(fields=["issuer", "status_list_index"], name="unique_status_list_index"),
        ]
        indexes = [
            # The sweep: awards still waiting to be issued, oldest first.
            models.Index(fields=["status", "requested_at"], name="award_status_requested_idx"),
            # "My badges" and HR people search.
            models.Index(fields=["recipient", "status"], name="award_recipient_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.badge_class} → {self.recipient_id} ({self.status})"

    @property
    def is_revoked(self) -> bool:
        return self.status == self.Status.REVOKED

    def is_expired(self, at: object | None = None) -> bool:
        moment = at or timezone.now()
        return bool(self.expires_at and self.expires_at <= moment)  # type: ignore[operator]
