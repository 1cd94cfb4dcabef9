"""Interoperability: an independent OpenID4VCI wallet client receives a badge from the running
portal, bound to its own key, and the DCC verifier accepts what it received.

The wallet is ``interop/wallet.mjs`` on ``@openid4vc/openid4vci`` (OpenWallet Foundation Labs'
oid4vc-ts, the library under Credo; pinned in ``interop/package-lock.json``). It makes its own
Ed25519 key, resolves the offer URI the badge page shows, discovers the portal's metadata,
exchanges the code and transaction code at the token endpoint, gets a nonce, signs a key proof
and receives the credential, all over HTTP against ``live_server`` (plain http on loopback: the
library's ``allowInsecureUrls`` option, set by ``--allow-http``). ``interop/verify.mjs`` (DCC
verifier-core) then verifies the copy, fetching the status list from the same server.

Checked: a did:key wallet and a did:jwk wallet each get a copy whose ``credentialSubject.id``
is their DID, which the verifier finds valid and not revoked; redeeming the same offer again
and a wrong transaction code get ``invalid_grant`` and nothing; revoking the award makes the
verifier say revoked for both copies.

Needs Node and ``interop/node_modules`` (``make interop-deps``); skipped without them, except
in CI, where that is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from typing import Any

import pytest

from tests.badges.conftest import INTEROP_DIR
from tests.badges.test_interop_dcc import dcc_verify, describe

WALLET_SCRIPT = INTEROP_DIR / "wallet.mjs"
NODE_TIMEOUT_SECONDS = 60

pytestmark = [pytest.mark.interop, pytest.mark.django_db(transaction=True)]


def run_wallet(node: str, offer_uri: str, tx_code: str, *options: str) -> dict[str, Any]:
    proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [node, str(WALLET_SCRIPT), offer_uri, tx_code, "--allow-http", *options],
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
        cwd=INTEROP_DIR,
        check=False,
    )
    assert proc.returncode == 0, f"wallet.mjs failed ({proc.returncode}):\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line, got:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    outcome = json.loads(lines[0])
    # Offline: only the portal under test was asked anything.
    assert all(r.get("action") != "refused" for r in outcome["network"]), outcome["network"]
    return outcome


def test_an_independent_openid4vci_wallet_gets_the_badge_bound_to_its_key_and_the_dcc_verifier_accepts_it(
    node, live_server, settings, signing_key, badge_class, alice, enqueued, no_notifications, clear_cache, tmp_path
):  # type: ignore[no-untyped-def]
    from badges import issuing, services, wallet
    from badges.models import Award, WalletOffer

    settings.PORTAL_BASE_URL = live_server.url
    # did:key issuer: the verifier resolves it offline (did:web would need https://).
    settings.BADGE_DID_WEB_DOMAIN = ""
    award, _ = services.award_request(
        recipient=alice, badge_class=badge_class, source_key="interop:wallet:1", achieved_on=dt.date(2026, 3, 31)
    )
    assert issuing.award_ensure_issued(award_id=award.pk) == "issued"
    award.refresh_from_db()

    # 1. A did:key wallet: the whole flow with the library.
    offer = wallet.wallet_offer_create(award=award, holder=alice)
    received = run_wallet(node, offer.uri, offer.tx_code)
    assert received["ok"] is True, json.dumps(received, indent=1)
    assert received["version"] == "V1"  # the library read the metadata as OpenID4VCI 1.0
    assert received["holderDid"].startswith("did:key:z6Mk")
    (copy,) = received["credentials"]
    assert copy["credentialSubject"]["id"] == received["holderDid"]
    assert copy["credentialStatus"] == award.credential["credentialStatus"]
    assert copy["credentialSubject"]["achievement"] == award.credential["credentialSubject"]["achievement"]
    assert copy["id"] != award.credential["id"]
    steps = [(r["url"].removeprefix(live_server.url), r.get("method"), r["status"]) for r in received["network"]]
    assert ("/public/oid4vci/token", "POST", 200) in steps
    assert ("/public/oid4vci/nonce", "POST", 200) in steps
    assert ("/public/oid4vci/credential", "POST", 200) in steps

    outcome = dcc_verify(node, copy, tmp_path, "wallet-did-key")
    assert outcome["valid"] is True, describe(outcome)
    assert outcome["errors"] == [], describe(outcome)
    assert outcome["revoked"] is False, describe(outcome)
    assert outcome["expired"] is False, describe(outcome)

    # 2. The same offer again: the code was used; nothing more is issued.
    again = run_wallet(node, offer.uri, offer.tx_code)
    assert again["ok"] is False, json.dumps(again, indent=1)
    assert (again["stage"], again["error"], again["status"]) == ("token", "invalid_grant", 400), again

    # 3. A new offer with a wrong transaction code: refused at the token endpoint.
    second = wallet.wallet_offer_create(award=award, holder=alice)
    wrong = f"{(int(second.tx_code) + 1) % 10**6:06d}"
    refused = run_wallet(node, second.uri, wrong)
    assert (refused["stage"], refused["error"]) == ("token", "invalid_grant"), refused
    assert WalletOffer.objects.filter(issued_at__isnull=False).count() == 1

    # 4. A did:jwk wallet with a fresh offer (the one before is withdrawn by it).
    third = wallet.wallet_offer_create(award=award, holder=alice)
    jwk_wallet = run_wallet(node, third.uri, third.tx_code, "--did", "jwk")
    assert jwk_wallet["ok"] is True, json.dumps(jwk_wallet, indent=1)
    (jwk_copy,) = jwk_wallet["credentials"]
    assert jwk_wallet["holderDid"].startswith("did:jwk:")
    assert jwk_copy["credentialSubject"]["id"] == jwk_wallet["holderDid"]
    assert dcc_verify(node, jwk_copy, tmp_path, "wallet-did-jwk")["valid"] is True

    # 5. Revoking the award revokes every copy: one status entry for all of them.
    assert services.award_revoke(award=award, reason="誤発行のため取り消し") is True
    assert Award.objects.get(pk=award.pk).status == Award.Status.REVOKED
    for name, credential in (("revoked-did-key", copy), ("revoked-did-jwk", jwk_copy)):
        outcome = dcc_verify(node, credential, tmp_path, name)
        assert outcome["valid"] is True, describe(outcome)  # still a good signature...
        assert outcome["revoked"] is True, describe(outcome)  # ...of a revoked badge
