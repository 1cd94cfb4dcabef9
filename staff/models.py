from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import roles


class DepartmentLevel(models.TextChoices):
    DIVISION = "division", _("Division (部)")
    SECTION = "section", _("Section (課)")
    UNIT = "unit", _("Unit (係)")


class Department(models.Model):
    """One node of the city's organisation tree (部 > 課 > 係).

    ``path`` is the chain of codes from the root ("/10/1010/101010/"), kept by ``save()``,
    so that "this department and everything below it" is one indexed prefix query.
    """

    code = models.CharField(_("department code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=DepartmentLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, editable=False, db_index=True)
    heads = models.ManyToManyField(
        "staff.StaffMember", verbose_name=_("heads of section"), blank=True, related_name="headed_departments"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]
        # Import-export's admin permission codes (see settings IMPORT_EXPORT_*_PERMISSION_CODE).
        permissions = [("import_department", "Can import departments"), ("export_department", "Can export departments")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        old_path = self.path
        self.path = (self.parent.path if self.parent_id and self.parent else "/") + f"{self.code}/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # Rare (a reorganisation): rewrite the descendants' paths in one pass.
            for child in Department.objects.filter(path__startswith=old_path).exclude(pk=self.pk).order_by("path"):
                child.path = self.path + child.path[len(old_path) :]
                child.save(update_fields=["path"])

    @property
    def full_name(self) -> str:
        return self.name


class PositionGrade(models.TextChoices):
    """職層: the order is the career ladder."""

    SHUJI = "shuji", _("Staff (主事)")
    SHUNIN = "shunin", _("Senior staff (主任)")
    KAKARICHO = "kakaricho", _("Unit chief (係長)")
    KACHO_HOSA = "kacho_hosa", _("Assistant section chief (課長補佐)")
    KACHO = "kacho", _("Section chief (課長)")
    JICHO = "jicho", _("Deputy director (次長)")
    BUCHO = "bucho", _("Director (部長)")


class JobFamily(models.TextChoices):
    """職種."""

    ADMINISTRATIVE = "administrative", _("Administrative (事務)")
    TECHNICAL = "technical", _("Technical (技術)")
    WELFARE = "welfare", _("Welfare (福祉)")
    HEALTH = "health", _("Public health (保健)")
    CHILDCARE = "childcare", _("Childcare (保育)")
    OTHER = "other", _("Other (その他)")


class EmploymentType(models.TextChoices):
    REGULAR = "regular", _("Regular staff (正規職員)")
    FISCAL_YEAR = "fiscal_year", _("Fiscal-year appointed (会計年度任用職員)")


class StaffMemberQuerySet(models.QuerySet["StaffMember"]):
    def active(self) -> StaffMemberQuerySet:
        return self.filter(is_active=True)


class StaffMemberManager(BaseUserManager["StaffMember"]):
    def get_queryset(self) -> StaffMemberQuerySet:
        return StaffMemberQuerySet(self.model, using=self._db)

    def active(self) -> StaffMemberQuerySet:
        return self.get_queryset().active()

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> StaffMember:
        if not fields.get("employee_number"):
            raise ValueError("employee_number is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> StaffMember:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class StaffMember(AbstractBaseUser, PermissionsMixin):
    """A city employee. The employee number (職員番号) is the identity; the email is the login.

    ``department``, ``grade`` and ``job_family`` are the current values; their history is kept
    in ``Assignment`` rows (a transfer on 1 April keeps the old record true).
    """

    employee_number = models.CharField(
        _("employee number"),
        max_length=20,
        unique=True,
        help_text=_("Never reused and never changed by an import."),
    )
    # Stored lower-cased (see save()), so plain uniqueness is uniqueness whatever the case.
    email = models.EmailField(_("email address"), max_length=254, unique=True)
    family_name = models.CharField(_("family name"), max_length=50)
    given_name = models.CharField(_("given name"), max_length=50)
    family_name_kana = models.CharField(_("family name (kana)"), max_length=50, blank=True)
    given_name_kana = models.CharField(_("given name (kana)"), max_length=50, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    grade = models.CharField(_("position grade"), max_length=20, choices=PositionGrade.choices, blank=True)
    job_family = models.CharField(_("job family"), max_length=20, choices=JobFamily.choices, blank=True)
    employment_type = models.CharField(
        _("employment type"), max_length=20, choices=EmploymentType.choices, default=EmploymentType.REGULAR
    )
    preferred_language = models.CharField(
        _("language"), max_length=5, choices=[("ja", "日本語"), ("en", "English")], default="ja"
    )
    # Reminders before a course starts and before an application deadline (courses/reminders.py);
    # the person turns them off on their profile page. Emails about decisions are always sent.
    email_reminders = models.BooleanField(
        _("reminder emails"),
        default=True,
        help_text=_("Remind by email before an approved course starts and before an application deadline."),
    )
    # Cross-department projects (部局横断プロジェクト, courses/teams.py): only people who opted in
    # are ever proposed. Off by default; the person turns it on or off on their profile page,
    # and the moment of their last choice is kept (None: never chosen).
    team_opt_in = models.BooleanField(
        _("can be found for cross-department projects"),
        default=False,
        help_text=_("Set by the staff member on their profile page; HR and heads of section cannot change it."),
    )
    team_opt_in_changed_at = models.DateTimeField(_("cross-department choice made at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("can use the admin"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = StaffMemberManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["employee_number", "family_name", "given_name"]

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["employee_number"]
        indexes = [
            # Name search (HR people search, admin search).
            models.Index(fields=["family_name_kana", "given_name_kana"], name="staff_kana_idx"),
            # Career-path coverage (courses/careers.py holder_masks_sql): every active person's
            # department, read from this narrow index alone instead of the whole table.
            models.Index(
                fields=["id", "department"], condition=models.Q(is_active=True), name="staff_active_department_idx"
            ),
            # Team proposals (courses/teams.py): the people who opted in, a fifth of the city or less.
            models.Index(
                fields=["id", "department", "employee_number"],
                condition=models.Q(is_active=True, team_opt_in=True),
                name="staff_team_opt_in_idx",
            ),
        ]
        permissions = [("import_staffmember", "Can import the roster"), ("export_staffmember", "Can export the roster")]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.employee_number})"

    @property
    def full_name(self) -> str:
        """Family name first, as Japanese names are written."""
        return f"{self.family_name} {self.given_name}".strip()

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.family_name

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class Assignment(models.Model):
    """Where a person was, and at which grade, from ``valid_from`` until ``valid_to`` (exclusive)."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("position grade"), max_length=20, choices=PositionGrade.choices, blank=True)
    job_family = models.CharField(_("job family"), max_length=20, choices=JobFamily.choices, blank=True)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignment history")
        ordering = ["staff", "-valid_from"]
        constraints = [
            # At most one open (current) assignment per person.
            models.UniqueConstraint(
                fields=["staff"], condition=models.Q(valid_to__isnull=True), name="assignment_one_current"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="assignment_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} @ {self.department_id} {self.valid_from}"

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


class RecordAccess(models.Model):
    """Who looked at whose record, when and why (個人情報保護法: views of personal data are logged).

    Written by ``staff.services.record_access_log`` from every page where HR or a head of
    section opens another person's record; HR reviews it in the admin.
    """

    class Purpose(models.TextChoices):
        # Stored as codes, shown as labels in the reader's language (the admin filters by these).
        TRAINING_RECORD = "training_record", _("Viewing a training record")
        EXTERNAL_ORIGINAL = "external_original", _("Viewing an external badge's original file")
        HR_SEARCH = "hr_search", _("HR people search")
        HEAD_REVIEW = "head_review", _("Review by the head of section")
        EXPORT = "export", _("Export of a people search")
        TEAM_PROPOSAL = "team_proposal", _("Cross-department team proposal")
        TEAM_EXPORT = "team_export", _("Export of a cross-department team proposal")

    viewer = models.ForeignKey(
        StaffMember, verbose_name=_("viewed by"), on_delete=models.PROTECT, related_name="record_views_made"
    )
    subject = models.ForeignKey(
        StaffMember, verbose_name=_("whose record"), on_delete=models.PROTECT, related_name="record_views_received"
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=200, choices=Purpose.choices)
    path = models.CharField(_("page"), max_length=300)

    class Meta:
        verbose_name = _("record access")
        verbose_name_plural = _("record access log")
        ordering = ["-at"]
        indexes = [
            # "Who looked at this person's record" (HR review, newest first).
            models.Index(fields=["subject", "-at"], name="recordaccess_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.viewer_id} → {self.subject_id} @ {self.at:%Y-%m-%d %H:%M}"


class TeamOptInChange(models.Model):
    """Every choice a person made about cross-department projects (courses/teams.py): opted in
    or withdrew, and when. Append-only; written only by ``staff.services.staff_set_team_opt_in``
    in the transaction that sets ``StaffMember.team_opt_in``, under the person's row lock, so the
    latest row (by ``at``, then ``pk``) is always the current choice. The person reads their own
    history on their profile page; only they make the choice (HR and heads cannot)."""

    staff = models.ForeignKey(
        StaffMember, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="team_opt_in_changes"
    )
    opted_in = models.BooleanField(_("opted in"))
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("cross-department projects choice")
        verbose_name_plural = _("cross-department projects choices")
        ordering = ["-at", "-pk"]
        indexes = [
            # A person's history on their profile page, newest first.
            models.Index(fields=["staff", "-at"], name="teamoptinchange_staff_idx"),
        ]

    def __str__(self) -> str:
        return f"{'in' if self.opted_in else 'out'} {self.staff_id} @ {self.at:%Y-%m-%d %H:%M}"


class OutgoingEmail(models.Model):
    """An email to a staff member, written in the same transaction as the decision it reports.

    The row is the outbox: the Celery task sends it and stamps ``sent_at``; if the broker was
    down, the periodic sweep queues it later, so no email is lost and none is sent twice.
    """

    to = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="outgoing_emails")
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [
            # The sweep: emails not sent yet, oldest first.
            models.Index(fields=["sent_at", "created_at"], name="outgoingemail_unsent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.to_id}"


class RoleChange(models.Model):
    """Who granted or revoked which role to whom, when and why (docs/roles.md).

    Written only by ``staff.services.role_grant`` / ``role_revoke`` (and ``department_set_heads``,
    which goes through them); append-only, shown read-only in the admin. ``actor`` is empty for a
    command run on the server (``seed_demo``), never for anything done through the web.
    """

    class Action(models.TextChoices):
        GRANT = "grant", _("granted")
        REVOKE = "revoke", _("revoked")

    staff = models.ForeignKey(
        StaffMember, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="role_changes"
    )
    role = models.CharField(_("role"), max_length=20, choices=roles.GRANTED_ROLE_CHOICES)
    action = models.CharField(_("grant or revoke"), max_length=10, choices=Action.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a head of section: the department they head."),
    )
    actor = models.ForeignKey(
        StaffMember,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_changes_made",
        help_text=_("Empty: a command run on the server."),
    )
    reason = models.CharField(_("reason"), max_length=500)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")
        ordering = ["-at", "-pk"]
        indexes = [
            # A person's role history on their role page, newest first.
            models.Index(fields=["staff", "-at"], name="rolechange_staff_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.role} → {self.staff_id} @ {self.at:%Y-%m-%d %H:%M}"


class BackgroundJob(models.Model):
    """A long operation HR started (a bulk completion, a roster import), run by a worker.

    The row is the outbox: it is written before the task is queued, so a broker that is down
    loses nothing (``staff.jobs.jobs_requeue_stale``, run every minute by celery beat, queues
    it again). The same operation on the same input cannot run twice at once: the partial
    unique constraint on (kind, input_digest) while queued or running makes a second click
    find the first job instead of starting another. The kinds' work lives in their own apps
    (``staff.jobs.job_kind_register``): staff does not import courses.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped with an error")

    kind = models.CharField(_("kind"), max_length=50)
    started_by = models.ForeignKey(
        StaffMember, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="background_jobs"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("total"), default=0)
    done_count = models.PositiveIntegerField(_("done"), default=0)
    # What to do (ids, form values, an upload's name): read by the kind's runner.
    input = models.JSONField(_("input"), default=dict, blank=True)
    input_digest = models.CharField(_("input digest"), max_length=64)
    # Counts and errors ({"counts": {...}, "errors": [...]}), written when the job ends.
    result = models.JSONField(_("result"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "input_digest"],
                condition=models.Q(state__in=["queued", "running"]),
                name="backgroundjob_one_active_per_input",
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="backgroundjob_state_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.state == self.State.DONE else 0
        return min(100, self.done_count * 100 // self.total)
