"""A second city's portal looks like its own: 立川市's staff member opens the main staff pages on
a 375 px phone and a 1280 px desktop, in Japanese and English.

Measured in the browser: the header is drawn in the city's colour (its theme stylesheet from the
portal's own origin, allowed by the CSP), its logo is loaded (not a broken image) and sits in the
header beside the name without pushing anything off the screen, the tab's title and the header
name the city, buttons take its colour, the page reads well (tests/browser/measure.py), and the
demo city's name is nowhere in the document. Screenshots go to
test-artifacts/screenshots/<test>/.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.measure import MEASURE, WIDTHS
from tests.test_any_municipality import TACHIKAWA_GREEN, build_journey, journey, tachikawa  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = {"ja": "立川市", "en": "Tachikawa City"}
PAGES = [("home", "/"), ("catalogue", "/courses/"), ("my-learning", "/courses/my-learning/"), ("my-badges", "/badges/")]


def _rgb(colour: str) -> str:
    return f"rgb({int(colour[1:3], 16)}, {int(colour[3:5], 16)}, {int(colour[5:7], 16)})"


LOOK = """() => {
  const header = document.querySelector('.site-header');
  const logo = document.querySelector('.site-header .brand__logo');
  const city = document.querySelector('.site-header .brand__city');
  const plain = ':not(.button--secondary):not(.button--danger):not(.button--small)';
  const button = document.querySelector(`main .button${plain}, main button[type="submit"]:not(.link-button)${plain}`);
  const box = el => {
    const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height};
  };
  return {
    title: document.title,
    header: getComputedStyle(header).backgroundColor,
    headerBox: box(header),
    logo: logo ? {loaded: logo.complete && logo.naturalWidth > 0, box: box(logo)} : null,
    city: city ? city.innerText.trim() : '',
    cityBox: city ? box(city) : null,
    button: button ? getComputedStyle(button).backgroundColor : null,
    html: document.documentElement.outerHTML,
    viewport: document.documentElement.clientWidth,
  };
}"""


def _set_language(people: list[Any], language: str) -> None:
    from staff.models import StaffMember

    StaffMember.objects.filter(pk__in=[p.pk for p in people]).update(preferred_language=language)


def test_the_second_citys_staff_pages_wear_its_colours_and_logo_on_a_phone_and_a_desktop(
    open_context,
    live_server,
    journey,  # noqa: F811 - the fixture, imported above
    shots,
):
    holder = journey["holder"]
    problems: dict[str, list[str]] = {}
    buttons_seen = 0
    for language in ("ja", "en"):
        _set_language([holder], language)
        for width, options in WIDTHS.items():
            page = open_context(holder, **options).new_page()
            for name, path in PAGES:
                where = f"{name} {width}px {language}"
                response = page.goto(f"{live_server.url}{path}")
                assert response is not None and response.status == 200, where
                page.wait_for_load_state("load")
                look = page.evaluate(LOOK)
                shots(page, f"{language}-{width}-{name}")
                found = list(page.evaluate(MEASURE))
                if not look["title"].endswith(f"| {NAME[language]}"):
                    found.append(f"title {look['title']!r}")
                if look["header"] != _rgb(TACHIKAWA_GREEN):
                    found.append(f"header colour {look['header']}")
                if look["city"] != NAME[language]:
                    found.append(f"header name {look['city']!r}")
                logo = look["logo"]
                if not logo or not logo["loaded"]:
                    found.append("the logo is missing or did not load")
                else:
                    box, header = logo["box"], look["headerBox"]
                    if not (box["width"] >= 24 and box["height"] >= 24):
                        found.append(f"the logo is too small: {box}")
                    if box["left"] < 0 or box["right"] > look["viewport"] or box["bottom"] > header["bottom"]:
                        found.append(f"the logo is outside the header or the screen: {box}")
                    if look["cityBox"] and look["cityBox"]["left"] < box["right"]:
                        found.append("the city's name overlaps the logo")
                if look["button"] is not None:
                    buttons_seen += 1
                    if look["button"] != _rgb(TACHIKAWA_GREEN):
                        found.append(f"button colour {look['button']}")
                lowered = look["html"].lower()
                if "八王子" in lowered or "hachioji" in lowered:
                    found.append("the demo city's name is in the page")
                if found:
                    problems[where] = found
            page.context.close()
    report = "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())
    assert not problems, f"what a person would notice:\n{report}"
    assert buttons_seen >= 4, "a primary button was measured on at least one page per width and language"
