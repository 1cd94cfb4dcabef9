#!/usr/bin/env python
"""CPU time of two pure steps of issuing, per call, in one process (docs/benchmarks.md,
"Session 4"): canonicalising a credential (``jsonld.canonicalize``) and encoding the rendered
badge as PNG at each ISA-L deflate level (``rendering.encode_png``; zlib for comparison). CPU
time (``process_time``) moves less than wall time on a shared machine; the minimum of five rounds is printed.

    .venv/bin/python scripts/bench_core_steps.py
"""

from __future__ import annotations

import io
import os
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hachioji_portal.settings")


def best_ms(fn: Callable[[], object], calls: int, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, (time.process_time() - start) / calls * 1000)
    return best


def main() -> None:
    import django

    django.setup()
    from PIL import Image

    from badges.core import jsonld, rendering
    from tests.badges.test_fast_paths import FONT, _credential

    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    document = _credential("行政法")
    for _ in range(20):
        jsonld.canonicalize(document)
    print(f"jsonld.canonicalize: {best_ms(lambda: jsonld.canonicalize(document), 300):.2f} ms CPU per call")

    text = rendering.BadgeText(
        title="自治体法務プログラム修了", issuer="八王子市", holder="山田 花子", date="2026年4月1日"
    )
    image = Image.open(io.BytesIO(rendering.render_badge(text, design="blue", font_path=FONT)))
    image.load()
    for level in (0, 1, 2, 3):  # ISA-L's levels (2 is in use)
        size = len(rendering.encode_png(image, compress_level=level))
        ms = best_ms(lambda level=level: rendering.encode_png(image, compress_level=level), 40)
        print(f"encode_png (isal) level {level}: {ms:.2f} ms CPU, {size:,} bytes")
    scanlines = image.tobytes()
    for level in (1, 3):
        ms = best_ms(lambda level=level: zlib.compress(scanlines, level), 40)
        print(f"  for comparison, zlib.compress level {level} of the raw pixels: {ms:.2f} ms CPU")


if __name__ == "__main__":
    main()
