"""The roster resource itself (the steps of an import are in the package docstring,
``staff.resources``)."""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import tablib
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import Result, RowResult

from ..formats import RosterFileError
from ..models import Department, EmploymentType, JobFamily, PositionGrade, StaffMember
from ..services import staff_create_many, staff_deactivate, staff_upsert
from .cells import (
    DepartmentCodeWidget,
    EffectiveDateWidget,
    EmailWidget,
    JapaneseChoiceWidget,
    NormalisedTextWidget,
    TextWidget,
)
from .columns import (
    _MAX_LENGTHS,
    _TRACKED_COLUMNS,
    DEPARTMENT,
    EFFECTIVE_DATE,
    EMAIL,
    EMPLOYEE_NUMBER,
    EMPLOYMENT_TYPE,
    FAMILY_NAME,
    FAMILY_NAME_KANA,
    GIVEN_NAME,
    GIVEN_NAME_KANA,
    GRADE,
    HEADER_ALIASES,
    JOB_FAMILY,
    REQUIRED_COLUMNS,
    TRACKED,
    _chunks,
    _header_key,
    normalise_code,
    normalise_email,
)
from .results import RosterInstanceLoader, RosterResult, RosterRowResult

# --- The resource ---------------------------------------------------------------------------


class StaffRosterResource(resources.ModelResource):
    employee_number = fields.Field(
        attribute="employee_number", column_name=EMPLOYEE_NUMBER, widget=NormalisedTextWidget()
    )
    family_name = fields.Field(attribute="family_name", column_name=FAMILY_NAME, widget=TextWidget())
    given_name = fields.Field(attribute="given_name", column_name=GIVEN_NAME, widget=TextWidget())
    family_name_kana = fields.Field(
        attribute="family_name_kana", column_name=FAMILY_NAME_KANA, widget=NormalisedTextWidget()
    )
    given_name_kana = fields.Field(
        attribute="given_name_kana", column_name=GIVEN_NAME_KANA, widget=NormalisedTextWidget()
    )
    email = fields.Field(attribute="email", column_name=EMAIL, widget=EmailWidget())
    department = fields.Field(attribute="department", column_name=DEPARTMENT, widget=DepartmentCodeWidget())
    grade = fields.Field(attribute="grade", column_name=GRADE, widget=JapaneseChoiceWidget(GRADE, PositionGrade))
    job_family = fields.Field(
        attribute="job_family", column_name=JOB_FAMILY, widget=JapaneseChoiceWidget(JOB_FAMILY, JobFamily)
    )
    employment_type = fields.Field(
        attribute="employment_type",
        column_name=EMPLOYMENT_TYPE,
        widget=JapaneseChoiceWidget(
            EMPLOYMENT_TYPE,
            EmploymentType,
            extra={"正規": EmploymentType.REGULAR, "会計年度任用": EmploymentType.FISCAL_YEAR},
        ),
    )
    effective_date = fields.Field(attribute=None, column_name=EFFECTIVE_DATE, widget=EffectiveDateWidget())

    class Meta:
        model = StaffMember
        name = gettext_lazy("Personnel roster")
        fields = (
            "employee_number",
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "email",
            "department",
            "grade",
            "job_family",
            "employment_type",
            "effective_date",
        )
        import_id_fields = ("employee_number",)
        instance_loader_class = RosterInstanceLoader
        use_transactions = True
        skip_unchanged = True
        report_skipped = True
        # The preview shows our own list of changes; no HTML diff, no deepcopy per row.
        skip_diff = True
        # Rows are checked by import_instance() against the dicts from _prepare(): the model's
        # full_clean() would run unique checks as two queries per row.
        clean_model_instances = False
        # Rows are written by save_instance() and after_import() through the services, never by
        # import-export's bulk lists (they stay empty). use_bulk only turns off its savepoint
        # around every row: two round trips per row that buy nothing here, as a file with any
        # error imports nothing and each service call has its own savepoint.
        use_bulk = True

    def __init__(self, full_roster: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.full_roster = full_roster
        self.existing: dict[str, StaffMember] = {}
        self.departments: dict[str, Department] = {}
        self.departments_by_pk: dict[int, Department] = {}
        self.lines_by_number: dict[str, list[int]] = {}
        self.numbers_by_email: dict[str, set[str]] = {}
        self.lines_by_email: dict[str, list[int]] = {}
        self.email_owner: dict[str, str] = {}
        self.to_deactivate: list[tuple[int, str, str]] = []
        self.new_people: list[StaffMember] = []
        self.new_dates: dict[str, dt.date] = {}
        self._import_fields: list[fields.Field] | None = None
        self._instance: StaffMember | None = None
        self._snapshot: tuple[Any, ...] | None = None

    # -- Export ------------------------------------------------------------------------------

    def filter_export(self, queryset: models.QuerySet[StaffMember], **kwargs: Any) -> models.QuerySet[StaffMember]:
        # Only current staff: the roster lists who works for the city today, so an export
        # re-imports as "unchanged" (an inactive person in it would be reactivated).
        return queryset.filter(is_active=True).select_related("department").order_by("employee_number")

    def dehydrate_effective_date(self, staff: StaffMember) -> str:
        # Left empty on purpose: an old date in a re-imported export would back-date the next
        # transfer HR types into it.
        return ""

    # -- Import: once per file ---------------------------------------------------------------

    def get_import_fields(self) -> list[fields.Field]:
        # Called several times per row; the fields never change.
        if self._import_fields is None:
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def import_data(
        self,
        dataset: tablib.Dataset,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = False,
        **kwargs: Any,
    ) -> Result:
        # Tens of thousands of live rows make each of Python's full garbage collections slower
        # and more frequent (a 60,000-row preview took twice as long): pause them meanwhile.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            # A file with any invalid row imports nothing, whoever calls us.
            return super().import_data(
                dataset,
                dry_run=dry_run,
                raise_errors=raise_errors,
                use_transactions=use_transactions,
                collect_failed_rows=collect_failed_rows,
                rollback_on_validation_errors=True,
                **kwargs,
            )
        finally:
            if gc_was_enabled:
                gc.enable()

    def import_data_inner(
        self,
        dataset: tablib.Dataset,
        dry_run: bool,
        raise_errors: bool,
        using_transactions: bool,
        collect_failed_rows: bool,
        **kwargs: Any,
    ) -> Result:
        try:
            self._prepare(dataset, user=kwargs.get("user"))
        except RosterFileError as exc:
            # Wrong columns: say so once, instead of an error on every row.
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            self.handle_import_error(result, exc, raise_errors)
            return result
        return super().import_data_inner(
            dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
        )

    @classmethod
    def get_result_class(cls) -> type[RosterResult]:
        return RosterResult

    @classmethod
    def get_row_result_class(cls) -> type[RosterRowResult]:
        return RosterRowResult

    def _rename_headers(self, dataset: tablib.Dataset) -> None:
        headers = [HEADER_ALIASES.get(_header_key(h), str(h or "").strip()) for h in dataset.headers or []]
        known = [h for h in headers if h in HEADER_ALIASES.values()]
        repeated = sorted({h for h in known if known.count(h) > 1})
        if repeated:
            raise RosterFileError(
                _("These columns appear more than once: %(columns)s.") % {"columns": "、".join(repeated)}
            )
        missing = [column for column in REQUIRED_COLUMNS if column not in headers]
        if missing:
            raise RosterFileError(
                _("Required columns are missing: %(missing)s. The file's columns are: %(found)s.")
                % {"missing": "、".join(missing), "found": "、".join(h for h in headers if h) or "-"}
            )
        dataset.headers = headers

    def _prepare(self, dataset: tablib.Dataset, user: Any = None) -> None:
        self.new_people, self.new_dates = [], {}
        self._rename_headers(dataset)
        numbers = [normalise_code(value) for value in dataset[EMPLOYEE_NUMBER]]
        emails = [normalise_email(value) for value in dataset[EMAIL]]

        lines_by_number: dict[str, list[int]] = defaultdict(list)
        lines_by_email: dict[str, list[int]] = defaultdict(list)
        numbers_by_email: dict[str, set[str]] = defaultdict(set)
        for line, (number, email) in enumerate(zip(numbers, emails, strict=True), start=2):
            if number:
                lines_by_number[number].append(line)
            if email:
                lines_by_email[email].append(line)
                numbers_by_email[email].add(number)
        self.lines_by_number = dict(lines_by_number)
        self.lines_by_email = dict(lines_by_email)
        self.numbers_by_email = dict(numbers_by_email)

        self.departments = {d.code: d for d in Department.objects.all()}
        self.departments_by_pk = by_pk = {d.pk: d for d in self.departments.values()}
        existing: dict[str, StaffMember] = {}
        for chunk in _chunks(list(self.lines_by_number)):
            for staff in StaffMember.objects.filter(employee_number__in=chunk):
                if staff.department_id is not None:
                    staff.department = by_pk[staff.department_id]  # shared, not one query per row
                existing[staff.employee_number] = staff
        self.existing = existing
        owners: dict[str, str] = {}
        for chunk in _chunks(list(self.lines_by_email)):
            owners.update(StaffMember.objects.filter(email__in=chunk).values_list("email", "employee_number"))
        self.email_owner = owners

        self.to_deactivate = []
        if self.full_roster:
            in_file = set(self.lines_by_number)
            acting_pk = getattr(user, "pk", None)
            # Never superusers (system accounts, not on HR's roster) nor the person importing.
            active = StaffMember.objects.filter(is_active=True, is_superuser=False).exclude(pk=acting_pk)
            self.to_deactivate = [
                (pk, number, f"{family} {given}".strip())
                for pk, number, family, given in active.order_by("employee_number").values_list(
                    "pk", "employee_number", "family_name", "given_name"
                )
                if number not in in_file
            ]

    # -- Import: each row ------------------------------------------------------------------------

    @staticmethod
    def _tracked(staff: StaffMember) -> tuple[Any, ...]:
        return tuple(getattr(staff, name) for name in TRACKED)

    def after_init_instance(self, instance: StaffMember, new: bool, row: dict[str, Any], **kwargs: Any) -> None:
        self._instance = instance
        self._snapshot = None if new else self._tracked(instance)

    def import_row(self, row: dict[str, Any], instance_loader: BaseInstanceLoader, **kwargs: Any) -> RowResult:
        self._instance = None
        self._snapshot = None
        return super().import_row(row, instance_loader, **kwargs)

    def import_instance(self, instance: StaffMember, row: dict[str, Any], **kwargs: Any) -> None:
        """Parse and check one row; on success copy its values onto ``instance`` (not saved)."""
        errors: list[str] = []
        values: dict[str, Any] = {}
        for field in self.get_import_fields():
            if field.column_name not in row:
                continue  # an optional column the file does not have: keep the current value
            try:
                values[field.column_name] = field.clean(row)
            except ValueError as exc:
                errors.append(str(exc))

        number = values.get(EMPLOYEE_NUMBER, "")
        if not number:
            errors.append(_("The employee number (%(column)s) is empty.") % {"column": EMPLOYEE_NUMBER})
        elif len(self.lines_by_number.get(number, ())) > 1:
            errors.append(
                _("Employee number %(number)s appears more than once in the file (lines %(lines)s).")
                % {"number": number, "lines": ", ".join(map(str, self.lines_by_number[number]))}
            )
        for column in (FAMILY_NAME, GIVEN_NAME, EMAIL):
            if not values.get(column):
                errors.append(_("%(column)s is empty.") % {"column": column})
        for column, limit in _MAX_LENGTHS.items():
            if len(values.get(column) or "") > limit:
                errors.append(_("%(column)s is longer than %(limit)d characters.") % {"column": column, "limit": limit})

        email = values.get(EMAIL, "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(_("The email address is not valid (%(value)s).") % {"value": email})
            else:
                owner = self.email_owner.get(email)
                if owner is not None and owner != number:
                    errors.append(
                        _("Email address %(email)s is already used by employee number %(number)s.")
                        % {"email": email, "number": owner}
                    )
                elif len(self.numbers_by_email.get(email, ())) > 1:
                    errors.append(
                        _(
                            "Email address %(email)s is given to more than one employee number "
                            "in the file (lines %(lines)s)."
                        )
                        % {"email": email, "lines": ", ".join(map(str, self.lines_by_email[email]))}
                    )

        department = instance.department if instance.department_id else None
        code = values.get(DEPARTMENT, "")
        if code:
            department = self.departments.get(code)
            if department is None:
                errors.append(_("Department code %(code)s does not exist.") % {"code": code})
            elif not department.is_active:
                errors.append(_("Department code %(code)s is no longer in use.") % {"code": code})
        elif department is None and (values.get(GRADE) or values.get(JOB_FAMILY)):
            errors.append(
                _("A %(grade)s or %(job_family)s needs a %(department)s.")
                % {"grade": GRADE, "job_family": JOB_FAMILY, "department": DEPARTMENT}
            )

        if errors:
            raise ValidationError(errors)

        for field in self.get_import_fields():
            column = field.column_name
            if column not in values or field.attribute in (None, "department", "employment_type"):
                continue
            setattr(instance, field.attribute, values[column])
        if values.get(EMPLOYMENT_TYPE):
            instance.employment_type = values[EMPLOYMENT_TYPE]  # blank: keep (new people: regular)
        if code and department is not None and department.pk != instance.department_id:
            instance.department = department  # blank: keep the current department
        instance.is_active = True  # a person on the roster works here (staff_upsert reactivates)

    def skip_row(
        self,
        instance: StaffMember,
        original: StaffMember | None,
        row: dict[str, Any],
        import_validation_errors: dict[str, Any] | None = None,
    ) -> bool:
        if import_validation_errors or self._snapshot is None:
            return False
        return self._tracked(instance) == self._snapshot

    def save_instance(self, instance: StaffMember, is_create: bool, row: dict[str, Any], **kwargs: Any) -> None:
        if self._is_dry_run(kwargs):
            return  # the preview only classifies rows; it writes nothing
        on = self.fields["effective_date"].clean(row) if EFFECTIVE_DATE in row else None
        if is_create:
            # New people are created together in after_import (staff_create_many): a first
            # import of a whole city is tens of thousands of them.
            self.new_people.append(instance)
            if on:
                self.new_dates[instance.employee_number] = on
            return
        staff, _created = staff_upsert(
            employee_number=instance.employee_number,
            email=instance.email,
            family_name=instance.family_name,
            given_name=instance.given_name,
            family_name_kana=instance.family_name_kana,
            given_name_kana=instance.given_name_kana,
            department=instance.department if instance.department_id else None,
            grade=instance.grade,
            job_family=instance.job_family,
            employment_type=instance.employment_type,
            on=on,
        )
        instance.pk = staff.pk  # for the admin's log entries

    def after_import_row(self, row: dict[str, Any], row_result: RowResult, **kwargs: Any) -> None:
        if not isinstance(row_result, RosterRowResult):
            return
        row_result.line = kwargs.get("row_number", 0) + 1
        instance = self._instance
        if instance is None:
            return
        row_result.employee_number = instance.employee_number
        row_result.name = instance.full_name
        if row_result.import_type == RowResult.IMPORT_TYPE_UPDATE and self._snapshot is not None:
            row_result.changes = list(self._describe_changes(self._snapshot, instance))
        elif row_result.import_type == RowResult.IMPORT_TYPE_NEW:
            row_result.summary = " / ".join(
                part
                for part in (
                    self._show("department_id", instance.department_id),
                    self.fields["grade"].widget.render(instance.grade),
                    self.fields["job_family"].widget.render(instance.job_family),
                    self.fields["employment_type"].widget.render(instance.employment_type),
                )
                if part
            )

    def _show(self, name: str, value: Any) -> str:
        if name == "department_id":
            department = self.departments_by_pk.get(value) if value else None
            return f"{department.code} {department.name}" if department else ""
        if name in ("grade", "job_family", "employment_type"):
            return str(self.fields[name].widget.render(value))
        return "" if value is None else str(value)

    def _describe_changes(self, before: tuple[Any, ...], instance: StaffMember) -> Iterable[str]:
        after = self._tracked(instance)
        for name, old, new in zip(TRACKED, before, after, strict=True):
            if old == new:
                continue
            if name == "is_active":
                yield _("Reactivated (was inactive)")
            else:
                yield _("%(column)s: %(old)s → %(new)s") % {
                    "column": _TRACKED_COLUMNS[name],
                    "old": self._show(name, old) or "-",
                    "new": self._show(name, new) or "-",
                }

    def after_import(self, dataset: tablib.Dataset, result: Result, **kwargs: Any) -> None:
        failed = result.has_errors() or result.has_validation_errors()  # then all is rolled back
        if self.new_people and not failed:
            staff_create_many(people=self.new_people, on=self.new_dates)
        super().after_import(dataset, result, **kwargs)
        if not isinstance(result, RosterResult):
            return
        result.full_roster = self.full_roster
        result.deactivations = self.to_deactivate
        if self._is_dry_run(kwargs) or not self.full_roster or failed:
            return
        pks = [pk for pk, _number, _name in self.to_deactivate]
        for chunk in _chunks(pks):
            for staff in StaffMember.objects.filter(pk__in=chunk):
                result.deactivated += int(staff_deactivate(staff=staff))
