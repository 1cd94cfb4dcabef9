"""Add a badge to a wallet app (OpenID4VCI 1.0, pre-authorized code flow): the services.

The protocol itself (metadata, offers, key proofs, nonces) is pure and lives in
``badges/oid4vci.py``; the views are ``badges/views_wallet.py``. Here are the three writes:

1. ``wallet_offer_create``: the holder asks for an offer on the badge page; it holds hashes of a
   fresh pre-authorized code and transaction code, lives :data:`OFFER_LIFETIME`, and withdraws
   the award's earlier open offers.
2. ``wallet_token_redeem``: the token endpoint exchanges the code and transaction code for an
   access token, once. Wrong transaction codes are counted (and the count is kept, although
   the answer is an error); after :data:`TX_CODE_MAX_FAILURES` the offer is dead.
3. ``wallet_credential_issue``: the credential endpoint checks the token, the key proof and
   its nonce (single use), and signs one copy of the award's credential bound to the wallet's
   DID, with the award's own status list entry.

Both redemptions lock the offer row, so a code or token used twice at the same moment issues
once; the award row is locked too, so a revocation at that moment is either before (nothing
issued) or after (the copy is revoked with the award, through the shared status entry).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from hachioji_portal.organisation import organisation

from . import keys, links, oid4vci
from .core import credentials
from .models import Award, WalletOffer

logger = logging.getLogger(__name__)

OFFER_LIFETIME = dt.timedelta(minutes=10)
TOKEN_LIFETIME = dt.timedelta(minutes=5)
NONCE_LIFETIME_SECONDS = 300
TX_CODE_MAX_FAILURES = 5


class OfferRefused(Exception):
    """No offer for this award: ``code`` is ``not_issued``, ``revoked`` or ``expired``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class NewOffer:
    """An offer just made: the secrets are here once, for the badge page, and never stored."""

    offer: WalletOffer
    uri: str
    tx_code: str


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: int


# ------------------------------------------------------------------ endpoints and secrets


def credential_issuer() -> str:
    return settings.PORTAL_BASE_URL


def issuer_metadata() -> dict[str, Any]:
    org = organisation()
    return oid4vci.credential_issuer_metadata(
        credential_issuer=credential_issuer(),
        credential_endpoint=links.absolute(reverse("public:oid4vci_credential")),
        nonce_endpoint=links.absolute(reverse("public:oid4vci_nonce")),
        # Fixed texts in both languages: a wallet picks the locale it shows.
        issuer_names={"ja": org.full_title_in("ja"), "en": org.full_title_in("en")},
        credential_names={"ja": "オープンバッジ", "en": "Open Badge"},
        credential_descriptions={
            "ja": f"{org.name_in('ja')}の研修・学習の修了を証明するオープンバッジ (Open Badges 3.0)",
            "en": f"An Open Badge (Open Badges 3.0) for training completed with {org.name_in('en')}",
        },
    )


def authorization_server_metadata() -> dict[str, Any]:
    return oid4vci.authorization_server_metadata(
        issuer=credential_issuer(), token_endpoint=links.absolute(reverse("public:oid4vci_token"))
    )


def _secret(purpose: str) -> bytes:
    # Derived from SECRET_KEY, so the database alone cannot check a transaction code offline.
    return salted_hmac(f"badges.wallet.{purpose}", "key").digest()


def nonce_new(*, now: dt.datetime | None = None) -> str:
    return oid4vci.make_nonce(secret=_secret("nonce"), now=now or timezone.now())


def _nonce_use(nonce: Any, *, now: dt.datetime) -> None:
    """Check a ``c_nonce`` and spend it: a second use is ``invalid_nonce`` like a stale one."""
    oid4vci.check_nonce(nonce, secret=_secret("nonce"), now=now, max_age_seconds=NONCE_LIFETIME_SECONDS)
    # cache.add is atomic in Redis (SET NX), the shared cache of every web process.
    key = "oid4vci-nonce:" + oid4vci.code_hash(nonce)
    if not cache.add(key, 1, timeout=NONCE_LIFETIME_SECONDS + oid4vci.PROOF_MAX_SKEW_SECONDS):
        raise oid4vci.ProtocolError("invalid_nonce", "c_nonce was used already: get a fresh one")


# ------------------------------------------------------------------ 1. the offer


def _refusal(award: Award, now: dt.datetime) -> str | None:
    if award.status == Award.Status.REVOKED:
        return "revoked"
    if not award.is_issued or not award.credential:
        return "not_issued"
    if award.is_expired(now):
        return "expired"
    return None


def wallet_offer_refusal(award: Award, *, now: dt.datetime | None = None) -> str | None:
    """Why no offer can be made for ``award`` now (None: one can). For the badge page."""
    return _refusal(award, now or timezone.now())


def wallet_offer_create(*, award: Award, holder: Any, now: dt.datetime | None = None) -> NewOffer:
    """Make an offer of ``award`` to its holder's wallet. Raises ``OfferRefused``.

    ``holder`` must be the award's recipient (the views only find a person's own awards; this
    is checked again here, since an offer hands the badge to whoever scans it).
    """
    now = now or timezone.now()
    with transaction.atomic():
        award = Award.objects.select_for_update().get(pk=award.pk)
        if award.recipient_id != holder.pk:
            raise PermissionError("only the holder may put a badge into a wallet")
        if reason := _refusal(award, now):
            raise OfferRefused(reason)
        # One open offer per badge: a new QR code withdraws the one shown before.
        WalletOffer.objects.filter(award=award, redeemed_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        code, tx_code = oid4vci.new_secret(), oid4vci.new_tx_code()
        hashed = oid4vci.code_hash(code)
        offer = WalletOffer.objects.create(
            award=award,
            holder=holder,
            created_at=now,
            expires_at=now + OFFER_LIFETIME,
            code_hash=hashed,
            tx_code_hash=oid4vci.tx_code_digest(tx_code, secret=_secret("tx_code"), salt=hashed),
        )
    document = oid4vci.credential_offer(
        credential_issuer=credential_issuer(),
        pre_authorized_code=code,
        tx_code_description=_("Enter the 6-digit code shown on the badge page of the staff learning portal."),
    )
    logger.info("wallet offer %s made for award %s", offer.public_id, award.pk)
    return NewOffer(offer=offer, uri=oid4vci.credential_offer_uri(document), tx_code=tx_code)


# ------------------------------------------------------------------ 2. the token endpoint


def wallet_token_redeem(
    *, grant_type: Any, pre_authorized_code: Any, tx_code: Any, now: dt.datetime | None = None
) -> TokenGrant:
    """Exchange a pre-authorized code and its transaction code for an access token, once.

    Raises ``oid4vci.ProtocolError`` (RFC 6749 section 5.2 and OpenID4VCI section 6.3):
    ``unsupported_grant_type``; ``invalid_request`` (no code, no transaction code);
    ``invalid_grant`` (unknown, used or expired code, wrong transaction code, too many wrong
    ones, a badge revoked or expired since).

    Steps: 1. lock the offer by the code's hash; 2. refuse a used, expired or exhausted offer;
    3. compare the transaction code, and on a mismatch count it (committed, then answered with
    the error); 4. mark the code used and store the token's hash.
    """
    now = now or timezone.now()
    if grant_type != oid4vci.PRE_AUTHORIZED_GRANT:
        raise oid4vci.ProtocolError("unsupported_grant_type", "only the pre-authorized code grant is supported")
    if not isinstance(pre_authorized_code, str) or not pre_authorized_code:
        raise oid4vci.ProtocolError("invalid_request", "pre-authorized_code is required")
    wrong_tx_code: oid4vci.ProtocolError | None = None
    with transaction.atomic():
        offer = (
            WalletOffer.objects.select_for_update(of=("self",))
            .select_related("award")
            .filter(code_hash=oid4vci.code_hash(pre_authorized_code))
            .first()
        )
        if offer is None:
            raise oid4vci.ProtocolError("invalid_grant", "unknown pre-authorized code")
        if offer.redeemed_at is not None:
            raise oid4vci.ProtocolError("invalid_grant", "this pre-authorized code was used already")
        if offer.expires_at <= now:
            raise oid4vci.ProtocolError("invalid_grant", "this offer has expired")
        if offer.tx_code_failures >= TX_CODE_MAX_FAILURES:
            raise oid4vci.ProtocolError("invalid_grant", "too many wrong transaction codes: make a new offer")
        if not isinstance(tx_code, str) or not tx_code:
            raise oid4vci.ProtocolError("invalid_request", "tx_code is required for this offer")
        if not oid4vci.tx_code_matches(tx_code, offer.tx_code_hash, secret=_secret("tx_code"), salt=offer.code_hash):
            offer.tx_code_failures += 1
            offer.save(update_fields=["tx_code_failures"])
            left = TX_CODE_MAX_FAILURES - offer.tx_code_failures
            wrong_tx_code = oid4vci.ProtocolError("invalid_grant", f"wrong transaction code ({left} tries left)")
        else:
            if _refusal(offer.award, now):
                raise oid4vci.ProtocolError("invalid_grant", "this badge can no longer be added to a wallet")
            token = oid4vci.new_secret()
            offer.redeemed_at = now
            offer.token_hash = oid4vci.code_hash(token)
            offer.token_expires_at = now + TOKEN_LIFETIME
            offer.save(update_fields=["redeemed_at", "token_hash", "token_expires_at"])
    if wrong_tx_code is not None:
        raise wrong_tx_code  # after the commit: the count of wrong codes must stay
    logger.info("wallet offer %s redeemed", offer.public_id)
    return TokenGrant(access_token=token, expires_in=int(TOKEN_LIFETIME.total_seconds()))


# ------------------------------------------------------------------ 3. the credential endpoint


def _invalid_token(description: str) -> oid4vci.ProtocolError:
    return oid4vci.ProtocolError("invalid_token", description, status=401, bearer=True)


def wallet_credential_issue(*, access_token: Any, request: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """Issue the wallet's copy of the offer's award; returns the signed credential.

    Raises ``oid4vci.ProtocolError``: ``invalid_token`` (unknown or expired token, or one that
    got its credential already), the request errors of ``oid4vci.parse_credential_request``,
    ``invalid_proof``, ``invalid_nonce`` (stale, forged or used), ``credential_request_denied``
    (the badge was revoked or expired after the offer was made).

    Steps: 1. lock the offer by the token's hash and check it; 2. check the request and the key
    proof (a failure leaves the token usable, so the wallet can retry with a fresh nonce);
    3. spend the nonce; 4. lock the award and check it is still valid; 5. sign a copy of its
    credential for the wallet's DID with the issuer's current key; 6. record the copy.
    """
    now = now or timezone.now()
    if not isinstance(access_token, str) or not access_token:
        raise _invalid_token("a Bearer access token is required")
    with transaction.atomic():
        offer = WalletOffer.objects.select_for_update().filter(token_hash=oid4vci.code_hash(access_token)).first()
        if offer is None or offer.token_expires_at is None or offer.token_expires_at <= now:
            raise _invalid_token("unknown or expired access token")
        if offer.issued_at is not None:
            raise _invalid_token("this access token got its credential already")
        proof_jwt = oid4vci.parse_credential_request(request)
        proof = oid4vci.verify_proof_jwt(proof_jwt, audience=credential_issuer(), now=now)
        _nonce_use(proof.nonce, now=now)
        award = Award.objects.select_for_update().select_related("issuer").get(pk=offer.award_id)
        if _refusal(award, now):
            raise oid4vci.ProtocolError(
                "credential_request_denied", "this badge was revoked or has expired", status=400
            )
        try:
            signer = keys.signer_for(award.issuer)
        except keys.SigningKeyMissing:
            logger.exception("wallet offer %s: no signing key", offer.public_id)
            raise oid4vci.ProtocolError("server_error", "the issuer cannot sign now", status=503) from None
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        document = oid4vci.wallet_credential(
            award.credential or {}, credential_id=credential_id, holder_did=proof.holder_did, issuer_id=signer.did
        )
        signed = credentials.sign_credential(
            document,
            private_key=signer.private_key,
            verification_method=signer.verification_method,
            created=now.replace(microsecond=0),
        )
        offer.issued_at = now
        offer.credential_id = credential_id
        offer.wallet_did = proof.holder_did
        offer.signing_key = signer.key
        offer.save(update_fields=["issued_at", "credential_id", "wallet_did", "signing_key"])
    logger.info("wallet offer %s: credential %s issued to %s", offer.public_id, credential_id, proof.holder_did)
    return signed
