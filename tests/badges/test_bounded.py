"""Bounded checks of untrusted input (issue 12, part 2): the work limits of canonicalisation,
the time limit, and the cap on concurrent checks across web workers.

The adversarial family (tests/badges/adversarial.py) took plain pyld 14 s for k = 8 and about
2 minutes for k = 9 (docs/benchmarks.md, "Adversarial verification"); these tests assert that
the work counter stops it, not the clock, so they do not depend on the machine's speed (the
time bounds below are generous and only catch a regression to exponential time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from pyld import jsonld as pyld_jsonld

from badges import bounded
from badges.core import credentials, jsonld
from badges.models import ExternalBadge
from tests.badges.adversarial import identical_levels_credential
from tests.badges.conftest import bake_ob3, external_credential

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]

API = "/public/api/verify"
PAGE = "/public/verify/"
ADD = "/badges/portfolio/add/"
ROOT = Path(__file__).resolve().parents[2]


def _unsigned(document: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in document.items() if k != "proof"}


def _post_credential(client, document):  # type: ignore[no-untyped-def]
    return client.post(API, json.dumps({"credential": document}), content_type="application/json")


# ------------------------------------------------------------------ work limits


def test_nine_identical_levels_are_stopped_by_the_work_counter_not_the_clock():
    document = _unsigned(identical_levels_credential(9))
    started = time.perf_counter()
    with pytest.raises(jsonld.TooComplex) as stopped:
        jsonld.canonicalize(document)  # no time limit is set here: only the counter can stop it
    assert stopped.value.limit == "work" and stopped.value.code == "too_complex"
    assert time.perf_counter() - started < 5  # it took pyld about 2 minutes


@pytest.mark.parametrize("k", range(6, 13))
def test_the_verify_api_answers_too_complex_at_once_for_k_from_6_to_12(client, k):
    started = time.perf_counter()
    response = _post_credential(client, identical_levels_credential(k))
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["code"]) == ("invalid", "too_complex")
    assert body["findings"][0]["signature"] == "not_checked"
    assert elapsed < 5  # generous; measured 0.01-0.03 s (docs/benchmarks.md)


def test_the_verify_page_and_the_portfolio_refuse_a_too_complex_badge(client, alice):
    png = bake_ob3(identical_levels_credential(9))
    page = client.post(PAGE, {"file": SimpleUploadedFile("badge.png", png)})
    assert page.status_code == 200 and "verdict--invalid" in page.content.decode()
    client.force_login(alice)
    refused = client.post(ADD, {"file": SimpleUploadedFile("badge.png", png)})
    assert refused.status_code == 400 and refused.context["refused"].code == "too_complex"
    assert not ExternalBadge.objects.exists()


def test_a_few_identical_objects_are_still_canonicalised_as_pyld_does():
    # k = 4 needs 242 units of work, well under the budget: the bounded canonicaliser must give
    # exactly pyld's N-Quads (blank node labels included), so signatures made elsewhere check.
    document = _unsigned(identical_levels_credential(4))
    ours = jsonld.canonicalize(document)
    plain = pyld_jsonld.JsonLdProcessor().normalize(
        jsonld.expand_safe(document),
        {**jsonld._options(jsonld.document_loader), "algorithm": "URDNA2015", "format": "application/n-quads"},
    )
    assert ours == plain and "_:c14n9" in ours  # ten blank nodes and more, relabelled the same


def test_our_own_badge_canonicalises_as_before_and_needs_no_canonicalisation_work(award):
    document = _unsigned(award.credential)
    no_work = jsonld.WorkLimits(min_work=0, max_work=0)  # a single Hash N-Degree Quads call would fail
    ours = jsonld.canonicalize(document, limits=no_work)
    plain = pyld_jsonld.JsonLdProcessor().normalize(
        jsonld.expand_safe(document),
        {**jsonld._options(jsonld.document_loader), "algorithm": "URDNA2015", "format": "application/n-quads"},
    )
    assert ours == plain


def test_more_blank_nodes_than_the_limit_are_refused_before_rdf_conversion():
    document = _unsigned(external_credential())
    document["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": f"技能 {i}", "targetUrl": f"https://example.ac.jp/skills/{i}"}
        for i in range(1_001)
    ]
    credentials.check_json_limits(document)  # within the JSON limits: only the new one stops it
    with pytest.raises(jsonld.TooComplex) as stopped:
        jsonld.canonicalize(document)
    assert stopped.value.limit == "blank_nodes"


def test_thousands_of_values_of_one_property_are_refused_before_the_quadratic_node_map():
    # pyld compares each value of a property with every value already there: 3,000 tags took 5.7 s.
    document = _unsigned(external_credential())
    document["credentialSubject"]["achievement"]["tag"] = [f"タグ{i}" for i in range(3_000)]
    credentials.check_json_limits(document)
    started = time.perf_counter()
    with pytest.raises(jsonld.TooComplex) as stopped:
        jsonld.canonicalize(document)
    assert stopped.value.limit == "node_map"
    assert time.perf_counter() - started < 2


def test_the_time_limit_stops_processing_and_the_check_says_too_complex(client, settings):
    document = _unsigned(external_credential())
    with jsonld.time_limit(0), pytest.raises(jsonld.TooComplex) as stopped:
        jsonld.canonicalize(document)
    assert stopped.value.limit == "deadline"
    jsonld.canonicalize(document)  # the limit ended with its block
    settings.BADGE_VERIFY_TIME_LIMIT = 0
    body = _post_credential(client, external_credential()).json()
    assert (body["status"], body["code"]) == ("invalid", "too_complex")


# ------------------------------------------------------------------ concurrent checks


def test_when_every_slot_is_taken_the_api_and_page_answer_busy_at_once_but_url_checks_run(client, award):
    document = external_credential()
    with bounded.untrusted_check(bounded.PUBLIC):
        started = time.perf_counter()
        api = _post_credential(client, document)
        assert time.perf_counter() - started < 1  # answered, not queued
        assert api.status_code == 503 and api["Retry-After"] == "2"
        assert api.json()["code"] == "busy"
        page = client.post(PAGE, {"credential": json.dumps(document)})
        assert page.status_code == 503 and page["Retry-After"] == "2"
        # Checks by URL read only this portal's own stored badges: no slot needed.
        url = f"http://127.0.0.1:8000/public/assertions/{award.public_id}"
        assert client.post(API, {"url": url}, content_type="application/json").status_code == 200
    assert _post_credential(client, document).status_code == 200  # the slot was given back


def test_more_slots_allow_more_checks_at_once(client, settings):
    settings.BADGE_VERIFY_CONCURRENCY = 2
    with bounded.untrusted_check(bounded.PUBLIC):
        assert _post_credential(client, external_credential()).status_code == 200
        with bounded.untrusted_check(bounded.PUBLIC), pytest.raises(bounded.Busy):
            with bounded.untrusted_check(bounded.PUBLIC):
                pass


def test_the_portfolio_has_slots_of_its_own(client, alice):
    client.force_login(alice)
    png = bake_ob3(external_credential())
    with bounded.untrusted_check(bounded.PUBLIC):  # strangers keep the public check busy
        assert client.post(ADD, {"file": SimpleUploadedFile("badge.png", png)}).status_code != 503
    with bounded.untrusted_check(bounded.PORTFOLIO):
        response = client.post(ADD, {"file": SimpleUploadedFile("other.png", png)})
    assert response.status_code == 503 and response.context["refused"].code == "busy"


@pytest.mark.redis
def test_a_slot_held_by_another_process_counts_through_redis(client, settings):
    """The cap holds across gunicorn workers: another process holds the only slot in Redis."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": django_settings.REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    holder_code = (
        "import django, sys\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        f"settings.CACHES['default']['KEY_PREFIX'] = {prefix!r}\n"
        "from badges import bounded\n"
        "with bounded.untrusted_check(bounded.PUBLIC):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hachioji_portal.settings", "REDIS_URL": django_settings.REDIS_URL}
    holder = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", holder_code], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = _post_credential(client, external_credential())
        assert busy.status_code == 503 and busy.json()["code"] == "busy"
    finally:
        holder.communicate("\n", timeout=30)  # let go of the slot and exit
    assert holder.returncode == 0
    assert _post_credential(client, external_credential()).status_code == 200
