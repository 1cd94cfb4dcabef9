"""The roster's cells (django-import-export widgets): text, codes, email addresses, Japanese
words for choices and dates as HR writes them."""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import widgets

from .columns import EFFECTIVE_DATE, _header_key, _nfkc, _text, normalise_code, normalise_email

# --- Widgets ------------------------------------------------------------------------------


class TextWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return _text(value)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value)


class NormalisedTextWidget(TextWidget):
    """Codes, numbers and kana: NFKC-normalised (full-width digits, half-width kana)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return _nfkc(value)


class EmailWidget(TextWidget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return normalise_email(value)


class DepartmentCodeWidget(TextWidget):
    """In: the code (resolved by the resource against its dict of departments). Out: the code."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return normalise_code(value)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.code if value is not None else ""


def japanese_word(label: object) -> str:
    """The Japanese in a choice label's msgid: "Staff (主事)" → "主事"."""
    with translation.override(None):
        text = str(label)
    match = re.search(r"\(([^()]+)\)\s*$", text)
    return match.group(1) if match else text


class JapaneseChoiceWidget(TextWidget):
    """A TextChoices field written as its Japanese word (主事, 事務, 正規職員 …).

    The value itself and the English label are accepted too; ``extra`` adds short forms.
    """

    def __init__(self, column: str, choices: type[models.TextChoices], extra: dict[str, str] | None = None) -> None:
        super().__init__()
        self.column = column
        self.choices = choices
        self.extra = extra or {}

    @cached_property
    def words(self) -> dict[str, str]:
        return {value: japanese_word(label) for value, label in self.choices.choices}

    @cached_property
    def values(self) -> dict[str, str]:
        spellings: dict[str, str] = {}
        for value, label in self.choices.choices:
            with translation.override(None):
                english = str(label)
            for spelling in (value, english, english.split("(")[0], self.words[value]):
                spellings[_header_key(spelling)] = value
        spellings.update({_header_key(word): value for word, value in self.extra.items()})
        return spellings

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = _nfkc(value)
        if not text:
            return ""
        try:
            return self.values[_header_key(text)]
        except KeyError:
            raise ValueError(
                _("%(column)s “%(value)s” is not one of: %(choices)s.")
                % {"column": self.column, "value": text, "choices": "、".join(self.words.values())}
            ) from None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return self.words.get(value or "", "")


# 2026-04-01, 2026/4/1, 2026.4.1, 2026年4月1日 (strptime is slow: this runs once per row).
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_DATE_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")


class EffectiveDateWidget(TextWidget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = _nfkc(value)
        if not text:
            return None
        text = text.split(" ")[0]  # "2026/04/01 0:00", as Excel sometimes writes dates
        match = _DATE.fullmatch(text) or _DATE_DIGITS.fullmatch(text)
        if match:
            try:
                return dt.date(*map(int, match.groups()))
            except ValueError:
                pass
        raise ValueError(
            _("%(column)s “%(value)s” is not a date (write it like 2026-04-01).")
            % {"column": EFFECTIVE_DATE, "value": text}
        )
