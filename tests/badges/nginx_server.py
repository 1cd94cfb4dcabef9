"""Debian's nginx serving a published public tree on a free loopback port, as a child process.

Used by tests/badges/test_published_nginx.py and scripts/bench_published.py. The server block
includes the configuration shipped for production (deploy/nginx/), so what is tested is what
is deployed. No root needed: a high port, and pid, logs and temporary files in a private folder.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "nginx"
NGINX = "/usr/sbin/nginx"


def nginx_binary() -> str | None:
    return NGINX if Path(NGINX).is_file() else shutil.which("nginx")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def config(
    *, tree: Path, port: int, work: Path, access_log: bool = True, workers: int = 1, verify_port: int | None = None
) -> str:
    """``verify_port``: the public verify deployment's gunicorn, behind deploy/nginx/portal-public-verify.conf."""
    upstream = f"upstream portal_public_verify {{ server 127.0.0.1:{verify_port}; }}" if verify_port else ""
    verify = f"include {DEPLOY}/portal-public-verify.conf;" if verify_port else ""
    temp = {name: work / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(parents=True, exist_ok=True)
    return f"""
daemon off;
# One process, no switch to another user: the tree may sit in a folder only we can read.
master_process {"on" if workers > 1 else "off"};
worker_processes {workers};
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {f"{work}/access.log" if access_log else "off"};
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    sendfile on;
    keepalive_requests 100000;
    include {DEPLOY}/portal-public-maps.conf;
    {upstream}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {tree};
        include {DEPLOY}/portal-public.conf;
        {verify}
    }}
}}
"""


@contextmanager
def running_nginx(
    tree: Path, work: Path, *, access_log: bool = True, workers: int = 1, verify_port: int | None = None
) -> Iterator[str]:
    """Serve ``tree`` until the block ends; yields the origin (``http://127.0.0.1:<port>``)."""
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (WITH_TEST_TOOLS=1 scripts/system-deps.sh)")
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(
        config(tree=tree, port=port, work=work, access_log=access_log, workers=workers, verify_port=verify_port)
    )
    args = [binary, "-p", str(work), "-e", str(work / "error.log"), "-c", str(conf)]
    check = subprocess.run([*args, "-t"], capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603 - fixed argv
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("nginx did not start listening within 10 s") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
