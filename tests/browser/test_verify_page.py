"""The verify page's result, measured the way a person looks at it (issue 13), at 375 px and
1280 px, in Japanese and English: our own valid badge, a revoked one and a stranger-signed one
in the city's name are uploaded as PNG files, and on each result page

- the verdict is the first thing inside the result region and is wholly on the first screen
  the page shows after the result loads;
- the verdict is green only for the valid badge, red for the revoked and the forged one;
- nothing inside the result is green (text, border or background, computed) unless valid;
- the page does not scroll sideways.

Screenshots (the whole page, and the first screen as the visitor sees it) go to
test-artifacts/screenshots/<test>/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.badges.conftest import bake_ob3, baked_bytes, issue
from tests.badges.test_verify import forged_in_the_citys_name
from tests.browser.measure import MEASURE, WIDTHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OK_GREEN = "rgb(30, 107, 52)"  # --ok
ACCENT_RED = "rgb(179, 38, 30)"  # --accent

# Where the verdict is, and every green thing inside the result region.
LOOK = r"""
() => {
  const region = document.getElementById('report');
  if (!region) return null;
  const first = region.firstElementChild;
  const r = first.getBoundingClientRect();
  const parse = c => (c.match(/[\d.]+/g) || []).map(Number);
  const greenish = c => {
    const [red, g, b, a] = parse(c);
    if (a === 0) return false;
    return g > red + 40 && g > b + 20;
  };
  const green = [];
  for (const el of [region, ...region.querySelectorAll('*')]) {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden') continue;
    const what = [];
    if (el.innerText && el.innerText.trim() && greenish(s.color)) what.push('text ' + s.color);
    if (greenish(s.backgroundColor)) what.push('background ' + s.backgroundColor);
    for (const side of ['Top', 'Right', 'Bottom', 'Left']) {
      if (parseFloat(s['border' + side + 'Width']) > 0 && greenish(s['border' + side + 'Color'])) {
        what.push('border ' + side.toLowerCase() + ' ' + s['border' + side + 'Color']);
      }
    }
    if (what.length) green.push(el.tagName.toLowerCase() + '.' + (el.className || '') + ': ' + what.join(', ')
                                + ' "' + (el.innerText || '').trim().slice(0, 40) + '"');
  }
  return {
    firstTag: first.tagName.toLowerCase(), firstClass: first.className, verdict: first.innerText.trim(),
    colour: getComputedStyle(first).color, top: r.top, bottom: r.bottom, viewport: window.innerHeight,
    green,
  };
}
"""


@pytest.fixture
def badges(alice, badge_class, signing_key, enqueued, tmp_path: Path) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    from badges import services

    valid = issue(alice, badge_class, "enrolment:601")
    revoked = issue(alice, badge_class, "enrolment:602")
    services.award_revoke(award=revoked, reason="受講記録の誤りのため")
    forged, _ = forged_in_the_citys_name()
    files = {"valid": baked_bytes(valid), "revoked": baked_bytes(revoked), "forged": bake_ob3(forged)}
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.png"
        paths[name].write_bytes(data)
    return paths


EXPECTED = {
    # case: (verdict text in Japanese, in English, its colour)
    "valid": ("結果： 有効", "Result: Valid", OK_GREEN),
    "revoked": ("結果： 取消し", "Result: Revoked", ACCENT_RED),
    "forged": ("結果： 無効（なりすまし）", "Result: Not valid (impersonation)", ACCENT_RED),
}


def test_the_verdict_comes_first_on_the_first_screen_and_only_a_valid_badge_is_green(
    open_context, live_server, badges, shots
):
    from django.conf import settings

    problems: dict[str, list[Any]] = {}
    for language in ("ja", "en"):
        for width, options in WIDTHS.items():
            context = open_context(**options)
            context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
            page = context.new_page()
            for case, path in badges.items():
                where = f"{case} {width}px {language}"
                page.goto(f"{live_server.url}/public/verify/")
                page.set_input_files("input[type=file]", str(path))
                with page.expect_navigation():
                    page.locator("form.verify-form button[type=submit]").click()
                assert page.evaluate("() => document.documentElement.lang") == language, where
                # What the visitor sees first, as it is, then the whole page.
                page.screenshot(path=str(shots.folder / f"{language}-{width}-{case}-first-screen.png"))
                shots(page, f"{language}-{width}-{case}")
                seen = page.evaluate(LOOK)
                found: list[Any] = []
                if seen is None:
                    problems[where] = ["no result region"]
                    continue
                if seen["firstTag"] != "h2" or "report__verdict" not in seen["firstClass"]:
                    found.append(f"the result starts with {seen['firstTag']}.{seen['firstClass']}, not the verdict")
                ja, en, colour = EXPECTED[case]
                if seen["verdict"] != (ja if language == "ja" else en):
                    found.append(f"verdict reads {seen['verdict']!r}")
                if seen["colour"] != colour:
                    found.append(f"verdict colour {seen['colour']}, expected {colour}")
                if seen["top"] < 0 or seen["bottom"] > seen["viewport"]:
                    found.append(
                        f"verdict not wholly on the first screen: {seen['top']:.0f}–{seen['bottom']:.0f} px"
                        f" of {seen['viewport']} px"
                    )
                if case != "valid" and seen["green"]:
                    found.append(f"green in a result that is not valid: {seen['green']}")
                if not page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"):
                    found.append("the page scrolls sideways")
                # And what the staff pages are measured for (squeezed text, words broken, controls
                # cut off). Not "Japanese on an English page": the result quotes the badge's own
                # data (issuer, achievement, reason), in whatever language its issuer wrote it.
                found += [p for p in page.evaluate(MEASURE) if not p.startswith("Japanese on an English page")]
                if found:
                    problems[where] = found
            context.close()
    report = "\n".join(f"{where}:\n  " + "\n  ".join(map(str, found)) for where, found in problems.items())
    assert not problems, f"what a person would stumble on:\n{report}"
