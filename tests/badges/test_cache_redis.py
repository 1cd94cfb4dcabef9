"""The Redis side of the load work: the verify rate limit in one round trip on a real Redis,
and the cached catalogue and share page still working (uncached) when Redis is unreachable."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.urls import reverse

from badges.models import Award
from tests.factories import make_course

pytestmark = [pytest.mark.django_db]


def _redis_cache(settings, url: str) -> None:  # type: ignore[no-untyped-def]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",  # this test's own keys on a shared server
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }


@pytest.mark.redis
def test_the_verify_rate_limit_counts_in_redis_with_one_expiring_counter(client, award, settings, rate_clock):
    _redis_cache(settings, django_settings.REDIS_URL)
    settings.BADGE_VERIFY_RATE_LIMIT = 3
    body = {"url": f"http://127.0.0.1:8000/public/assertions/{award.public_id}"}
    answers = [client.post("/public/api/verify", body, content_type="application/json") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[3].json()["code"] == "rate_limited" and answers[3]["Retry-After"] == "60"
    backend = caches["default"]
    client_redis = backend._cache.get_client(write=False)
    keys = client_redis.keys(backend.make_key("ratelimit:verify:*"))
    assert len(keys) == 1
    assert int(client_redis.get(keys[0])) == 4
    assert 0 < client_redis.ttl(keys[0]) <= 120  # it goes away by itself
    client_redis.delete(*keys)


def test_the_catalogue_and_the_share_page_work_while_redis_is_unreachable(client, alice, award, settings, caplog):
    # Nothing listens on port 1: every cache call fails at once, as when Redis is down.
    _redis_cache(settings, "redis://127.0.0.1:1/0")
    make_course(code="CHUO-GYOSEI", title="行政法")
    client.force_login(alice)
    response = client.get(reverse("courses:catalogue"))
    assert response.status_code == 200 and "行政法" in response.content.decode()
    Award.objects.filter(pk=award.pk).update(visibility=Award.Visibility.PUBLIC)
    client.logout()
    page = client.get(f"/public/share/{award.share_token}/")
    assert page.status_code == 200 and "verdict--valid" in page.content.decode()
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)
