"""What the badge admin pages share: JSON documents shown readably, and the search of people by
name in kanji, kana or romaji."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Concat
from django.http import HttpRequest
from django.utils.html import format_html


def json_document(value: Any) -> str:
    """A signed or machine-written JSON document, shown as it is: its keys are the standard's
    identifiers (English by definition, like code), so the block is marked ``lang="en"`` and
    ``translate="no"`` for screen readers and translation tools; HR reads the Japanese fields
    above it."""
    if not value:
        return "—"
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False)
    return format_html('<pre class="json-document" lang="en" translate="no">{}</pre>', text)


def _katakana(text: str) -> str:
    """Half-width kana as full-width (NFKC) and hiragana as katakana: staff kana are stored in katakana."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


class PersonNameSearchMixin:
    """The admin search as HR types a person's name: Django's word-by-word search over
    ``search_fields``, or the whole name: 「山田花子」 and 「ヤマダハナコ」 as well as 「山田 花子」,
    kana in hiragana (やまだ) or half-width (ﾔﾏﾀﾞ) as the katakana stored. ``person_field`` names
    the foreign key to the staff member (the award's recipient, the external badge's holder)."""

    person_field = "recipient"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        term = search_term.strip()
        if not term:
            return results, may_have_duplicates
        kana = _katakana(term)
        compact, compact_kana = "".join(term.split()), "".join(kana.split())
        person = self.person_field
        named = queryset.annotate(
            _search_name=Concat(f"{person}__family_name", f"{person}__given_name"),
            _search_kana=Concat(f"{person}__family_name_kana", f"{person}__given_name_kana"),
        ).filter(Q(_search_name__icontains=compact) | Q(_search_kana__icontains=compact_kana))
        matched = Q(pk__in=results.values("pk")) | Q(pk__in=named.values("pk"))
        if kana != term:
            by_kana, _dup = super().get_search_results(request, queryset, kana)  # type: ignore[misc]
            matched |= Q(pk__in=by_kana.values("pk"))
        # Subqueries of primary keys: the outer query has no join that could repeat a row.
        return queryset.filter(matched), False
