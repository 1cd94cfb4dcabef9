"""Verify a badge that someone hands us: a baked PNG, credential JSON, or a URL of this portal.

Used by the public verify page and API, the share page and the learning portfolio. The input
is untrusted: every limit is checked before anything is decoded, every problem becomes a
``Report`` with a stable ``code`` (the web layer translates it with :func:`message_for`), and
nothing here raises for bad input.

What can be checked here, and what cannot (the city network does not reach the internet):

* **This portal's own badges**, fully: the OB 2.0 hosted assertion is looked up in the
  ``Award`` table (the hosted copy is the truth; a baked copy that differs is reported as
  altered), the OB 3.0 signature is checked against our keys (did:web or did:key), and the
  status list entry is answered from the ``Award`` row, not over HTTP.
* **OB 3.0 credentials of did:key issuers**: signature and dates. Revocation only if the
  issuer offers none; a status list on another site cannot be fetched, so such a badge is
  ``unverifiable`` with ``check_at`` naming the list, never ``valid``.
* **Anything else** (OB 2.0 hosted by another issuer, signed OB 2.0, VC-JWT, did:web of
  another issuer, VC 1.1 credentials): reported honestly as *cannot be checked here*, with
  where the issuer publishes it, never as valid.

A correct signature proves only that *someone* signed. ``valid`` also needs the signer to be
this portal or an issuer in the register of trusted issuers (``badges/trust.py``), in force on
the issue date: a stranger's correct signature is ``unknown_issuer``, and a badge that claims a
registered issuer's name (or ours) under another identifier is ``invalid``/``impersonation``.

Where "this portal's own" facts come from is one seam, ``facts``: the database in the staff
portal, the published tree in the public deployment (``PORTAL_VERIFY_SOURCE``), which has no
database; the verdicts are the same (see ``facts`` for what the tree cannot know).

One module per part: ``report`` (limits, statuses, messages, ``Finding``, ``Report``),
``helpers``, ``own`` (our DIDs and keys, remembered signature checks), ``ob3``, ``ob2``,
``payloads`` (what a PNG or JSON document holds), ``facts`` (database or published tree) and
``entry`` (the entry points); this
package re-exports their public names, so callers write ``verification.verify_bytes(...)``.
"""

from __future__ import annotations

from .entry import verify_award, verify_bytes, verify_json_text, verify_url
from .own import own_dids, signature_memo_clear, verdict_moments
from .report import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_TEXT_CHUNK,
    DEFAULT_MAX_UPLOAD_BYTES,
    ERROR,
    EXPIRED,
    INVALID,
    MESSAGES,
    NOT_YET_VALID,
    REVOKED,
    STATUS_LABELS,
    UNKNOWN_ISSUER,
    UNVERIFIABLE,
    VALID,
    VC1_CONTEXT,
    Finding,
    Report,
    max_pixels,
    max_upload_bytes,
    message_for,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MAX_TEXT_CHUNK",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "ERROR",
    "EXPIRED",
    "INVALID",
    "MESSAGES",
    "NOT_YET_VALID",
    "REVOKED",
    "STATUS_LABELS",
    "UNKNOWN_ISSUER",
    "UNVERIFIABLE",
    "VALID",
    "VC1_CONTEXT",
    "Finding",
    "Report",
    "max_pixels",
    "max_upload_bytes",
    "message_for",
    "own_dids",
    "signature_memo_clear",
    "verdict_moments",
    "verify_award",
    "verify_bytes",
    "verify_json_text",
    "verify_url",
]
