"""The published static pages, as a visitor outside the city network meets them: nginx serving
the tree (deploy/nginx/), Chromium at 375 px and 1280 px. The share page, the hosted assertion
page and the badge class page load their stylesheet from the tree (nothing from the staff
portal), fit the screen, have no language switch that would post to the staff portal, and pass
the accessibility check. Static copies are in Japanese, the portal's default language."""

from __future__ import annotations

import pytest

from badges import publisher, services
from badges.models import Award, PublicationRequest
from tests.badges.conftest import issue
from tests.badges.nginx_server import nginx_binary, running_nginx
from tests.browser.conftest import check_accessibility
from tests.browser.measure import MEASURE, WIDTHS
from tests.conftest import _missing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["375", "1280"])
def test_the_published_pages_fit_and_load_only_from_the_public_host(  # type: ignore[no-untyped-def]
    new_context, shots, settings, tmp_path, alice, badge_class, signing_key, enqueued, monkeypatch, size: str
) -> None:
    if nginx_binary() is None:
        _missing("nginx is not installed (WITH_TEST_TOOLS=1 scripts/system-deps.sh)")
    monkeypatch.setattr(publisher, "publications_enqueue", lambda ids: len(ids))
    monkeypatch.setattr("badges.notifications.awards_notify_enqueue", lambda award_ids: None)
    monkeypatch.setattr("staff.emails.email_dispatch", lambda email_id: True)
    tree = tmp_path / "tree"
    settings.PORTAL_PUBLISH_DIR = str(tree)
    with running_nginx(tree, tmp_path / "nginx") as origin:
        settings.PORTAL_BASE_URL = origin
        award = issue(alice, badge_class, "published:browser:1")
        services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
        publisher.publications_run(request_ids=list(PublicationRequest.objects.values_list("pk", flat=True)))

        context = new_context(**WIDTHS[size])
        page = context.new_page()
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        failed: list[str] = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.on("console", lambda message: message.type == "error" and failed.append(message.text))
        pages = {
            "share": f"{origin}/public/share/{award.share_token}/",
            "assertion": f"{origin}/public/assertions/{award.public_id}",
            "badge-class": f"{origin}/public/badges/{badge_class.public_id}",
        }
        for name, url in pages.items():
            response = page.goto(url)
            assert response is not None and response.status == 200, (name, response and response.status)
            shots(page, f"{size}-{name}")
            assert page.locator("html").get_attribute("lang") == "ja"
            assert page.locator("form.lang-switch").count() == 0
            # The portal's stylesheet was loaded from the tree: the header is laid out by it.
            assert page.evaluate("() => getComputedStyle(document.querySelector('.site-header')).display") != "inline"
            problems = page.evaluate(MEASURE)
            assert problems == [], (name, problems)
            check_accessibility(page)
        assert page.goto(pages["share"]) is not None
        assert page.get_by_text(alice.family_name, exact=False).first.is_visible()
        assert failed == []
        assert all(url.startswith(origin) for url in requested), [u for u in requested if not u.startswith(origin)]
