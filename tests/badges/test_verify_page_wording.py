"""The verify page's result, as a person reads it (issue 13): one verdict first, coloured by what
it means, then what it means, then the details; nothing green next to a revoked badge; the
recipient sentence says what is true (the baked image shows the name, the signed data only a
hashed email); the signature line says how it was checked, not 「署名または記録と一致」.

The page is read in document order from the rendered HTML; the browser test
(tests/browser/test_verify_page.py) measures the same on the screen."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from badges import services
from badges.core import signing
from tests.badges.conftest import bake_ob3, baked_bytes, external_credential, register_issuer
from tests.badges.test_verify import PAGE, forged_in_the_citys_name, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]

# What makes an element green on this page: the valid verdict, the status colour "ok".
GREEN = ("report__verdict--ok", "status--ok", "verdict--valid")


def result_of(html: str) -> str:
    """The result region (the <section id="report">), as rendered."""
    match = re.search(r'<section class="report[^"]*"[^>]*id="report">.*?</section>', html, re.S)
    assert match, "no result region on the page"
    return match.group(0)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def verdict_of(result: str) -> tuple[str, str]:
    """(the verdict heading's class, its text): the first element inside the result region."""
    inner = result.split(">", 1)[1].lstrip()
    match = re.match(r'<h2 id="report-heading" class="report__verdict (report__verdict--\w+)">(.*?)</h2>', inner, re.S)
    assert match, f"the result does not start with the verdict heading: {inner[:200]}"
    return match.group(1), text_of(match.group(2))


def summary_of(result: str) -> str:
    match = re.search(r'<p class="report__summary">(.*?)</p>', result, re.S)
    assert match
    return text_of(match.group(1))


def in_english(client) -> None:  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def page_for(client, data: bytes) -> str:  # type: ignore[no-untyped-def]
    response = upload(client, data, url=PAGE)
    assert response.status_code == 200
    return result_of(response.content.decode())


# ------------------------------------------------------------------ one verdict first


def test_the_verdict_is_the_first_thing_in_the_result_and_comes_before_every_detail(client, award):
    result = page_for(client, baked_bytes(award))
    verdict_of(result)  # the region's first element is the verdict heading
    verdict = result.index('class="report__verdict ')
    for detail in ('class="report__summary"', 'class="report__details-heading"', 'class="facts', "<h4>"):
        assert verdict < result.index(detail), detail
    # One verdict: a single heading at that level, and the summary right after it.
    assert result.count("<h2") == 1
    assert result.index('class="report__summary"') < result.index('class="report__details-heading"')


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_valid_badge_of_ours_is_green_and_says_how_it_was_checked(client, award, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    result = page_for(client, baked_bytes(award))
    with translation.override(language):
        klass, text = verdict_of(result)
        assert klass == "report__verdict--ok"
        assert text == f"{gettext('Result:')} {gettext('Valid')}"
        assert "八王子市" in summary_of(result)
        # How each standard was checked, specifically: the hosted copy for 2.0, the key for 3.0.
        hosted = gettext("Matches the city's record of this badge (the hosted copy)")
        signed = gettext("Signature checked with the issuer's key")
        assert f'<span class="status--ok">{hosted}</span>' in result
        assert f'<span class="status--ok">{signed}</span>' in result
    assert "署名または記録" not in result and "signature or record" not in result
    if language == "en":
        assert text == "Result: Valid"
        assert summary_of(result) == (
            "This badge is genuine: 八王子市 issued it through this portal, and it has not been revoked or expired."
        )


def test_a_revoked_badge_is_red_says_why_and_nothing_in_it_is_green(client, award):
    services.award_revoke(award=award, reason="受講記録の誤りのため")
    in_english(client)
    result = page_for(client, baked_bytes(award))
    assert verdict_of(result) == ("report__verdict--bad", "Result: Revoked")
    assert summary_of(result) == (
        "The issuer has revoked this badge. It was issued, but it no longer certifies anything."
    )
    assert "Reason for revocation: 受講記録の誤りのため" in text_of(result)
    for green in GREEN:
        assert green not in result, green
    # The signature line says what a correct signature means here, in neutral colour.
    assert "The signature is correct, but the badge has been revoked" in result
    assert "Matches the city's record (the hosted copy), but the badge has been revoked" in result
    assert ">Valid<" not in result


def test_a_revoked_badge_with_the_holders_email_is_still_not_green(client, award):
    services.award_revoke(award=award, reason="受講記録の誤りのため")
    response = upload(client, baked_bytes(award), url=PAGE, email="alice@city.test")
    result = result_of(response.content.decode())
    with translation.override("ja"):
        assert gettext("The email address you typed matches the badge's recipient.") in result
    for green in GREEN:
        assert green not in result, green


def test_an_unknown_issuer_is_amber_and_shows_its_identifier_first_in_the_details(client):
    stranger = signing.generate_private_key()
    in_english(client)
    result = page_for(client, bake_ob3(external_credential(issuer_name="関東オンライン学院", private_key=stranger)))
    assert verdict_of(result) == ("report__verdict--warn", "Result: Unknown issuer")
    assert summary_of(result).startswith("Signed by an issuer this city does not know.")
    details = result.split('class="report__details-heading"', 1)[1]
    assert details.index("report__issuer-id") < details.index('class="facts')
    assert signing.did_key_for(stranger.public_key()) in details
    for green in GREEN:
        assert green not in result, green


def test_a_forged_badge_in_the_citys_name_is_red_and_says_impersonation(client):
    forged, stranger_did = forged_in_the_citys_name()
    in_english(client)
    result = page_for(client, bake_ob3(forged))
    assert verdict_of(result) == ("report__verdict--bad", "Result: Not valid (impersonation)")
    assert summary_of(result).startswith("Impersonation: the badge names an issuer the city knows")
    assert f'<p class="mono report__issuer-id">{stranger_did}</p>' in result
    for green in GREEN:
        assert green not in result, green


def test_an_expired_badge_is_amber_and_says_when_it_expired(client):
    key = signing.generate_private_key()
    register_issuer(key)
    ended = timezone.localtime() - dt.timedelta(days=3)
    in_english(client)
    result = page_for(client, bake_ob3(external_credential(private_key=key, valid_until=ended.isoformat())))
    assert verdict_of(result) == ("report__verdict--warn", "Result: Expired")
    with translation.override("en"):
        when = date_format(ended, "DATE_FORMAT")
    assert summary_of(result) == f"The badge expired on {when}: it certified the achievement only until then."
    for green in GREEN:
        assert green not in result, green


def test_a_registered_issuers_badge_is_green_and_names_the_register_entry(client):
    key = signing.generate_private_key()
    register_issuer(key, name="中央大学")
    in_english(client)
    result = page_for(client, bake_ob3(external_credential(private_key=key)))
    assert verdict_of(result) == ("report__verdict--ok", "Result: Valid")
    assert summary_of(result) == (
        "This badge is genuine: it was signed by 中央大学, an issuer in the city's register, "
        "and it has not been revoked or expired."
    )


# ------------------------------------------------------------------ what the badge says about the holder


def test_the_recipient_line_says_the_image_shows_the_name_and_the_data_only_a_hashed_email(client, award):
    in_english(client)
    result = page_for(client, baked_bytes(award))
    recipient = text_of(re.search(r'<dd class="report__recipient">(.*?)</dd>', result, re.S).group(1))
    assert recipient == (
        "The badge image shows the holder's name. The signed data carries only a hashed email address, not the name. "
        "To confirm that the badge is yours, type your email address in “Your email address (optional)” below "
        "and check the badge again."
    )
    # The field it points at is on the page, with that label.
    page = upload(client, baked_bytes(award), url=PAGE).content.decode()
    assert ">Your email address (optional):</label>" in page
    assert "the name is not in the badge" not in page


def test_the_old_untrue_name_sentence_is_gone_in_japanese(client, award):
    result = page_for(client, baked_bytes(award))
    assert "氏名はバッジに含まれません" not in result
    with translation.override("ja"):
        expected = gettext(
            "The badge image shows the holder's name. "
            "The signed data carries only a hashed email address, not the name."
        )
    assert expected in result


def test_a_strangers_badge_does_not_claim_its_image_shows_a_name(client):
    in_english(client)
    result = page_for(client, bake_ob3(external_credential(private_key=signing.generate_private_key())))
    assert "A hashed email address: the signed data does not name the holder." in result
    assert "The badge image shows the holder's name" not in result
