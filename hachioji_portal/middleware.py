from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .oidc import url_origin

Handler = Callable[[HttpRequest], HttpResponse]


def sso_origins() -> tuple[str, ...]:
    """Origins of the configured single sign-on providers (settings.SOCIALACCOUNT_PROVIDERS)."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    urls = {app.get("settings", {}).get("server_url", "") for app in apps}
    return tuple(sorted(url_origin(url) for url in urls if url))


@lru_cache(maxsize=16)
def policy_with_form_action(policy: str, origins: tuple[str, ...]) -> str:
    """``policy`` with ``origins`` added to its form-action directive.

    Chromium applies form-action to every redirect after a form is sent, so the sign-in
    confirmation (a POST to the portal answered with a redirect to the provider) and the
    sign-out form (redirected to the provider's end-session endpoint) need the provider's origin.
    """
    if not origins:
        return policy
    directives = [directive.strip() for directive in policy.split(";") if directive.strip()]
    return "; ".join(
        " ".join([directive, *origins]) if directive.split()[0].lower() == "form-action" else directive
        for directive in directives
    )


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy that allows nothing from other hosts (forms may also
    lead to the city's single sign-on provider).

    Django 5.2 has no built-in CSP (it arrives in 6.0); the policy string lives in settings.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = policy_with_form_action(settings.CONTENT_SECURITY_POLICY, sso_origins())
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class JapaneseFirstLocaleMiddleware:
    """Choose the language: the signed-in person's choice, then the language cookie, then Japanese.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language on purpose:
    the portal is Japanese first, and English is something a person switches to.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def language_for(self, request: HttpRequest) -> str:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            preferred = getattr(user, "preferred_language", "")
            if preferred in self.supported:
                return preferred
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if cookie in self.supported:
            return cookie
        return settings.LANGUAGE_CODE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self.language_for(request)
        request.LANGUAGE_CODE = language
        # override(), not activate(): the thread goes back to the default language afterwards,
        # so nothing later on this thread (another request, a task) inherits this person's choice.
        with translation.override(language):
            response = self.get_response(request)  # TemplateResponses are rendered in here
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class RejectNulBytesMiddleware:
    """Answer 400 to a request whose path or query string carries a NUL character (``%00``).

    No page of the portal has a use for one, and PostgreSQL refuses NUL in text: a NUL that
    reached a lookup (``/badges/record/%00/``, ``/hr/people/%00/``, an admin search or filter)
    was a 500. Form fields are already refused by Django's form validation; request bodies are
    left to the views, which bound them before they are read (the verify API).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or _query_has_nul(request):
            raise BadRequest("NUL character in the URL")
        return self.get_response(request)


def _query_has_nul(request: HttpRequest) -> bool:
    raw = request.META.get("QUERY_STRING", "")
    if "%00" not in raw and "\x00" not in raw:
        return False  # the common case, without parsing the query string
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())
