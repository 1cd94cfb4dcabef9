"""Interoperability: an independent verifier accepts the portal's baked OB 3.0 credential.

The verifier is the Digital Credentials Consortium's ``@digitalcredentials/verifier-core``
(npm, pinned in ``interop/package-lock.json``; the same library as VerifierPlus and the
Learner Credential Wallet), run by ``interop/verify.mjs`` in Node, fully offline: it uses
contexts bundled in the DCC packages, and fetches only from loopback addresses, i.e. the
portal's own BitstringStatusList served by ``live_server``.

Checked end to end: issue -> bake -> unbake -> verify (valid); one character of the
achievement name changed (invalid signature); revoke -> verify again (revoked, through the
status list the portal serves).

Needs Node and ``interop/node_modules`` (``make interop-deps``); skipped without them, except
in CI, where that is a failure.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.badges.conftest import INTEROP_DIR

VERIFY_SCRIPT = INTEROP_DIR / "verify.mjs"
NODE_TIMEOUT_SECONDS = 60

pytestmark = [pytest.mark.interop, pytest.mark.django_db(transaction=True)]


def dcc_verify(node: str, credential: dict[str, Any], tmp_path: Path, name: str) -> dict[str, Any]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [node, str(VERIFY_SCRIPT), str(path)],
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
        cwd=INTEROP_DIR,
        check=False,
    )
    assert proc.returncode == 0, f"verify.mjs failed ({proc.returncode}):\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line, got:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    outcome = json.loads(lines[0])
    # Offline: nothing but the portal under test (loopback) was ever fetched for real.
    for request in outcome["network"]:
        assert request["action"] in {"fetched", "local-context"} or request["url"].startswith(
            "https://purl.imsglobal.org/spec/ob/v3p0/schema/"
        ), f"unexpected network request: {request}"
    return outcome


def describe(outcome: dict[str, Any]) -> str:
    """Enough of the verifier's answer to see why an assertion failed."""
    return json.dumps({k: outcome.get(k) for k in ("valid", "expired", "revoked", "errors", "log")}, indent=1)


def test_dcc_verifier_core_accepts_tampered_rejects_and_sees_revocation(
    node, live_server, settings, signing_key, badge_class, alice, enqueued, no_notifications, clear_cache, tmp_path
):  # type: ignore[no-untyped-def]
    from badges import issuing, links, services
    from badges.core import baking
    from badges.models import Award

    settings.PORTAL_BASE_URL = live_server.url
    # did:key: the key is in the identifier, so the verifier needs no network for it. (did:web
    # would need https://, which live_server does not serve.)
    settings.BADGE_DID_WEB_DOMAIN = ""

    award, created = services.award_request(
        recipient=alice, badge_class=badge_class, source_key="interop:dcc:1", achieved_on=dt.date(2026, 3, 31)
    )
    assert created and enqueued == [award.pk]
    assert issuing.award_ensure_issued(award_id=award.pk) == "issued"
    award.refresh_from_db()

    with award.baked_image.open("rb") as fh:
        baked = baking.read_baked(fh.read())
    credential = json.loads(baked[baking.KEYWORD_OB3])
    assert credential == award.credential  # the baked copy is the stored one
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusListCredential"].startswith(live_server.url + "/public/issuers/")
    assert credential["issuer"]["id"].startswith("did:key:z6Mk")

    # 1. The credential as baked: valid, not expired, not revoked (status list fetched).
    outcome = dcc_verify(node, credential, tmp_path, "baked")
    assert outcome["valid"] is True, describe(outcome)
    assert outcome["errors"] == [], describe(outcome)
    assert outcome["expired"] is False, describe(outcome)
    assert outcome["revoked"] is False, describe(outcome)
    status_list_url = links.status_list_url(award.issuer.public_id, 0)
    assert {"url": status_list_url, "action": "fetched"} in outcome["network"]

    # 2. One character of the achievement name changed: the signature no longer matches.
    tampered = copy.deepcopy(credential)
    achievement = tampered["credentialSubject"]["achievement"]
    achievement["name"] = achievement["name"][:-1] + ("X" if achievement["name"][-1] != "X" else "Y")
    assert tampered != credential
    outcome = dcc_verify(node, tampered, tmp_path, "tampered")
    assert outcome["valid"] is False, describe(outcome)
    assert [e["name"] for e in outcome["errors"]] == ["invalid_signature"], describe(outcome)

    # 3. Revoked in the portal: the same credential verifies, and the status list says revoked.
    assert services.award_revoke(award=award, reason="誤発行のため取り消し") is True
    assert Award.objects.get(pk=award.pk).status == Award.Status.REVOKED
    outcome = dcc_verify(node, credential, tmp_path, "revoked")
    assert outcome["valid"] is True, describe(outcome)
    assert outcome["revoked"] is True, describe(outcome)
    assert outcome["errors"] == [], describe(outcome)
