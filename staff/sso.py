"""City single sign-on: signing out of the identity provider too (RP-initiated logout).

On a shared city PC, ending only the portal's session is not enough: the next person who
presses the SSO button would be signed in as the previous one by the provider's own session.
So signing out of a session that began with SSO sends the browser on to the provider's
``end_session_endpoint`` (from its discovery document) with ``id_token_hint`` and
``post_logout_redirect_uri`` (the portal's sign-in page), as OpenID Connect RP-Initiated
Logout 1.0 describes.

allauth keeps neither the raw ID token nor a way to reach it, so the callback view here is
allauth's own with one addition: it remembers the ID token of the sign-in in the session.

1. The callback stores it as *pending*, with the identity it belongs to.
2. When the sign-in completes (after TOTP for HR), ``sso_session_start`` keeps it only if that
   identity is linked to the person signed in. A refused sign-in forgets it.
3. Signing out reads it (``end_session_url``) before the session is flushed.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import requests
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from .models import StaffMember

logger = logging.getLogger(__name__)

PENDING_KEY = "portal_sso_pending"
SESSION_KEY = "portal_sso"
DISCOVERY_CACHE_SECONDS = 60 * 60


class CityOpenIDConnectAdapter(OpenIDConnectOAuth2Adapter):
    """allauth's OpenID Connect adapter, remembering the sign-in's raw ID token (step 1)."""

    def complete_login(self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs: Any) -> Any:
        sociallogin = super().complete_login(request, app, token, **kwargs)
        id_token = kwargs["response"].get("id_token")
        if id_token:
            request.session[PENDING_KEY] = {
                "provider": sociallogin.account.provider,
                "uid": sociallogin.account.uid,
                "id_token": id_token,
            }
        return sociallogin


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Takes the place of allauth's ``openid_connect_callback`` (same URL, routed first)."""
    try:
        view = OAuth2CallbackView.adapter_view(CityOpenIDConnectAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc


def sso_session_forget_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def sso_session_start(request: HttpRequest, user: StaffMember) -> None:
    """Step 2: called once ``user`` is signed in (any way); keeps the pending ID token only if
    it belongs to an identity linked to ``user``."""
    pending = request.session.pop(PENDING_KEY, None)
    if not pending:
        return
    if SocialAccount.objects.filter(user=user, provider=pending["provider"], uid=pending["uid"]).exists():
        request.session[SESSION_KEY] = {"provider": pending["provider"], "id_token": pending["id_token"]}


def _discovery(request: HttpRequest, provider_id: str) -> dict[str, Any]:
    """The provider's discovery document, cached for an hour (signing out must stay quick)."""
    adapter = OpenIDConnectOAuth2Adapter(request, provider_id)
    server_url = adapter.get_provider().server_url
    key = f"portal:sso:discovery:{server_url}"
    config = cache.get(key)
    if config is None:
        config = adapter.openid_config
        cache.set(key, config, DISCOVERY_CACHE_SECONDS)
    return dict(config)


def end_session_url(request: HttpRequest) -> str | None:
    """Step 3: where to send the browser to sign out of the provider too, or None (a session that
    did not begin with SSO, or a provider without an end-session endpoint or out of reach: then
    only the portal's session ends, and the reason is logged)."""
    session = request.session.get(SESSION_KEY)
    if not session:
        return None
    provider_id = session["provider"]
    try:
        config = _discovery(request, provider_id)
        client_id = get_social_adapter().get_provider(request, provider_id).app.client_id
    except (SocialApp.DoesNotExist, requests.RequestException, ValueError) as exc:
        logger.warning("SSO sign-out: the provider's discovery document could not be read (%s)", exc)
        return None
    endpoint = config.get("end_session_endpoint")
    if not endpoint:
        logger.warning("SSO sign-out: the provider has no end_session_endpoint; only the portal's session ends")
        return None
    query = urlencode(
        {
            "id_token_hint": session["id_token"],
            "post_logout_redirect_uri": build_absolute_uri(request, reverse("account_login")),
            "client_id": client_id,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
