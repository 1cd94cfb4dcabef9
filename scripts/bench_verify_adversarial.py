#!/usr/bin/env python
"""Time the public verify API on adversarial badges, and on an ordinary badge of our own.

Issue 12, part 2: a credential with k identical ``rubricCriterionLevel`` entries in two
identical ``resultDescription``s (``tests/badges/adversarial.py``) made RDF canonicalisation
take 14 s for k = 8 and about 2 minutes for k = 9. For each k this script POSTs the credential
to ``/public/api/verify`` with Django's test client (the whole view: rate limit lifted, the
slot and time limit of ``badges/bounded.py`` where the code has them, verification and
canonicalisation) and prints the answer's HTTP status, verdict and code and the time. Each k
runs in a child process with a time limit (``--timeout``), so that code without the bounds
(an older checkout) can be measured too: a child that runs out of time is stopped and shown
as "> N s".

Everything runs on a throwaway test database (SQLite file in a temporary folder, or
``test_<name>`` on PostgreSQL when DATABASE_URL is set; the check looks issuers up), where the
script also issues one ordinary badge of our own and times its check through the same API, as
credential JSON and as the baked PNG.

    .venv/bin/python scripts/bench_verify_adversarial.py                  # k = 6..12
    .venv/bin/python scripts/bench_verify_adversarial.py --k 6 7 8 --runs 3 --timeout 60
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hachioji_portal.settings")
# Never touch a developer's var/ (database, keys, cache, queue), nor a shared Redis.
os.environ.setdefault("PORTAL_VAR_DIR", str(Path(tempfile.mkdtemp(prefix="bench-verify-")) / "var"))

API = "/public/api/verify"


def _machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{cpu}, nproc {os.cpu_count()}, load average {load}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def _django() -> None:
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.BADGE_VERIFY_RATE_LIMIT = 10**9  # measure the check, not the rate limit
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def _post(client: Any, body: dict[str, Any]) -> tuple[float, int, dict[str, Any]]:
    started = time.perf_counter()
    response = client.post(API, json.dumps(body, ensure_ascii=False), content_type="application/json")
    elapsed = time.perf_counter() - started
    return elapsed, response.status_code, response.json()


def child(k: int, runs: int, database: str) -> None:
    """One k: print a JSON line with the answer and the times (seconds) of each run."""
    _django()
    from django.db import connection
    from django.test import Client

    connection.settings_dict["NAME"] = database  # the parent's throwaway test database

    from tests.badges.adversarial import identical_levels_credential

    client = Client()
    times, answer = [], {}
    for _ in range(runs):
        document = identical_levels_credential(k)  # a fresh key each time: nothing cached
        elapsed, status, body = _post(client, {"credential": document})
        times.append(elapsed)
        answer = {"http": status, "status": body.get("status"), "code": body.get("code")}
    size = len(json.dumps(identical_levels_credential(k), ensure_ascii=False).encode())
    print(json.dumps({"k": k, "bytes": size, "times": times, **answer}), flush=True)


def adversarial(ks: list[int], runs: int, timeout: float, database: str) -> None:
    # The first check in a fresh process also loads and processes the JSON-LD contexts (once
    # per process, as in a gunicorn worker's first check): shown apart from the others.
    print("| k | size | HTTP | status | code | first check, new process s | others: median s | others: max s |")
    print("|---:|---:|---:|---|---|---:|---:|---:|")
    for k in ks:
        command = [sys.executable, __file__, "--child", str(k), "--runs", str(runs), "--database", database]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            print(f"| {k} | | | | stopped | > {timeout:.0f} | | |", flush=True)
            continue
        except subprocess.CalledProcessError as exc:
            print(f"| {k} | | | | child failed: {exc.stderr.strip().splitlines()[-1:]} | | | |", flush=True)
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        first, others = row["times"][0], row["times"][1:] or row["times"]
        print(
            f"| {k} | {row['bytes'] / 1024:.1f} KB | {row['http']} | {row['status']} | {row['code']} "
            f"| {first:.3f} | {statistics.median(others):.3f} | {max(others):.3f} |",
            flush=True,
        )


def run(args: argparse.Namespace) -> None:
    """Create the throwaway database, time the adversarial family, then our own badge."""
    _django()
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":
        folder = Path(os.environ["PORTAL_VAR_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        connection.settings_dict["TEST"]["NAME"] = str(folder / "bench.sqlite3")  # a file, like production
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    old_name = connection.settings_dict["NAME"]
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        adversarial(args.k, args.runs, args.timeout, database)
        if not args.skip_own:
            print()
            own_badge(args.runs * 20)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def own_badge(runs: int) -> None:
    """Issue one badge of our own and time its check through the API."""
    import datetime as dt

    from django.conf import settings
    from django.test import Client

    from badges import issuing, keys, services
    from badges.core import signing
    from tests.factories import make_badge_class, make_department, make_staff

    services.award_enqueue = lambda award_id: True  # issued below, in this process
    private = signing.generate_private_key()
    key_file = Path(os.environ["PORTAL_VAR_DIR"]) / "bench-issuer.pem"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_bytes(signing.private_key_to_pem(private))
    settings.BADGE_SIGNING_KEY_FILE = str(key_file)
    settings.BADGE_SIGNING_KEY_PASSPHRASE = ""
    keys.signing_key_register(issuer=keys.default_issuer(), public_key=private.public_key())
    holder = make_staff(department=make_department())
    award, _ = services.award_request(
        recipient=holder, badge_class=make_badge_class(), source_key="bench:1", achieved_on=dt.date(2026, 4, 1)
    )
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    with award.baked_image.open("rb") as handle:
        png = handle.read()

    client = Client()
    print("| our own badge, checked as | HTTP | status | code | median ms | p95 ms |")
    print("|---|---:|---|---|---:|---:|")
    for label, send in (
        ("credential JSON", lambda: _post(client, {"credential": award.credential})),
        ("baked PNG (OB 2.0 + 3.0)", lambda: _upload(client, png)),
    ):
        send()  # warm up: contexts loaded and processed once per process
        results = [send() for _ in range(runs)]
        ms = sorted(r[0] * 1000 for r in results)
        _, status, body = results[-1]
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        print(
            f"| {label} | {status} | {body.get('status')} | {body.get('code')} "
            f"| {statistics.median(ms):.1f} | {p95:.1f} |",
            flush=True,
        )
    _canonicalisation(award.credential, runs)


def _canonicalisation(credential: dict[str, Any], runs: int) -> None:
    """Our own credential canonicalised by the bounded code and by pyld's plain ``normalize``
    (what ``badges.core.jsonld.canonicalize`` called before the bounds), alternately, same process."""
    from pyld import jsonld as pyld_jsonld

    from badges.core import jsonld

    document = {k: v for k, v in credential.items() if k != "proof"}

    def plain() -> str:
        expanded = jsonld.expand_safe(document)
        options = {**jsonld._options(jsonld.document_loader), "algorithm": "URDNA2015", "format": "application/n-quads"}
        return str(pyld_jsonld.JsonLdProcessor().normalize(expanded, options))

    def bounded() -> str:
        return jsonld.canonicalize(document)

    if plain() != bounded():
        raise SystemExit("the bounded canonicaliser gave other N-Quads than pyld")
    times: dict[str, list[float]] = {"pyld normalize (before)": [], "bounded canonicalize (now)": []}
    for _ in range(runs):
        for label, function in zip(times, (plain, bounded), strict=True):
            started = time.perf_counter()
            function()
            times[label].append((time.perf_counter() - started) * 1000)
    print("\n| canonicalising our own credential (same N-Quads) | median ms | p95 ms |")
    print("|---|---:|---:|")
    for label, ms in times.items():
        ms.sort()
        print(f"| {label} | {statistics.median(ms):.2f} | {ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]:.2f} |")


def _upload(client: Any, png: bytes) -> tuple[float, int, dict[str, Any]]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    started = time.perf_counter()
    response = client.post(API, {"file": SimpleUploadedFile("badge.png", png, content_type="image/png")})
    elapsed = time.perf_counter() - started
    return elapsed, response.status_code, response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, nargs="+", default=list(range(6, 13)))
    parser.add_argument("--runs", type=int, default=5, help="checks per k (and x20 for our own badge)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds allowed per k (all its runs)")
    parser.add_argument("--skip-own", action="store_true", help="only the adversarial family")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.runs, args.database)
        return
    print(f"Machine: {_machine()}")
    print(f"Code: {ROOT}\n")
    run(args)


if __name__ == "__main__":
    main()
