"""Forms for the staff directory's admin: the roster import's upload and confirm steps."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from import_export.forms import ConfirmImportForm, ImportForm


class RosterImportForm(ImportForm):
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
