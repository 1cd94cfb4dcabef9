"""The roster's columns: Japanese headers, the English aliases accepted, the columns whose change
is tracked, and the normalisation of the text in them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import TypeVar

# The file's columns. They are the file format HR and the personnel system agree on, so they
# are Japanese whatever the language of the admin.
EMPLOYEE_NUMBER = "職員番号"
FAMILY_NAME = "姓"
GIVEN_NAME = "名"
FAMILY_NAME_KANA = "姓カナ"
GIVEN_NAME_KANA = "名カナ"
EMAIL = "メールアドレス"
DEPARTMENT = "所属コード"
GRADE = "職層"
JOB_FAMILY = "職種"
EMPLOYMENT_TYPE = "雇用形態"
EFFECTIVE_DATE = "異動日"

REQUIRED_COLUMNS = (EMPLOYEE_NUMBER, FAMILY_NAME, GIVEN_NAME, EMAIL)

_ALIASES = {
    EMPLOYEE_NUMBER: ("employee number", "employee no", "employee id", "staff number", "職員no", "職員コード"),
    FAMILY_NAME: ("family name", "last name", "surname", "氏"),
    GIVEN_NAME: ("given name", "first name"),
    FAMILY_NAME_KANA: ("family name kana", "family name (kana)", "last name kana", "姓(カナ)", "セイ", "姓かな"),
    GIVEN_NAME_KANA: ("given name kana", "given name (kana)", "first name kana", "名(カナ)", "メイ", "名かな"),
    EMAIL: ("email", "email address", "e-mail", "mail", "メール"),
    DEPARTMENT: ("department code", "department", "所属"),
    GRADE: ("grade", "position grade"),
    JOB_FAMILY: ("job family",),
    EMPLOYMENT_TYPE: ("employment type",),
    EFFECTIVE_DATE: ("effective date", "transfer date", "発令日", "異動年月日"),
}


def _header_key(header: object) -> str:
    text = unicodedata.normalize("NFKC", str(header or "")).strip().lower()
    return re.sub(r"[\s_]+", " ", text)


HEADER_ALIASES: dict[str, str] = {_header_key(column): column for column in _ALIASES}
HEADER_ALIASES.update({_header_key(alias): column for column, aliases in _ALIASES.items() for alias in aliases})

#: Fields compared to decide whether a row changes anything (``is_active``: a returning person).
TRACKED = (
    "email",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "department_id",
    "grade",
    "job_family",
    "employment_type",
    "is_active",
)
_TRACKED_COLUMNS = {
    "email": EMAIL,
    "family_name": FAMILY_NAME,
    "given_name": GIVEN_NAME,
    "family_name_kana": FAMILY_NAME_KANA,
    "given_name_kana": GIVEN_NAME_KANA,
    "department_id": DEPARTMENT,
    "grade": GRADE,
    "job_family": JOB_FAMILY,
    "employment_type": EMPLOYMENT_TYPE,
}
_MAX_LENGTHS = {
    EMPLOYEE_NUMBER: 20,
    FAMILY_NAME: 50,
    GIVEN_NAME: 50,
    FAMILY_NAME_KANA: 50,
    GIVEN_NAME_KANA: 50,
    EMAIL: 254,
}
_QUERY_CHUNK = 500  # stays under SQLite's limit on query parameters
T = TypeVar("T")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _nfkc(value: object) -> str:
    """Full-width digits, letters and half-width kana, as Excel users type them, made standard."""
    return unicodedata.normalize("NFKC", _text(value)).strip()


def normalise_code(value: object) -> str:
    return _nfkc(value)


def normalise_email(value: object) -> str:
    return _nfkc(value).lower()


def _chunks(items: list[T], size: int = _QUERY_CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
