"""`make test` runs in two pytest-xdist workers: each gets its own Redis database and var
directory (tests/conftest.py, docs/operations.md "How tests run")."""

from __future__ import annotations

from tests.conftest import xdist_worker_environment


def _redis(worker: str, workers: int, url: str) -> str:
    return xdist_worker_environment(worker, workers, {"REDIS_URL": url})["REDIS_URL"]


def test_two_workers_use_two_redis_databases_from_any_base():
    assert [_redis(w, 2, "redis://127.0.0.1:6379/15") for w in ("gw0", "gw1")] == [
        "redis://127.0.0.1:6379/15",
        "redis://127.0.0.1:6379/7",
    ]
    assert [_redis(w, 2, "redis://127.0.0.1:6379/5") for w in ("gw0", "gw1")] == [
        "redis://127.0.0.1:6379/5",
        "redis://127.0.0.1:6379/13",
    ]
    assert _redis("gw1", 2, "unix:///run/redis.sock?db=3") == "unix:///run/redis.sock?db=11"


def test_up_to_sixteen_workers_never_share_a_redis_database():
    for workers in range(1, 17):
        dbs = {_redis(f"gw{i}", workers, "redis://h:6379/9") for i in range(workers)}
        assert len(dbs) == workers


def test_each_worker_has_its_own_var_directory():
    env = {"PORTAL_VAR_DIR": "/srv/portal-ci/var"}
    assert xdist_worker_environment("gw0", 2, env) == {"PORTAL_VAR_DIR": "/srv/portal-ci/var/xdist-gw0"}
    assert xdist_worker_environment("gw1", 2, env) == {"PORTAL_VAR_DIR": "/srv/portal-ci/var/xdist-gw1"}
