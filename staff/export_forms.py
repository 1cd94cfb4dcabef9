"""The export screen's form, with each column shown by its (Japanese) column name.

import-export labels each column checkbox with the field's attribute name in title case,
plus the column name in brackets ("Employee Number (職員番号)"): English on a Japanese page.
"""

from __future__ import annotations

from import_export.forms import SelectableFieldsExportForm
from import_export.resources import ModelResource


class JapaneseExportForm(SelectableFieldsExportForm):
    def _get_field_label(self, resource: ModelResource, field_name: str) -> str:
        # The form gets the resource class, whose fields keep their declared column names: a
        # resource that names its columns in __init__ (courses.resources.JapaneseColumnsResource)
        # lists them in COLUMNS.
        column = getattr(resource, "COLUMNS", {}).get(field_name)
        if column:
            return str(column)
        field = resource.fields.get(field_name)
        return str(field.column_name) if field is not None and field.column_name else field_name
