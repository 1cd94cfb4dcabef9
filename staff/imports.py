"""Limits and short memory for HR's imports (roster, catalogue, grade reports; django-import-export).

An import is two steps: the upload is checked and previewed, then confirmed. In between the
file waits in the cache, and it holds names and email addresses. Here:

* an upload larger than ``PORTAL_IMPORT_MAX_BYTES`` is refused by the form, before it is read
  or stored (the row, column and unpacked-size limits are the formats' own, staff/formats.py);
* the waiting file is forgotten after ``PORTAL_IMPORT_PENDING_SECONDS`` (30 minutes; the
  package's default is a day), at once when the preview finds errors (there is nothing to
  confirm), and at once when it is confirmed or discarded.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from import_export.forms import ImportForm
from import_export.tmp_storages import CacheStorage

from .formats import RosterFileError
from .jobs import upload_job_for, upload_job_start


class PendingUploadStorage(CacheStorage):
    """import-export's cache storage, keeping an upload only as long as HR may take to confirm."""

    def save(self, data: Any) -> None:
        if not self.name:
            self.name = uuid4().hex
        cache.set(self.CACHE_PREFIX + self.name, data, settings.PORTAL_IMPORT_PENDING_SECONDS)


def upload_size_error(upload: UploadedFile | None) -> str | None:
    limit = settings.PORTAL_IMPORT_MAX_BYTES
    if upload is None or (upload.size or 0) <= limit:
        return None
    return gettext("The file is too large (%(size)s; at most %(limit)s): split it into smaller files.") % {
        "size": filesizeformat(upload.size),
        "limit": filesizeformat(limit),
    }


class LimitedImportForm(ImportForm):
    """The upload step of every HR import: a file over the size limit is refused at once."""

    def clean_import_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["import_file"]
        error = upload_size_error(upload)
        if error:
            raise forms.ValidationError(error, code="too_large")
        return upload


class PendingUploadsMixin:
    """For ``ImportMixin`` admins: forget an upload that will not be confirmed, and let HR
    discard one from the preview (a ``discard`` button in the confirm form)."""

    import_form_class = LimitedImportForm
    import_template_name = "admin/import_export/import_discardable.html"

    def write_to_tmp_storage(self, import_file: UploadedFile, input_format: Any) -> Any:
        # The package adds the chunks up with ``+=`` (quadratic in the file's size).
        tmp_storage_cls = self.get_tmp_storage_class()  # type: ignore[attr-defined]
        tmp_storage = tmp_storage_cls(
            encoding=None if input_format.is_binary() else self.from_encoding,  # type: ignore[attr-defined]
            read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),  # type: ignore[attr-defined]
        )
        tmp_storage.save(b"".join(import_file.chunks()))
        return tmp_storage

    def _forget_upload(self, name: str) -> None:
        if name:
            self.get_tmp_storage_class()(name=name).remove()  # type: ignore[attr-defined]

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().import_action(request, **kwargs)  # type: ignore[misc]
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        if isinstance(response, TemplateResponse) and form is not None and not context.get("confirm_form"):
            # Refused or with errors: nothing to confirm, so nothing to keep. (The form's own
            # cleaned_data loses the file when an error is added to it: the same object is here.)
            upload = request.FILES.get("import_file")
            self._forget_upload(getattr(upload, "tmp_storage_name", ""))
        return response

    def add_data_read_fail_error_to_form(self, form: Any, e: Exception) -> None:
        if isinstance(e, RosterFileError):  # a file beyond the limits, or unreadable: say which
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)  # type: ignore[misc]

    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        name = request.POST.get("import_file_name", "") if request.method == "POST" else ""
        if "discard" in request.POST and self.has_import_permission(request):  # type: ignore[attr-defined]
            self._forget_upload(name)
            messages.info(request, gettext("The upload was discarded: nothing was imported."))
            return HttpResponseRedirect(self._import_url())
        try:
            response: HttpResponse = super().process_import(request, **kwargs)  # type: ignore[misc]
        except RosterFileError as exc:  # e.g. the upload expired before it was confirmed
            messages.error(request, str(exc))
            return HttpResponseRedirect(self._import_url())
        finally:
            if self.has_import_permission(request):  # type: ignore[attr-defined]
                self._forget_upload(name)  # imported, refused or failed: never needed again
        return response

    def _import_url(self) -> str:
        opts = self.model._meta  # type: ignore[attr-defined]
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_import")


class BackgroundConfirmMixin:
    """For ``PendingUploadsMixin`` admins (listed before it): a confirmed upload of
    ``PORTAL_BACKGROUND_FROM`` rows or more is imported by a background job (staff/jobs.py,
    ``upload_job_start``) and HR gets the job's page at once; a second click on 確定, or the
    same file confirmed again while its job waits or runs, goes to that job. Smaller files, and
    anything the normal path must explain (an invalid form, an expired upload), go on as before.

    The admin names the job's kind and may add options taken from the confirm form."""

    background_job_kind: str = ""
    #: Shown when the confirmed file is already being imported.
    background_job_running_message = gettext_lazy("This file is already being imported: here is that job.")

    def background_job_options(self, confirm_form: Any) -> dict[str, Any]:
        return {}

    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if (
            request.method == "POST" and "discard" not in request.POST and self.has_import_permission(request)  # type: ignore[attr-defined]
        ):
            running = upload_job_for(request.POST.get("import_file_name", ""))
            if running is not None:
                return HttpResponseRedirect(reverse("admin:staff_backgroundjob_change", args=[running]))
            in_background = self._import_in_background(request)
            if in_background is not None:
                return in_background
        response: HttpResponse = super().process_import(request, **kwargs)  # type: ignore[misc]
        return response

    def _import_in_background(self, request: HttpRequest) -> HttpResponse | None:
        confirm_form = self.create_confirm_form(request)  # type: ignore[attr-defined]
        if not confirm_form.is_valid():
            return None
        format_index = int(confirm_form.cleaned_data["format"])
        input_format = self.get_import_formats()[format_index](encoding=self.from_encoding)  # type: ignore[attr-defined]
        name = confirm_form.cleaned_data["import_file_name"]
        tmp_storage = self.get_tmp_storage_class()(  # type: ignore[attr-defined]
            name=name,
            encoding=None if input_format.is_binary() else self.from_encoding,  # type: ignore[attr-defined]
            read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),  # type: ignore[attr-defined]
        )
        try:
            data = tmp_storage.read()
            rows = len(input_format.create_dataset(data))
        except (RosterFileError, OSError, KeyError, TypeError):
            return None  # e.g. expired: the normal path says so
        if rows < settings.PORTAL_BACKGROUND_FROM:
            return None
        job, created = upload_job_start(
            kind=self.background_job_kind,
            data=data,
            format_index=format_index,
            options=self.background_job_options(confirm_form),
            rows=rows,
            actor=request.user,  # called from process_import (an override)
            upload_name=name,
            file_name=confirm_form.cleaned_data.get("original_file_name", ""),
        )
        self._forget_upload(name)  # type: ignore[attr-defined]  # the job keeps its own copy
        if not created:
            messages.warning(request, str(self.background_job_running_message))
        return HttpResponseRedirect(reverse("admin:staff_backgroundjob_change", args=[job.pk]))
