"""QR codes as SVG, drawn server-side (no script, nothing from other hosts): pure functions."""

from __future__ import annotations

import io
import re

import qrcode
import qrcode.constants
import qrcode.image.svg

# "M" (15 %) survives a printed page being creased or smudged, and keeps a share URL at a
# size phones read easily from a CV.
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
_BORDER = 4  # the quiet zone the QR spec asks for


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR modules for ``data`` (True = dark), without the quiet zone."""
    code = qrcode.QRCode(error_correction=_ERROR_CORRECTION, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def qr_svg(data: str) -> bytes:
    """A standalone SVG (white background, one path) encoding ``data``."""
    code = qrcode.QRCode(
        error_correction=_ERROR_CORRECTION, border=_BORDER, image_factory=qrcode.image.svg.SvgPathFillImage
    )
    code.add_data(data)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image().save(out)
    return out.getvalue()


_MODULE = re.compile(rb"M(\d+),(\d+)H\d+V\d+H\d+z")


def svg_modules(svg: bytes) -> list[list[bool]]:
    """Read the dark modules back out of an SVG made by :func:`qr_svg` (for tests and checks)."""
    cells = [(int(x), int(y)) for x, y in _MODULE.findall(svg)]
    if not cells:
        return []
    size = max(max(x, y) for x, y in cells) - _BORDER + 1
    matrix = [[False] * size for _ in range(size)]
    for x, y in cells:
        matrix[y - _BORDER][x - _BORDER] = True
    return matrix
