"""Tests for badges.core.baking: PNG chunk surgery and the strict untrusted-PNG reader."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from badges.core.baking import (
    KEYWORD_OB2,
    KEYWORD_OB3,
    PNG_SIGNATURE,
    BakingError,
    bake,
    check_image_dimensions,
    read_baked,
)

ASSERTION_JSON = '{"id": "https://badges.example.jp/a/1", "name": "八王子市 DX研修 修了"}'
CREDENTIAL_JSON = '{"type": ["VerifiableCredential", "OpenBadgeCredential"], "name": "データ活用"}'


def make_png(width: int = 8, height: int = 6) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 40))
    image.putpixel((1, 1), (1, 2, 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def chunk_list(data: bytes) -> list[tuple[bytes, bytes]]:
    """Independent (test-side) chunk walker."""
    assert data.startswith(PNG_SIGNATURE)
    pos, out = 8, []
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def insert_after_ihdr(png: bytes, extra: bytes) -> bytes:
    # IHDR is always 8 (sig) + 25 bytes.
    return png[:33] + extra + png[33:]


PNG = make_png()


# ------------------------------------------------------------------ baking


def test_baked_png_round_trips_both_keywords() -> None:
    baked = bake(PNG, {KEYWORD_OB2: ASSERTION_JSON, KEYWORD_OB3: CREDENTIAL_JSON})
    assert read_baked(baked) == {KEYWORD_OB2: ASSERTION_JSON, KEYWORD_OB3: CREDENTIAL_JSON}


def test_baked_chunk_is_one_uncompressed_itxt_directly_after_ihdr() -> None:
    baked = bake(PNG, {KEYWORD_OB3: CREDENTIAL_JSON})
    chunks = chunk_list(baked)
    assert chunks[0][0] == b"IHDR"
    assert chunks[1][0] == b"iTXt"
    body = chunks[1][1]
    keyword, rest = body.split(b"\0", 1)
    assert keyword == b"openbadgecredential"
    # compression flag 0, method 0, empty language tag, empty translated keyword
    assert rest[:4] == b"\0\0\0\0"
    assert rest[4:].decode("utf-8") == CREDENTIAL_JSON
    assert sum(1 for t, b in chunks if t in (b"iTXt", b"tEXt", b"zTXt")) == 1


def test_baking_keeps_image_data_byte_for_byte_and_pillow_still_reads_it() -> None:
    baked = bake(PNG, {KEYWORD_OB2: ASSERTION_JSON})
    original = [c for c in chunk_list(PNG)]
    remaining = [c for c in chunk_list(baked) if c[0] != b"iTXt"]
    assert remaining == original
    with Image.open(io.BytesIO(baked)) as im:
        im.load()
        assert im.getpixel((1, 1)) == (1, 2, 3)
        # Interop: Pillow's own reader sees our chunk.
        assert im.text[KEYWORD_OB2] == ASSERTION_JSON


def test_rebaking_replaces_the_previous_chunk() -> None:
    once = bake(PNG, {KEYWORD_OB2: ASSERTION_JSON})
    twice = bake(once, {KEYWORD_OB2: '{"id": "https://badges.example.jp/a/2"}'})
    assert read_baked(twice) == {KEYWORD_OB2: '{"id": "https://badges.example.jp/a/2"}'}
    assert [t for t, _ in chunk_list(twice)].count(b"iTXt") == 1
    assert bake(once, {KEYWORD_OB2: ASSERTION_JSON}) == once  # idempotent


def test_baking_one_keyword_keeps_the_other() -> None:
    v2 = bake(PNG, {KEYWORD_OB2: ASSERTION_JSON})
    both = bake(v2, {KEYWORD_OB3: CREDENTIAL_JSON})
    assert read_baked(both) == {KEYWORD_OB2: ASSERTION_JSON, KEYWORD_OB3: CREDENTIAL_JSON}


def test_baking_removes_legacy_text_and_compressed_chunks_with_the_same_keyword() -> None:
    legacy = insert_after_ihdr(
        PNG,
        chunk(b"tEXt", b"openbadges\0https://old.example/a/1")
        + chunk(b"zTXt", b"openbadges\0\0" + zlib.compress(b"old")),
    )
    baked = bake(legacy, {KEYWORD_OB2: ASSERTION_JSON})
    assert read_baked(baked) == {KEYWORD_OB2: ASSERTION_JSON}
    assert not any(t in (b"tEXt", b"zTXt") for t, _ in chunk_list(baked))


def test_baking_keeps_unrelated_text_chunks() -> None:
    with_comment = insert_after_ihdr(PNG, chunk(b"tEXt", b"Comment\0hello"))
    baked = bake(with_comment, {KEYWORD_OB2: ASSERTION_JSON})
    assert (b"tEXt", b"Comment\0hello") in chunk_list(baked)


@pytest.mark.parametrize("chunks", [{}, {"openbadge": "x"}, {KEYWORD_OB2: ""}, {KEYWORD_OB2: "a\0b"}])
def test_bake_refuses_bad_arguments(chunks: dict[str, str]) -> None:
    with pytest.raises(BakingError):
        bake(PNG, chunks)


def test_bake_refuses_non_png() -> None:
    with pytest.raises(BakingError) as err:
        bake(b"GIF89a....", {KEYWORD_OB2: "x"})
    assert err.value.code == "not_png"


# ---------------------------------------------------------- strict reading


def expect_code(data: bytes, code: str, **kwargs: int) -> None:
    with pytest.raises(BakingError) as err:
        read_baked(data, **kwargs)
    assert err.value.code == code
    assert isinstance(err.value, ValueError)


def test_read_rejects_non_png() -> None:
    expect_code(b"<svg/>", "not_png")
    expect_code(b"", "not_png")


def test_read_rejects_a_png_without_badge() -> None:
    expect_code(PNG, "no_badge")


def test_read_rejects_truncated_files_at_every_cut() -> None:
    baked = bake(PNG, {KEYWORD_OB2: ASSERTION_JSON})
    for cut in range(8, len(baked)):
        with pytest.raises(BakingError) as err:
            read_baked(baked[:cut])
        assert err.value.code in {"truncated", "bad_crc"}, cut


def test_read_rejects_a_chunk_length_that_lies() -> None:
    baked = bake(PNG, {KEYWORD_OB2: ASSERTION_JSON})
    # Make the iTXt chunk (right after IHDR at offset 33) claim 1 GB.
    lying = baked[:33] + struct.pack(">I", 1 << 30) + baked[37:]
    expect_code(lying, "truncated")
    # ... and the PNG maximum + 1 is out of range altogether.
    expect_code(baked[:33] + struct.pack(">I", 2**31) + baked[37:], "bad_chunk")
    # A length that is too short desynchronises the walk: caught by CRC.
    shorter = baked[:33] + struct.pack(">I", 5) + baked[37:]
    expect_code(shorter, "bad_crc")


def test_read_rejects_bad_crc() -> None:
    baked = bake(PNG, {KEYWORD_OB2: ASSERTION_JSON})
    pos = baked.index(b"IDAT") + 6
    corrupted = baked[:pos] + bytes([baked[pos] ^ 0xFF]) + baked[pos + 1 :]
    expect_code(corrupted, "bad_crc")


def test_read_rejects_duplicate_badge_chunks() -> None:
    baked = bake(PNG, {KEYWORD_OB2: ASSERTION_JSON})
    dup = insert_after_ihdr(baked, chunk(b"tEXt", b"openbadges\0https://evil.example/a"))
    expect_code(dup, "duplicate_chunk")


def test_read_enforces_size_limits() -> None:
    baked = bake(PNG, {KEYWORD_OB3: "x" * 5000})
    expect_code(baked, "chunk_too_large", max_text_chunk=1000)
    expect_code(baked, "file_too_large", max_bytes=1000)
    assert read_baked(baked, max_text_chunk=6000)[KEYWORD_OB3] == "x" * 5000


def test_read_requires_ihdr_first() -> None:
    no_ihdr = PNG_SIGNATURE + chunk(b"iTXt", b"openbadges\0\0\0\0\0x") + chunk(b"IEND", b"")
    expect_code(no_ihdr, "bad_ihdr")


def test_read_accepts_legacy_text_chunk_with_hosted_url() -> None:
    legacy = insert_after_ihdr(PNG, chunk(b"tEXt", b"openbadges\0https://badges.example.jp/a/1"))
    assert read_baked(legacy) == {KEYWORD_OB2: "https://badges.example.jp/a/1"}


def test_read_inflates_compressed_itxt_but_caps_a_zip_bomb() -> None:
    body = b"openbadges\0\x01\x00\0\0" + zlib.compress(ASSERTION_JSON.encode("utf-8"))
    compressed = insert_after_ihdr(PNG, chunk(b"iTXt", body))
    assert read_baked(compressed) == {KEYWORD_OB2: ASSERTION_JSON}
    bomb = b"openbadges\0\x01\x00\0\0" + zlib.compress(b"a" * 50_000_000, 9)
    assert len(bomb) < 100_000
    expect_code(insert_after_ihdr(PNG, chunk(b"iTXt", bomb)), "chunk_too_large")


def test_read_rejects_invalid_utf8_and_malformed_itxt() -> None:
    bad_utf8 = insert_after_ihdr(PNG, chunk(b"iTXt", b"openbadges\0\0\0\0\0\xff\xfe"))
    expect_code(bad_utf8, "bad_text_chunk")
    no_header = insert_after_ihdr(PNG, chunk(b"iTXt", b"openbadges\0\0"))
    expect_code(no_header, "bad_text_chunk")
    no_keyword = insert_after_ihdr(PNG, chunk(b"iTXt", b"x" * 100))
    expect_code(no_keyword, "bad_text_chunk")


# ---------------------------------------------------------- dimension guard


def ihdr_only_png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_dimension_guard_reads_ihdr_without_decoding() -> None:
    assert check_image_dimensions(PNG, max_pixels=100) == (8, 6)
    # A 200-megapixel header: refused from 33 bytes, nothing allocated.
    bomb = ihdr_only_png(20_000, 10_000)
    with pytest.raises(BakingError) as err:
        check_image_dimensions(bomb, max_pixels=50_000_000)
    assert err.value.code == "image_too_large"
    assert check_image_dimensions(bomb, max_pixels=200_000_000) == (20_000, 10_000)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"nope", "not_png"),
        (PNG_SIGNATURE + b"\0\0\0\x0dIHDR", "truncated"),
        (ihdr_only_png(0, 10), "bad_ihdr"),
        (ihdr_only_png(10, 10)[:29] + b"\0\0\0\0" + ihdr_only_png(10, 10)[33:], "bad_crc"),
        (PNG_SIGNATURE + chunk(b"IDAT", b"x" * 13) + b"\0" * 10, "bad_ihdr"),
    ],
)
def test_dimension_guard_errors(data: bytes, code: str) -> None:
    with pytest.raises(BakingError) as err:
        check_image_dimensions(data, max_pixels=10**6)
    assert err.value.code == code


# ---------------------------------------------------------- property tests

BAKED = bake(PNG, {KEYWORD_OB2: ASSERTION_JSON, KEYWORD_OB3: CREDENTIAL_JSON})


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_read_baked_only_raises_baking_error_on_random_bytes(data: bytes) -> None:
    for candidate in (data, PNG_SIGNATURE + data):
        try:
            read_baked(candidate)
        except BakingError:
            pass
        try:
            check_image_dimensions(candidate, max_pixels=10**6)
        except BakingError:
            pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["flip", "insert", "delete"]),
            st.integers(min_value=0, max_value=len(BAKED) - 1),
            st.integers(min_value=0, max_value=255),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_read_baked_only_raises_baking_error_on_mutated_png(
    edits: list[tuple[str, int, int]],
) -> None:
    data = bytearray(BAKED)
    for op, pos, value in edits:
        pos %= max(len(data), 1)
        if op == "flip":
            data[pos] ^= value or 1
        elif op == "insert":
            data.insert(pos, value)
        else:
            del data[pos]
    try:
        result = read_baked(bytes(data))
    except BakingError:
        return
    # A mutation can only survive where CRC does not reach (signature, after IEND):
    # the payloads must then be unchanged.
    assert result == {KEYWORD_OB2: ASSERTION_JSON, KEYWORD_OB3: CREDENTIAL_JSON}
