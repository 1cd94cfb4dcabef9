"""The grade (成績) in a badge's evidence: personal data, published only where the badge class
says so (``BadgeClass.publish_grade``, off by default). Pure: dicts and strings, no ORM.

An award's evidence (``Award.evidence``, written by courses) names what was completed in its
``narrative`` and keeps the grade apart, as ``result``. What the badge says:

* **Badges issued from now on** (``issuing.build_documents``): the grade sentence
  (「成績：優」) is added to the narrative only when the class publishes grades, so a badge of
  any other class carries no grade in its hosted assertion, its signed credential or its PNG.
* **Hosted OB 2.0 assertions issued before** (``/public/assertions/<id>``): the document is
  not signed, so the grade sentence is taken out as it is served, whenever the class does not
  publish grades (now: a class that stops publishing stops at once).
* **Signed OB 3.0 credentials issued before**: the grade is inside the signature and cannot
  be taken out. Their hosted copy (``/public/assertions/<id>/credential.json``, which nothing
  inside a badge points to: a credential's id is a ``urn:uuid``) is then shown only to those
  who may see the baked image (which carries the same credential): the holder, HR, and those
  the holder shared the badge with. Re-issuing such an award gives a credential without the
  grade.

Before this change courses wrote the grade sentence into the narrative itself; such evidence
is recognised by the exact sentence at its end, in any of the portal's languages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext


def grade_sentence(result: str, language: str) -> str:
    """The sentence a narrative ends with when it publishes ``result`` (same words as courses)."""
    with translation.override(language):
        return gettext("Grade: %(grade)s") % {"grade": result}


def _results(evidence: Any) -> list[str]:
    items = evidence if isinstance(evidence, list) else []
    return [str(item["result"]) for item in items if isinstance(item, dict) and item.get("result")]


def strip_grades(narrative: str, results: Iterable[str]) -> str:
    """``narrative`` without a grade sentence of any of ``results`` at its end (any language)."""
    for result in results:
        for language, _name in settings.LANGUAGES:
            sentence = grade_sentence(result, language)
            if narrative == sentence:
                return ""
            if narrative.endswith(" " + sentence):
                return narrative[: -len(sentence) - 1]
    return narrative


def evidence_narrative(item: dict[str, Any], *, publish: bool, language: str) -> str | None:
    """The narrative a newly issued badge gives for one evidence item of its award."""
    narrative = item.get("narrative")
    result = item.get("result")
    if not result:
        return narrative
    base = strip_grades(str(narrative or ""), [str(result)])
    if not publish:
        return base or None
    sentence = grade_sentence(str(result), language)
    return f"{base} {sentence}" if base else sentence


def _narratives(document: dict[str, Any]) -> list[str]:
    evidence = document.get("evidence")
    items = evidence if isinstance(evidence, list) else [evidence]
    return [item["narrative"] for item in items if isinstance(item, dict) and isinstance(item.get("narrative"), str)]


def has_grade(document: Any, evidence: Any) -> bool:
    """Whether a stored assertion or credential states one of the award's grades."""
    if not isinstance(document, dict):
        return False
    results = _results(evidence)
    return any(strip_grades(narrative, results) != narrative for narrative in _narratives(document))


def without_grades(document: dict[str, Any], evidence: Any) -> dict[str, Any]:
    """A copy of an (unsigned) hosted assertion without the grade sentences of ``evidence``."""
    if not has_grade(document, evidence):
        return document
    results = _results(evidence)
    items = document["evidence"] if isinstance(document["evidence"], list) else [document["evidence"]]
    cleaned = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("narrative"), str):
            item = dict(item)
            narrative = strip_grades(item["narrative"], results)
            if narrative:
                item["narrative"] = narrative
            else:
                del item["narrative"]
        cleaned.append(item)
    return {**document, "evidence": cleaned if isinstance(document["evidence"], list) else cleaned[0]}
