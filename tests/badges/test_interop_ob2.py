"""Interoperability: 1EdTech's Open Badges 2.0 validator accepts the portal's OB 2.0 badges.

The validator is validator-core (PyPI ``openbadges`` 1.1.2, pinned with its dependencies in
``interop/requirements-ob2.txt``), the library behind 1EdTech's OB 2.0 validator service. It
installs only on old Pythons, so it runs in its own Python 3.7 venv (``make ob2-validator``
builds ``interop/.venv-ob2``), called through ``interop/ob2_validate.py``, fully offline: the
OB v2 JSON-LD context comes from the validator's own bundled copy, and only loopback addresses
(the portal served by ``live_server``) are fetched.

Checked end to end: issue -> bake -> the baked PNG validates (with the recipient's email
checked against the hashed identity); the hosted assertion URL validates; revoke -> the hosted
assertion answers 410 ``revoked: true`` and neither the link nor the baked PNG (which points at
it) validates any more. validator-core has no "revoked" message for hosted badges: it fails them
on the revoked stub's missing properties (see step 3).

Skipped without that venv, except in CI, where that is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.badges.conftest import INTEROP_DIR
from tests.conftest import _missing

VALIDATE_SCRIPT = INTEROP_DIR / "ob2_validate.py"
OB2_PYTHON = INTEROP_DIR / ".venv-ob2" / "bin" / "python"
VALIDATOR_TIMEOUT_SECONDS = 120
OB2_CONTEXT = "https://w3id.org/openbadges/v2"

pytestmark = [pytest.mark.interop, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ob2_python() -> Path:
    """The Python 3.7 venv with validator-core; skipped without it, except in CI (a failure)."""
    if not OB2_PYTHON.exists():
        _missing("interop/.venv-ob2 is missing: run `make ob2-validator` (needs Python 3.7)")
    return OB2_PYTHON


def ob2_validate(python: Path, badge: str, recipient: str | None = None) -> dict[str, Any]:
    argv = [str(python), str(VALIDATE_SCRIPT), badge]
    if recipient:
        argv += ["--recipient", recipient]
    proc = subprocess.run(  # noqa: S603 - fixed argv, no shell
        argv, capture_output=True, text=True, timeout=VALIDATOR_TIMEOUT_SECONDS, cwd=INTEROP_DIR, check=False
    )
    assert proc.returncode == 0, f"ob2_validate.py failed ({proc.returncode}):\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line, got:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    outcome: dict[str, Any] = json.loads(lines[0])
    # Offline: the context came from the validator's own copy; nothing else but the portal
    # under test (loopback) was requested at all, let alone fetched.
    for request in outcome["network"]:
        assert request == {"url": OB2_CONTEXT, "action": "bundled-context"} or (
            request["action"] == "fetched" and request["url"].startswith("http://localhost:")
        ), f"unexpected network request: {request}"
    return outcome


def hosted_json(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/ld+json"})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback live_server
        return json.loads(response.read())


def fetched_urls(outcome: dict[str, Any]) -> set[str]:
    return {request["url"] for request in outcome["network"] if request["action"] == "fetched"}


def messages(outcome: dict[str, Any], level: str) -> list[str]:
    return [
        f"{m.get('name')}: {m.get('result')}"
        for m in outcome["report"]["report"]["messages"]
        if m.get("messageLevel") == level
    ]


def describe(outcome: dict[str, Any]) -> str:
    """Enough of the validator's answer to see why an assertion failed."""
    return json.dumps({"report": outcome["report"]["report"], "network": outcome["network"]}, indent=1)


def test_ob2_validator_core_accepts_baked_and_hosted_and_sees_revocation(
    ob2_python,
    live_server,
    settings,
    signing_key,
    badge_class,
    alice,
    enqueued,
    no_notifications,
    clear_cache,
    tmp_path,
):  # type: ignore[no-untyped-def]
    from badges import issuing, links, services
    from badges.core import baking
    from badges.models import Award

    settings.PORTAL_BASE_URL = live_server.url
    award, created = services.award_request(
        recipient=alice, badge_class=badge_class, source_key="interop:ob2:1", achieved_on=dt.date(2026, 3, 31)
    )
    assert created and enqueued == [award.pk]
    assert issuing.award_ensure_issued(award_id=award.pk) == "issued"
    award.refresh_from_db()

    png = tmp_path / "badge.png"
    with award.baked_image.open("rb") as fh:
        png.write_bytes(fh.read())
    assertion_url = links.assertion_url(award.public_id)
    assert assertion_url.startswith(live_server.url + "/public/assertions/")
    baked = json.loads(baking.read_baked(png.read_bytes())[baking.KEYWORD_OB2])
    assert baked == award.assertion  # the baked copy is the stored one
    assert baked["id"] == assertion_url and baked["verification"] == {"type": "HostedBadge"}
    # Hosted verification: the assertion, badge class and issuer URLs answer anyone, even while
    # the award itself is private (as every award starts); nothing needs making public.
    assert award.visibility == Award.Visibility.PRIVATE

    # 1. The baked PNG: valid, no errors, no warnings, and the email matches the hashed identity.
    outcome = ob2_validate(ob2_python, str(png), recipient=alice.email)
    report = outcome["report"]["report"]
    assert report["valid"] is True, describe(outcome)
    assert report["errorCount"] == 0 and messages(outcome, "ERROR") == [], describe(outcome)
    assert report["warningCount"] == 0 and messages(outcome, "WARNING") == [], describe(outcome)
    assert report["recipientProfile"] == {"email": alice.email}, describe(outcome)
    # For a hosted badge the validator takes the baked assertion's id and validates what that URL
    # serves (OB 2.0 hosted verification); the baked copy is the same document.
    assert outcome["report"]["input"]["input_type"] == "url"
    assert report["validationSubject"] == assertion_url, describe(outcome)
    assert hosted_json(assertion_url) == baked
    # Hosted verification, all of it: the validator fetched the assertion, its badge class, the
    # class's image and its issuer from the portal (and nothing else: see ob2_validate).
    badge_class_url = links.badge_class_url(badge_class.public_id)
    badge_class_doc = hosted_json(badge_class_url)
    linked = {assertion_url, badge_class_url, badge_class_doc["image"], badge_class_doc["issuer"]}
    assert fetched_urls(outcome) == linked, describe(outcome)
    assert {node["id"] for node in outcome["report"]["graph"]} >= linked - {badge_class_doc["image"]}

    # The validator does check the identity: someone else's email does not match the hash.
    outcome = ob2_validate(ob2_python, str(png), recipient="someone.else@city.test")
    assert outcome["report"]["report"]["valid"] is False, describe(outcome)
    assert [e.split(":")[0] for e in messages(outcome, "ERROR")] == ["VERIFY_RECIPIENT_IDENTIFIER"], describe(outcome)

    # 2. The hosted assertion URL, as a verifier given only the link would start.
    outcome = ob2_validate(ob2_python, assertion_url)
    report = outcome["report"]["report"]
    assert report["valid"] is True, describe(outcome)
    assert report["errorCount"] == 0 and report["warningCount"] == 0, describe(outcome)
    assert outcome["report"]["input"]["input_type"] == "url"
    assert fetched_urls(outcome) == linked, describe(outcome)

    # 3. Revoked in the portal: the hosted assertion answers 410 Gone with only
    # {"revoked": true, "revocationReason": ...} (OB 2.0, "Hosted Verification").
    assert services.award_revoke(award=award, reason="誤発行のため取り消し") is True
    assert Award.objects.get(pk=award.pk).status == Award.Status.REVOKED
    with pytest.raises(urllib.error.HTTPError) as gone:
        hosted_json(assertion_url)
    assert gone.value.code == 410
    assert json.loads(gone.value.read())["revoked"] is True
    # validator-core 1.1.2 does not look at "revoked" or the 410 itself (it checks revocation
    # only for signed badges, through a RevocationList); it rejects the revoked assertion because
    # what the URL now serves lacks an assertion's required properties. So the link and the
    # baked PNG (which points at that URL) both stop validating, whatever the baked copy says.
    missing = {"recipient", "badge", "verification", "issuedOn"}
    for badge in (assertion_url, str(png)):
        outcome = ob2_validate(ob2_python, badge)
        report = outcome["report"]["report"]
        assert report["valid"] is False, describe(outcome)
        assert report["validationSubject"] == assertion_url, describe(outcome)
        errors = messages(outcome, "ERROR")
        for prop in missing:
            assert f"VALIDATE_PROPERTY: Required property {prop} not present in unknown type node {assertion_url}" in (
                errors
            ), describe(outcome)
