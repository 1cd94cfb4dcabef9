"""The city's skill framework, in public (no login): one page per skill, where badge alignments
point (``targetUrl``). Skills and the badge classes aligned to them only: no person, no count."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import Skill
from .skill_framework import skill_page


@require_GET
def skill_index(request: HttpRequest) -> HttpResponse:
    skills = Skill.objects.filter(is_active=True).only("code", "name", "name_en")
    return render(request, "courses/public/skills.html", {"skills": skills})


@require_GET
def skill_detail(request: HttpRequest, code: str) -> HttpResponse:
    page = skill_page(code)
    if page is None:
        raise Http404
    return render(request, "courses/public/skill.html", {"page": page})
