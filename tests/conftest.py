"""Shared fixtures: personas, fast settings, and gates for the tests that need real services.

Tests that need PostgreSQL, Redis or Chromium are skipped on a machine without them, except
in CI (CI=true), where a missing service is an error: CI must run every test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import translation

from tests import worlds

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ROOT = Path(__file__).resolve().parents[1]


# --- pytest-xdist: each worker its own services --------------------------------------------
# `make test` runs the suite in two processes (pytest-xdist, `-n 2`). pytest-django gives each
# worker its own test database (test_<name>_gw0, test_<name>_gw1); what the settings read from
# the environment when they load (REDIS_URL: broker, cache, rate limits; PORTAL_VAR_DIR) is set
# per worker here, in the worker's process, before its pytest (and so Django) starts.

_XDIST_WORKERS: list[int] = []


def xdist_worker_environment(worker_id: str, workers: int, environ: dict[str, str]) -> dict[str, str]:
    """The REDIS_URL and PORTAL_VAR_DIR of xdist worker ``worker_id`` ("gw0", "gw1", ...) of
    ``workers``. The 16 Redis databases are shared out evenly from the base one: worker i uses
    database (base + i * (16 // workers)) mod 16, so with two workers and REDIS_URL .../5 they use
    5 and 13, with CI's .../15 they use 15 and 7. Worker i's var directory is
    $PORTAL_VAR_DIR/xdist-gw<i>."""
    from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

    index = int(worker_id.removeprefix("gw"))
    step = 16 // max(1, min(workers, 16))
    changed: dict[str, str] = {}
    redis_url = environ.get("REDIS_URL", "")
    parts = urlsplit(redis_url)
    if parts.scheme in {"redis", "rediss"}:  # redis://host:port/<db>
        base = int(parts.path.strip("/") or 0)
        changed["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{(base + index * step) % 16}"))
    elif parts.scheme == "unix":  # unix:///path/redis.sock?db=<db>
        query = parse_qs(parts.query)
        base = int(query.get("db", ["0"])[0])
        query["db"] = [str((base + index * step) % 16)]
        changed["REDIS_URL"] = redis_url.split("?")[0] + "?" + urlencode(query, doseq=True)
    var_dir = Path(environ.get("PORTAL_VAR_DIR") or ROOT / "var")
    changed["PORTAL_VAR_DIR"] = str(var_dir / f"xdist-{worker_id}")
    return changed


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: pytest.Config, specs: list[Any]) -> None:
    _XDIST_WORKERS[:] = [len(specs)]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_newgateway(gateway: Any) -> None:
    """Runs in the controller as each worker's interpreter starts, before pytest runs in it."""
    changed = xdist_worker_environment(gateway.id, _XDIST_WORKERS[0] if _XDIST_WORKERS else 2, dict(os.environ))
    channel = gateway.remote_exec(f"import os\nos.environ.update({changed!r})\nchannel.send(True)")
    channel.receive()
    channel.waitclose()


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI must run this test, but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PORTAL_MFA_REQUIRED_FOR_HR = True


@pytest.fixture(autouse=True)
def _portal_language() -> Iterator[None]:
    """Each test starts in the portal's default language (Japanese, LANGUAGE_CODE).

    The locale middleware activates the signed-in person's language and leaves it active on the
    thread after the response, so a test that signs in someone who chose English would otherwise
    make the service messages of the tests after it English too. Tests of the English experience
    say so themselves (translation.override("en") or preferred_language="en").
    """
    translation.deactivate()
    yield
    translation.deactivate()


_STATE_APPS: list[Any] = []


def _grant_role_permissions() -> None:
    """Run the migrations' role and permission grants again (idempotent), with the migrated
    state's app registry as a migration would (the functions expect historical models)."""
    import importlib

    from django.db.migrations import RunPython
    from django.db.migrations.loader import MigrationLoader

    if not _STATE_APPS:
        _STATE_APPS.append(MigrationLoader(connection).project_state().apps)
    apps = _STATE_APPS[0]
    for module in (
        "staff.migrations.0002_create_roles",
        "staff.migrations.0004_hr_reviews_record_access",
        "staff.migrations.0010_hr_sees_background_jobs",
        "badges.migrations.0002_hr_permissions",
        "badges.migrations.0004_hr_externalbadge_permissions",
        "badges.migrations.0007_trust_register_seed_and_hr_permissions",
        "badges.migrations.0011_ob_api",
        "courses.migrations.0002_grant_hr_course_permissions",
        "courses.migrations.0009_promotion_points",
        "courses.migrations.0010_career_role_profiles",
    ):
        migration = importlib.import_module(module)
        for operation in migration.Migration.operations:
            if isinstance(operation, RunPython):  # a migration may also create its models
                operation.code(apps, None)


@pytest.fixture(autouse=True)
def _roles_after_a_flush(request: pytest.FixtureRequest) -> None:
    """A transactional test starts after a flush: make sure the roles carry their permissions,
    whatever the test before it left (belt and braces next to serialized_rollback)."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        _grant_role_permissions()


@pytest.fixture(autouse=True)
def _service_gates(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("this test needs PostgreSQL (set DATABASE_URL)")
    if request.node.get_closest_marker("redis") and not django_settings.REDIS_URL:
        _missing("this test needs Redis (set REDIS_URL)")


# The personas and their departments are built by tests/worlds.py, the world builders' too.
@pytest.fixture
def department(db):  # type: ignore[no-untyped-def]
    """福祉部 > 福祉政策課."""
    return worlds.welfare_policy_section()


@pytest.fixture
def alice(db, department):  # type: ignore[no-untyped-def]
    """A learner."""
    return worlds.make_alice(department)


@pytest.fixture
def bob(db, department):  # type: ignore[no-untyped-def]
    """Alice's head of section."""
    return worlds.make_bob(department)


@pytest.fixture
def carol(db):  # type: ignore[no-untyped-def]
    """HR training desk, with TOTP set up."""
    return worlds.make_carol()


@pytest.fixture
def dave(db):  # type: ignore[no-untyped-def]
    """Another staff member, elsewhere in the city."""
    return worlds.make_dave(worlds.general_affairs_division())


@pytest.fixture
def clear_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signing_key(db, settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The default issuer with a fresh Ed25519 key in a key file, as `badges_keygen` makes it."""
    from badges import keys
    from badges.core import signing

    private = signing.generate_private_key()
    key_file = tmp_path / "issuer.pem"
    key_file.write_bytes(signing.private_key_to_pem(private))
    settings.BADGE_SIGNING_KEY_FILE = str(key_file)
    settings.BADGE_SIGNING_KEY_PASSPHRASE = ""
    keys.signing_key_register(issuer=keys.default_issuer(), public_key=private.public_key())
    return private


@pytest.fixture
def badge_class(db):  # type: ignore[no-untyped-def]
    from tests.factories import make_badge_class

    return make_badge_class()


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """Record award ids queued for issuing instead of sending them to a broker."""
    calls: list[int] = []
    monkeypatch.setattr("badges.services.award_enqueue", lambda award_id: calls.append(award_id) or True)
    monkeypatch.setattr(
        "badges.services.awards_enqueue_many", lambda award_ids: calls.extend(award_ids) or len(award_ids)
    )
    return calls


@pytest.fixture
def private_queue(settings):  # type: ignore[no-untyped-def]
    """A Celery queue of this test's own, so no other worker on the machine takes its tasks."""
    import uuid

    from hachioji_portal.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = previous


@pytest.fixture(autouse=True)
def _broker_circuit_closed() -> Iterator[None]:
    """Each test starts believing the broker is up (the circuit is process-wide)."""
    from hachioji_portal import queueing

    queueing.reset()
    yield
    queueing.reset()


@pytest.fixture(autouse=True)
def _signature_memo_empty() -> Iterator[None]:
    """Each test starts with no remembered signature checks (the memo is process-wide)."""
    from badges.public import verification

    verification.signature_memo_clear()
    yield
    verification.signature_memo_clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Transactional tests flush the database afterwards, which also removes the roles and
    permissions that migrations created. As Django's own runner does, run them after all the
    other tests, and restore the migrated data after each (serialized_rollback)."""
    transactional = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction"):
            transactional.append(item)
            if not marker.kwargs.get("serialized_rollback"):
                item.add_marker(pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True}), append=False)
    others = [item for item in items if item not in set(transactional)]
    items[:] = others + transactional
