#!/usr/bin/env python
"""Load benchmark: gunicorn with the production settings, PostgreSQL and Redis, one city's data.

What it does (see docs/benchmarks.md, "Load (gunicorn, one city)"):

1. ``--setup`` (or when the database does not exist yet): creates the PostgreSQL database
   ``--db`` (``--recreate`` drops it first), migrates, seeds one city with ``seed_scale``
   (3,000 staff, 300 courses, 30,000 enrolments, 10,000 awards), generates the signing key,
   really issues ``--issue`` of the seeded awards (signed and baked) and makes them public, picks
   a staff member with enrolments and signs them in by writing a session row. What the runs need
   is kept in ``<workdir>/state.json``.
2. collectstatic, then gunicorn with ``DEBUG=0`` on 127.0.0.1 (plain http on loopback:
   ``SECURE_SSL_REDIRECT=0``, ``SESSION_COOKIE_SECURE=0``, ``CSRF_COOKIE_SECURE=0``; the verify
   rate limit is raised with ``BADGE_VERIFY_RATE_LIMIT=1000000``, since every request comes from
   one address).
3. wrk (``apt-get install wrk``) against each endpoint at each concurrency, ``--duration``
   seconds each after a short warm-up, with a Lua script that rotates over several URLs (awards,
   courses) and prints requests, errors and the 50/95/99th latency percentiles.
4. Prints a table: endpoint x connections -> req/s, p50, p95, p99, errors (non-2xx, socket).

``--profile ENDPOINT`` profiles one endpoint in-process instead (cProfile, Django test client,
same database and settings) and prints where the time goes, with the Python function calls per
request (a figure that does not move with the machine's load).

``--open-loop RATES`` measures latency as users meet it: requests sent at a fixed arrival rate
whatever the answers (as wrk2 does; wrk2 is not packaged for Debian), each timed from its
scheduled moment, so waiting for a busy server counts (no coordinated omission); p50/p95/p99.
``--open-loop 100 --selftest`` runs the generator against a trivial in-process server, to show
that it is not the limit.

    .venv/bin/python scripts/bench_load.py --setup --recreate         # build the data set (~1 min)
    .venv/bin/python scripts/bench_load.py                            # run the load table
    .venv/bin/python scripts/bench_load.py --worker-class gthread --workers 2 --threads 4
    .venv/bin/python scripts/bench_load.py --profile share --requests 300
    .venv/bin/python scripts/bench_load.py --profile staff --top 0            # the three staff pages
    .venv/bin/python scripts/bench_load.py --open-loop 100,200 --duration 20  # staff pages, open loop

Only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

ENDPOINTS = ["catalogue", "course", "my_learning", "share", "assertion", "verify_api"]
LABELS = {
    "catalogue": "Catalogue /courses/",
    "course": "Course page /courses/<code>/",
    "my_learning": "My learning /courses/my-learning/",
    "share": "Share page /public/share/<token>/",
    "assertion": "Assertion JSON /public/assertions/<id>",
    "verify_api": "Verify API POST /public/api/verify (url)",
    "health": "Health /health (the generator's own check)",
}
STAFF_PAGES = {"catalogue", "course", "my_learning"}
TARGET_RPS = {"share": 500, "assertion": 500, "verify_api": 500}  # public JSON and share page
TARGET_RPS_STAFF = 200
TARGET_P95_MS = 100


# ----------------------------------------------------------------------------- environment


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    work = Path(args.workdir)
    return {
        "DJANGO_SETTINGS_MODULE": "hachioji_portal.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-load-secret-key-not-for-production-8f2c1e5b7a9d4c3e6f1a0b2d",
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain http on loopback: no redirect to https, cookies sent without TLS.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{args.port}",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.db}",
        "REDIS_URL": args.redis,
        "PORTAL_VAR_DIR": str(work / "var"),
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "BADGE_SIGNING_KEY_FILE": str(work / "keys" / "issuer-ed25519.pem"),
        # Every wrk request comes from 127.0.0.1: the per-client limit (30/min) would answer 429.
        "BADGE_VERIFY_RATE_LIMIT": "1000000",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def apply_env(args: argparse.Namespace) -> None:
    os.environ.update(bench_env(args))
    sys.path.insert(0, str(ROOT))


def psql(args: argparse.Namespace, sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-Atc", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def db_name(value: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
        raise argparse.ArgumentTypeError("a database name: lower-case letters, digits and _")
    return value


def db_exists(args: argparse.Namespace) -> bool:
    sql = f"SELECT 1 FROM pg_database WHERE datname = '{args.db}'"  # noqa: S608 - db_name() checked it
    return psql(args, sql) == "1"


def machine() -> dict[str, str]:
    cpu = platform.processor()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    pg_server = psql(argparse.Namespace(), "SHOW server_version")
    redis = subprocess.run(["redis-cli", "INFO", "server"], capture_output=True, text=True).stdout
    redis_version = next((x.split(":", 1)[1].strip() for x in redis.splitlines() if x.startswith("redis_version")), "?")
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "ram": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": f"{pg_server} (client: {pg})",
        "redis": redis_version,
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "?",
    }


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (gunicorn's arbiter and workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (/proc/stat: all but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(db: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to ``db`` (those serve gunicorn), by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            title = (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not title.startswith("postgres:") or f" {db} " not in title:
                continue
            fields = (proc_dir / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(proc_dir.name)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings (a backend that started in between counts from zero)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


def others_busy(seconds: float) -> float:
    """Cores other processes keep busy right now (sampled over ``seconds``; nothing of ours runs)."""
    before = busy_cpu_seconds()
    time.sleep(seconds)
    return (busy_cpu_seconds() - before) / seconds


def wait_for_quiet(limit: float, max_wait: float) -> float:
    """Wait (at most ``max_wait`` seconds) until other processes use less than ``limit`` cores."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = others_busy(2.0)
        if busy < limit or time.monotonic() >= deadline:
            return busy
        time.sleep(3)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ----------------------------------------------------------------------------- setup


def setup(args: argparse.Namespace) -> None:
    work = Path(args.workdir)
    if args.recreate and db_exists(args):
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", args.db], check=True)
    if db_exists(args):
        sys.exit(f"Database {args.db} exists; use --recreate to build it again, or run without --setup.")
    if args.recreate and work.exists():
        shutil.rmtree(work)
    for sub in ("var", "media", "static", "keys"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", args.db], check=True)

    import django

    django.setup()
    from django.core.management import call_command

    t = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrate: {time.monotonic() - t:.1f} s", flush=True)
    call_command(
        "seed_scale",
        staff=args.staff,
        courses=args.courses,
        enrolments=args.enrolments,
        awards=args.awards,
        seed=1,
    )
    call_command("badges_keygen")
    state = prepare_state(args)
    (work / "state.json").write_text(json.dumps(state, indent=2, ensure_ascii=False))
    print(f"state written to {work / 'state.json'}", flush=True)


def prepare_state(args: argparse.Namespace) -> dict[str, Any]:
    """Issue a few awards for real, make them public, pick the URLs and sign one person in."""
    from django.conf import settings
    from django.db.models import Count

    from badges import issuing
    from badges.models import Award
    from courses import selectors as course_selectors
    from courses.models import Course, Enrolment
    from staff.models import StaffMember

    # The holder's email after issuing is not part of the benchmark (and no worker reads the queue).
    if hasattr(issuing, "_notify"):
        issuing._notify = lambda award_id: None  # type: ignore[attr-defined]

    # Awards: the first N seeded (unsigned) issued awards are issued again properly.
    ids = list(Award.objects.issued().filter(is_current=True).order_by("pk").values_list("pk", flat=True)[: args.issue])
    Award.objects.filter(pk__in=ids).update(status=Award.Status.PENDING, issued_at=None)
    t = time.monotonic()
    for pk in ids:
        issuing.award_ensure_issued(award_id=pk)
    print(f"issued {len(ids)} awards properly: {time.monotonic() - t:.1f} s", flush=True)
    Award.objects.filter(pk__in=ids).update(visibility=Award.Visibility.PUBLIC)
    awards = list(Award.objects.issued().filter(pk__in=ids).values("public_id", "share_token"))

    # A typical-to-busy learner: the 90th percentile of enrolments per person.
    counts = list(
        Enrolment.objects.values("staff_id").annotate(n=Count("pk")).order_by("n").values_list("staff_id", "n")
    )
    staff_id, n_enrolments = counts[int(len(counts) * 0.9)]
    user = StaffMember.objects.get(pk=staff_id)
    sessionid = sign_in(user.pk)

    # Course pages this person can see: published courses, open ones first.
    visible = course_selectors.catalogue_courses(user=user)
    codes = list(visible.values_list("code", flat=True)[:20]) or list(
        Course.objects.order_by("code").values_list("code", flat=True)[:20]
    )
    return {
        "port": args.port,
        "base": settings.PORTAL_BASE_URL,
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "sessionid": sessionid,
        "staff_pk": user.pk,
        "staff_enrolments": n_enrolments,
        "enrolments_per_person_median": statistics.median(n for _, n in counts),
        "course_codes": codes,
        "awards": [{"public_id": str(a["public_id"]), "share_token": str(a["share_token"])} for a in awards],
    }


def sign_in(staff_pk: int) -> str:
    """Sign the person in by writing a session with this tree's own settings (its session engine
    and first authentication backend): a session written by another checkout (another backend
    path) would be refused. Returns the session key. Needs ``django.setup()``."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    user = get_user_model().objects.get(pk=staff_pk)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(7 * 24 * 3600)
    store.create()
    return str(store.session_key)


def fresh_session(args: argparse.Namespace, state: dict[str, Any]) -> None:
    """A new session for the signed-in pages, written by this checkout in a subprocess (the load
    runs never set Django up in this process)."""
    code = (
        "import sys, django; django.setup(); sys.path.insert(0, 'scripts'); import bench_load; "
        "print(bench_load.sign_in(int(sys.argv[1])))"
    )
    env = {**os.environ, **bench_env(args)}
    out = subprocess.run(
        [str(PYTHON), "-c", code, str(state["staff_pk"])], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    state["sessionid"] = out.stdout.strip().splitlines()[-1]


# ----------------------------------------------------------------------------- requests per endpoint


def requests_for(endpoint: str, state: dict[str, Any]) -> list[dict[str, Any]]:
    """The requests wrk rotates over: method, path, headers, body."""
    awards = state["awards"]
    if endpoint == "health":  # for --open-loop: a near-empty answer, to check the generator itself
        return [{"path": "/health"}]
    if endpoint == "catalogue":
        return [{"path": "/courses/"}]
    if endpoint == "course":
        return [{"path": f"/courses/{code}/"} for code in state["course_codes"]]
    if endpoint == "my_learning":
        return [{"path": "/courses/my-learning/"}]
    if endpoint == "share":
        return [{"path": f"/public/share/{a['share_token']}/"} for a in awards]
    if endpoint == "assertion":
        return [
            {"path": f"/public/assertions/{a['public_id']}", "headers": {"Accept": "application/ld+json"}}
            for a in awards
        ]
    if endpoint == "verify_api":
        return [
            {
                "method": "POST",
                "path": "/public/api/verify",
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"url": f"{state['base']}/public/assertions/{a['public_id']}"}),
            }
            for a in awards
        ]
    raise ValueError(endpoint)


def _lua_str(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal here (ASCII)


def lua_script(endpoint: str, state: dict[str, Any]) -> str:
    reqs = requests_for(endpoint, state)
    cookie = f"{state['session_cookie_name']}={state['sessionid']}" if endpoint in STAFF_PAGES else ""
    items = []
    for r in reqs:
        headers = dict(r.get("headers", {}))
        if cookie:
            headers["Cookie"] = cookie
        hdr = ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in headers.items())
        body = _lua_str(r["body"]) if r.get("body") else "nil"
        items.append(f"  {{ {_lua_str(r.get('method', 'GET'))}, {_lua_str(r['path'])}, {{ {hdr} }}, {body} }}")
    return (
        "local reqs = {\n" + ",\n".join(items) + "\n}\n"
        "local counter = 0\n"
        "local threads = {}\n"
        "function setup(thread)\n"
        "  thread:set('offset', #threads)\n"
        "  table.insert(threads, thread)\n"
        "end\n"
        "function init(args)\n"
        "  counter = offset or 0\n"
        "end\n"
        "function request()\n"
        "  counter = counter + 1\n"
        "  local r = reqs[(counter % #reqs) + 1]\n"
        "  return wrk.format(r[1], r[2], r[3], r[4])\n"
        "end\n"
        "function done(summary, latency, requests)\n"
        "  local e = summary.errors\n"
        '  io.write(string.format("BENCH %d %d %d %d %d %d %d %d %d %d %d %.1f\\n",\n'
        "    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,\n"
        "    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),\n"
        "    latency.mean))\n"
        "end\n"
    )


def check_once(endpoint: str, state: dict[str, Any]) -> tuple[int, int]:
    """One request per URL before the load: every one must answer 200 (not a redirect to sign-in)."""
    sizes = []
    for r in requests_for(endpoint, state):
        headers = dict(r.get("headers", {}))
        if endpoint in STAFF_PAGES:
            headers["Cookie"] = f"{state['session_cookie_name']}={state['sessionid']}"
        req = urllib.request.Request(
            f"http://127.0.0.1:{state['port']}{r['path']}",
            data=r["body"].encode() if r.get("body") else None,
            headers=headers,
            method=r.get("method", "GET"),
        )

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a: Any, **k: Any) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=30) as resp:
                body = resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        if status != 200:
            raise SystemExit(f"{endpoint}: {r['path']} answered {status}: {body[:300]!r}")
        if endpoint == "verify_api":
            verdict = json.loads(body)["status"]
            if verdict != "valid":
                raise SystemExit(f"verify API said {verdict!r} for {r['body']}")
        sizes.append(len(body))
    return len(sizes), int(statistics.mean(sizes))


def run_wrk(script: Path, connections: int, duration: int, port: int) -> dict[str, float]:
    threads = min(2, connections)
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    n, dur, e_conn, e_read, e_write, e_status, e_timeout, p50, p90, p95, p99, mean = line.split()[1:]
    seconds = int(dur) / 1e6
    return {
        "requests": int(n),
        "rps": int(n) / seconds,
        "p50": int(p50) / 1000,
        "p90": int(p90) / 1000,
        "p95": int(p95) / 1000,
        "p99": int(p99) / 1000,
        "mean": float(mean) / 1000,
        "non2xx": int(e_status),
        # gunicorn's sync workers close every connection; wrk counts the close as a read error
        # only when a response was cut short, so these are real failures.
        "socket_errors": int(e_conn) + int(e_write) + int(e_timeout) + int(e_read),
    }


# ----------------------------------------------------------------------------- open loop


def _http_request(r: dict[str, Any], cookie: str) -> bytes:
    headers = {"Host": "127.0.0.1", "Connection": "keep-alive", **r.get("headers", {})}
    if cookie:
        headers["Cookie"] = cookie
    body = r["body"].encode() if r.get("body") else b""
    if body:
        headers["Content-Length"] = str(len(body))
    head = f"{r.get('method', 'GET')} {r['path']} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


async def _read_response(reader: Any) -> tuple[int, bool]:
    """Status and whether the connection may be reused; the body is read and dropped."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.strip().lower()
    keep = fields.get("connection") != "close"
    if "content-length" in fields:
        await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()  # until the server closes
        keep = False
    return status, keep


async def _open_loop(port: int, payloads: list[bytes], rate: float, duration: float, max_open: int) -> dict[str, Any]:
    """Send ``rate`` requests a second for ``duration`` seconds, each at its scheduled moment
    whatever the answers to earlier ones (an open loop, as wrk2 does), and time each from that
    moment to its last byte: a request that had to wait (for a connection, or because the
    server was slow) counts its waiting (no coordinated omission)."""
    import asyncio

    idle: list[tuple[Any, Any]] = []
    latencies: list[float] = []
    lags: list[float] = []  # the generator's own lateness: scheduled moment -> its task running
    outcome = {"non2xx": 0, "errors": 0, "connections_opened": 0, "in_flight_max": 0}
    in_flight = 0
    limit = asyncio.Semaphore(max_open)
    loop = asyncio.get_running_loop()

    async def one(payload: bytes, scheduled: float) -> None:
        nonlocal in_flight
        lags.append(loop.time() - scheduled)
        in_flight += 1
        outcome["in_flight_max"] = max(outcome["in_flight_max"], in_flight)
        try:
            async with limit:
                conn = idle.pop() if idle else None
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                    outcome["connections_opened"] += 1
                reader, writer = conn
                try:
                    writer.write(payload)
                    await writer.drain()
                    status, keep = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError):
                    # a kept-alive connection the server had closed meanwhile: once more, afresh
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    outcome["connections_opened"] += 1
                    writer.write(payload)
                    await writer.drain()
                    status, keep = await _read_response(reader)
                latencies.append(loop.time() - scheduled)
                if not 200 <= status < 300:
                    outcome["non2xx"] += 1
                if keep:
                    idle.append((reader, writer))
                else:
                    writer.close()
        except (OSError, asyncio.IncompleteReadError, ValueError):
            outcome["errors"] += 1
        finally:
            in_flight -= 1

    tasks = []
    start = loop.time() + 0.05
    n = int(rate * duration)
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(payloads[i % len(payloads)], scheduled)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    for _reader, writer in idle:
        writer.close()
    latencies.sort()
    lags.sort()

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))] * 1000 if values else float("nan")

    return {
        "sent": n,
        "answered": len(latencies),
        "rate_achieved": len(latencies) / elapsed,
        "p50": pct(latencies, 0.50),
        "p90": pct(latencies, 0.90),
        "p95": pct(latencies, 0.95),
        "p99": pct(latencies, 0.99),
        "max": latencies[-1] * 1000 if latencies else float("nan"),
        "generator_late_p99": pct(lags, 0.99),
        **outcome,
    }


def open_loop_selftest(args: argparse.Namespace) -> None:
    """The generator against a trivial keep-alive server in this same process (a fixed 2 kB
    answer): at each rate, the latency it measures is its own overhead, and its lateness and CPU
    show whether it could be the limit."""
    import asyncio

    body = b"x" * 2048
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n" % len(body) + body

    async def handle(reader: Any, writer: Any) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    async def main(rate: float) -> dict[str, Any]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await _open_loop(port, [_http_request({"path": "/"}, "")], rate, args.duration, args.max_open)

    for rate in [float(x) for x in args.open_loop.split(",")]:
        before, t = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        r = asyncio.run(main(rate))
        after, seconds = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - t
        cores = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / seconds
        print(
            f"self-test {rate:5.0f}/s: answered {r['answered']}/{r['sent']} ({r['rate_achieved']:.0f}/s)  "
            f"p50 {r['p50']:.2f}  p95 {r['p95']:.2f}  p99 {r['p99']:.2f} ms  "
            f"late p99 {r['generator_late_p99']:.2f} ms  "
            f"generator and server together {cores:.2f} cores (load {loadavg()})",
            flush=True,
        )


def run_open_loop(args: argparse.Namespace) -> None:
    """``--open-loop RATE``: each endpoint at a fixed arrival rate; p50/p95/p99 from the scheduled
    send time, gunicorn's CPU per request and this generator's own CPU (it must not be the limit)."""
    import asyncio

    work = Path(args.workdir)
    state = json.loads((work / "state.json").read_text())
    endpoints = args.endpoints.split(",") if args.endpoints else sorted(STAFF_PAGES)
    rates = [float(x) for x in args.open_loop.split(",")]
    print("machine: " + ", ".join(f"{k} {v}" for k, v in machine().items()))
    print(
        f"gunicorn: {args.workers} {args.worker_class} workers; open loop, {args.duration} s per run after a "
        f"{args.warmup} s warm-up at the same rate; at most {args.max_open} requests in flight"
    )
    print(f"load average before: {loadavg()}", flush=True)
    fresh_session(args, state)
    proc = start_gunicorn(args)
    rows = []
    try:
        for endpoint in endpoints:
            check_once(endpoint, state)
            cookie = f"{state['session_cookie_name']}={state['sessionid']}" if endpoint in STAFF_PAGES else ""
            payloads = [_http_request(r, cookie) for r in requests_for(endpoint, state)]
            for rate in rates:
                if args.warmup:
                    asyncio.run(_open_loop(args.port, payloads, rate, args.warmup, args.max_open))
                quiet = wait_for_quiet(args.quiet_below, args.max_wait) if args.quiet_below else others_busy(2.0)
                before = loadavg()
                cpu, mine = tree_cpu_seconds(proc.pid), resource.getrusage(resource.RUSAGE_SELF)
                t = time.monotonic()
                r = asyncio.run(_open_loop(args.port, payloads, rate, args.duration, args.max_open))
                seconds = time.monotonic() - t
                after = resource.getrusage(resource.RUSAGE_SELF)
                r["cpu_ms"] = (tree_cpu_seconds(proc.pid) - cpu) * 1000 / max(r["answered"], 1)
                r["generator_cores"] = (after.ru_utime + after.ru_stime - mine.ru_utime - mine.ru_stime) / seconds
                r.update(endpoint=endpoint, rate=rate, load=before, other_before=quiet)
                rows.append(r)
                print(
                    f"  {endpoint:<12} {rate:5.0f}/s: answered {r['answered']}/{r['sent']} "
                    f"({r['rate_achieved']:.0f}/s)  p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}  p99 {r['p99']:6.1f}  "
                    f"max {r['max']:6.1f} ms  non-2xx {r['non2xx']}  errors {r['errors']}  "
                    f"CPU {r['cpu_ms']:.1f} ms/req  generator {r['generator_cores']:.2f} cores, "
                    f"late p99 {r['generator_late_p99']:.1f} ms  (other cores before {quiet:.2f}; load {before})",
                    flush=True,
                )
            check_once(endpoint, state)
    finally:
        stop_gunicorn(proc)
    print(f"load average after: {loadavg()}\n")
    print("| endpoint | arrival rate | answered/s | p50 ms | p95 ms | p99 ms | errors | CPU ms/req | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        ok = r["p95"] < TARGET_P95_MS and r["non2xx"] + r["errors"] == 0
        print(
            f"| {LABELS[r['endpoint']]} | {r['rate']:.0f}/s | {r['rate_achieved']:.0f} | {r['p50']:.1f} | "
            f"{r['p95']:.1f} | {r['p99']:.1f} | {r['non2xx'] + r['errors']} | {r['cpu_ms']:.1f} | "
            f"{'met' if ok else '**not met**'} (p95 < {TARGET_P95_MS} ms) |"
        )
    out = work / f"openloop-{int(time.time())}.json"
    out.write_text(json.dumps(rows, indent=2))
    print(f"\n(raw figures: {out})")


# ----------------------------------------------------------------------------- gunicorn


def collect_static(args: argparse.Namespace) -> None:
    env = {**os.environ, **bench_env(args)}
    subprocess.run([str(PYTHON), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def start_gunicorn(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    env = {**os.environ, **bench_env(args)}
    collect_static(args)
    cmd = [
        str(GUNICORN),
        "hachioji_portal.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--timeout",
        "30",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    if args.worker_class == "gthread":
        cmd += ["--threads", str(args.threads)]
    log = open(Path(args.workdir) / "gunicorn.log", "ab")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited: see {Path(args.workdir) / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/health", timeout=20) as resp:
                    if resp.status == 200:
                        return proc
            except OSError:  # not listening yet, or a worker still starting
                time.sleep(0.5)
        raise SystemExit("gunicorn did not answer /health within 60 s")
    except BaseException:
        stop_gunicorn(proc)
        raise


def stop_gunicorn(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the arbiter stops its own workers
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ----------------------------------------------------------------------------- load runs


def run_load(args: argparse.Namespace) -> None:
    work = Path(args.workdir)
    state = json.loads((work / "state.json").read_text())
    if state["port"] != args.port:
        sys.exit(f"The data set was issued for port {state['port']} (URLs inside badges): use --port {state['port']}.")
    endpoints = args.endpoints.split(",") if args.endpoints else ENDPOINTS
    conns = [int(c) for c in args.connections.split(",")]
    info = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    worker_desc = f"{args.workers} {args.worker_class} workers" + (
        f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    )
    print(f"gunicorn: {worker_desc}; wrk -t2, {args.duration} s per run after a {args.warmup} s warm-up")
    print(
        f"data: staff member #{state['staff_pk']} with {state['staff_enrolments']} enrolments "
        f"(median {state['enrolments_per_person_median']}); {len(state['awards'])} public issued awards; "
        f"{len(state['course_codes'])} course pages"
    )
    print(f"load average before: {loadavg()}", flush=True)
    fresh_session(args, state)
    proc = start_gunicorn(args)
    results: list[dict[str, Any]] = []
    try:
        for endpoint in endpoints:
            script = work / f"{endpoint}.lua"
            script.write_text(lua_script(endpoint, state))
            n_urls, size = check_once(endpoint, state)
            if args.warmup:
                run_wrk(script, 10, args.warmup, args.port)
            for c in conns:
                quiet = wait_for_quiet(args.quiet_below, args.max_wait) if args.quiet_below else others_busy(2.0)
                before = loadavg()
                cpu, busy, pg = tree_cpu_seconds(proc.pid), busy_cpu_seconds(), postgres_cpu_seconds(args.db)
                wrk_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
                r = run_wrk(script, c, args.duration, args.port)
                wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
                gunicorn_s = tree_cpu_seconds(proc.pid) - cpu
                wrk_s = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_cpu.ru_utime + wrk_cpu.ru_stime)
                pg_s = cpu_since(pg, postgres_cpu_seconds(args.db))
                busy_s = busy_cpu_seconds() - busy
                seconds = r["requests"] / r["rps"] if r["rps"] else args.duration
                # gunicorn's own CPU per request (PostgreSQL, Redis and wrk are not in it)
                r["cpu_ms"] = gunicorn_s * 1000 / max(r["requests"], 1)
                r["cores"] = {
                    "gunicorn": gunicorn_s / seconds,
                    "postgres": pg_s / seconds,
                    "wrk": wrk_s / seconds,
                    # everything else on the machine: other people's tests (and their PostgreSQL
                    # backends), Redis, the kernel
                    "other": max(0.0, busy_s - gunicorn_s - pg_s - wrk_s) / seconds,
                    "other_before": quiet,
                }
                r.update(endpoint=endpoint, connections=c, urls=n_urls, bytes=size, load=before)
                results.append(r)
                k = r["cores"]
                print(
                    f"  {endpoint:<12} c={c:<3} {r['rps']:7.0f} req/s  p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}  "
                    f"p99 {r['p99']:6.1f} ms  CPU {r['cpu_ms']:5.1f} ms/req  "
                    f"non-2xx {r['non2xx']}  socket errors {r['socket_errors']}  "
                    f"(cores: gunicorn {k['gunicorn']:.2f} postgres {k['postgres']:.2f} wrk {k['wrk']:.2f} "
                    f"other {k['other']:.2f}; load {before})",
                    flush=True,
                )
                if args.pause:
                    time.sleep(args.pause)
            check_once(endpoint, state)  # still 200 after the load (e.g. the session still valid)
    finally:
        stop_gunicorn(proc)
    print(f"load average after: {loadavg()}")
    print()
    print_table(results)
    out = work / f"results-{args.worker_class}-{args.workers}w-{int(time.time())}.json"
    out.write_text(json.dumps({"machine": info, "workers": worker_desc, "results": results}, indent=2))
    print(f"\n(raw figures: {out})")


def print_table(results: list[dict[str, Any]]) -> None:
    print("| endpoint | clients | req/s | p50 ms | p95 ms | p99 ms | errors | CPU ms/req | other cores | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        need = TARGET_RPS.get(r["endpoint"], TARGET_RPS_STAFF)
        ok_rps = r["rps"] >= need
        ok_p95 = r["p95"] < TARGET_P95_MS or r["connections"] != 50
        verdict = "met" if ok_rps and ok_p95 else "**not met**"
        errors = r["non2xx"] + r["socket_errors"]
        print(
            f"| {LABELS[r['endpoint']]} | {r['connections']} | {r['rps']:,.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
            f"{r['p99']:.1f} | {errors} | {r['cpu_ms']:.1f} | {r['cores']['other']:.2f} | {verdict} (>= {need}/s"
            + (f", p95 < {TARGET_P95_MS} ms" if r["connections"] == 50 else "")
            + ") |"
        )


# ----------------------------------------------------------------------------- profile


def profile(args: argparse.Namespace) -> None:
    """cProfile one endpoint in-process: the same settings and database, the Django test client."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    state = json.loads((Path(args.workdir) / "state.json").read_text())
    reqs = requests_for(args.profile, state)
    client = Client(HTTP_HOST="127.0.0.1")
    if args.profile in STAFF_PAGES:
        client.cookies[state["session_cookie_name"]] = sign_in(state["staff_pk"])

    def call(r: dict[str, Any]) -> Any:
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in r.get("headers", {}).items()}
        if r.get("method") == "POST":
            ctype = headers.pop("HTTP_CONTENT_TYPE")
            return client.post(r["path"], data=r["body"], content_type=ctype, **headers)
        return client.get(r["path"], **headers)

    for r in reqs[:5]:  # warm up (first-request imports, caches)
        response = call(r)
        if response.status_code != 200:
            raise SystemExit(f"{r['path']} answered {response.status_code}")
    with CaptureQueriesContext(connection) as captured:
        call(reqs[0])
    queries = list(captured.captured_queries)  # the next request's request_started clears the log
    # Without the profiler first: wall and CPU time of this process (PostgreSQL's work is in
    # another process, so CPU ms is the Python side only).
    walls = []
    cpu0 = time.process_time()
    for i in range(args.requests):
        t = time.perf_counter()
        call(reqs[i % len(reqs)])
        walls.append((time.perf_counter() - t) * 1000)
    cpu_ms = (time.process_time() - cpu0) * 1000 / args.requests
    walls.sort()
    print(
        f"{args.profile}: {args.requests} requests in-process: median {statistics.median(walls):.2f} ms, "
        f"p95 {walls[int(len(walls) * 0.95)]:.2f} ms, CPU {cpu_ms:.2f} ms per request, "
        f"{len(queries)} queries, {len(response.content):,} bytes (load average {loadavg()})"
    )
    for q in queries:
        print(f"  SQL {q['time']}s {q['sql'][:200]}")
    prof = cProfile.Profile()
    for i in range(args.requests):
        prof.enable()
        call(reqs[i % len(reqs)])
        prof.disable()
    # Function calls per request: a measure of the work that does not move with the machine's load.
    total = pstats.Stats(prof).total_calls  # type: ignore[attr-defined]
    print(f"{args.profile}: {total / args.requests:,.0f} Python function calls per request (cProfile)")
    if not args.top:
        return
    for key, restrict in (("tottime", ()), ("cumulative", ()), ("cumulative", (_project_code_pattern(),))):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        if not restrict:
            stats.strip_dirs()
        # the third listing: this project's own functions only (not Django's or libraries')
        stats.sort_stats(key).print_stats(*restrict, args.top)
        where = ", project code only" if restrict else ""
        print(f"\n--- {args.profile}, profiled, by {key}{where} ---")
        print("\n".join(line.replace(str(ROOT) + "/", "") for line in buf.getvalue().splitlines()[4:]))


def _project_code_pattern() -> str:
    """pstats restriction matching this checkout's own files (wherever it was cloned), not the
    virtualenv's or the standard library's."""
    return "^" + re.escape(str(ROOT) + "/") + r"(?!\.venv/)"


# ----------------------------------------------------------------------------- main


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--setup", action="store_true", help="build the database and data set")
    p.add_argument("--recreate", action="store_true", help="with --setup: drop the database first")
    p.add_argument("--db", default="bench_load", type=db_name)
    p.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    p.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "bench-load"))
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--staff", type=int, default=3_000)
    p.add_argument("--courses", type=int, default=300)
    p.add_argument("--enrolments", type=int, default=30_000)
    p.add_argument("--awards", type=int, default=10_000)
    p.add_argument("--issue", type=int, default=20, help="awards to issue for real and make public")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--endpoints", default="", help=f"comma-separated, from {','.join(ENDPOINTS)}")
    p.add_argument("--connections", default="10,50")
    p.add_argument("--duration", type=int, default=12)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--pause", type=float, default=1.0, help="seconds between runs")
    p.add_argument(
        "--quiet-below",
        type=float,
        default=0.0,
        help="before each run, wait until other processes use fewer cores than this (e.g. 0.3)",
    )
    p.add_argument("--max-wait", type=float, default=300, help="with --quiet-below: seconds to wait at most")
    p.add_argument(
        "--profile",
        choices=[*ENDPOINTS, "all", "staff"],
        help="profile one endpoint in-process instead of the load runs (staff: the three staff pages)",
    )
    p.add_argument("--requests", type=int, default=300, help="with --profile")
    p.add_argument("--top", type=int, default=30, help="with --profile: functions listed")
    p.add_argument(
        "--open-loop",
        metavar="RATES",
        help="open-loop mode: comma-separated arrival rates (req/s), e.g. 100 or 100,150,200 "
        "(default endpoints: the three staff pages)",
    )
    p.add_argument("--max-open", type=int, default=256, help="with --open-loop: requests in flight at most")
    p.add_argument("--selftest", action="store_true", help="with --open-loop: against a trivial in-process server")
    args = p.parse_args()
    if shutil.which("wrk") is None and not (args.setup or args.profile or args.open_loop):
        sys.exit("wrk is missing: apt-get install wrk")
    # Stopped with SIGTERM (or SIGINT in the background): still stop gunicorn (``finally``).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    apply_env(args)
    if args.open_loop and args.selftest:
        open_loop_selftest(args)
        return
    if args.setup or not db_exists(args):
        setup(args)
        if args.setup:
            return
    if args.profile:
        import django

        # The pages use the manifest storage (DEBUG=0), as under gunicorn: collect first.
        collect_static(args)
        django.setup()
        chosen = {"all": ENDPOINTS, "staff": ["catalogue", "course", "my_learning"]}.get(args.profile, [args.profile])
        for endpoint in chosen:
            profile(argparse.Namespace(**{**vars(args), "profile": endpoint}))
    elif args.open_loop:
        run_open_loop(args)
    else:
        run_load(args)


if __name__ == "__main__":
    main()
