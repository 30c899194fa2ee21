"""Pages of the review: a plan's Directive 20 checklist (computed and reviewed status side by
side, evidence with the matched words, the closest passage of a missing provision, a form to
accept or change each status), two plans side by side, and the exports (Excel, print, JSON)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from ..compare import compare_record, load_reference, reference_from_plan
from ..compare.notices import provenance_rows, quality_notice, relevance_notice
from ..compare.quotes import cue_segments, plain
from ..runner import reference_for
from ..schema import Comparison
from .exports import agreement, review_rows, workbook
from .jobs import REFERENCE
from .routes_plans import _overall, document_or_404, store_of
from .security import check_csrf
from .storage import loads_comparison, loads_record

router = APIRouter()
STATUSES = ("covered", "partial", "missing", "not_applicable")
REVIEWER_COOKIE = "chithi_reviewer"


def plan_name(row: Any) -> str:
    parts = [row["number"], row["title"]]
    return " ".join(" ".join(p.split()) for p in parts if p) or row["name"]


def _context(request: Request, row: Any) -> dict[str, Any]:
    """What the Directive 20 page, the print page and the exports show of one document."""
    store = store_of(request)
    comparison = loads_comparison(row)
    reviews = store.reviews(row["id"])
    rows = review_rows(comparison, reviews)
    share, reviewed, agreed = agreement(rows)
    return {
        "row": row, "comparison": comparison, "rows": rows, "by_id": {r["id"]: r for r in rows},
        "provisions": comparison.provisions, "relevance": relevance_notice(comparison), "quality": quality_notice(comparison),
        "provenance_rows": provenance_rows(comparison), "agreement": (share, reviewed, agreed),
        "overall_agreement": _overall(store.review_counts()), "plan_name": plan_name(row), "statuses": STATUSES,
        "segments": lambda quote_text, cues: cue_segments(plain(quote_text), cues),
    }


@router.get("/plans/{document_id}/d20")
def directive_page(request: Request, document_id: int) -> Response:
    row = document_or_404(request, document_id)
    context = _context(request, row)
    context["reviewer"] = unquote(request.cookies.get(REVIEWER_COOKIE, ""))
    context["history"] = store_of(request).review_history(document_id)[:20]
    return request.app.state.render(request, "d20.html", context)


@router.post("/plans/{document_id}/reviews")
def add_review(request: Request, document_id: int, provision_id: str = Form(...), status: str = Form(""),
               comment: str = Form(""), reviewer: str = Form(""), action: str = Form("change"),
               csrf: str = Form("")) -> Response:
    app = request.app.state
    if not check_csrf(request, csrf):
        return app.message(request, "csrf", 403)
    row = document_or_404(request, document_id)
    provisions = {p.id: p for p in loads_comparison(row).provisions}
    reviewer = " ".join(reviewer.split())[:80]
    if not reviewer:
        return app.message(request, "reviewer_needed", 400)
    if provision_id not in provisions:
        return app.message(request, "bad_review", 400)
    computed = provisions[provision_id].status
    status = computed if action == "accept" else status
    if status not in STATUSES:
        return app.message(request, "bad_review", 400)
    store_of(request).add_review(document_id, provision_id, status, computed, comment.strip()[:2000], reviewer)
    response = RedirectResponse(f"/plans/{document_id}/d20#{provision_id}", status_code=303)
    response.set_cookie(REVIEWER_COOKIE, quote(reviewer), samesite="strict", max_age=365 * 24 * 3600)
    return response


@router.post("/plans/{document_id}/score")
def score_anyway(request: Request, document_id: int, csrf: str = Form("")) -> Response:
    """Score a document that the relevance check left unscored (a reviewer's decision)."""
    if not check_csrf(request, csrf):
        return request.app.state.message(request, "csrf", 403)
    row = document_or_404(request, document_id)
    result = compare_record(loads_record(row), reference_for(REFERENCE), REFERENCE, force=True)
    store_of(request).update_comparison(document_id, result)
    return RedirectResponse(f"/plans/{document_id}/d20", status_code=303)


@router.get("/plans/{document_id}/print")
def print_page(request: Request, document_id: int) -> Response:
    row = document_or_404(request, document_id)
    return request.app.state.render(request, "print.html", _context(request, row))


@router.get("/plans/{document_id}/export.xlsx")
def export_excel(request: Request, document_id: int) -> Response:
    row = document_or_404(request, document_id)
    context = _context(request, row)
    content = workbook(context["comparison"], context["rows"], context["plan_name"])
    return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="chithi-{document_id}-chi-thi-20.xlsx"'})


@router.get("/plans/{document_id}/export.json")
def export_json(request: Request, document_id: int) -> Response:
    row = document_or_404(request, document_id)
    context = _context(request, row)
    history = [dict(r) for r in store_of(request).review_history(document_id)]
    share, reviewed, agreed = context["agreement"]
    body = {"comparison": json.loads(context["comparison"].model_dump_json()), "reviews": context["rows"],
            "review_history": history, "agreement": {"share": share, "reviewed": reviewed, "agreed": agreed}}
    return Response(json.dumps(body, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="chithi-{document_id}-review.json"'})


@router.get("/compare")
def side_by_side(request: Request, left: int | None = None, right: int | None = None) -> Response:
    """Two plans side by side: their Directive 20 checklists, and the left plan measured
    against the right one's items (a district plan against its province's)."""
    store = store_of(request)
    documents = [d for d in store.documents() if d["scored"]]
    context: dict[str, Any] = {"documents": documents, "left": left, "right": right, "plan_name": plan_name}
    if left is not None and right is not None:
        left_row, right_row = document_or_404(request, left), document_or_404(request, right)
        sides = [_context(request, left_row), _context(request, right_row)]
        against: Comparison = compare_record(loads_record(left_row), reference_from_plan(loads_record(right_row),
                                             plan_name(right_row)), plan_name(right_row), force=True)
        context.update(sides=sides, against=against, reference=load_reference(REFERENCE))
    return request.app.state.render(request, "compare.html", context)
