"""Adversarial badges for the bounded-check tests and scripts/bench_verify_adversarial.py.

The family from issue 12, part 2: an OB 3.0 credential whose achievement has two identical
``resultDescription``s, each with ``k`` identical ``rubricCriterionLevel`` entries. Every level
is a blank node that the first-degree hashes of RDF canonicalisation (RDFC-1.0) cannot tell
apart from the others, so Hash N-Degree Quads tries every permutation of them, recursively:
plain pyld took about 0.15 s for k = 6, 1.3 s for k = 7, 14 s for k = 8 and 2 minutes for k = 9
on one core. The proof is well formed but its signature is random bytes: the cost is paid
before the signature can be compared, so no valid signature (and no sign-in) is needed.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from badges.core import credentials, signing


def identical_levels_credential(k: int) -> dict[str, Any]:
    """The credential with ``k`` identical levels in each of two identical result descriptions."""
    key = signing.generate_private_key()
    did = signing.did_key_for(key.public_key())
    document = credentials.build_ob3_credential(
        credential_id="urn:uuid:0d6f4c1e-2b1f-4f5e-9a55-1c0c2a9d7e01",
        issuer_id=did,
        issuer_name=credentials.LocalizedText("中央大学"),
        issuer_url="https://www.chuo-u.ac.jp/",
        achievement_id="https://badges.example.ac.jp/achievements/law-201",
        achievement_name=credentials.LocalizedText("行政法演習"),
        achievement_description=credentials.LocalizedText("行政法の判例を読み解く演習。"),
        criteria_narrative=credentials.LocalizedText("全8回の演習に出席し、期末レポートに合格すること。"),
        recipient_email="alice@city.test",
        salt="c0ffee",
        valid_from="2026-03-01T10:00:00+09:00",
    )
    level = {
        "type": ["RubricCriterionLevel"],
        "name": "優",
        "description": "到達目標を十分に達成している。",
        "level": "A",
        "points": "4",
    }
    result_description = {
        "type": ["ResultDescription"],
        "name": "成績",
        "resultType": "RubricCriterionLevel",
        "rubricCriterionLevel": [copy.deepcopy(level) for _ in range(k)],
    }
    document["credentialSubject"]["achievement"]["resultDescription"] = [
        copy.deepcopy(result_description),
        copy.deepcopy(result_description),
    ]
    document["proof"] = {
        "type": credentials.PROOF_TYPE,
        "cryptosuite": credentials.CRYPTOSUITE,
        "created": "2026-03-01T10:00:00+09:00",
        "verificationMethod": signing.did_key_verification_method(key.public_key()),
        "proofPurpose": "assertionMethod",
        "proofValue": "z" + signing.b58encode(os.urandom(64)),  # well formed, never valid
    }
    return document
