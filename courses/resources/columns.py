"""Japanese column headers and cells for every course resource: dates as Japanese staff write
them, choices by their label, headers in the page's language."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from import_export import resources, widgets

from ..models import EnrolmentState

S = EnrolmentState


class JapaneseDateWidget(widgets.DateWidget):
    """Dates as Japanese spreadsheets write them: 2026-04-01, 2026/04/01, 2026/4/1, 2026年4月1日."""

    FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        for fmt in self.FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
            except ValueError:
                continue
        raise ValueError(_("“%(value)s” is not a date (write it as 2026-04-01).") % {"value": text})


# --- Japanese columns -----------------------------------------------------------------------


def _header_key(header: object) -> str:
    text = unicodedata.normalize("NFKC", str(header or "")).strip().lower()
    return re.sub(r"[\s_]+", " ", text)


class ChoiceLabelWidget(widgets.Widget):
    """A choice written as its Japanese label (通信教育, 修了 …); the code and the English label
    are read too, so files exported before issue 13 (raw codes) still import."""

    def __init__(self, choices: Any) -> None:
        super().__init__()
        self.choices = choices

    def _labels(self) -> dict[str, str]:
        with translation.override("ja"):
            return {str(value): str(label) for value, label in self.choices.choices}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = unicodedata.normalize("NFKC", str(value or "")).strip()
        if not text:
            return ""
        spellings: dict[str, str] = {}
        for code, label in self.choices.choices:
            with translation.override(None):
                english = str(label)
            for spelling in (code, english, self._labels()[str(code)]):
                spellings[_header_key(spelling)] = code
        try:
            return spellings[_header_key(text)]
        except KeyError:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": text, "choices": "、".join(self._labels().values())}
            ) from None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return self._labels().get(str(value or ""), str(value or ""))


class JapaneseColumnsResource(resources.ModelResource):
    """Files (and the import and export screens) name the columns in Japanese: ``COLUMNS``
    maps each field to its column. A file with the English field names, as exported before
    issue 13, is still read: ``before_import`` renames its headers."""

    COLUMNS: dict[str, str] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name, column in self.COLUMNS.items():
            self.fields[name].column_name = column

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        names = {_header_key(name): column for name, column in self.COLUMNS.items()}
        names.update({_header_key(column): column for column in self.COLUMNS.values()})
        if dataset.headers:
            dataset.headers = [names.get(_header_key(h), str(h or "").strip()) for h in dataset.headers]
        super().before_import(dataset, **kwargs)
