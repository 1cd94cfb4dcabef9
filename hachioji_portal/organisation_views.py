"""The organisation's look, served from the portal itself (the CSP allows only 'self'): the
theme stylesheet with its colours and the logo file. Public: the sign-in page uses them too."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from .organisation import logo_bytes, organisation, theme_css

# The URLs carry a version of their content (``?v=``): a browser keeps them for a day.
_CACHE_CONTROL = "public, max-age=86400"


@require_GET
def theme(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(theme_css(organisation()), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = _CACHE_CONTROL
    return response


@require_GET
def logo(request: HttpRequest) -> HttpResponse:
    found = logo_bytes(organisation().logo_file)
    if found is None:
        raise Http404("no logo configured")
    content, content_type = found
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = _CACHE_CONTROL
    # An SVG opened on its own runs nothing and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
