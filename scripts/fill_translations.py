"""Fill empty entries of locale/ja/LC_MESSAGES/django.po from docs/_pending_translations/*.po.

Used by scripts/update_translations.sh after makemessages. Japanese has one plural form
(nplurals=1), so plural entries keep exactly one msgstr[0].
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "ja" / "LC_MESSAGES" / "django.po"
HEADER = {
    "Project-Id-Version": "hachioji-portal",
    "Last-Translator": "Hachioji portal team",
    "Language-Team": "Japanese",
    "Language": "ja",
    "PO-Revision-Date": "2026-11-26 00:00+0900",
}


def unquote(lines: list[str]) -> str:
    return "".join(re.match(r'^(?:\S+ )?"(.*)"$', line).group(1) for line in lines)  # type: ignore[union-attr]


def parse(block: str) -> dict[str, str]:
    fields: dict[str, list[str]] = {}
    key = None
    for line in block.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) ".*"$', line)
        if match:
            key = match.group(1)
            fields[key] = [line]
        elif line.startswith('"') and key:
            fields[key].append(line)
    return {k: unquote(v) for k, v in fields.items()}


def quote(text: str) -> str:
    return '"' + text + '"'


def main() -> int:
    known: dict[str, str] = {}
    for path in sorted((ROOT / "docs" / "_pending_translations").glob("*.po")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            entry = parse(block)
            text = entry.get("msgstr") or entry.get("msgstr[0]")
            if entry.get("msgid") and text:
                known.setdefault(entry["msgid"], text)
    blocks = PO.read_text(encoding="utf-8").split("\n\n")
    filled = 0
    out = []
    for block in blocks:
        entry = parse(block)
        comments = [line for line in block.splitlines() if line.startswith("#")]
        if not entry.get("msgid"):
            # The header: ours, not makemessages' placeholders, and never fuzzy.
            header = [line for line in block.splitlines() if not line.startswith("#")]
            out.append("# Japanese translations of the Hachioji staff learning portal.\n" + "\n".join(header))
            continue
        current = entry.get("msgstr", entry.get("msgstr[0]", ""))
        if any(c.startswith("#,") and "fuzzy" in c for c in comments):
            # makemessages guessed from a similar message: a guess is not a translation.
            current = ""
            comments = [c.replace(", fuzzy", "") for c in comments if c.strip() != "#, fuzzy"]
        comments = [c for c in comments if not c.startswith("#|")]
        text = current or known.get(entry["msgid"], "")
        if text and not current:
            filled += 1
        lines = comments[:]
        if "msgctxt" in entry:
            lines.append("msgctxt " + quote(entry["msgctxt"]))
        lines.append("msgid " + quote(entry["msgid"]))
        if "msgid_plural" in entry:
            lines.append("msgid_plural " + quote(entry["msgid_plural"]))
            lines.append("msgstr[0] " + quote(text))
        else:
            lines.append("msgstr " + quote(text))
        out.append("\n".join(lines))
    text = "\n\n".join(out).rstrip("\n") + "\n"
    for field, value in HEADER.items():
        text = re.sub(rf'"{field}: [^"]*\\n"', f'"{field}: {value}\\\\n"', text, count=1)
    PO.write_text(text, encoding="utf-8")
    print(f"filled {filled} entries from docs/_pending_translations/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
