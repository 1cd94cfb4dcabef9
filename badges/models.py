"""Open Badges: issuers and their keys, badge classes (achievements) and awards (assertions).

This app knows nothing of courses: an award is requested for a ``source_key`` (for example
"enrolment:42") by whoever completed something, and the award row is the outbox that the
worker and the periodic sweep work from.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


class Issuer(models.Model):
    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
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
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("issuer")
        verbose_name_plural = _("issuers")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_issuer")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The English name on English pages when there is one (立川市 → Tachikawa City)."""
        return self.name_en if self.name_en and translation.get_language() == "en" else self.name


class SigningKey(models.Model):
    """The public half of an issuer's Ed25519 key. Never deleted: old badges stay verifiable.

    The private half lives in a file named by ``BADGE_SIGNING_KEY_FILE`` (never in the database).
    """

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="keys")
    public_key_multibase = models.CharField(_("public key (multibase)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
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

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
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
    renewal_url = models.URLField(
        _("renewal course page"),
        blank=True,
        help_text=_("Where a holder renews this badge before it expires; linked from the expiry reminder."),
    )
    # A grade is personal data: it goes into a badge (and so into its public copies) only where
    # the class says so; see badges/grades.py for what happens to badges issued before.
    publish_grade = models.BooleanField(
        _("publish the grade"),
        default=False,
        help_text=_(
            "Put the holder's grade (成績) into the badges issued from now on, where anyone who checks "
            "a badge sees it. Off: badges say what was completed, never with what grade."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("badge class")
        verbose_name_plural = _("badge classes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The English name on English pages when there is one; the Japanese name otherwise."""
        return self.name_en if self.name_en and translation.get_language() == "en" else self.name

    @property
    def display_description(self) -> str:
        return self.description_en if self.description_en and translation.get_language() == "en" else self.description


class AwardQuerySet(models.QuerySet["Award"]):
    """The award rules, in one place.

    - *issued*: signed and baked, not revoked;
    - *public*: what public pages and verification show: issued, or revoked (shown as revoked);
    - *valid at a moment*: issued, not revoked, not expired at that moment.

    The ``*_q`` forms take a ``prefix`` for filters through a relation (``"awards__"``).
    """

    @staticmethod
    def issued_q(prefix: str = "") -> Q:
        return Q(**{f"{prefix}status": Award.Status.ISSUED, f"{prefix}revoked_at__isnull": True})

    @staticmethod
    def public_q(prefix: str = "") -> Q:
        return Q(**{f"{prefix}status__in": AWARD_PUBLIC_STATUSES})

    @staticmethod
    def valid_q(moment: dt.datetime, prefix: str = "") -> Q:
        return AwardQuerySet.issued_q(prefix) & (
            Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": moment})
        )

    def issued(self) -> AwardQuerySet:
        return self.filter(self.issued_q())

    def public(self) -> AwardQuerySet:
        return self.filter(self.public_q())

    def valid_at(self, moment: dt.datetime) -> AwardQuerySet:
        return self.filter(self.valid_q(moment))


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

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="awards"
    )
    badge_class = models.ForeignKey(
        BadgeClass, verbose_name=_("badge class"), on_delete=models.PROTECT, related_name="awards"
    )
    issuer = models.ForeignKey(Issuer, verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="awards")
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
    status_list_index = models.PositiveIntegerField(_("status list index"), null=True, blank=True, editable=False)
    signing_key = models.ForeignKey(
        SigningKey, verbose_name=_("signing key"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credential = models.JSONField(_("signed OB 3.0 credential"), null=True, blank=True)
    assertion = models.JSONField(_("OB 2.0 assertion"), null=True, blank=True)
    baked_image = models.FileField(_("baked image"), upload_to="awards/%Y/%m/", blank=True)
    notified_at = models.DateTimeField(_("holder notified at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("expiry reminder sent at"), null=True, blank=True, editable=False)

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

    @property
    def is_issued(self) -> bool:
        """The row form of ``Award.objects.issued()``."""
        return self.status == self.Status.ISSUED and self.revoked_at is None

    @property
    def is_public(self) -> bool:
        """The row form of ``Award.objects.public()``."""
        return self.status in AWARD_PUBLIC_STATUSES

    def is_expired(self, at: dt.datetime | None = None) -> bool:
        moment = at or timezone.now()
        return bool(self.expires_at and self.expires_at <= moment)

    def is_valid_at(self, moment: dt.datetime | None = None) -> bool:
        """The row form of ``Award.objects.valid_at(moment)`` (now by default)."""
        return self.is_issued and not self.is_expired(moment)


# Shown by public pages and verification: an issued award, or a revoked one (shown as revoked).
AWARD_PUBLIC_STATUSES = (Award.Status.ISSUED, Award.Status.REVOKED)


class ExternalBadgeQuerySet(models.QuerySet["ExternalBadge"]):
    def counted(self) -> ExternalBadgeQuerySet:
        """Badges HR has confirmed: they count in the training record like internal ones."""
        return self.filter(status=ExternalBadge.Status.CONFIRMED)

    def shown_in_record(self) -> ExternalBadgeQuerySet:
        return self.exclude(status=ExternalBadge.Status.REJECTED)


def _external_upload_to(instance: ExternalBadge, filename: str) -> str:
    # The name the person gave the file is kept in ``original_name``, not in the path.
    suffix = ".png" if instance.original_kind == ExternalBadge.Kind.PNG else ".json"
    return f"external-badges/{timezone.now():%Y/%m}/{instance.public_id}{suffix}"


class ExternalBadge(models.Model):
    """A badge a staff member earned elsewhere (the partner university, the Open Badge Network, any
    OB 2.0/3.0 issuer) and added to their learning portfolio.

    The portal verifies it when it is added and keeps the original file; HR confirms it (and
    says how many hours it is worth and what it is recognised as) before it counts in the
    training record. The mapping to courses and skills belongs to the courses app.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for HR confirmation")
        CONFIRMED = "confirmed", _("Confirmed by HR")
        REJECTED = "rejected", _("Not recognised")

    class Standard(models.TextChoices):
        OB2 = "2.0", _("Open Badges 2.0")
        OB3 = "3.0", _("Open Badges 3.0")

    class Kind(models.TextChoices):
        PNG = "png", _("Baked PNG image")
        JSON = "json", _("Credential JSON")

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="external_badges",
        verbose_name=_("holder"),
    )
    original_file = models.FileField(_("original file"), upload_to=_external_upload_to)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    original_kind = models.CharField(_("file type"), max_length=4, choices=Kind.choices)
    file_sha256 = models.CharField(max_length=64, editable=False)

    standard = models.CharField(_("standard"), max_length=3, choices=Standard.choices)
    credential_id = models.CharField(_("credential id"), max_length=500, blank=True)
    issuer_name = models.CharField(_("issuer"), max_length=300, blank=True)
    issuer_id = models.CharField(_("issuer id"), max_length=500, blank=True)
    issuer_url = models.CharField(_("issuer website"), max_length=500, blank=True)
    achievement_name = models.CharField(_("achievement"), max_length=300, blank=True)
    achievement_description = models.TextField(_("description"), blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True, help_text=_("Alignment names in the badge."))
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    verification_status = models.CharField(_("verification result"), max_length=20)
    verification_code = models.CharField(_("verification reason"), max_length=40)
    verification = models.JSONField(_("verification report"), default=dict, blank=True)
    # Whether the badge was issued to the holder: True, False (another person), None (it names
    # no email recipient this portal can compare). Checked against the holder's email on adding.
    recipient_match = models.BooleanField(_("issued to the holder"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"))

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    hours = models.DecimalField(_("learning hours"), max_digits=6, decimal_places=1, null=True, blank=True)
    recognised_as = models.CharField(
        _("recognised as"),
        max_length=300,
        blank=True,
        help_text=_("What the city recognises this badge as, e.g. an equivalent course or training."),
    )
    hr_note = models.TextField(_("HR note"), blank=True)
    # Set only when HR confirmed the badge despite a warning (an issuer not in the register, a
    # recipient who is not the holder): the decision and its reason stay on the record.
    exception_reason = models.TextField(
        _("reason for confirming despite the warnings"),
        blank=True,
        help_text=_(
            "Why HR recognises this badge although its issuer is not registered or its recipient is not the holder."
        ),
    )
    exceptions = models.JSONField(
        _("warnings HR confirmed despite"), default=list, blank=True, help_text=_("Warning codes.")
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    confirmed_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    objects = ExternalBadgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("external badge")
        verbose_name_plural = _("external badges")
        ordering = ["-created_at"]
        indexes = [
            # A person's portfolio and training record.
            models.Index(fields=["holder", "status"], name="extbadge_holder_status_idx"),
            # HR's queue of badges waiting for confirmation.
            models.Index(fields=["status", "created_at"], name="extbadge_status_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.achievement_name or self.credential_id} ({self.issuer_name})"

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    @property
    def exception_messages(self) -> list[Any]:
        """What HR confirmed this badge despite (an issuer not in the register, another recipient)."""
        from .selectors import EXTERNAL_BADGE_WARNINGS

        return [EXTERNAL_BADGE_WARNINGS.get(code, code) for code in self.exceptions or []]

    @property
    def public_url(self) -> str:
        """An https address where the issuer publishes this badge (OB 2.0 hosted id), if any."""
        return self.credential_id if self.credential_id.startswith("https://") else ""


# ---------------------------------------------------------------- the register of trusted issuers


class TrustedIssuer(models.Model):
    """An issuer whose badges the city accepts as genuine (the register, 信頼する発行者).

    A correct signature proves only that *someone* signed a badge; a badge is ``valid`` only if
    that someone is this portal or an issuer in this register, in force on the badge's issue
    date. HR adds issuers in the admin (every change is kept in the admin history) and shares
    the register with other cities and universities as a JSON file (``badges/trust.py``).

    The row marked ``is_this_portal`` (seeded by a migration) stands for this portal's own
    issuers: its identifiers are not stored but derived from the ``Issuer`` and ``SigningKey``
    tables and the settings (did:web domain, public origin), so they can never drift from the
    keys the worker signs with; it cannot be deleted, and its badges are checked against this
    portal's own records whatever its dates say.
    """

    class Kind(models.TextChoices):
        CITY = "city", _("City or other public body")
        UNIVERSITY = "university", _("University or school")
        E_LEARNING = "e_learning", _("E-learning provider")
        OTHER = "other", _("Other organisation")

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(
        _("display name"),
        max_length=200,
        help_text=_(
            "As the issuer names itself in its badges. A badge from another identifier that claims this "
            "name is flagged as an impersonation."
        ),
    )
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    url = models.URLField(_("website"), blank=True)
    is_this_portal = models.BooleanField(_("this portal"), default=False, editable=False)
    valid_from = models.DateField(
        _("trusted from"), help_text=_("Badges issued on or after this date count as genuine.")
    )
    valid_until = models.DateField(
        _("trusted until"),
        null=True,
        blank=True,
        help_text=_(
            "Badges issued after this date do not count (e.g. the agreement ended or a key was lost). Empty: no end."
        ),
    )
    reason = models.TextField(_("why it is trusted"), help_text=_("E.g. the agreement or decision it rests on."))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("added by"),
        editable=False,
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)
    changed_at = models.DateTimeField(_("last changed at"), auto_now=True)

    class Meta:
        verbose_name = _("trusted issuer")
        verbose_name_plural = _("trusted issuers")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_this_portal"], condition=Q(is_this_portal=True), name="one_this_portal_trusted_issuer"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="trusted_issuer_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def in_force_on(self, day: object) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)  # type: ignore[operator]

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The end date is before the start date.")})


class TrustedIssuerIdentifier(models.Model):
    """One identifier that counts as a registered issuer: a DID, an OB 2.0 issuer URL, the
    origin that hosts an issuer's OB 2.0 badges, or an Ed25519 public key (multibase)."""

    class Kind(models.TextChoices):
        DID = "did", _("DID (did:key or did:web)")
        ISSUER_URL = "issuer_url", _("Open Badges 2.0 issuer URL")
        ORIGIN = "origin", _("Origin hosting Open Badges 2.0 badges")
        KEY = "key", _("Ed25519 public key (multibase z6Mk…)")

    issuer = models.ForeignKey(TrustedIssuer, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    value = models.CharField(
        _("identifier"),
        max_length=500,
        unique=True,  # one identifier, one issuer: otherwise a badge could count for either
        help_text=_(
            "e.g. did:key:z6Mk…, did:web:badges.example.ac.jp, https://badges.example.ac.jp/issuer.json, "
            "https://badges.example.ac.jp"
        ),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        ordering = ["kind", "value"]

    def __str__(self) -> str:
        return self.value

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .trust import IdentifierError, normalise_identifier

        try:
            self.value = normalise_identifier(self.kind, self.value)
        except IdentifierError as exc:
            raise ValidationError({"value": exc.message}) from exc


class WalletOffer(models.Model):
    """An offer to put one award into the holder's wallet app (OpenID4VCI 1.0, pre-authorized
    code flow with a transaction code; badges/oid4vci.py, badges/wallet.py).

    Only hashes of the secrets are kept: the pre-authorized code (in the QR code), the
    transaction code (shown once on the badge page) and the access token the code is exchanged
    for. An offer works once: the code is redeemed once (``redeemed_at``) and the token gets one
    credential (``issued_at``), bound to the wallet's DID. Every copy carries the award's own
    status list entry, so revoking the award revokes the copies too.
    """

    public_id = models.UUIDField(_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="wallet_offers")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("offer expires at"))
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    tx_code_hash = models.CharField(max_length=64, editable=False)
    tx_code_failures = models.PositiveSmallIntegerField(_("wrong transaction codes"), default=0)
    redeemed_at = models.DateTimeField(_("code redeemed at"), null=True, blank=True)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The copy the wallet received.
    issued_at = models.DateTimeField(_("credential issued at"), null=True, blank=True)
    credential_id = models.CharField(_("credential id"), max_length=100, blank=True)
    wallet_did = models.TextField(_("wallet DID"), blank=True)
    signing_key = models.ForeignKey(SigningKey, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("wallet offer")
        verbose_name_plural = _("wallet offers")
        ordering = ["-created_at"]
        indexes = [
            # A new offer withdraws the award's open ones; the badge page lists issued copies.
            models.Index(fields=["award", "created_at"], name="walletoffer_award_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.award_id} → {self.wallet_did or '…'}"


# The Open Badges 3.0 API's models live beside its code (badges/obapi/); importing them here
# registers them with the app.
from .obapi.models import ObApiClient, ObApiConnection, ObApiSwitch  # noqa: E402, F401


class PublicationRequest(models.Model):
    """The outbox of the published public tree (``badges/publisher.py``): one row per thing whose
    public files must be rewritten (an award, a withdrawn share link, a badge class, an issuer,
    the status lists and did.json after a key rotation, or everything).

    Written in the transaction that changed the thing; the publishing task is queued after the
    commit and deletes the rows it published. A row still here (broker or target directory
    down) is queued again by the sweep (``publications_sweep_task``), so nothing is lost.
    """

    target = models.CharField(max_length=100)
    requested_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("publication request")
        verbose_name_plural = _("publication requests")
        indexes = [
            # The sweep: requests nobody published, oldest first.
            models.Index(fields=["requested_at"], name="publication_requested_idx"),
        ]

    def __str__(self) -> str:
        return self.target
