"""昇任選考 (promotion selection) pages: HR's rule sets, candidates with points and evidence,
freezes and exports (/hr/promotion/); a staff member's own points (/courses/my-promotion/).

HR only on /hr/promotion/: heads of section get 403 (a promotion selection is the city's, not a
section's; docs/roles.md). Every candidate shown or exported is logged in the record-access log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from staff.models import RecordAccess, StaffMember
from staff.selectors import is_hr

from . import exports_hc, insight, promotion
from .models import PromotionRuleSet, PromotionSnapshot

PAGE_SIZE = 50


def _hr_only(request: HttpRequest) -> insight.Scope:
    if not is_hr(request.user):  # type: ignore[arg-type]
        raise PermissionDenied
    return insight.Scope(is_hr=True, viewer_pk=request.user.pk)


def _log(request: HttpRequest, people: list[int], purpose: str) -> None:
    """One row per person seen (one INSERT), as the people export does; one's own row is not logged."""
    viewer: StaffMember = request.user  # type: ignore[assignment]
    path = request.get_full_path()[:300]
    RecordAccess.objects.bulk_create(
        [
            RecordAccess(viewer_id=viewer.pk, subject_id=pk, purpose=purpose, path=path)
            for pk in people
            if pk != viewer.pk
        ],
        batch_size=5000,
    )


@login_required
def rule_sets(request: HttpRequest) -> HttpResponse:
    scope = _hr_only(request)
    sets = PromotionRuleSet.objects.annotate(
        n_rules=Count("rules", distinct=True),
        n_snapshots=Count("snapshots", distinct=True),
        last_frozen=Max("snapshots__frozen_at"),
    ).order_by("-fiscal_year", "selection")
    return render(
        request,
        "courses/hr/promotion/rule_sets.html",
        {"scope": scope, "rule_sets": sets, "show_admin_links": request.user.is_staff},  # type: ignore[union-attr]
    )


def _page_number(request: HttpRequest) -> int:
    """The page asked for; anything but a whole number is the first page (as Paginator.get_page)."""
    try:
        return max(int(request.GET.get("page", 1)), 1)
    except (TypeError, ValueError):
        return 1


class _Ranked(Sequence[promotion.Standing]):
    """The ranked list as the paginator sees it: ``count`` candidates, of which only the page
    starting at ``offset`` was read (``promotion.standings_page``)."""

    def __init__(self, count: int, offset: int, page: list[promotion.Standing]) -> None:
        self.n, self.offset, self.rows = count, offset, page

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice) or (index.start or 0) != self.offset:
            raise IndexError("only the page that was read")
        return self.rows


@login_required
def candidates(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _hr_only(request)
    rule_set = get_object_or_404(PromotionRuleSet, pk=pk)
    rules = promotion.rules_load(rule_set)
    # Ranked and cut to the page by the database: only the page's 50 people come back.
    total, number, standings = promotion.standings_page(rules, number=_page_number(request), per_page=PAGE_SIZE)
    page = Paginator(_Ranked(total, (number - 1) * PAGE_SIZE, standings), PAGE_SIZE).page(number)
    departments = insight.DepartmentIndex.load()
    rows = promotion.candidate_rows(rules, list(page.object_list), departments)
    _log(request, [r.person.pk for r in rows], insight.PURPOSE_HR)
    # Without their content: a frozen list of a city-wide selection is megabytes of JSON.
    snapshots = list(rule_set.snapshots.select_related("frozen_by").defer("content").order_by("-frozen_at", "-pk")[:20])
    return render(
        request,
        "courses/hr/promotion/candidates.html",
        {
            "scope": scope,
            "rule_set": rule_set,
            "rules": rules,
            "categories": list(rules.categories.values()),
            "page": page,
            "rows": rows,
            "total_candidates": total,
            "snapshots": snapshots,
            "help_points": promotion.HELP_POINTS,
            "show_admin_links": request.user.is_staff,  # type: ignore[union-attr]
            "first_rank": page.start_index() if total else 0,
        },
    )


@login_required
@require_POST
def freeze(request: HttpRequest, pk: int) -> HttpResponse:
    _hr_only(request)
    rule_set = get_object_or_404(PromotionRuleSet, pk=pk)
    snapshot = promotion.snapshot_freeze(rule_set=rule_set, actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        _freeze_message(snapshot),
    )
    return redirect("hr:promotion_candidates", pk=rule_set.pk)


def _freeze_message(snapshot: PromotionSnapshot) -> str:
    from django.utils.translation import gettext

    return gettext("The list of %(n)s candidates is frozen. Digest (SHA-256): %(digest)s") % {
        "n": snapshot.candidates,
        "digest": snapshot.digest,
    }


def _export(
    request: HttpRequest, content: dict[str, Any], digest: str, frozen: tuple[str, str] | None, fmt: str, name: str
) -> HttpResponse:
    preamble = exports_hc.candidate_preamble(content, digest=digest, frozen=frozen)
    rows = exports_hc.candidate_rows(content)
    if fmt == "xlsx":
        body = exports_hc.to_xlsx(
            preamble,
            exports_hc.CANDIDATE_HEADERS,
            rows,
            sheet_title="昇任選考 候補者",
            widths=(6, 12, 16, 20, 32, 12, 14, 8, 30, 8, 90),
        )
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports_hc.to_csv(preamble, exports_hc.CANDIDATE_HEADERS, rows)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


def _people_of(content: dict[str, Any]) -> list[int]:
    numbers = [c["employee_number"] for c in content["candidates"]]
    return list(StaffMember.objects.filter(employee_number__in=numbers).values_list("pk", flat=True))


@login_required
def export_live(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The list as it stands now (not frozen), with the digest of this content."""
    _hr_only(request)
    rule_set = get_object_or_404(PromotionRuleSet, pk=pk)
    content = promotion.content_build(promotion.rules_load(rule_set), insight.DepartmentIndex.load())
    _log(request, _people_of(content), insight.PURPOSE_EXPORT)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"promotion-{rule_set.fiscal_year}-{rule_set.selection}-provisional-{stamp}"
    return _export(request, content, promotion.digest(content), None, fmt, name)


@login_required
def export_snapshot(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A frozen list exactly as frozen, with its stored digest."""
    _hr_only(request)
    snapshot = get_object_or_404(PromotionSnapshot.objects.select_related("rule_set", "frozen_by"), pk=pk)
    _log(request, _people_of(snapshot.content), insight.PURPOSE_EXPORT)
    frozen = (snapshot.frozen_by.full_name, exports_hc.date_ja(timezone.localtime(snapshot.frozen_at)))
    rs = snapshot.rule_set
    name = f"promotion-{rs.fiscal_year}-{rs.selection}-frozen-{snapshot.digest[:12]}"
    return _export(request, snapshot.content, snapshot.digest, frozen, fmt, name)


# --- A staff member's own points ------------------------------------------------------------


@login_required
def my_points(request: HttpRequest) -> HttpResponse:
    person: StaffMember = request.user  # type: ignore[assignment]
    today = timezone.localdate()
    standings = [promotion.my_standing(person, rs, today=today) for rs in promotion.selections_for(person, today=today)]
    return render(
        request,
        "courses/my_promotion.html",
        {"standings": standings, "help_points": promotion.HELP_POINTS},
    )
