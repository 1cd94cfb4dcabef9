"""The register of trusted issuers: who counts as whom, and the register as a shared JSON file.

A correct signature proves only that *someone* signed a badge. Who that someone is, for the
city, is this register: this portal itself and the issuers HR registered (a university, another
city, an e-learning provider), each with the identifiers that count as it and the dates it is
trusted. ``classify`` answers, for what a badge proves (or claims) about its issuer:

* ``this_portal``: one of this portal's own issuers (checked against our own records);
* ``registered``: a registered issuer, in force on the badge's issue date;
* ``not_in_force``: a registered issuer, but not on the badge's issue date;
* ``impersonation``: the badge claims the name of a registered issuer (or of this portal) but
  none of that issuer's identifiers;
* ``unknown``: nobody the city knows.

Reads only (the writes are services in ``badges/services.py``); the file format is
documented in docs/api-verify.md, "The register of trusted issuers".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import links
from .core import signing
from .models import Issuer, SigningKey, TrustedIssuer, TrustedIssuerIdentifier

THIS_PORTAL: Final = "this_portal"
REGISTERED: Final = "registered"
NOT_IN_FORCE: Final = "not_in_force"
IMPERSONATION: Final = "impersonation"
UNKNOWN: Final = "unknown"

FILE_FORMAT: Final = "hachioji-portal/trusted-issuers"
FILE_VERSION: Final = 1
MAX_FILE_BYTES: Final = 2 * 1024 * 1024
MAX_ENTRIES: Final = 2000
MAX_IDENTIFIERS: Final = 50

Kind = TrustedIssuerIdentifier.Kind


class IdentifierError(ValueError):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


_DID = re.compile(r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$")


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL, lower-cased; empty if it is not one."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _url(url: str) -> str:
    """An http(s) URL with its scheme and host lower-cased (they are case-insensitive)."""
    url = url.strip()
    origin = _origin(url)
    return origin + url[len(origin) :] if origin else url


def normalise_identifier(kind: str, value: str) -> str:
    """The identifier as it is stored and compared; raises ``IdentifierError`` if it is not one."""
    value = (value or "").strip()
    if not value or len(value) > 500 or any(c.isspace() for c in value):
        raise IdentifierError(_("Enter one identifier, without spaces."))
    if kind == Kind.DID:
        if not _DID.match(value) or "#" in value:
            raise IdentifierError(_("A DID looks like did:key:z6Mk… or did:web:badges.example.ac.jp (no #fragment)."))
        if value.startswith("did:key:"):
            try:
                signing.public_key_from_did_key(value)
            except (signing.KeyFormatError, ValueError) as exc:
                raise IdentifierError(_("This did:key does not hold an Ed25519 public key.")) from exc
        return value
    if kind == Kind.ISSUER_URL:
        if not _origin(value):
            raise IdentifierError(_("An issuer URL starts with https:// (or http://)."))
        return _url(value)
    if kind == Kind.ORIGIN:
        origin = _origin(value)
        rest = value.split("://", 1)[1] if "://" in value else ""
        if not origin or "/" in rest.rstrip("/"):
            raise IdentifierError(_("An origin is https://host or https://host:port, without a path."))
        return origin
    if kind == Kind.KEY:
        try:
            signing.public_key_from_multibase(value)
        except (signing.KeyFormatError, ValueError) as exc:
            raise IdentifierError(_("A key is an Ed25519 public key in multibase form (z6Mk…).")) from exc
        return value
    raise IdentifierError(_("Unknown kind of identifier."))


def normalise_name(name: str) -> str:
    """Names compared for impersonation: full-width/half-width and case folded, spaces removed
    (「立川市」, 「立川 市」 and 「立川市 」 are one name)."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c)[0] not in ("C", "Z"))


# ----------------------------------------------------------------------------- the register


@dataclass(frozen=True)
class Entry:
    public_id: str
    name: str
    kind: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    is_this_portal: bool = False
    names: frozenset[str] = frozenset()

    def in_force_on(self, day: dt.date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True)
class Register:
    entries: tuple[Entry, ...] = ()
    by_identifier: dict[tuple[str, str], Entry] = field(default_factory=dict)

    def owners_of_name(self, name: str) -> list[Entry]:
        wanted = normalise_name(name)
        if not wanted:
            return []
        return [e for e in self.entries if wanted in e.names]


def load_register() -> Register:
    """The register as it is now: two queries (the entries, their identifiers) and one for the
    names of this portal's own issuers (a badge claiming one of them is ours or an impersonation)."""
    own_names = {normalise_name(n) for row in Issuer.objects.values_list("name", "name_en") for n in row if n}
    entries: dict[int, Entry] = {}
    this_portal_seen = False
    for row in TrustedIssuer.objects.all():
        names = {normalise_name(row.name), normalise_name(row.name_en)} - {""}
        if row.is_this_portal:
            names |= own_names
            this_portal_seen = True
        entries[row.pk] = Entry(
            public_id=str(row.public_id),
            name=row.name,
            kind=row.kind,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            is_this_portal=row.is_this_portal,
            names=frozenset(names),
        )
    if not this_portal_seen and own_names:
        # The seeded row is protected from deletion; should it be missing all the same, the
        # portal's own names stay protected.
        first = Issuer.objects.filter(is_default=True).values_list("name", flat=True).first() or ""
        entries[0] = Entry(
            public_id="",
            name=first,
            kind="city",
            valid_from=None,
            valid_until=None,
            is_this_portal=True,
            names=frozenset(own_names),
        )
    by_identifier = {
        (kind, value): entries[issuer_id]
        for issuer_id, kind, value in TrustedIssuerIdentifier.objects.values_list("issuer_id", "kind", "value")
        if issuer_id in entries
    }
    return Register(entries=tuple(entries.values()), by_identifier=by_identifier)


def candidates(*, issuer_id: str, hosted_at: str = "") -> set[tuple[str, str]]:
    """The register keys a badge's issuer may be found under: its DID (and the key of a did:key),
    its issuer URL and that URL's origin, and the origin of where an OB 2.0 badge is hosted."""
    found: set[tuple[str, str]] = set()
    issuer_id = (issuer_id or "").strip()
    if issuer_id.startswith("did:"):
        did = issuer_id.partition("#")[0]
        found.add((Kind.DID, did))
        if did.startswith("did:key:"):
            found.add((Kind.KEY, did[len("did:key:") :]))
    elif _origin(issuer_id):
        found.add((Kind.ISSUER_URL, _url(issuer_id)))
        found.add((Kind.ORIGIN, _origin(issuer_id)))
    if hosted_at and _origin(hosted_at):
        found.add((Kind.ORIGIN, _origin(hosted_at)))
    return found


@dataclass(frozen=True)
class Trust:
    state: str  # THIS_PORTAL | REGISTERED | NOT_IN_FORCE | IMPERSONATION | UNKNOWN
    name: str = ""  # the register's name of the matched (or impersonated) issuer
    public_id: str = ""


def classify(
    *,
    register: Register,
    issuer_id: str,
    claimed_name: str,
    issued_on: dt.date | None,
    hosted_at: str = "",
    is_own: bool = False,
) -> Trust:
    """Who the city says the issuer is (see the module docstring)."""
    owners = register.owners_of_name(claimed_name)
    if is_own:
        own = next((e for e in register.entries if e.is_this_portal), None)
        return Trust(THIS_PORTAL, own.name if own else "", own.public_id if own else "")
    matched = next(
        (
            register.by_identifier[c]
            for c in sorted(candidates(issuer_id=issuer_id, hosted_at=hosted_at))
            if c in register.by_identifier
        ),
        None,
    )
    if owners and (matched is None or matched not in owners):
        # The claimed name is a registered issuer's (or ours) and the identifier is not its.
        return Trust(IMPERSONATION, owners[0].name, owners[0].public_id)
    if matched is None:
        return Trust(UNKNOWN)
    if not matched.in_force_on(issued_on or timezone.localdate()):
        return Trust(NOT_IN_FORCE, matched.name, matched.public_id)
    return Trust(REGISTERED, matched.name, matched.public_id)


# ------------------------------------------------------------------ this portal's identifiers


def this_portal_identifiers() -> list[dict[str, str]]:
    """What counts as this portal, for the export: its did:web, the did:key of every key it has
    signed with (retired ones too: old badges stay valid), its OB 2.0 issuer URLs and origin."""
    from .public.verification import own_dids  # the verifier's own list, so the two cannot differ

    found: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(kind: str, value: str, note: str = "") -> None:
        if value and value not in seen:
            seen.add(value)
            found.append({"kind": kind, "value": value, "note": note})

    for did in sorted(own_dids()):
        add(Kind.DID, did)
    for multibase in SigningKey.objects.order_by("created_at").values_list("public_key_multibase", flat=True):
        add(Kind.DID, f"did:key:{multibase}")
    for public_id in Issuer.objects.order_by("created_at").values_list("public_id", flat=True):
        add(Kind.ISSUER_URL, links.issuer_url(public_id))
    add(Kind.ORIGIN, _origin(settings.PORTAL_BASE_URL))
    return found


# ----------------------------------------------------------------------------- the JSON file


def register_export(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """The register as a JSON-ready document (format in docs/api-verify.md)."""
    now = now or timezone.now()
    issuers = []
    for row in TrustedIssuer.objects.prefetch_related("identifiers").order_by("-is_this_portal", "kind", "name"):
        if row.is_this_portal:
            identifiers = this_portal_identifiers()
        else:
            identifiers = [{"kind": i.kind, "value": i.value, "note": i.note} for i in row.identifiers.all()]
        issuers.append(
            {
                "name": row.name,
                "name_en": row.name_en,
                "kind": row.kind,
                "url": row.url,
                "valid_from": row.valid_from.isoformat(),
                "valid_until": row.valid_until.isoformat() if row.valid_until else None,
                "reason": row.reason,
                "identifiers": identifiers,
            }
        )
    return {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "exported_at": now.isoformat(),
        "exported_from": settings.PORTAL_BASE_URL,
        "issuers": issuers,
    }


class RegisterFileError(ValueError):
    """The file is not a register this portal can import; ``problems`` says what, entry by entry."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportedEntry:
    name: str
    name_en: str
    kind: str
    url: str
    valid_from: dt.date
    valid_until: dt.date | None
    reason: str
    identifiers: tuple[tuple[str, str, str], ...]  # (kind, value, note), normalised


def _date(value: Any, label: str, problems: list[str], *, required: bool) -> dt.date | None:
    if value in (None, "") and not required:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{label}: " + gettext("not a date (YYYY-MM-DD)"))
        return None


def parse_register_file(data: bytes) -> list[ImportedEntry]:
    """Read and check a register file completely; raises ``RegisterFileError`` listing every problem.

    Identifiers of this portal itself are left out (the portal is always in its own register).
    """
    from .core import credentials

    if len(data) > MAX_FILE_BYTES:
        raise RegisterFileError([gettext("The file is larger than 2 MB.")])
    try:
        document = credentials.parse_credential_json(data, max_bytes=MAX_FILE_BYTES)
    except credentials.CredentialError as exc:
        raise RegisterFileError([gettext("This is not a readable JSON file (%(code)s).") % {"code": exc.code}]) from exc
    if document.get("format") != FILE_FORMAT or document.get("version") != FILE_VERSION:
        raise RegisterFileError(
            [
                gettext("This is not a register file (format %(format)s, version %(version)s).")
                % {"format": FILE_FORMAT, "version": FILE_VERSION}
            ]
        )
    items = document.get("issuers")
    if not isinstance(items, list) or len(items) > MAX_ENTRIES:
        raise RegisterFileError([gettext("“issuers” must be a list of at most %(n)d entries.") % {"n": MAX_ENTRIES}])
    own = {(i["kind"], i["value"]) for i in this_portal_identifiers()}
    kinds = set(TrustedIssuer.Kind.values)
    id_kinds = set(Kind.values)
    problems: list[str] = []
    entries: list[ImportedEntry] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(items, start=1):
        label = gettext("entry %(n)d") % {"n": n}
        if not isinstance(item, dict):
            problems.append(f"{label}: " + gettext("not an object"))
            continue
        name = item.get("name")
        label = gettext("entry %(n)d (%(name)s)") % {"n": n, "name": str(name)[:50]}
        start = len(problems)
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            problems.append(f"{label}: " + gettext("a name is required (at most 200 characters)"))
        texts = {k: item.get(k) or "" for k in ("name_en", "url", "reason")}
        if not all(isinstance(v, str) for v in texts.values()) or len(texts["name_en"]) > 200:
            problems.append(f"{label}: " + gettext("name_en, url and reason must be text"))
        if texts["url"] and not _origin(str(texts["url"])):
            problems.append(f"{label}: " + gettext("url must start with https://"))
        if item.get("kind") not in kinds:
            problems.append(
                f"{label}: " + gettext("kind must be one of %(kinds)s") % {"kinds": ", ".join(sorted(kinds))}
            )
        valid_from = _date(item.get("valid_from"), label, problems, required=True)
        valid_until = _date(item.get("valid_until"), label, problems, required=False)
        if valid_from and valid_until and valid_until < valid_from:
            problems.append(f"{label}: " + gettext("valid_until is before valid_from"))
        raw_identifiers = item.get("identifiers")
        identifiers: list[tuple[str, str, str]] = []
        if not isinstance(raw_identifiers, list) or not raw_identifiers or len(raw_identifiers) > MAX_IDENTIFIERS:
            problems.append(f"{label}: " + gettext("identifiers must be a list of 1 to %(n)d") % {"n": MAX_IDENTIFIERS})
            raw_identifiers = []
        for ident in raw_identifiers:
            if (
                not isinstance(ident, dict)
                or ident.get("kind") not in id_kinds
                or not isinstance(ident.get("value"), str)
            ):
                problems.append(
                    f"{label}: "
                    + gettext("each identifier needs a kind (%(kinds)s) and a value")
                    % {"kinds": ", ".join(sorted(id_kinds))}
                )
                continue
            try:
                value = normalise_identifier(ident["kind"], ident["value"])
            except IdentifierError as exc:
                problems.append(f"{label}: {ident['value'][:80]}: {exc.message}")
                continue
            if (ident["kind"], value) in own:
                continue  # this portal's own: it is always in its own register
            if value in seen and seen[value] != n:
                problems.append(
                    f"{label}: "
                    + gettext("%(value)s is also listed under entry %(n)d") % {"value": value, "n": seen[value]}
                )
                continue
            seen[value] = n
            note = ident.get("note") if isinstance(ident.get("note"), str) else ""
            identifiers.append((ident["kind"], value, note[:200]))
        if len(problems) > start or not identifiers:
            continue  # an entry that is only this portal is left out
        entries.append(
            ImportedEntry(
                name=name.strip(),  # type: ignore[union-attr]
                name_en=str(texts["name_en"]).strip(),
                kind=item["kind"],
                url=str(texts["url"]).strip()[:200],
                valid_from=valid_from,  # type: ignore[arg-type]
                valid_until=valid_until,
                reason=str(texts["reason"]).strip(),
                identifiers=tuple(identifiers),
            )
        )
    if problems:
        raise RegisterFileError(problems)
    return entries


def identifiers_of(rows: Iterable[TrustedIssuerIdentifier]) -> set[tuple[str, str]]:
    return {(r.kind, r.value) for r in rows}
