"""Publishing the public documents one way, outward, into ``PORTAL_PUBLISH_DIR``.

Japanese cities keep staff systems in a closed network segment; verifiers, LinkedIn visitors
and wallets are on the internet. The portal therefore writes what an outsider may fetch into a
directory laid out exactly as the public URLs (``badges/core/publishing.py``), which a web server in
the internet-facing segment serves (``deploy/nginx/``) after an rsync:

* ``/.well-known/did.json``; each issuer's profile and image and its signed status lists;
  each badge class (OB 2.0 BadgeClass, OB 3.0 Achievement, page) and its image;
* each award whose holder shares it (city staff or anyone): its hosted assertion (JSON and
  page; a revoked one answers 410), its OB 3.0 credential and the QR code of its page;
* only while the holder shares it with anyone: its share page (static HTML) and QR code, and
  the baked image (which shows the holder's name);
* for the public verify deployment, which has no database, and never served (dot-paths):
  each published award's, badge class's, issuer's and share link's facts (``.verify.json``),
  this portal's keys and the register of trusted issuers (``.verify/``), rewritten with what
  they describe (``badges/public/verification/facts.py``).

A private badge has no file in the tree. Every file is the portal's own answer to that URL for
an anonymous visitor, rendered by the same views (so the copy can never say more than the
page), in the portal's default language.

Triggers use the outbox pattern of awards and emails: the service that changes something
(issue, revocation, re-issue, visibility, share-link renewal, key rotation, an edited badge
class or issuer) writes a ``PublicationRequest`` row in its own transaction
(``publication_request``); after the commit the publishing task is queued. The task locks what
it publishes (award rows, then issuer rows for status lists), renders, writes each file
atomically and deletes the rows. If the broker or the target directory is down the rows stay,
and ``publications_sweep_task`` (beat, every 30 s) queues them again. ``manage.py
publish_public`` rebuilds the whole tree and removes what should no longer be there.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from hachioji_portal import queueing

from . import links
from .core import publishing
from .models import Award, BadgeClass, Issuer, PublicationRequest

logger = logging.getLogger(__name__)

#: The publishing task (``hachioji_portal.queueing`` imports it).
PUBLISH_TASK = "badges.tasks.publications_publish_task"
#: Requests per publishing message (awards of one issuing batch go together).
PUBLISH_BATCH = 50
#: How long an expired badge's share page may still be asked for again by the sweep.
EXPIRY_WINDOW = dt.timedelta(minutes=10)

_SHOWN = (Award.Status.ISSUED, Award.Status.REVOKED)


def publish_root() -> Path | None:
    """The tree's directory, or None when publishing is off (``PORTAL_PUBLISH_DIR`` empty)."""
    return Path(settings.PORTAL_PUBLISH_DIR) if settings.PORTAL_PUBLISH_DIR else None


# ------------------------------------------------------------------ targets and the outbox


def award_target(award_id: int) -> str:
    return f"award:{award_id}"


def share_target(share_token: UUID) -> str:
    """A share link that may have been withdrawn: its page is removed unless it is current."""
    return f"share:{share_token}"


def badge_class_target(badge_class_id: int) -> str:
    return f"badge_class:{badge_class_id}"


def issuer_target(issuer_id: int) -> str:
    return f"issuer:{issuer_id}"


#: After a key rotation: did.json, every status list (signed with the new key), every issuer and
#: badge class (an OB 3.0 Achievement names its creator by the key's did:key).
KEYS_TARGET = "keys"
ALL_TARGET = "all"
#: The register of trusted issuers changed: every publication rewrites the verifier's copy of it
#: (``.verify/trusted-issuers.json``) and of the keys, so this target asks for nothing else.
REGISTER_TARGET = "register"


def publication_request(targets: Iterable[str]) -> None:
    """Ask for ``targets`` to be published, in the caller's transaction; the task is queued
    after the commit. Does nothing when publishing is off."""
    if publish_root() is None:
        return
    rows = PublicationRequest.objects.bulk_create([PublicationRequest(target=t) for t in dict.fromkeys(targets)])
    ids = [r.pk for r in rows]
    if ids:
        queueing.after_commit(publications_enqueue, ids)


def publications_enqueue(request_ids: list[int]) -> int:
    """Queue the publishing of ``request_ids``, ``PUBLISH_BATCH`` per message, and stamp
    ``queued_at`` on those the broker took; a broker that is down is logged, never raised (the
    rows stay for the sweep). Returns how many were queued."""
    return queueing.enqueue(PUBLISH_TASK, request_ids, batch=PUBLISH_BATCH, outbox=PublicationRequest)


def publications_requeue_stale(*, older_than: dt.timedelta, now: dt.datetime, limit: int = 5000) -> int:
    """The sweep: queue requests nobody published for ``older_than`` (the broker or the target
    directory was down), and ask again for the public pages of shared badges that expired
    within ``EXPIRY_WINDOW`` (a static page cannot notice by itself)."""
    if publish_root() is None:
        return 0
    expired = list(
        Award.objects.filter(
            status=Award.Status.ISSUED,
            expires_at__lte=now,
            expires_at__gt=now - EXPIRY_WINDOW,
        )
        .exclude(visibility=Award.Visibility.PRIVATE)
        .values_list("pk", flat=True)[:limit]
    )
    if expired:
        with transaction.atomic():
            publication_request(award_target(pk) for pk in expired)
    stale = queueing.stale_ids(
        PublicationRequest.objects.all(), since="requested_at", older_than=older_than, now=now, limit=limit
    )
    return publications_enqueue(stale)


def publications_run(*, request_ids: list[int]) -> int:
    """Publish what the requests ask for and delete them; returns how many were done.

    1. Lock the request rows (skipping those another worker holds: it publishes them).
    2. Publish their targets (``_publish``: it locks the awards, then the issuers, so what it
       writes is what the database says after every change that queued it).
    3. Delete the rows, in the same transaction: if writing failed they stay for the retry.
    """
    root = publish_root()
    with transaction.atomic():
        rows = list(
            PublicationRequest.objects.select_for_update(skip_locked=True).filter(pk__in=request_ids).order_by("pk")
        )
        if not rows:
            return 0
        if root is not None:
            _publish(root, {r.target for r in rows})
        PublicationRequest.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


# ------------------------------------------------------------------ rendering through the views


def _request(path: str, accept: str) -> HttpRequest:
    """An anonymous GET of ``path`` on the public origin, as a visitor's browser or verifier
    would send it (no cookies: the portal's default language)."""
    origin = urlsplit(settings.PORTAL_BASE_URL)
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.META = {
        "REQUEST_METHOD": "GET",
        "HTTP_ACCEPT": accept,
        "HTTP_HOST": origin.netloc,
        "SERVER_NAME": origin.hostname or "localhost",
        "SERVER_PORT": str(origin.port or (443 if origin.scheme == "https" else 80)),
        "wsgi.url_scheme": origin.scheme,
        "REMOTE_ADDR": "127.0.0.1",
    }
    request.user = AnonymousUser()  # type: ignore[assignment]
    request.portal_snapshot = True  # type: ignore[attr-defined]  # the page says when it was written
    request.LANGUAGE_CODE = settings.LANGUAGE_CODE  # type: ignore[attr-defined]
    return request


def render_public(path: str, accept: str = "application/ld+json") -> tuple[int, bytes] | None:
    """The portal's answer to an anonymous GET of ``path``: (status, body), or None for a 404."""
    answer = _answer(path, accept)
    return None if answer is None else answer[:2]


def _answer(path: str, accept: str) -> tuple[int, bytes, str] | None:
    """(status, body, Content-Type) of an anonymous GET of ``path``, or None for a 404."""
    request = _request(path, accept)
    match = resolve(path, urlconf="hachioji_portal.urls")
    request.resolver_match = match
    with translation.override(settings.LANGUAGE_CODE):
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except Http404:
            return None
    if response.status_code == 404:
        return None
    if response.status_code not in (200, 410):
        raise RuntimeError(f"{path} answered {response.status_code}")
    body = response.content
    content_type = response.get("Content-Type", "")
    if content_type.startswith("text/html"):
        body = publishing.static_page(body.decode("utf-8")).encode("utf-8")
    return response.status_code, body, content_type


def _put(files: dict[str, bytes], path: str, variant: str | None = None) -> int | None:
    """Render ``path`` (in ``variant``) into ``files``; returns its status, None if absent."""
    accept = publishing.VARIANT_ACCEPT[variant] if variant else "application/ld+json"
    answer = render_public(path, accept)
    if answer is None:
        return None
    files[publishing.tree_path(path, variant)] = answer[1]
    return answer[0]


# ------------------------------------------------------------------ what each thing publishes


def _award_files(root: Path, award: Award) -> tuple[dict[str, bytes], list[str]]:
    """The files of one award, and what to remove: everything when the holder does not share
    it; the share page and image unless it is shared with anyone (as the pages behave)."""
    folder = publishing.award_folder(award.public_id)
    share = publishing.share_folder(award.share_token)
    if award.status not in _SHOWN or award.visibility == Award.Visibility.PRIVATE:
        return {}, [folder, share]
    files: dict[str, bytes] = {}
    assertion = reverse("public:assertion", args=[award.public_id])
    for variant in ("json", "html"):
        _put(files, assertion, variant)
    if award.status == Award.Status.REVOKED:
        files[f"{folder}/{publishing.GONE_MARKER}"] = b""
    files[publishing.facts_path(folder)] = publishing.facts_bytes(_award_facts(award))
    _put(files, reverse("public:credential", args=[award.public_id]))
    _put(files, reverse("public:assertion_qr", args=[award.public_id]))
    remove: list[str] = []
    if award.visibility == Award.Visibility.PUBLIC:
        _put(files, reverse("public:award_image", args=[award.public_id]))
        _put(files, reverse("public:share", args=[award.share_token]))
        _put(files, reverse("public:share_qr", args=[award.share_token]))
        files[publishing.facts_path(share)] = publishing.facts_bytes({"award": str(award.public_id)})
        remove += publishing.stale_files(root, share, files)
    else:
        remove.append(share)
    remove += publishing.stale_files(root, folder, files)
    return files, remove


def _badge_class_files(badge: BadgeClass) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    path = reverse("public:badge_class", args=[badge.public_id])
    for variant in ("json", "ob3", "html"):
        _put(files, path, variant)
    _put(files, reverse("public:badge_class_image", args=[badge.public_id]))
    files[publishing.facts_path(path.lstrip("/"))] = publishing.facts_bytes(
        {
            "id": badge.pk,
            "name": badge.name,
            "description": badge.description,
            "criteria": badge.criteria,
            "alignments": badge.alignments or [],
        }
    )
    return files


def _issuer_files(issuer: Issuer) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    path = reverse("public:issuer", args=[issuer.public_id])
    for variant in ("json", "html"):
        _put(files, path, variant)
    _put(files, reverse("public:issuer_image", args=[issuer.public_id]))
    files[publishing.facts_path(path.lstrip("/"))] = publishing.facts_bytes(
        {"id": issuer.pk, "name": issuer.name, "url": issuer.url}
    )
    return files


def _award_facts(award: Award) -> dict[str, Any]:
    """What the public verify deployment needs of a shared award (``.verify.json``): the full
    assertion only as its digest (a class may keep grades out of the hosted copy)."""
    assertion = award.assertion if isinstance(award.assertion, dict) else {}
    return {
        "id": award.pk,
        "status": award.status,
        "issued_at": award.issued_at.isoformat() if award.issued_at else None,
        "expires_at": award.expires_at.isoformat() if award.expires_at else None,
        "revocation_reason": award.revocation_reason,
        "status_list_index": award.status_list_index,
        "recipient": assertion.get("recipient"),
        "assertion_sha256": publishing.document_digest(award.assertion),
        "badge_class": str(award.badge_class.public_id),
        "issuer": str(award.issuer.public_id),
    }


def _verifier_files(root: Path, *, keys: bool, register: bool) -> dict[str, bytes]:
    """This portal's keys and the register of trusted issuers, for the public verify
    deployment (``.verify/``, never served): the keys after a key rotation (``KEYS_TARGET``),
    the register after it changed (``REGISTER_TARGET``) or an issuer was edited (a badge in
    its name is an impersonation), both whenever they are missing."""
    from . import trust
    from .public.verification import facts

    files: dict[str, bytes] = {}
    if keys or not _exists(root, publishing.KEYS_FILE):
        files[publishing.KEYS_FILE] = publishing.facts_bytes(facts.keys_document())
    if register or not _exists(root, publishing.REGISTER_FILE):
        files[publishing.REGISTER_FILE] = publishing.facts_bytes(facts.register_document(trust.load_register()))
    return files


def _status_list_path(issuer: Issuer, list_number: int) -> str:
    return reverse("public:status_list", args=[issuer.public_id, list_number])


def _status_lists_of(issuer_ids: Iterable[int]) -> set[tuple[int, int]]:
    """Every (issuer, list number) that holds an award: the lists that exist."""
    size = links.STATUS_LIST_SIZE
    indexes = Award.objects.filter(issuer_id__in=list(issuer_ids), status_list_index__isnull=False).values_list(
        "issuer_id", "status_list_index"
    )
    return {(issuer_id, index // size) for issuer_id, index in indexes}


_ASSET = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="(/(?!/)[^"?#]*)[^"]*"')


def _page_assets(pages: Iterable[bytes]) -> dict[str, bytes]:
    """The stylesheets, scripts, icons and logo the published pages load (not their links)."""
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    files: dict[str, bytes] = {}
    urls = {url for page in pages for url in _ASSET.findall(page.decode("utf-8", "replace"))}
    for url in sorted(urls):
        if url.startswith("/public/"):
            continue  # published in its own right, or deliberately not (a private award's image)
        if url.startswith(prefix):
            name = url.removeprefix(prefix)
            if staticfiles_storage.exists(name):  # collected (hashed names in production)
                with staticfiles_storage.open(name) as handle:
                    files[publishing.tree_path(url)] = handle.read()
            elif isinstance(found := finders.find(name), str):  # development: the source folders
                files[publishing.tree_path(url)] = Path(found).read_bytes()
            continue
        try:
            answer = _answer(url, "*/*")
        except Resolver404:
            continue
        if answer is not None:
            files[publishing.tree_path(url) + _extension_for(url, answer[2])] = answer[1]
    return files


#: The organisation's logo is served at /organisation/logo, whatever its format; in the tree it
#: gets its extension, so that the web server sends its type (deploy/nginx/ tries each).
_LOGO_PATH = "organisation/logo"


def _extension_for(url: str, content_type: str) -> str:
    """The file extension an extension-less asset needs in the tree (the logo), else ""."""
    from hachioji_portal.organisation import LOGO_TYPES

    if publishing.tree_path(url) != _LOGO_PATH:
        return ""
    media_type = content_type.split(";", 1)[0].strip()
    return next((ext for ext, t in LOGO_TYPES.items() if t == media_type), "")


def _other_logos(root: Path, files: dict[str, bytes]) -> list[str]:
    """The logo files of earlier formats (and the extension-less copy of earlier versions)
    when a logo is written now, so that the web server finds only the current one."""
    written = {p for p in files if p.startswith(_LOGO_PATH)}
    if not written:
        return []
    folder = publishing.inside(root, "organisation")
    if not folder.is_dir():
        return []
    return sorted(
        f"organisation/{p.name}"
        for p in folder.iterdir()
        if p.is_file() and (p.name == "logo" or p.name.startswith("logo.")) and f"organisation/{p.name}" not in written
    )


def _exists(root: Path, relative: str) -> bool:
    return publishing.inside(root, relative).is_file()


def _publish(root: Path, targets: set[str]) -> None:
    """Publish ``targets`` (see the ``*_target`` functions) into ``root``."""
    if ALL_TARGET in targets:
        publish_all(root)
        return
    by_kind: dict[str, set[str]] = {}
    for target in targets:
        kind, _, value = target.partition(":")
        by_kind.setdefault(kind, set()).add(value)
    award_ids = {int(v) for v in by_kind.get("award", ())}
    tokens = {UUID(v) for v in by_kind.get("share", ())}
    class_ids = {int(v) for v in by_kind.get("badge_class", ())}
    issuer_ids = {int(v) for v in by_kind.get("issuer", ())}
    lists: set[tuple[int, int]] = set()
    all_shared = KEYS_TARGET in targets
    if all_shared:
        issuer_ids |= set(Issuer.objects.values_list("pk", flat=True))
        class_ids |= set(BadgeClass.objects.values_list("pk", flat=True))
        lists |= _status_lists_of(issuer_ids)

    files: dict[str, bytes] = {}
    remove: list[str] = []
    # 1. Awards, locked in id order (a revocation or visibility change waits for this
    #    transaction, and queues another publication after its own commit).
    awards = list(
        Award.objects.select_for_update(of=("self",))
        .select_related("badge_class", "issuer")
        .filter(Q(pk__in=award_ids) | Q(share_token__in=tokens))
        .order_by("pk")
    )
    size = links.STATUS_LIST_SIZE
    for award in awards:
        award_files, award_remove = _award_files(root, award)
        files.update(award_files)
        remove += award_remove
        if award.status_list_index is not None:
            number = award.status_list_index // size
            if award.status == Award.Status.REVOKED or not _exists(
                root, publishing.tree_path(_status_list_path(award.issuer, number))
            ):
                lists.add((award.issuer_id, number))
        if not _exists(
            root, publishing.tree_path(reverse("public:badge_class", args=[award.badge_class.public_id]), "json")
        ):
            class_ids.add(award.badge_class_id)
        if not _exists(root, publishing.tree_path(reverse("public:issuer", args=[award.issuer.public_id]), "json")):
            issuer_ids.add(award.issuer_id)
    current = {a.share_token for a in awards}
    remove += [publishing.share_folder(t) for t in tokens - current]

    # 2. Issuers (locked: status lists of one issuer are written one publication at a time,
    #    each reading the revocations after the previous one), their lists, badge classes.
    issuers = {
        i.pk: i
        for i in Issuer.objects.select_for_update().filter(pk__in=issuer_ids | {i for i, _ in lists}).order_by("pk")
    }
    for issuer_id in sorted(issuer_ids):
        files.update(_issuer_files(issuers[issuer_id]))
    for issuer_id, number in sorted(lists):
        _put(files, _status_list_path(issuers[issuer_id], number))
    for badge in BadgeClass.objects.select_related("issuer").filter(pk__in=class_ids).order_by("pk"):
        files.update(_badge_class_files(badge))
    if all_shared or not _exists(root, publishing.DID_DOCUMENT):
        _put(files, "/" + publishing.DID_DOCUMENT)
    pages = [data for path, data in files.items() if path.endswith(".html")]
    if all_shared:
        # The verify page is served by the public deployment, its stylesheets and scripts from
        # the tree like every page's.
        verify_page = _answer(reverse("public:verify"), "text/html")
        if verify_page is not None:
            pages.append(verify_page[1])
    files.update(_page_assets(pages))
    files.update(
        _verifier_files(
            root,
            keys=all_shared,
            register=all_shared or REGISTER_TARGET in targets or bool(issuer_ids),
        )
    )
    remove += _other_logos(root, files)

    # 3. Remove first (a withdrawn link must not outlive its replacement), then write.
    publishing.remove_paths(root, remove)
    publishing.write_files(root, files)
    logger.info("published %d files, removed %d paths (%s)", len(files), len(remove), ", ".join(sorted(targets))[:200])


def publish_all(root: Path | None = None, *, chunk: int = 200) -> dict[str, int]:
    """Rebuild the whole tree (``manage.py publish_public``): every issuer, badge class, status
    list and did.json, every shared award in chunks (one transaction each), then remove the
    folders of awards and share links that should no longer be there. Returns counts."""
    root = root or publish_root()
    if root is None:
        raise ValueError("PORTAL_PUBLISH_DIR is not set")
    root.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        _publish(root, {KEYS_TARGET})
    shown = list(
        Award.objects.filter(status__in=_SHOWN)
        .exclude(visibility=Award.Visibility.PRIVATE)
        .order_by("pk")
        .values_list("pk", "public_id", "share_token", "visibility")
    )
    for start in range(0, len(shown), chunk):
        with transaction.atomic():
            _publish(root, {award_target(pk) for pk, *_ in shown[start : start + chunk]})
    expected_awards = {str(public_id) for _pk, public_id, _t, _v in shown}
    expected_shares = {str(token) for _pk, _id, token, visibility in shown if visibility == Award.Visibility.PUBLIC}
    stray_awards = publishing.folder_names(root, "public/assertions") - expected_awards
    stray_shares = publishing.folder_names(root, "public/share") - expected_shares
    # Strays are published again one by one (locked, so a change made meanwhile wins) or removed.
    known = dict(
        Award.objects.filter(public_id__in=[_uuid(s) for s in stray_awards if _uuid(s)]).values_list("public_id", "pk")
    )
    with transaction.atomic():
        targets = {award_target(pk) for pk in known.values()}
        targets |= {share_target(t) for s in stray_shares if (t := _uuid(s))}
        if targets:
            _publish(root, targets)
        publishing.remove_paths(
            root,
            [publishing.award_folder(s) for s in stray_awards if _uuid(s) not in known],  # type: ignore[arg-type]
        )
    return {"awards": len(shown), "removed_awards": len(stray_awards), "removed_shares": len(stray_shares)}


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def on_register_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """An entry or identifier of the register of trusted issuers was saved or deleted: the
    verifier's copy in the tree is rewritten. One request for many changes in one transaction
    (an import of the register): a request not queued yet covers them all."""
    if publish_root() is None:
        return
    if not PublicationRequest.objects.filter(target=REGISTER_TARGET, queued_at__isnull=True).exists():
        publication_request([REGISTER_TARGET])


def on_badge_class_or_issuer_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """HR edited a badge class or an issuer in the admin: its public files are rewritten."""
    if isinstance(instance, BadgeClass):
        publication_request([badge_class_target(instance.pk)])
    elif isinstance(instance, Issuer):
        publication_request([issuer_target(instance.pk)])
