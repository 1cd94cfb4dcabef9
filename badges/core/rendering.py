"""Draw badge images with Pillow. Pure: arguments in, PNG bytes out; no ORM, no settings.

Japanese text needs a CJK font that the project installs (Debian's fonts-noto-cjk through
``make system-deps``); ``find_font`` fails loudly when none of the configured paths exists,
rather than silently drawing tofu boxes with Pillow's default bitmap font.
"""

from __future__ import annotations

import io
import struct
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from isal import isal_zlib
from PIL import Image, ImageDraw, ImageFont

SIZE = 600
_SHAPE_SCALE = 3  # shapes are drawn larger and downsampled once per design (Pillow's are not anti-aliased)

PALETTES: dict[str, tuple[str, str, str]] = {
    # design: (outer ring, inner disc, ribbon)
    "blue": ("#143a66", "#1d4e89", "#c9a227"),
    "green": ("#1b5e35", "#2e7d4f", "#c9a227"),
    "orange": ("#8a3b00", "#c05600", "#1d4e89"),
    "purple": ("#4a2370", "#6a3d9a", "#c9a227"),
    "red": ("#7f1d1d", "#a52a2a", "#c9a227"),
}

# Characters that must not start a line (行頭禁則) and must not end one (行末禁則).
_NO_LINE_START = set("、。，．・：；？！ー～）」』】〕〉》”’ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々")
_NO_LINE_END = set("（「『【〔〈《“‘")


class FontNotFoundError(RuntimeError):
    pass


@lru_cache(maxsize=8)
def find_font(paths: tuple[str, ...]) -> str:
    for path in paths:
        if Path(path).is_file():
            return path
    raise FontNotFoundError(
        "No CJK font found for badge images; install Debian's fonts-noto-cjk (make system-deps) "
        f"or set BADGE_FONT_PATHS. Looked in: {', '.join(paths)}"
    )


@lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    # index 0 of Noto's .ttc collections is the Japanese (JP) face.
    return ImageFont.truetype(path, size, index=0)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _units(text: str) -> list[str]:
    """Split into line-breaking units: each CJK character alone, Latin words with their space."""
    units: list[str] = []
    word = ""
    for char in text:
        if _is_wide(char) or char in _NO_LINE_START:
            if word:
                units.append(word)
                word = ""
            units.append(char)
        elif char == " ":
            units.append(word + " ")
            word = ""
        else:
            word += char
    if word:
        units.append(word)
    return [u for u in units if u]


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy line breaking by measured width, with Japanese line-breaking rules (禁則).

    Each unit is measured once and widths are added up (kerning across units is ignored,
    which is exact enough for a badge and ten times faster than measuring every prefix).
    """
    width_of: dict[str, float] = {}

    def width(unit: str) -> float:
        if unit not in width_of:
            width_of[unit] = font.getlength(unit)
        return width_of[unit]

    lines: list[list[str]] = []
    line: list[str] = []
    line_width = 0.0
    for unit in _units(text):
        unit_width = width(unit)
        if line and line_width + width(unit.rstrip()) > max_width:
            carried: list[str] = []
            if unit[0] in _NO_LINE_START or line[-1][-1] in _NO_LINE_END:
                # Carry the last unit down rather than start a line with 。 or end one with （.
                carried = [line.pop()]
            if line:
                lines.append(line)
            line = carried
            line_width = sum(width(u) for u in line)
            if not line:
                unit = unit.lstrip()
                unit_width = width(unit)
        if unit_width > max_width:
            # A single unit wider than the line (a very long word): cut it by characters.
            if line:
                lines.append(line)
            piece = ""
            for char in unit:
                if piece and width(piece + char) > max_width:
                    lines.append([piece])
                    piece = ""
                piece += char
            line, line_width = [piece], width(piece)
            continue
        line.append(unit)
        line_width += unit_width
    if line:
        lines.append(line)
    return ["".join(parts).rstrip() for parts in lines if "".join(parts).strip()]


def fit_title(
    text: str, font_path: str, *, max_width: float, max_lines: int, sizes: Sequence[int]
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size at which the title fits in ``max_lines``; the smallest one ellipsised."""
    for size in sizes:
        font = _font(font_path, size)
        lines = wrap(text, font, max_width)
        if len(lines) <= max_lines:
            return font, lines
    font = _font(font_path, sizes[-1])
    lines = wrap(text, font, max_width)[:max_lines]
    last = lines[-1]
    while last and font.getlength(last + "…") > max_width:
        last = last[:-1]
    lines[-1] = last + "…"
    return font, lines


@dataclass(frozen=True)
class BadgeText:
    title: str
    issuer: str
    holder: str = ""  # empty: the badge class image, not one person's award
    date: str = ""
    caption: str = ""  # e.g. "オープンバッジ" / "Open Badge"


@lru_cache(maxsize=16)
def _background(design: str) -> Image.Image:
    outer, inner, ribbon = PALETTES.get(design, PALETTES["blue"])
    k = _SHAPE_SCALE
    s = SIZE * k
    image = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8 * k, 8 * k, s - 8 * k, s - 8 * k), fill=outer)
    draw.ellipse((30 * k, 30 * k, s - 30 * k, s - 30 * k), fill=inner)
    draw.ellipse((44 * k, 44 * k, s - 44 * k, s - 44 * k), outline="#ffffff", width=3 * k)
    # A ribbon across the lower third for the holder's name.
    draw.rectangle((0, int(s * 0.66), s, int(s * 0.80)), fill=ribbon)
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def _centred(draw: ImageDraw.ImageDraw, y: float, text: str, font: ImageFont.FreeTypeFont, fill: str) -> None:
    draw.text((SIZE / 2, y), text, font=font, fill=fill, anchor="mm")


@lru_cache(maxsize=256)
def _class_layer(design: str, title: str, issuer: str, caption: str, font_path: str) -> Image.Image:
    """Everything that is the same for every holder of a badge class, drawn once per process."""
    image = _background(design).copy()
    draw = ImageDraw.Draw(image)
    s = SIZE
    white = "#ffffff"
    _centred(draw, s * 0.17, issuer, _font(font_path, 30), white)
    if caption:
        _centred(draw, s * 0.235, caption, _font(font_path, 20), "#e8eef6")
    font, lines = fit_title(
        title, font_path, max_width=s * 0.68, max_lines=3, sizes=[s // 14, s // 16, s // 19, s // 23]
    )
    line_height = font.size * 1.3
    top = s * 0.45 - line_height * (len(lines) - 1) / 2
    for i, line in enumerate(lines):
        _centred(draw, top + i * line_height, line, font, white)
    return image


def render_badge(text: BadgeText, *, design: str, font_path: str, compress_level: int = 2) -> bytes:
    """Return a 600×600 PNG with the issuer, the title (wrapped), and the holder and date.

    The PNG is written by :func:`encode_png` (lossless, the same pixels as Pillow's encoder,
    about four times faster and smaller for these images).
    """
    image = _class_layer(design, text.title, text.issuer, text.caption, font_path).copy()
    draw = ImageDraw.Draw(image)
    s = SIZE
    if text.holder:
        holder_font, holder_lines = fit_title(
            text.holder, font_path, max_width=s * 0.80, max_lines=1, sizes=[28, 22, 18]
        )
        _centred(draw, s * 0.73, holder_lines[0], holder_font, "#1a1a1a")
    if text.date:
        _centred(draw, s * 0.86, text.date, _font(font_path, 22), "#ffffff")
    return encode_png(image, compress_level=compress_level)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour types by Pillow mode: (colour type, bytes per pixel); bit depth is always 8.
_PNG_COLOUR_TYPES = {"L": (0, 1), "RGB": (2, 3), "LA": (4, 2), "RGBA": (6, 4)}


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def encode_png(image: Image.Image, *, compress_level: int = 2) -> bytes:
    """A plain PNG (IHDR, one IDAT, IEND) of an 8-bit L/LA/RGB/RGBA image, lossless.

    Why not ``image.save(format="PNG")``: Pillow tries all five PNG row filters on every row
    to pick one, which is most of its time on a 600×600 RGBA badge (about 14 ms at
    compress_level 1-3 on the benchmark machine). Badges are flat colours with anti-aliased
    edges, which deflate compresses well without any filter: filter type 0 ("None") on every
    row. The deflate stream is ISA-L's (``isal_zlib``, zlib-compatible output that any PNG
    reader inflates), ``compress_level`` 0-3: level 2 takes about 0.6 ms on a badge where
    zlib's level 3 took about 3 ms, for a file about 4 % larger
    (scripts/bench_core_steps.py, docs/benchmarks.md). Other modes go through Pillow.
    """
    if image.mode not in _PNG_COLOUR_TYPES:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=3)
        return buffer.getvalue()
    colour_type, bpp = _PNG_COLOUR_TYPES[image.mode]
    width, height = image.size
    raw = image.tobytes()
    stride = width * bpp
    # Each scanline is prefixed with its filter type byte (0 = None).
    scanlines = b"".join(b"\0" + raw[y * stride : (y + 1) * stride] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _png_chunk(b"IHDR", ihdr),
            _png_chunk(b"IDAT", isal_zlib.compress(scanlines, compress_level)),
            _png_chunk(b"IEND", b""),
        )
    )
