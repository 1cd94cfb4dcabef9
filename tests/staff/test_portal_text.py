"""Japanese shown on an English page is marked lang="ja"; a Japanese page is left as it is."""

from __future__ import annotations

from django.utils import translation

from staff.templatetags.portal_text import ja_marked, japanese_only_note, lang_ja_unless


def test_japanese_runs_are_marked_on_english_pages_and_escaped():
    with translation.override("en"):
        assert ja_marked("Self-development (自己啓発型)") == 'Self-development (<span lang="ja">自己啓発型</span>)'
        assert ja_marked("山田 花子") == '<span lang="ja">山田 花子</span>'
        assert ja_marked("<b>八王子</b>") == '&lt;b&gt;<span lang="ja">八王子</span>&lt;/b&gt;'
        assert lang_ja_unless("") == ' lang="ja"' and lang_ja_unless("Administrative law") == ""
        assert "(Japanese only)" in japanese_only_note("")


def test_nothing_is_added_on_japanese_pages():
    with translation.override("ja"):
        assert ja_marked("自己啓発型") == "自己啓発型"
        assert lang_ja_unless("") == "" and japanese_only_note("") == ""
