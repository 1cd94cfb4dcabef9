"""What wallets show of a badge: the credential's own ``image``, the achievement's
``achievementType`` and the issuer's ``image``, each a public URL anyone can open."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from badges import issuing
from badges.models import Award
from courses.services import enrolment_complete
from tests.factories import make_badge_class, make_enrolment, make_started_course

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signing_key", "enqueued", "clear_cache")]

ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture
def award(alice: Any, carol: Any) -> Award:
    badge = make_badge_class(name="公文書管理")
    course = make_started_course(title="公文書管理", badge_class=badge)
    assert enrolment_complete(enrolment=make_enrolment(staff=alice, course=course, state="approved"), actor=carol)
    award = Award.objects.get(badge_class=badge)
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    return award


def png_from(client: Any, url: str) -> Image.Image:
    """``url`` opened anonymously: a 200 PNG."""
    client.logout()
    response = client.get(url.removeprefix(ORIGIN))
    assert response.status_code == 200, url
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


def test_a_new_credential_carries_what_wallets_show(client: Any, award: Award) -> None:
    credential = award.credential
    badge = award.badge_class
    assert credential["image"] == {"id": f"{ORIGIN}/public/badges/{badge.public_id}/image.png", "type": "Image"}
    assert credential["credentialSubject"]["achievement"]["achievementType"] == "Course"
    assert credential["issuer"]["image"] == {
        "id": f"{ORIGIN}/public/issuers/{award.issuer.public_id}/image.png",
        "type": "Image",
    }
    for url in (credential["image"]["id"], credential["issuer"]["image"]["id"]):
        assert png_from(client, url).size == (600, 600)


def test_the_credential_image_is_the_badge_class_image_without_the_holders_name(client: Any, award: Award) -> None:
    # The baked image shows the holder's name and is private; wallets get the class image.
    assert award.credential["image"]["id"] != f"{ORIGIN}/public/assertions/{award.public_id}/image.png"
    assert png_from(client, award.credential["image"]["id"])


def test_the_ob2_issuer_profile_names_the_same_image(client: Any, award: Award) -> None:
    response = client.get(f"/public/issuers/{award.issuer.public_id}", HTTP_ACCEPT="application/ld+json")
    assert json.loads(response.content)["image"] == award.credential["issuer"]["image"]["id"]


def test_an_uploaded_issuer_logo_is_served_as_a_png_of_at_most_600_px(client: Any, award: Award) -> None:
    logo = io.BytesIO()
    Image.new("RGB", (1200, 300), (200, 30, 30)).save(logo, format="JPEG")
    issuer = award.issuer
    issuer.image.save("logo.jpg", ContentFile(logo.getvalue()))
    served = png_from(client, award.credential["issuer"]["image"]["id"])
    assert served.size == (600, 150)
    assert served.getpixel((300, 75))[:3] == pytest.approx((200, 30, 30), abs=8)


def test_an_unknown_issuer_has_no_image(client: Any) -> None:
    response = client.get("/public/issuers/00000000-0000-4000-8000-000000000000/image.png")
    assert response.status_code == 404
