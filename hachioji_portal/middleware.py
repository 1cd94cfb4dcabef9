from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

Handler = Callable[[HttpRequest], HttpResponse]


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy that allows nothing from other hosts.

    Django 5.2 has no built-in CSP (it arrives in 6.0); the policy string lives in settings.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
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
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        # override(), not activate(): the thread goes back to the default language afterwards,
        # so nothing later on this thread (another request, a task) inherits this person's choice.
        with translation.override(language):
            response = self.get_response(request)  # TemplateResponses are rendered in here
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
