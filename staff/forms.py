"""Forms for the staff directory's admin: the roster import's upload and confirm steps, and the
administrator's role page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from import_export.forms import ConfirmImportForm

from . import roles
from .imports import LimitedImportForm
from .models import Department, RoleChange


class RosterImportForm(LimitedImportForm):
    """The upload step, with the choice of a full roster (which deactivates the missing)."""

    full_roster = forms.BooleanField(
        label=_("Import as the full staff roster (deactivate staff missing from it)"),
        help_text=_(
            "Tick only for the list of every current employee. Staff who are not in the file are "
            "deactivated (never deleted) when you confirm; the preview shows who. Superusers and "
            "you yourself are never deactivated."
        ),
        required=False,
    )
    field_order = ["resource", "import_file", "format", "full_roster"]


class RosterConfirmImportForm(ConfirmImportForm):
    """The confirm step carries the choice over from the upload step."""

    full_roster = forms.BooleanField(required=False, widget=forms.HiddenInput)


class RoleGrantForm(forms.Form):
    """An administrator grants or revokes one role (staff.services.role_grant / role_revoke)."""

    action = forms.ChoiceField(
        label=_("grant or revoke"),
        choices=[(RoleChange.Action.GRANT, _("Grant")), (RoleChange.Action.REVOKE, _("Revoke"))],
        initial=RoleChange.Action.GRANT,
        widget=forms.RadioSelect,
    )
    role = forms.ChoiceField(label=_("role"), choices=roles.GRANTED_ROLE_CHOICES)
    department = forms.ModelChoiceField(
        label=_("department"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        help_text=_("Only for a head of section: the department they head."),
    )
    reason = forms.CharField(
        label=_("reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the change, for example the personnel order (辞令) and its date."),
    )
