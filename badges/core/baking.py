"""Open Badges PNG baking and unbaking, working on PNG chunks directly.

Why not Pillow: re-encoding the image would change its bytes (and cost ~10 ms per
badge); Pillow also only *warns* on decompression bombs and silently caps text
chunks.  A PNG is a signature followed by chunks
``length(4) type(4) data(length) crc32(type+data)(4)``, so baking is list surgery:

* ``bake`` drops every existing text chunk (iTXt/tEXt/zTXt) whose keyword we are
  about to write and inserts one uncompressed iTXt chunk per keyword directly after
  IHDR -- as openbadges-bakery does.  Re-baking therefore replaces, never duplicates
  (OB 2.0 baking spec: at most one ``openbadges`` chunk; OB 3.0: at most one
  ``openbadgecredential`` chunk).
* ``read_baked`` is meant for *untrusted uploads*: it validates structure, CRCs and
  sizes before trusting anything and raises exactly one exception type,
  :class:`BakingError`, whose ``code`` the web layer maps to a translated message.

Keywords: ``openbadges`` (OB 2.0, baking spec 1.0) and ``openbadgecredential``
(OB 3.0, ``ob_v3p0/docformat.md``).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Mapping
from typing import Final, NamedTuple

__all__ = [
    "BADGE_KEYWORDS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_TEXT_CHUNK",
    "KEYWORD_OB2",
    "KEYWORD_OB3",
    "PNG_SIGNATURE",
    "BakingError",
    "bake",
    "check_image_dimensions",
    "read_baked",
]

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
KEYWORD_OB2: Final = "openbadges"
KEYWORD_OB3: Final = "openbadgecredential"
BADGE_KEYWORDS: Final = frozenset({KEYWORD_OB2, KEYWORD_OB3})

# Upload limits.  A baked badge is a small image plus a few KB of JSON; 10 MiB and
# 1 MiB (Pillow's own MAX_TEXT_CHUNK) leave ample room while bounding work.
DEFAULT_MAX_BYTES: Final = 10 * 1024 * 1024
DEFAULT_MAX_TEXT_CHUNK: Final = 1024 * 1024
# PNG spec: chunk length is at most 2**31 - 1.
_PNG_MAX_CHUNK_LEN: Final = 2**31 - 1
_TEXT_TYPES: Final = frozenset({b"iTXt", b"tEXt", b"zTXt"})
# PNG keywords are 1-79 Latin-1 bytes.
_MAX_KEYWORD_LEN: Final = 79


class BakingError(ValueError):
    """Any problem with a (baked) PNG.

    ``code`` is stable and machine-readable; the message is English for logs.  The
    web layer shows a translated text chosen by ``code``:

    ``not_png``, ``file_too_large``, ``truncated``, ``bad_chunk``, ``bad_crc``,
    ``bad_ihdr``, ``chunk_too_large``, ``bad_text_chunk``, ``duplicate_chunk``,
    ``no_badge``, ``image_too_large``, ``bad_keyword``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Chunk(NamedTuple):
    ctype: bytes
    data: bytes
    raw: bytes  # the whole chunk as in the file (length+type+data+crc), for re-emit


def _iter_chunks(data: bytes, *, max_chunk: int | None = None) -> Iterator[_Chunk]:
    """Yield chunks up to and including IEND, validating as it goes.

    Every length is checked against what is actually left in the buffer *before*
    slicing, so a chunk header that lies about its length gives ``truncated``
    instead of a short read being mistaken for data.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError("not_png", "not a PNG file (bad signature)")
    pos = len(PNG_SIGNATURE)
    end = len(data)
    first = True
    while True:
        if end - pos < 12:
            raise BakingError("truncated", "PNG ends before IEND")
        (length,) = struct.unpack_from(">I", data, pos)
        ctype = data[pos + 4 : pos + 8]
        if length > _PNG_MAX_CHUNK_LEN:
            raise BakingError("bad_chunk", "PNG chunk length out of range")
        # Chunk types are four ASCII letters (PNG spec 5.4); anything else means we
        # are reading garbage and should not continue.
        if not all(65 <= b <= 90 or 97 <= b <= 122 for b in ctype):
            raise BakingError("bad_chunk", "invalid PNG chunk type")
        # A length running past the end of the data is a lie/truncation; report that
        # before the size limit, which only applies to chunks that really exist.
        if end - pos - 12 < length:
            raise BakingError("truncated", "PNG chunk length runs past end of file")
        if max_chunk is not None and length > max_chunk and ctype in _TEXT_TYPES:
            raise BakingError("chunk_too_large", "PNG text chunk exceeds the size limit")
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", data, pos + 8 + length)
        if zlib.crc32(ctype + body) != crc:
            raise BakingError("bad_crc", f"CRC mismatch in {ctype.decode('ascii')} chunk")
        if first:
            if ctype != b"IHDR" or length != 13:
                raise BakingError("bad_ihdr", "PNG does not start with a valid IHDR")
            first = False
        elif ctype == b"IHDR":
            raise BakingError("bad_ihdr", "PNG has more than one IHDR")
        yield _Chunk(ctype, body, data[pos : pos + 12 + length])
        pos += 12 + length
        if ctype == b"IEND":
            # Bytes after IEND are ignored (common in the wild and harmless); they
            # are not copied by bake().
            return


def _make_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _keyword_of(chunk: _Chunk) -> str | None:
    """Keyword of a text chunk, or None if the chunk has no valid keyword."""
    nul = chunk.data.find(b"\0", 0, _MAX_KEYWORD_LEN + 1)
    if nul < 1:
        return None
    return chunk.data[:nul].decode("latin-1")


def _itxt_body(keyword: str, text: str) -> bytes:
    # keyword \0 compression-flag(0) compression-method(0) language \0
    # translated-keyword \0 text -- flag 0 because the baking specs forbid
    # compression; language and translated keyword are left empty.
    return keyword.encode("latin-1") + b"\0\0\0" + b"\0" + b"\0" + text.encode("utf-8")


def bake(png_bytes: bytes, chunks: Mapping[str, str]) -> bytes:
    """Return ``png_bytes`` with one uncompressed iTXt chunk per keyword in ``chunks``.

    ``chunks`` maps ``openbadges`` and/or ``openbadgecredential`` to the text (the
    assertion/credential JSON or a compact JWS).  Text chunks carrying one of those
    keywords are removed first, so baking twice replaces the earlier payload.  Other
    keywords are left alone (a PNG may carry both an OB 2.0 and an OB 3.0 payload).
    Image data is copied byte for byte.
    """
    if not chunks:
        raise BakingError("bad_keyword", "nothing to bake")
    for keyword, text in chunks.items():
        if keyword not in BADGE_KEYWORDS:
            # A typo ("openbadge") would produce a PNG nobody can unbake; refuse.
            raise BakingError("bad_keyword", f"unsupported badge keyword {keyword!r}")
        if not isinstance(text, str) or not text:
            raise BakingError("bad_text_chunk", f"text for {keyword!r} must be a non-empty string")
        if "\0" in text:
            raise BakingError("bad_text_chunk", "iTXt text must not contain NUL")
    out = [PNG_SIGNATURE]
    for chunk in _iter_chunks(png_bytes):
        if chunk.ctype in _TEXT_TYPES and _keyword_of(chunk) in chunks:
            continue
        out.append(chunk.raw)
        if chunk.ctype == b"IHDR":
            # Insertion order of the mapping is kept: deterministic output.
            out.extend(_make_chunk(b"iTXt", _itxt_body(k, v)) for k, v in chunks.items())
    return b"".join(out)


def _decode_text_chunk(chunk: _Chunk, keyword: str, max_text_chunk: int) -> str:
    """Text payload of a badge chunk (already known to carry a badge keyword)."""
    rest = chunk.data[len(keyword) + 1 :]
    try:
        if chunk.ctype == b"tEXt":
            # Legacy pre-1.0 baking: a tEXt chunk holding the hosted assertion URL.
            # tEXt is Latin-1 by definition.
            return rest.decode("latin-1")
        if chunk.ctype == b"zTXt":
            if len(rest) < 1 or rest[0] != 0:
                raise BakingError("bad_text_chunk", "unknown zTXt compression method")
            return _inflate(rest[1:], max_text_chunk).decode("latin-1")
        # iTXt: flag, method, language\0, translated keyword\0, text
        if len(rest) < 2:
            raise BakingError("bad_text_chunk", "iTXt header too short")
        flag, method = rest[0], rest[1]
        lang_end = rest.find(b"\0", 2)
        trans_end = rest.find(b"\0", lang_end + 1) if lang_end >= 0 else -1
        if trans_end < 0:
            raise BakingError("bad_text_chunk", "iTXt header is malformed")
        payload = rest[trans_end + 1 :]
        if flag == 1:
            # The baking specs say MUST NOT compress, but some tools did; inflating
            # with a hard output cap is safe, so we accept it when reading.
            if method != 0:
                raise BakingError("bad_text_chunk", "unknown iTXt compression method")
            payload = _inflate(payload, max_text_chunk)
        elif flag != 0:
            raise BakingError("bad_text_chunk", "invalid iTXt compression flag")
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError("bad_text_chunk", "badge text is not valid UTF-8") from None


def _inflate(data: bytes, limit: int) -> bytes:
    """zlib-inflate at most ``limit`` bytes: a zip bomb cannot exhaust memory."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error:
        raise BakingError("bad_text_chunk", "compressed text is corrupt") from None
    if len(out) > limit or d.unconsumed_tail:
        raise BakingError("chunk_too_large", "decompressed badge text exceeds the size limit")
    if not d.eof:
        raise BakingError("bad_text_chunk", "compressed text is truncated")
    return out


def read_baked(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_text_chunk: int = DEFAULT_MAX_TEXT_CHUNK,
) -> dict[str, str]:
    """Extract ``{"openbadges": ..., "openbadgecredential": ...}`` from untrusted PNG bytes.

    Returns only the keywords present (at least one).  Stricter than the specs'
    "extractors stop at the first match": a second chunk with the same badge keyword
    is rejected (``duplicate_chunk``) because two different payloads in one file are
    ambiguous and a sign of tampering.  Every chunk's CRC is checked, and the walk
    must reach IEND, so a truncated upload is reported as such.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BakingError("not_png", "expected bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise BakingError("file_too_large", "file exceeds the size limit")
    found: dict[str, str] = {}
    for chunk in _iter_chunks(data, max_chunk=max_text_chunk):
        if chunk.ctype not in _TEXT_TYPES:
            continue
        keyword = _keyword_of(chunk)
        if keyword is None:
            raise BakingError("bad_text_chunk", "text chunk without a valid keyword")
        if keyword not in BADGE_KEYWORDS:
            continue
        if keyword in found:
            raise BakingError("duplicate_chunk", f"more than one {keyword!r} chunk")
        found[keyword] = _decode_text_chunk(chunk, keyword, max_text_chunk)
    if not found:
        raise BakingError("no_badge", "the image contains no Open Badges data")
    return found


def check_image_dimensions(data: bytes, max_pixels: int) -> tuple[int, int]:
    """Return ``(width, height)`` from IHDR without decoding pixel data.

    Decompression-bomb guard: a 200-megapixel PNG can be a 24 KB file (pitfall 17),
    so the header is checked before any decoder (Pillow) sees the upload.  Only the
    signature and the IHDR chunk (with CRC) are read.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BakingError("not_png", "expected bytes")
    head = bytes(data[:33])  # signature(8) + length(4) + "IHDR"(4) + 13 + crc(4)
    if not head.startswith(PNG_SIGNATURE):
        raise BakingError("not_png", "not a PNG file (bad signature)")
    if len(head) < 33:
        raise BakingError("truncated", "PNG ends inside IHDR")
    length, ctype = struct.unpack_from(">I4s", head, 8)
    if ctype != b"IHDR" or length != 13:
        raise BakingError("bad_ihdr", "PNG does not start with a valid IHDR")
    body = head[16:29]
    (crc,) = struct.unpack_from(">I", head, 29)
    if zlib.crc32(b"IHDR" + body) != crc:
        raise BakingError("bad_crc", "CRC mismatch in IHDR chunk")
    width, height = struct.unpack_from(">II", body, 0)
    if not (0 < width <= _PNG_MAX_CHUNK_LEN and 0 < height <= _PNG_MAX_CHUNK_LEN):
        raise BakingError("bad_ihdr", "invalid image dimensions")
    if width * height > max_pixels:
        raise BakingError("image_too_large", "image has too many pixels")
    return width, height
