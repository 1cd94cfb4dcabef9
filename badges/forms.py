from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from .core import credentials
from .models import Award
from .public import verification


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(
        label=_("Who can see this badge"),
        choices=Award.Visibility.choices,
        widget=forms.RadioSelect,
    )


def read_upload(upload: UploadedFile) -> bytes:
    """The uploaded bytes, refusing files over the limit before reading them."""
    if upload.size is not None and upload.size > verification.max_upload_bytes():
        raise forms.ValidationError(verification.message_for("file_too_large"), code="file_too_large")
    data = upload.read(verification.max_upload_bytes() + 1)
    if len(data) > verification.max_upload_bytes():
        raise forms.ValidationError(verification.message_for("file_too_large"), code="file_too_large")
    return data


class _BadgeInputForm(forms.Form):
    file = forms.FileField(
        label=_("Badge image (PNG) or credential file (JSON)"),
        required=False,
        allow_empty_file=True,  # the verifier says "the file is empty" itself
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,application/json,.json,.png"}),
    )
    credential = forms.CharField(
        label=_("Or paste the credential JSON"),
        required=False,
        max_length=credentials.DEFAULT_MAX_BYTES,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocomplete": "off"}),
    )

    def clean_file(self) -> bytes | None:
        upload = self.cleaned_data.get("file")
        if upload is None or upload is False:
            return None
        return read_upload(upload)


class VerifyForm(_BadgeInputForm):
    url = forms.CharField(
        label=_("Or give the address (URL) of a badge of this portal"),
        required=False,
        max_length=2000,
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("Your email address (optional)"),
        required=False,
        help_text=_(
            "If you are the holder, type the address the badge was issued to: it is compared with the "
            "hashed recipient in the badge and is not stored."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        given = [name for name in ("file", "credential", "url") if data.get(name) or data.get(name) == b""]
        if not given and not self.errors:
            raise forms.ValidationError(verification.message_for("no_input"), code="no_input")
        if len(given) > 1:
            raise forms.ValidationError(_("Give only one: a file, a pasted credential or an address."), code="many")
        return data


class ExternalBadgeForm(_BadgeInputForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("file") is None and not data.get("credential") and not self.errors:
            raise forms.ValidationError(_("Choose a badge file or paste the credential JSON."), code="no_input")
        if data.get("file") and data.get("credential"):
            raise forms.ValidationError(_("Give only one: a file or a pasted credential."), code="many")
        return data


class RecordRangeForm(forms.Form):
    """The fiscal years a training record covers (either end open: all years by default). The
    view offers the years the record has as choices; any year in range is accepted."""

    from_year = forms.IntegerField(
        label=_("From fiscal year"), required=False, min_value=1900, max_value=2999, widget=forms.Select
    )
    to_year = forms.IntegerField(
        label=_("To fiscal year"), required=False, min_value=1900, max_value=2999, widget=forms.Select
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("from_year"), data.get("to_year")
        if first is not None and last is not None and first > last:
            raise forms.ValidationError(_("The first fiscal year comes after the last one."), code="range_reversed")
        return data

    def offer(self, years: list[int], label: Any) -> None:
        """Offer ``years`` (newest first) in both lists, each shown with ``label(year)``."""
        for name, blank in (("from_year", _("From the first")), ("to_year", _("To the last"))):
            self.fields[name].widget.choices = [("", blank), *((y, label(y)) for y in years)]
