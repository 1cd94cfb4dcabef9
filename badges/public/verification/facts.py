"""Where the verifier reads this portal's own facts: the database, or the published tree.

The staff portal checks its own badges against its database. The public deployment
(``PORTAL_URLCONF_MODE=public``, docs/operations.md) has no database: it reads the same facts
from the published tree (``PORTAL_PUBLISH_DIR``, an rsync copy of what ``badges/publisher.py``
writes), so verify traffic never reaches the staff portal or its database. Which one is read
is ``PORTAL_VERIFY_SOURCE`` (``tree`` by default in public mode, ``database`` otherwise).

What the tree holds for the verifier, next to the public documents and never served by the web
server (nginx refuses every path with a part that starts with a dot, deploy/nginx/):

* ``public/assertions/<id>/.verify.json``: an award the holder shares: its status, dates,
  revocation reason, status list position, recipient (as in its hosted assertion) and the
  digest of its full OB 2.0 assertion (a baked copy is compared with it, as with the row);
* ``public/badges/<id>/.verify.json``, ``public/issuers/<id>/.verify.json``: what a report says
  about the badge class and the issuer;
* ``public/share/<token>/.verify.json``: which award a share link shows;
* ``.verify/keys.json``: every signing key of this portal (public keys);
* ``.verify/trusted-issuers.json``: the register of trusted issuers as ``trust.load_register``
  reads it (or the file ``PORTAL_TRUST_REGISTER_FILE`` names);
* the signed status lists themselves (``public/issuers/<id>/status/<n>``), for revocation.

A badge its holder keeps private has no file in the tree. Its OB 3.0 credential still checks
(signature against the published keys, revocation from the published status list), but its
revocation reason is not known there, and its OB 2.0 assertion is reported as not published
(``not_published``): the public deployment cannot tell it from an address that never existed.

What the tree does not hold never counts in a badge's favour: a status list that is missing or
unreadable makes the badge unverifiable (``revocation_not_checked``), as another issuer's list
would; an unreadable register counts as empty (no other issuer is valid) and ``/health`` fails.

Every read is bounded: a file larger than ``_MAX_FILE_BYTES`` (or a status list larger than
the decompression cap of ``credentials``) counts as missing. Files are re-read when their
modification time changes (the publisher replaces them atomically).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from pathlib import Path
from typing import Any, Final

from django.conf import settings

from ... import links, trust
from ...core import credentials, publishing
from ...models import Award, BadgeClass, Issuer, SigningKey

logger = logging.getLogger(__name__)

_MAX_FILE_BYTES: Final = 4 * 1024 * 1024  # a register of 2,000 issuers is well under this


def from_tree() -> bool:
    return getattr(settings, "PORTAL_VERIFY_SOURCE", "database") == "tree"


def _root() -> Path:
    return Path(settings.PORTAL_PUBLISH_DIR)


# ------------------------------------------------------------------ reading files, bounded


_memo: dict[str, tuple[float, int, Any]] = {}
_memo_lock = threading.Lock()


def _read_json(path: Path, *, remember: bool = False) -> Any:
    """The JSON document at ``path``, or None (missing, too large or unreadable). ``remember``:
    kept per process until the file changes (the keys, the register, the status lists)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if stat.st_size > _MAX_FILE_BYTES:
        return None
    key = str(path)
    if remember:
        with _memo_lock:
            hit = _memo.get(key)
        if hit is not None and hit[0] == stat.st_mtime and hit[1] == stat.st_size:
            return hit[2]
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if remember:
        with _memo_lock:
            if len(_memo) > 256:
                _memo.clear()
            _memo[key] = (stat.st_mtime, stat.st_size, document)
    return document


def _file(relative: str) -> Path:
    return publishing.inside(_root(), relative)


def _facts(folder: str) -> dict[str, Any] | None:
    document = _read_json(_file(publishing.facts_path(folder)))
    return document if isinstance(document, dict) else None


def _moment(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None


def memo_clear() -> None:
    """Forget the files kept (tests)."""
    with _memo_lock:
        _memo.clear()


# ------------------------------------------------------------------ awards


def _tree_issuer(public_id: str) -> Issuer | None:
    facts = _facts(f"public/issuers/{public_id}")
    if facts is None:
        return None
    return Issuer(id=facts["id"], public_id=uuid.UUID(public_id), name=facts["name"], url=facts["url"])


def _tree_badge_class(public_id: str) -> BadgeClass | None:
    facts = _facts(f"public/badges/{public_id}")
    if facts is None:
        return None
    return BadgeClass(
        id=facts["id"],
        public_id=uuid.UUID(public_id),
        name=facts["name"],
        description=facts["description"],
        criteria=facts["criteria"],
        alignments=facts["alignments"],
    )


def tree_award(public_id: uuid.UUID) -> Award | None:
    """An award the holder shares, as an unsaved ``Award`` with what a check reads (the
    assertion holds only its recipient; ``assertion_sha256`` is the full one's digest)."""
    folder = publishing.award_folder(public_id)
    try:
        facts = _facts(folder)
        if facts is None:
            return None
        badge = _tree_badge_class(facts["badge_class"])
        issuer = _tree_issuer(facts["issuer"])
        if badge is None or issuer is None:
            return None
        credential = _read_json(_file(f"{folder}/credential.json"))
        award = Award(
            id=facts["id"],
            public_id=public_id,
            status=facts["status"],
            issued_at=_moment(facts["issued_at"]),
            expires_at=_moment(facts["expires_at"]),
            revocation_reason=facts["revocation_reason"],
            status_list_index=facts["status_list_index"],
            credential=credential if isinstance(credential, dict) else None,
            assertion={"recipient": facts["recipient"]} if facts.get("recipient") else {},
        )
        award.badge_class, award.issuer = badge, issuer
        award.assertion_sha256 = facts["assertion_sha256"]  # type: ignore[attr-defined]
    except (KeyError, TypeError, ValueError):
        return None
    return award


def tree_shared_award(share_token: uuid.UUID) -> Award | None:
    facts = _facts(publishing.share_folder(share_token))
    if facts is None:
        return None
    try:
        return tree_award(uuid.UUID(str(facts["award"])))
    except (KeyError, ValueError):
        return None


def same_assertion(award: Award, document: dict[str, Any]) -> bool:
    """Is ``document`` the issuer's record of ``award``, unaltered?"""
    digest = getattr(award, "assertion_sha256", None)
    if digest is not None:
        return bool(publishing.document_digest(document) == digest)
    return bool(award.assertion == document)


def tree_award_at_status_entry(issuer_public_id: str, list_number: int, index: int, credential_id: str) -> Award | None:
    """The award at a position of one of our published status lists, from the tree: revoked or
    not from the signed list itself; the award's own facts when the credential is one the
    holder shares (its id names the award). None when the list is not there."""
    document = _read_json(_file(f"public/issuers/{issuer_public_id}/status/{list_number}"), remember=True)
    if not isinstance(document, dict):
        return None
    subject = document.get("credentialSubject")
    encoded = subject.get("encodedList") if isinstance(subject, dict) else None
    try:
        bits = _decoded_list(str(encoded))
        revoked = credentials.get_status_bit(bits, index)
    except (credentials.CredentialError, IndexError, ValueError):
        return None
    position = list_number * links.STATUS_LIST_SIZE + index
    if credential_id.startswith("urn:uuid:"):
        try:
            award = tree_award(uuid.UUID(credential_id[len("urn:uuid:") :]))
        except ValueError:
            award = None
        if (
            award is not None
            and award.status_list_index == position
            and str(award.issuer.public_id) == issuer_public_id
            and award.is_revoked == revoked
        ):
            return award
    # Not shared (or not this one): only what the list says.
    return Award(status=Award.Status.REVOKED if revoked else Award.Status.ISSUED, status_list_index=position)


_decoded: dict[str, bytes] = {}


def _decoded_list(encoded: str) -> bytes:
    hit = _decoded.get(encoded)
    if hit is None:
        hit = credentials.decode_status_list(encoded)
        if len(_decoded) > 64:
            _decoded.clear()
        _decoded[encoded] = hit
    return hit


# ------------------------------------------------------------------ keys


def _tree_keys() -> dict[str, bool]:
    """{multibase: is it a key of the default issuer}."""
    document = _read_json(_file(publishing.KEYS_FILE), remember=True)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        return {}
    return {
        str(k["multibase"]): bool(k.get("default"))
        for k in document["keys"]
        if isinstance(k, dict) and isinstance(k.get("multibase"), str)
    }


def is_default_issuer_key(multibase: str) -> bool:
    """A key the default issuer signs (or signed) with: what our did:web answers for."""
    if from_tree():
        return _tree_keys().get(multibase, False)
    return SigningKey.objects.filter(issuer__is_default=True, public_key_multibase=multibase).exists()


def is_own_key(multibase: str) -> bool:
    """A key any of this portal's issuers signs (or signed) with."""
    if from_tree():
        return multibase in _tree_keys()
    return SigningKey.objects.filter(public_key_multibase=multibase).exists()


def keys_document() -> dict[str, Any]:
    """``.verify/keys.json`` as the publisher writes it (every key, retired ones too)."""
    rows = SigningKey.objects.order_by("created_at", "pk").values_list("public_key_multibase", "issuer__is_default")
    return {"keys": [{"multibase": m, "default": bool(d)} for m, d in rows]}


# ------------------------------------------------------------------ the register


def register_document(register: trust.Register) -> dict[str, Any]:
    """The register as ``trust.load_register`` built it, as JSON (``.verify/trusted-issuers.json``)."""
    entries = list(register.entries)
    index = {id(e): n for n, e in enumerate(entries)}
    return {
        "format": "hachioji-portal/verify-register",
        "version": 1,
        "entries": [
            {
                "public_id": e.public_id,
                "name": e.name,
                "kind": e.kind,
                "valid_from": e.valid_from.isoformat() if e.valid_from else None,
                "valid_until": e.valid_until.isoformat() if e.valid_until else None,
                "is_this_portal": e.is_this_portal,
                "names": sorted(e.names),
            }
            for e in entries
        ],
        "identifiers": sorted([kind, value, index[id(e)]] for (kind, value), e in register.by_identifier.items()),
    }


def _register_from(document: Any) -> trust.Register | None:
    if not isinstance(document, dict) or document.get("format") != "hachioji-portal/verify-register":
        return None
    try:
        entries = [
            trust.Entry(
                public_id=str(e["public_id"]),
                name=str(e["name"]),
                kind=str(e["kind"]),
                valid_from=dt.date.fromisoformat(e["valid_from"]) if e["valid_from"] else None,
                valid_until=dt.date.fromisoformat(e["valid_until"]) if e["valid_until"] else None,
                is_this_portal=bool(e["is_this_portal"]),
                names=frozenset(str(n) for n in e["names"]),
            )
            for e in document["entries"]
        ]
        by_identifier = {(str(kind), str(value)): entries[int(n)] for kind, value, n in document["identifiers"]}
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return trust.Register(entries=tuple(entries), by_identifier=by_identifier)


def _register_path() -> Path:
    configured = getattr(settings, "PORTAL_TRUST_REGISTER_FILE", "")
    return Path(configured) if configured else _file(publishing.REGISTER_FILE)


def register() -> trust.Register:
    """The register of trusted issuers. From the tree: a register that cannot be read counts as
    empty (nobody registered: no other issuer's badge is valid; this portal's own still check by
    their keys), logged, and ``/health`` of the public deployment fails (``badges.public.health``)."""
    if not from_tree():
        return trust.load_register()
    found = _register_from(_read_json(_register_path(), remember=True))
    if found is None:
        logger.warning("verify: the register of trusted issuers cannot be read from %s", _register_path())
        return trust.Register()
    return found


def register_readable() -> bool:
    return _register_from(_read_json(_register_path(), remember=True)) is not None


def keys_readable() -> bool:
    return bool(_tree_keys())
