"""Template helpers for text that exists only in Japanese, shown on an English page.

A course title without an English title, a person's name, a department: on an English page
these stay Japanese, and are marked ``lang="ja"`` so that screen readers read them as
Japanese and browsers pick a Japanese font. On a Japanese page nothing is added.
"""

from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

register = template.Library()

# Kana, kanji, CJK punctuation (、。「」) and full-width forms (（）：), with the spaces between
# them (山田 花子 is one name, not two runs).
_JAPANESE = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_RUN = re.compile(f"[{_JAPANESE}]+(?:[ \u3000]+[{_JAPANESE}]+)*")


def _english_page() -> bool:
    return not (get_language() or "ja").startswith("ja")


def has_japanese(text: str) -> bool:
    return bool(_RUN.search(text or ""))


@register.filter(is_safe=True)
def ja_marked(value: object) -> SafeString:
    """The value, escaped, with each run of Japanese in ``<span lang="ja">`` on an English page:
    「Self-development (自己啓発型)」 keeps its English and marks the Japanese term."""
    escaped = str(conditional_escape(value if value is not None else ""))
    if not _english_page():
        return mark_safe(escaped)  # noqa: S308 - escaped above
    return mark_safe(_RUN.sub(lambda m: f'<span lang="ja">{m.group(0)}</span>', escaped))  # noqa: S308


@register.simple_tag
def lang_ja_unless(english: object) -> SafeString:
    """`` lang="ja"`` for an element whose English version is missing, on an English page:
    ``<h1{% lang_ja_unless course.title_en %}>{{ course.display_title }}</h1>``."""
    if _english_page() and not str(english or "").strip():
        return mark_safe(' lang="ja"')
    return mark_safe("")


@register.simple_tag
def japanese_only_note(english: object) -> SafeString:
    """A short "(Japanese only)" after a whole text that has no English version, on an English page."""
    if _english_page() and not str(english or "").strip():
        return format_html(' <span class="lang-note">{}</span>', gettext("(Japanese only)"))
    return mark_safe("")
