"""The two speed-ups of the issuing pipeline change nothing but the time they take."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image
from pyld import jsonld as plain_pyld

from badges.core import credentials, jsonld, rendering, signing

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L", "LA"])
def test_encode_png_gives_exactly_the_pixels_pillow_would(mode):
    rng = random.Random(mode)
    image = Image.frombytes(mode, (37, 23), bytes(rng.randrange(256) for _ in range(37 * 23 * len(mode))))
    decoded = Image.open(io.BytesIO(rendering.encode_png(image)))
    decoded.load()
    assert decoded.mode == mode and decoded.size == image.size
    assert decoded.tobytes() == image.tobytes()


def test_a_rendered_badge_decodes_to_the_same_pixels_as_pillows_own_png(tmp_path):
    path = rendering.find_font((FONT, "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"))
    text = rendering.BadgeText(
        title="自治体法務プログラム修了", issuer="八王子市", holder="山田 花子", date="2026年4月1日"
    )
    ours = Image.open(io.BytesIO(rendering.render_badge(text, design="blue", font_path=path)))
    buffer = io.BytesIO()
    ours.save(buffer, format="PNG")  # Pillow's own encoder, default settings
    theirs = Image.open(io.BytesIO(buffer.getvalue()))
    assert ours.size == (600, 600)
    assert ours.tobytes() == theirs.tobytes()


def _credential(name: str) -> dict:  # type: ignore[type-arg]
    key = signing.private_key_from_seed(bytes(range(32)))
    return credentials.build_ob3_credential(
        credential_id="urn:uuid:11111111-2222-4333-8444-555555555555",
        issuer_id=signing.did_key_for(key.public_key()),
        issuer_name=credentials.LocalizedText("八王子市", "Hachioji City"),
        issuer_url="https://www.city.hachioji.tokyo.jp/",
        achievement_id="http://127.0.0.1:8000/public/badges/6f2a6b8e-1d1c-4c8e-9a63-0a4f6e0b2a11",
        achievement_name=credentials.LocalizedText(name),
        achievement_description=credentials.LocalizedText("説明"),
        criteria_narrative=credentials.LocalizedText("基準"),
        recipient_email="alice@city.test",
        salt="abc",
        valid_from="2026-04-01T09:00:00+09:00",
        alignments=[credentials.Alignment(target_name="法務", target_url="http://127.0.0.1:8000/skills/LAW")],
        status=credentials.status_list_entry(
            status_list_url="http://127.0.0.1:8000/public/issuers/x/status/0", index=7
        ),
    )


def test_the_cached_canonicalisation_equals_plain_pyld_with_the_same_contexts():
    loader = jsonld.document_loader
    for name in ("憲法", "行政法", "Administrative Law", "データ活用 入門"):
        document = _credential(name)
        for _ in range(2):  # the second time comes from the caches
            ours = jsonld.canonicalize(document, loader=loader)
            reference = plain_pyld.normalize(
                document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}
            )
            assert ours == reference


def test_canonicalising_from_the_checked_expansion_equals_plain_pyld_on_signed_and_graph_documents():
    """The canonicaliser converts the expansion it already checked to RDF instead of letting
    pyld expand it a second time: the output must stay pyld's own, also for a signed
    credential (its proof is a named graph), a status list credential and a document with
    named and blank-node graphs."""
    loader = jsonld.document_loader
    key = signing.private_key_from_seed(bytes(range(32)))
    signed = credentials.sign_credential(
        _credential("行政法"),
        private_key=key,
        verification_method=signing.did_key_verification_method(key.public_key()),
        created="2026-04-01T09:00:00+09:00",
    )
    graphs = {
        "@context": {"@vocab": "https://example.org/vocab#"},
        "@graph": [
            {"@id": "https://example.org/g1", "@graph": {"@id": "https://example.org/a", "name": "一"}},
            {"@id": "_:g2", "@graph": [{"name": "二"}, {"@id": "_:x", "knows": {"@id": "_:y"}}]},
            {"@id": "https://example.org/b", "name": "三", "@type": "Thing"},
        ],
    }
    for document in (signed, graphs):
        ours = jsonld.canonicalize(document, loader=loader)
        reference = plain_pyld.normalize(
            document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}
        )
        assert ours == reference
        assert ours.count("\n") >= 3
