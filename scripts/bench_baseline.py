"""The "straightforward" issuing pipeline that scripts/bench_issuance.py compares ours with.

Bench-only: never imported by the application. It is what a first implementation would do
with the usual tools, stage by stage:

* **render**: draw the whole badge every time (background shapes at 3x and downsampled, the
  issuer, caption and wrapped title, then the holder and date), i.e. no per-process cache of
  the badge-class layer, and save it with Pillow's default PNG settings (compress_level 6).
  The drawing code is ours (``badges.core.rendering``), called through the uncached functions, so
  the pixels are the same; only the caching and the encoder settings differ. Font objects
  stay cached in both pipelines (loading a 20 MB .ttc per badge would be a strawman).
* **canonicalise + sign**: ``pyld.jsonld.normalize(doc, URDNA2015, n-quads)`` with a document
  loader that opens and parses the context file from disk on every request and returns no
  cache tag, so pyld keeps no processed context between calls. Signing is otherwise the same
  eddsa-rdfc-2022 code (``badges.core.credentials.sign_credential``).
* **bake**: OB 3.0 by decoding the PNG with Pillow and re-encoding it with
  ``PngInfo.add_itxt("openbadgecredential", ..., zip=False)`` (default compress level), then
  OB 2.0 with openbadges-bakery's ``png_bakery.bake`` (pypng chunk rewrite).

Requires ``requirements-bench.txt`` (openbadges-bakery and its dependencies).
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from openbadges_bakery import png_bakery
from PIL import Image, ImageDraw, PngImagePlugin
from pyld import jsonld as pyld_jsonld
from pyld.context_resolver import ContextResolver

from badges.core import baking, credentials, rendering, signing
from badges.core.jsonld import CONTEXT_FILES, CONTEXTS_DIR, ContextNotFound

# --- render -----------------------------------------------------------------------------


def _class_layer(design: str, title: str, issuer: str, caption: str, font_path: str) -> Image.Image:
    """``rendering._class_layer`` without its cache, and on an uncached background."""
    # __wrapped__: rendering._background without its lru_cache, i.e. drawn every time.
    image = rendering._background.__wrapped__(design)  # type: ignore[attr-defined]
    draw = ImageDraw.Draw(image)
    s = rendering.SIZE
    white = "#ffffff"
    rendering._centred(draw, s * 0.17, issuer, rendering._font(font_path, 30), white)
    if caption:
        rendering._centred(draw, s * 0.235, caption, rendering._font(font_path, 20), "#e8eef6")
    font, lines = rendering.fit_title(
        title, font_path, max_width=s * 0.68, max_lines=3, sizes=[s // 14, s // 16, s // 19, s // 23]
    )
    line_height = font.size * 1.3
    top = s * 0.45 - line_height * (len(lines) - 1) / 2
    for i, line in enumerate(lines):
        rendering._centred(draw, top + i * line_height, line, font, white)
    return image


def render_badge(text: rendering.BadgeText, *, design: str, font_path: str, **_ignored: Any) -> bytes:
    """The whole badge drawn from scratch, saved with Pillow's default PNG settings.

    Extra keyword arguments (``compress_level``) are accepted and ignored so that this can
    stand in for ``rendering.render_badge`` in the worker.
    """
    image = _class_layer(design, text.title, text.issuer, text.caption, font_path)
    draw = ImageDraw.Draw(image)
    s = rendering.SIZE
    if text.holder:
        holder_font, holder_lines = rendering.fit_title(
            text.holder, font_path, max_width=s * 0.80, max_lines=1, sizes=[28, 22, 18]
        )
        rendering._centred(draw, s * 0.73, holder_lines[0], holder_font, "#1a1a1a")
    if text.date:
        rendering._centred(draw, s * 0.86, text.date, rendering._font(font_path, 22), "#ffffff")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # Pillow's defaults: compress_level 6
    return buffer.getvalue()


# --- canonicalise -----------------------------------------------------------------------


def disk_document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """Reads and parses the bundled context file on every request; no cache tag."""
    if url not in CONTEXT_FILES:
        raise ContextNotFound(f"JSON-LD context not available offline: {url[:200]}")
    with open(CONTEXTS_DIR / CONTEXT_FILES[url], encoding="utf-8") as handle:
        document = json.load(handle)
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}


def canonicalize(doc: Mapping[str, Any], *, loader: Any = None) -> str:
    """RDFC-1.0 N-Quads the textbook way: one ``jsonld.normalize`` call.

    A fresh ContextResolver per call: pyld's process-wide cache is not shared (and with an
    untagged loader it would not keep anything anyway).
    """
    result = pyld_jsonld.normalize(
        dict(doc),
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": disk_document_loader,
            "contextResolver": ContextResolver({}, disk_document_loader),
        },
    )
    return result  # type: ignore[no-any-return]


def sign_credential(
    credential: Mapping[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | str,
    loader: Any = None,
) -> dict[str, Any]:
    """eddsa-rdfc-2022 as the vc-di-eddsa spec writes it, with the canonicalisation above.

    No safe-mode checks (a textbook implementation has none); the signature is the same.
    """
    document = copy.deepcopy(dict(credential))
    proof: dict[str, Any] = {
        "type": credentials.PROOF_TYPE,
        "cryptosuite": credentials.CRYPTOSUITE,
        "created": credentials.common._datetime_str(created, "created"),
        "verificationMethod": verification_method,
        "proofPurpose": credentials.common.PROOF_PURPOSE,
    }
    proof_config = {"@context": document["@context"], **proof}
    data = (
        hashlib.sha256(canonicalize(proof_config).encode("utf-8")).digest()
        + hashlib.sha256(canonicalize(document).encode("utf-8")).digest()
    )
    proof["proofValue"] = "z" + signing.b58encode(signing.sign(private_key, data))
    document["proof"] = proof
    return document


# --- bake -------------------------------------------------------------------------------


def bake(png_bytes: bytes, chunks: Mapping[str, str]) -> bytes:
    """OB 3.0 chunk by re-encoding with Pillow, then OB 2.0 with openbadges-bakery."""
    data = png_bytes
    if baking.KEYWORD_OB3 in chunks:
        with Image.open(io.BytesIO(data)) as image:
            info = PngImagePlugin.PngInfo()
            info.add_itxt(baking.KEYWORD_OB3, chunks[baking.KEYWORD_OB3], zip=False)
            out = io.BytesIO()
            image.save(out, format="PNG", pnginfo=info)
        data = out.getvalue()
    if baking.KEYWORD_OB2 in chunks:
        baked = png_bakery.bake(io.BytesIO(data), chunks[baking.KEYWORD_OB2], io.BytesIO())
        data = baked.getvalue()
    return data
