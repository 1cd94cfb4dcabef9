"""Run 1EdTech's Open Badges 2.0 validator (validator-core, PyPI ``openbadges``) offline.

Usage (with the Python 3.7 venv that ``make ob2-validator`` builds; validator-core does not
install on newer Pythons):

    interop/.venv-ob2/bin/python interop/ob2_validate.py BADGE [--recipient EMAIL]

BADGE is a baked PNG file or a hosted assertion URL. Prints one JSON line:
``{"report": <the validator's report>, "network": [{"url": ..., "action": ...}, ...]}``.

Offline: every HTTP request the validator makes goes through ``requests``' transport adapter,
which is replaced here. The Open Badges v2 JSON-LD context is answered from the validator's own
bundled copy (``OPENBADGES_CONTEXT_V2_DICT``); loopback URLs (the portal under test) are fetched
for real; anything else is refused and logged. A socket guard refuses any other way out.

(Passing a ``documentLoader`` in ``jsonld_options`` would not be enough: ``verifier._get_options``
replaces it with its own loader, and the graph and image tasks open their own sessions.)

Python 3.7 syntax on purpose.
"""

import argparse
import ipaddress
import json
import socket
import sys
from urllib.parse import urlsplit

import requests
from openbadges.verifier import verify
from openbadges.verifier.openbadges_context import OPENBADGES_CONTEXT_V2_DICT, OPENBADGES_CONTEXT_V2_URI
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

NETWORK = []  # every URL requested, in order: {"url": ..., "action": ...}
BUNDLED = {OPENBADGES_CONTEXT_V2_URI: OPENBADGES_CONTEXT_V2_DICT}


def is_loopback_host(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bundled_response(request, document):
    response = requests.Response()
    response.status_code = 200
    response.headers = CaseInsensitiveDict({"Content-Type": "application/ld+json"})
    response._content = json.dumps(document).encode("utf-8")
    response.encoding = "utf-8"
    response.url = request.url
    response.request = request
    return response


_original_send = HTTPAdapter.send


def guarded_send(self, request, **kwargs):
    url = request.url
    key = url.rstrip("/")
    if key in BUNDLED:
        NETWORK.append({"url": url, "action": "bundled-context"})
        return bundled_response(request, BUNDLED[key])
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and is_loopback_host(parts.hostname or ""):
        NETWORK.append({"url": url, "action": "fetched"})
        return _original_send(self, request, **kwargs)
    NETWORK.append({"url": url, "action": "blocked"})
    raise requests.ConnectionError(f"offline: refused to fetch {url}")


_original_connect = socket.socket.connect


def guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback_host(str(address[0])):
        NETWORK.append({"url": f"socket://{address[0]}:{address[1]}", "action": "blocked"})
        raise OSError(f"offline: refused to connect to {address[0]}")
    return _original_connect(self, address)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("badge", help="a baked PNG file or a hosted assertion URL")
    parser.add_argument("--recipient", help="the recipient's email, checked against the hashed identity")
    args = parser.parse_args(argv)

    HTTPAdapter.send = guarded_send
    socket.socket.connect = guarded_connect

    recipient = {"email": args.recipient} if args.recipient else None
    # No cache: every run sees the portal as it is now (a revocation must show at once).
    options = {"use_cache": False, "cache_backend": None}
    if args.badge.startswith(("http://", "https://")):
        report = verify(args.badge, recipient, **options)
    else:
        # An open file is what the validator unbakes (openbadges-bakery) before validating.
        with open(args.badge, "rb") as handle:
            report = verify(handle, recipient, **options)
    sys.stdout.write(json.dumps({"report": report, "network": NETWORK}, ensure_ascii=False, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
