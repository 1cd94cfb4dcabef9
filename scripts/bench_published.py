#!/usr/bin/env python
"""nginx serving the published public tree side by side with the Django views (issue 17 §1).

Same machine, same client (wrk), same URLs, same data: the share page and the hosted assertion
JSON of the public awards of ``scripts/bench_load.py``'s data set (one city), answered

* by gunicorn with the production settings (the views of ``badges/public/views_share.py`` and
  ``badges/public/views.py``, PostgreSQL and Redis), and
* by Debian's nginx serving the tree ``manage.py publish_public`` wrote, with the configuration
  shipped in ``deploy/nginx/`` (one nginx process; tests/badges/nginx_server.py).

The runs alternate (Django, nginx, Django, nginx, ...) so both meet the same load from other
processes; each row records the load average before it. Needs wrk and nginx
(``WITH_TEST_TOOLS=1 scripts/system-deps.sh`` installs both).

    .venv/bin/python scripts/bench_published.py --setup --recreate   # data set, as bench_load
    .venv/bin/python scripts/bench_published.py                      # the side-by-side table

Only ever talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import bench_load as bl  # noqa: E402 - the data set, gunicorn, wrk and its Lua script

from tests.badges.nginx_server import running_nginx  # noqa: E402

ENDPOINTS = ["share", "assertion"]


def publish_tree(args: argparse.Namespace, tree: Path) -> float:
    """``manage.py publish_public --to tree`` with the benchmark's settings; returns seconds."""
    env = {**os.environ, **bl.bench_env(args)}
    started = time.monotonic()
    subprocess.run([str(bl.PYTHON), "manage.py", "publish_public", "--to", str(tree)], cwd=ROOT, env=env, check=True)
    return time.monotonic() - started


def measure(label: str, script: Path, connections: int, args: argparse.Namespace, port: int) -> dict[str, Any]:
    before = bl.loadavg()
    r = bl.run_wrk(script, connections, args.duration, port)
    r.update(server=label, connections=connections, load=before)
    return r


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--setup", action="store_true", help="build the database and data set (scripts/bench_load.py)")
    p.add_argument("--recreate", action="store_true", help="with --setup: drop the database first")
    p.add_argument("--db", default="bench_published", type=bl.db_name)
    p.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    p.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "bench-published"))
    p.add_argument("--port", type=int, default=8766, help="gunicorn's port (nginx takes a free one)")
    p.add_argument("--staff", type=int, default=3_000)
    p.add_argument("--courses", type=int, default=300)
    p.add_argument("--enrolments", type=int, default=30_000)
    p.add_argument("--awards", type=int, default=10_000)
    p.add_argument("--issue", type=int, default=20, help="awards to issue for real and make public")
    p.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    p.add_argument("--connections", default="10,50")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    args = p.parse_args()
    args.worker_class, args.threads = "sync", 1
    bl.apply_env(args)
    work = Path(args.workdir)
    if args.setup or not bl.db_exists(args):
        bl.setup(args)
        if args.setup:
            return
    state = json.loads((work / "state.json").read_text())
    if state["port"] != args.port:
        sys.exit(f"The data set was issued for port {state['port']}: use --port {state['port']}.")
    tree = work / "tree"
    bl.collect_static(args)  # DEBUG=0: the pages link the collected, hashed files
    seconds = publish_tree(args, tree)
    n_files = sum(1 for f in tree.rglob("*") if f.is_file())
    info = bl.machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    print(f"published tree: {n_files} files in {seconds:.1f} s (manage.py publish_public)")
    print(
        f"gunicorn: {args.workers} sync workers; nginx: one process (deploy/nginx/, access log off); "
        f"wrk -t2, {args.duration} s per run after a {args.warmup} s warm-up; "
        f"{len(state['awards'])} public awards rotated"
    )
    print(f"load average before: {bl.loadavg()}", flush=True)
    conns = [int(c) for c in args.connections.split(",")]
    results: list[dict[str, Any]] = []
    proc = bl.start_gunicorn(args)
    try:
        with running_nginx(tree, work / "nginx", access_log=False) as origin:
            nginx_port = int(origin.rsplit(":", 1)[1])
            for endpoint in ENDPOINTS:
                script = work / f"{endpoint}.lua"
                script.write_text(bl.lua_script(endpoint, state))
                servers = {"Django (gunicorn)": args.port, "nginx (published)": nginx_port}
                sizes = {}
                for label, port in servers.items():
                    _n, sizes[label] = bl.check_once(endpoint, {**state, "port": port})
                    if args.warmup:
                        bl.run_wrk(script, 10, args.warmup, port)
                for c in conns:
                    for label, port in servers.items():
                        r = measure(label, script, c, args, port)
                        r.update(endpoint=endpoint, bytes=sizes[label])
                        results.append(r)
                        print(
                            f"  {endpoint:<9} {label:<18} c={c:<3} {r['rps']:8.0f} req/s  p50 {r['p50']:6.2f}  "
                            f"p95 {r['p95']:6.2f}  p99 {r['p99']:6.2f} ms  errors {r['non2xx'] + r['socket_errors']}  "
                            f"load {r['load']}",
                            flush=True,
                        )
    finally:
        bl.stop_gunicorn(proc)
    print(f"load average after: {bl.loadavg()}")
    print()
    print("| endpoint | server | clients | req/s | p50 ms | p95 ms | p99 ms | errors | bytes | load average before |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {bl.LABELS[r['endpoint']]} | {r['server']} | {r['connections']} | {r['rps']:,.0f} | {r['p50']:.2f} | "
            f"{r['p95']:.2f} | {r['p99']:.2f} | {r['non2xx'] + r['socket_errors']} | {r['bytes']:,} | {r['load']} |"
        )
    out = work / f"results-published-{int(time.time())}.json"
    out.write_text(json.dumps({"machine": info, "results": results}, indent=2))
    print(f"\n(raw figures: {out})")


if __name__ == "__main__":
    main()
