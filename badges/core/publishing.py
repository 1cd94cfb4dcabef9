"""The published public tree (pure): which files a public URL becomes, and writing them safely.

The portal publishes its public documents one way, outward, into a directory laid out exactly
as the public URLs (``PORTAL_PUBLISH_DIR``), for a web server in the internet-facing segment
(``deploy/nginx/``, ``docs/operations.md``). ``badges/publisher.py`` decides *what* to publish
from the database; this module knows only paths and bytes, and never imports the ORM or settings.

A URL that is also a folder (``/public/assertions/<id>`` and ``/public/assertions/<id>/image.png``)
is stored as that folder's ``index.<variant>``: one file per answer the portal gives at that URL
(``json`` for verifiers, ``html`` for browsers, ``ob3`` for the OB 3.0 Achievement of a badge
class), and nginx picks one by the request's Accept header (``deploy/nginx/portal-public-maps.conf``).
A revoked award's folder holds a ``gone`` marker: nginx answers its assertion with 410 as the
portal does. Dot-paths (``.verify.json`` in a folder, ``.verify/`` at the top) hold what the
public verify deployment reads instead of a database; nginx never serves them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

# What each variant is asked for with (the portal's own content negotiation answers these),
# and the file name it is stored under inside the URL's folder.
VARIANT_ACCEPT: Mapping[str, str] = {
    "json": "application/ld+json",
    "html": "text/html",
    "ob3": "application/vc+ld+json",
}
GONE_MARKER = "gone"
DID_DOCUMENT = ".well-known/did.json"
# What the public verify deployment reads and the web server never serves (a part starting
# with a dot: deploy/nginx/ answers 404): each shared award's, badge class's, issuer's and
# share link's facts in its folder, this portal's keys and the register of trusted issuers
# (badges/public/verification/facts.py).
FACTS_FILE = ".verify.json"
VERIFY_FOLDER = ".verify"
KEYS_FILE = f"{VERIFY_FOLDER}/keys.json"
REGISTER_FILE = f"{VERIFY_FOLDER}/trusted-issuers.json"
_HIDDEN_PARTS = frozenset({".well-known", VERIFY_FOLDER, FACTS_FILE})
# Files being written are dotfiles: nginx never serves them (``location ~ /\.``), rsync can skip them.
TEMP_PREFIX = ".publishing-"


class TreePathError(ValueError):
    """A path that would leave the published tree (never produced by the portal's own URLs)."""


def tree_path(url_path: str, variant: str | None = None) -> str:
    """The file in the tree that answers ``url_path`` (a path of the portal, from ``/``).

    ``/public/share/<t>/`` -> ``public/share/<t>/index.html``; ``/public/badges/<id>`` with
    variant ``ob3`` -> ``public/badges/<id>/index.ob3``; a path with its own file name stays.
    """
    if not url_path.startswith("/"):
        raise TreePathError(f"not an absolute URL path: {url_path!r}")
    relative = url_path.lstrip("/")
    if variant is not None:
        if variant not in VARIANT_ACCEPT:
            raise TreePathError(f"unknown variant {variant!r}")
        relative = f"{relative.rstrip('/')}/index.{variant}"
    elif relative.endswith("/") or not relative:
        relative += "index.html"
    return _checked(relative)


def _checked(relative: str) -> str:
    parts = tuple(relative.split("/"))
    if not parts or any(p in ("", ".", "..") or (p.startswith(".") and p not in _HIDDEN_PARTS) for p in parts):
        raise TreePathError(f"not a path inside the tree: {relative!r}")
    return "/".join(parts)


def award_folder(public_id: UUID) -> str:
    return f"public/assertions/{public_id}"


def share_folder(share_token: UUID) -> str:
    return f"public/share/{share_token}"


def facts_path(folder: str) -> str:
    """The verifier's facts of what ``folder`` (a URL's folder) publishes."""
    return f"{folder.rstrip('/')}/{FACTS_FILE}"


def facts_bytes(facts: Mapping[str, Any]) -> bytes:
    return json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def document_digest(document: Any) -> str:
    """SHA-256 of a JSON document in one spelling (keys sorted): a copy that differs in any
    value has another digest. The tree carries this instead of a document it must not show."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def inside(root: Path, relative: str) -> Path:
    """``root / relative``, refusing anything that would resolve outside ``root``."""
    target = root / _checked(relative)
    if not target.resolve().is_relative_to(root.resolve()):
        raise TreePathError(f"{relative!r} leaves the tree")
    return target


def write_files(root: Path, files: Mapping[str, bytes]) -> int:
    """Write each file atomically (a temporary file in the same folder, then a rename), so a
    web server reading the tree sees the old bytes or the new, never half a file. Files whose
    bytes are already there are left alone (rsync then copies nothing). Returns how many were
    written."""
    written = 0
    for relative, data in files.items():
        target = inside(root, relative)
        try:
            if target.is_file() and target.stat().st_size == len(data) and target.read_bytes() == data:
                continue
        except OSError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.parent / f"{TEMP_PREFIX}{secrets.token_hex(6)}-{target.name}"
        try:
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        written += 1
    return written


def remove_paths(root: Path, relatives: Iterable[str]) -> int:
    """Remove files or whole folders from the tree (missing ones are fine); returns how many
    existed. Each file disappears at once; a folder's files one after another."""
    removed = 0
    for relative in relatives:
        target = inside(root, relative)
        if target.is_dir():
            shutil.rmtree(target)
            removed += 1
        elif target.exists():
            target.unlink()
            removed += 1
    return removed


def stale_files(root: Path, folder: str, expected: Mapping[str, bytes]) -> list[str]:
    """Files under ``folder`` (a URL's folder) that ``expected`` no longer names, e.g. an award
    image after the badge was revoked, or the ``gone`` marker of a badge that is not revoked."""
    base = inside(root, folder)
    if not base.is_dir():
        return []
    out = []
    for path in base.rglob("*"):
        if path.is_file() and not path.name.startswith(TEMP_PREFIX):
            relative = path.relative_to(root).as_posix()
            if relative not in expected:
                out.append(relative)
    return sorted(out)


_LANGUAGE_SWITCH = re.compile(r'\s*<form class="lang-switch"[^>]*>.*?</form>', re.S)


def static_page(html: str) -> str:
    """A portal page as a static copy: without the language switch, whose form posts to the
    staff portal (and carries a CSRF token that means nothing in a file). The copy is in the
    portal's default language."""
    return _LANGUAGE_SWITCH.sub("", html, count=1)


def folder_names(root: Path, folder: str) -> set[str]:
    """The names of the sub-folders of ``folder`` (award ids, share tokens) now in the tree."""
    base = inside(root, folder)
    if not base.is_dir():
        return set()
    return {p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")}
