"""Fiscal years (年度, April to March) and their labels."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import translation


def fiscal_year_of(day: dt.date) -> int:
    """年度: April to March. 2027-03-31 is in FY2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fy: int) -> tuple[dt.date, dt.date]:
    """First day of the fiscal year and first day of the next one (end exclusive)."""
    return dt.date(fy, 4, 1), dt.date(fy + 1, 4, 1)


def fiscal_year_label(fy: int) -> str:
    """2026年度 in Japanese, FY2026 in English: a convention of each language, not a translation."""
    if (translation.get_language() or settings.LANGUAGE_CODE).startswith("ja"):
        return f"{fy}年度"
    return f"FY{fy}"


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from ``start`` up to (not including) ``end``."""
    out, day = [], start.replace(day=1)
    while day < end:
        out.append(day)
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out
