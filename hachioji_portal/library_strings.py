"""Message ids of the libraries' admin screens, so that our catalogue translates them.

makemessages collects only our own code and ``--no-obsolete`` drops a message id found nowhere
else, so the strings HR and the administrators see on django-import-export's screens (whose
Japanese catalogue is incomplete, and says インポート on the export screen) and the names of
django-celery-beat's models (no Japanese catalogue at all) are listed here. Each must be the
library's message id exactly, spaces included: our catalogue (LOCALE_PATHS) wins over theirs.
This module is never imported; it exists to be read by makemessages.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext

IMPORT_EXPORT = (
    gettext_noop("%s through import_export"),
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file."
    ),
    gettext_noop("No valid data to import. Ensure your file has the correct headers or data for import."),
    gettext_noop("export failed due to IllegalCharacterError"),
    gettext_noop("Resource"),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    gettext_noop(
        "The following fields are declared in 'import_id_fields' but are not present in the resource fields: %s"
    ),
    gettext_noop("The following fields are declared in 'import_id_fields' but are not present in the file headers: %s"),
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop("This importer will import the following fields: "),
    gettext_noop("Select all"),
    gettext_noop("Some rows failed to validate"),
    gettext_noop("Please correct these errors in your data where possible, then reupload it using the form above."),
    gettext_noop("Row"),
    gettext_noop("Non field specific"),
    gettext_noop("Value could not be parsed."),
)

CELERY_BEAT = (
    gettext_noop("Periodic Tasks"),
    gettext_noop("periodic task"),
    gettext_noop("periodic tasks"),
    gettext_noop("solar event"),
    gettext_noop("solar events"),
    gettext_noop("interval"),
    gettext_noop("intervals"),
    gettext_noop("clocked"),
    gettext_noop("crontab"),
    gettext_noop("crontabs"),
)


def _export_selected(count: int) -> str:
    # Never called: Django has no ngettext_noop, and makemessages needs the plural pair.
    return ngettext("Export %(len)s selected item.", "Export %(len)s selected items.", count)
