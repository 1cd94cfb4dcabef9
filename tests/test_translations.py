"""Every user-facing string of ours has a Japanese translation, and the compiled catalogue is
the one the source says."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "ja" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> list[dict[str, object]]:
    entries = []
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        flags = " ".join(line for line in lines if line.startswith("#,"))
        strings: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                strings[key] = match.group(2)
            elif line.startswith('"') and key:
                strings[key] += line[1:-1]
        if strings.get("msgid"):
            entries.append({"flags": flags, **strings})
    return entries


def test_the_japanese_catalogue_has_no_empty_or_fuzzy_entry():
    entries = _entries(PO.read_text(encoding="utf-8"))
    assert len(entries) > 100
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in str(e["flags"])]
    empty = [e["msgid"] for e in entries if not any(v for k, v in e.items() if k.startswith("msgstr"))]
    assert not fuzzy, f"fuzzy entries: {fuzzy[:10]}"
    assert not empty, f"{len(empty)} untranslated entries, e.g. {empty[:10]}"


def test_the_catalogue_covers_every_message_in_the_code(tmp_path):
    """makemessages, run on a copy of the source, finds no message id the catalogue lacks."""
    import shutil
    import sys

    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", "node_modules", "var", "staticfiles", "test-artifacts", "*.pyc", ".git")
    shutil.copytree(ROOT, copy, ignore=ignore)
    (copy / "locale" / "ja" / "LC_MESSAGES" / "django.po").unlink()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ja", "--ignore=interop", "-v0"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    fresh = {e["msgid"] for e in _entries((copy / "locale/ja/LC_MESSAGES/django.po").read_text(encoding="utf-8"))}
    ours = {e["msgid"] for e in _entries(PO.read_text(encoding="utf-8"))}
    missing = sorted(str(m) for m in fresh - ours)
    assert not missing, f"run scripts/update_translations.sh: {len(missing)} new message ids, e.g. {missing[:5]}"
