"""OAuth 2.0 for the Open Badges 3.0 API, on django-oauth-toolkit: the validator (each client
gets only the scopes it registered for) and the endpoints wrapped with HR's switch — the
consent page (the portal's own, Japanese first), the token endpoint and revocation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import AuthorizationView, RevokeTokenView, TokenView

from hachioji_portal.middleware import policy_with_form_action, sso_origins

from . import protocol, selectors, services
from .models import ObApiClient


class ObApiValidator(OAuth2Validator):
    """The toolkit's validator, with each client held to the scopes it registered for (a
    subset of the two read-only OB 3.0 scopes)."""

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if not super().validate_scopes(client_id, scopes, client, request, *args, **kwargs):
            return False
        allowed = set(_registered_scopes(client))
        return bool(scopes) and set(scopes) <= allowed

    def get_default_scopes(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> list[str]:
        # No scope asked for: everything the client registered for (the consent page lists it).
        return _registered_scopes(request.client)


def _registered_scopes(application: Any) -> list[str]:
    try:
        scopes = application.obapi_client.scopes
    except ObApiClient.DoesNotExist:
        return []
    return [s for s in scopes if s in protocol.OFFERED_SCOPES]


def api_off_page(request: HttpRequest) -> HttpResponse:
    response = render(request, "badges/obapi/off.html", status=503)
    response["Cache-Control"] = "no-store"
    return response


def _api_off_json() -> JsonResponse:
    response = JsonResponse(
        {
            "error": "temporarily_unavailable",
            "error_description": "The Open Badges API of this portal is switched off by HR.",
        },
        status=503,
    )
    response["Cache-Control"] = "no-store"
    return response


def scope_explanations(scopes: list[str]) -> list[dict[str, str]]:
    """What each scope lets the application read, in the holder's words."""
    texts = {
        protocol.SCOPE_CREDENTIALS: (
            _("Your issued badges"),
            _(
                "Every badge the portal issued to you and has not revoked, as signed Open Badges 3.0 "
                "credentials: the course or programme, the date, the issuer, and your email address "
                "in hashed form. This includes badges you show only to yourself on the portal, and "
                "badges issued later, until you disconnect the application."
            ),
        ),
        protocol.SCOPE_PROFILE: (
            _("Your name and work email address"),
            _("Your name as the portal has it (family and given name) and your work email address."),
        ),
    }
    return [{"scope": s, "title": texts[s][0], "detail": texts[s][1]} for s in scopes if s in texts]


def _pkce_refusal() -> dict[str, Any]:
    return {
        "error": {"error": "invalid_request", "description": "PKCE with code_challenge_method=S256 is required."},
        "error_message": _("The application must use PKCE with the S256 method."),
    }


@method_decorator(never_cache, name="dispatch")
class ConsentView(AuthorizationView):
    """The authorization endpoint: a signed-in staff member sees which application asks for
    what, and allows or refuses. PKCE with S256 is required before the page is shown."""

    template_name = "badges/obapi/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not selectors.api_is_on():
            return api_off_page(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("code_challenge_method") != "S256" or not request.GET.get("code_challenge"):
            # Refused here, before any redirect: the application has not been identified yet.
            return self.render_to_response(_pkce_refusal(), status=400)
        response = super().get(request, *args, **kwargs)
        redirect_uri = self.oauth2_data.get("redirect_uri") if response.status_code == 200 else None
        if redirect_uri:
            # Chromium applies CSP form-action to the redirect after the form is sent: allow the
            # application's own (registered, just validated) redirect origin on this page only.
            parts = urlsplit(redirect_uri)
            origins = (*sso_origins(), f"{parts.scheme}://{parts.netloc}")
            response["Content-Security-Policy"] = policy_with_form_action(settings.CONTENT_SECURITY_POLICY, origins)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = kwargs.get("application")
        if application is not None:
            context["client"] = getattr(application, "obapi_client", None)
            context["explained_scopes"] = scope_explanations(list(kwargs.get("scopes") or []))
            context["badge_counts"] = selectors.issued_badge_counts(self.request.user)
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        if form.cleaned_data.get("code_challenge_method") != "S256":
            return self.render_to_response(_pkce_refusal(), status=400)
        response = super().form_valid(form)
        location = response.get("Location", "") if response.status_code == 302 else ""
        if form.cleaned_data.get("allow") and "code=" in location:
            from oauth2_provider.models import get_application_model

            application = get_application_model().objects.get(client_id=form.cleaned_data["client_id"])
            services.obapi_connection_record(
                holder=self.request.user, application=application, scopes=form.cleaned_data["scope"].split()
            )
        return response


class ObApiTokenView(TokenView):
    """The token endpoint (code exchange and refresh); 503 while HR has the API off."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.api_is_on():
            return _api_off_json()
        if request.POST.get("grant_type") not in ("authorization_code", "refresh_token"):
            response = JsonResponse({"error": "unsupported_grant_type"}, status=400)
            response["Cache-Control"] = "no-store"
            return response
        return super().post(request, *args, **kwargs)


class ObApiRevokeView(RevokeTokenView):
    """Token revocation (RFC 7009). Works even while the API is off: giving up access is
    always allowed."""
