"""Compare: check a local plan against Directive 20-CT/TW (or against the plan it implements).

The plan is cut into passages (sentences and list items, each tagged with the section it
sits in). Each provision of the reference is scored against every window of one or two
consecutive passages by three kinds of evidence, all computed on diacritic-stripped,
lower-cased text so that repaired or half-repaired OCR still matches:

* cue phrases: the share of the provision's cue phrases found in the window, exactly or
  fuzzily (rapidfuzz `partial_ratio`, for OCR damage);
* lexical: TF-IDF cosine over syllable unigrams and bigrams, IDF taken over the plan's
  passages, with the reference's stop phrases (the fixed wording that every sentence
  repeats) removed;
* fuzzy: rapidfuzz `token_set_ratio` between the provision's wording and the window,
  computed for the best few windows only.

A weighted sum of the three is the window's score; a provision's score is its best
window's, and thresholds (compare/data/compare.json, calibrated on corpus/gold/compare) turn it
into covered / partial / missing. A provision addressed only to bodies that the plan's issuer
does not direct (the Propaganda Commission, in a provincial government's plan) is
not_applicable unless the plan covers it anyway (the reference's `applicability` data). Body
passages that match no provision are reported as additions, with the targets and markets the
extractors found in them.

Before any scoring, the relevance check decides whether the document is a plan that answers
the reference at all: a Thông tư or a cover letter is flagged and not scored (unless forced).
Every comparison carries the scan quality of its text and its provenance.

    passages    the plan cut into sentences and list items
    reference   Directive 20 (compare/data/references/), or another plan as a reference
    relevance   is it a plan for the reference (implements, cites, via a plan, same subject)?
    scoring     every provision against every window of passages
    evidence    the passages that cover a provision, the closest one; the plan's additions
    quotes      quotes trimmed of Markdown; section titles (never additions)
    quality     scan quality and provenance
    report      Markdown report; report_html: the HTML page (with the planned-vs-achieved table)

`pipeline.compare(plan, against)` extracts the plan (and a reference plan) and compares them
(`pipeline.runner.compare`); `compare_record` compares a record already extracted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

from .._callable import make_callable
from ..errors import ChithiError
from ..extract.side_by_side import planned_vs_achieved
from ..schema import Comparison, ComparisonSummary, DocumentRecord, GroupCoverage, ProvisionResult
from .evidence import additions_of, closest_for, evidence_for
from .passages import body_range, passages_of
from .quality import provenance_of, quality_of
from .reference import Provision, ReferenceDocument, is_reference_id, known_references, load_reference, reference_from_plan
from .relevance import relevance_of
from .scoring import Scorer, status_of
from .settings import settings

__all__ = ["ReferenceDocument", "applies", "compare_record", "is_reference_id", "known_references", "load_reference",
           "main_record", "reference_from_plan", "relevance_of", "render", "settings", "status_of"]
PLAN_TYPES = ("ke_hoach", "chuong_trinh")


def main_record(records: list[DocumentRecord]) -> DocumentRecord:
    """The plan among the documents of a file (a cover letter may come first): a plan or
    programme when the metadata stage typed one, else the longest document."""
    return max(records, key=lambda r: (r.document.doc_type in PLAN_TYPES, len(r.text)))


def compare_record(record: DocumentRecord, reference: ReferenceDocument, against: str, *,
                   implementing: Iterable[str] = (), force: bool = False) -> Comparison:
    """Compare an extracted record with a reference. A document that is not a plan for the
    reference is returned unscored (no provisions) unless `force`; `implementing` names plans
    known to implement the reference (see `relevance_of`)."""
    relevance = relevance_of(record, reference, implementing, force)
    header = dict(plan=record.source, plan_document=record.document, against=against, reference_title=reference.title,
                  reference_number=reference.number, reference_type=reference.doc_type, relevance=relevance,
                  quality=quality_of(record), provenance=provenance_of(record, reference, against),
                  figures=planned_vs_achieved(record))
    if not relevance.scored:
        return Comparison(**header, provisions=[], summary=summarize([], reference, *dating(record, reference), scored=False))
    passages = passages_of(record)
    if not passages:
        raise ChithiError(record.source.path, "the plan has no text to compare", "compare")
    scorer = Scorer(passages, reference, body_range(record, passages), record.text)
    results, all_evidence = [], []
    best_single = np.zeros(len(passages))
    singles = len(passages)  # the first windows are the single passages
    for provision in reference.provisions:
        scores, ranking = scorer.score(provision)
        best_single = np.maximum(best_single, ranking[:singles])
        best = float(scores.max()) if len(scores) else 0.0
        evidence = evidence_for(record, scorer, provision, scores)
        all_evidence.extend(evidence)
        status = status_of(best)
        if status != "covered" and not applies(provision, reference, record.document.issuer.kind):
            status = "not_applicable"
        results.append(ProvisionResult(
            id=provision.id, group=provision.group, title=provision.title, text=provision.text,
            status=status, score=round(best, 3), addressed_to=list(provision.addressed_to), evidence=evidence,
            closest=None if evidence else closest_for(record, scorer, provision, scores),
        ))
    return Comparison(
        **header,
        provisions=results,
        additions=additions_of(record, scorer, best_single, all_evidence),
        summary=summarize(results, reference, *dating(record, reference)),
    )


def applies(provision: Provision, reference: ReferenceDocument, issuer_kind: str | None) -> bool:
    """Whether a plan issued by a body of `issuer_kind` can carry the provision: the provision
    addresses a kind of body that the issuer directs (always, when either is unknown)."""
    directs = reference.directs.get(issuer_kind or "")
    if not provision.addressed_to or directs is None:
        return True
    return bool(set(provision.addressed_to) & set(directs))


def dating(record: DocumentRecord, reference: ReferenceDocument) -> tuple[str | None, bool | None, str | None]:
    """(plan date, whether the plan predates the reference, how that was decided).

    The issue date decides when the metadata stage found one. An undated plan that cites
    the reference cannot predate it; otherwise the latest date it mentions (years in its
    title, dates of the documents it cites) is a lower bound of its issue date, so a plan
    whose every date lies before the reference was very probably issued before it too.
    """
    plan_date = record.document.issued_date
    if not reference.date:
        return plan_date, None, None
    if plan_date:
        return plan_date, plan_date < reference.date, "issued_date"
    if reference.number and any(r.number == reference.number for r in record.references):
        return None, False, "cites_reference"
    years = re.findall(r"\b(?:19|20)\d\d\b", record.document.title or "")
    mentioned = [f"{y}-12-31" for y in years] + [r.date for r in record.references if r.date]
    if not mentioned:
        return None, None, None
    return None, max(mentioned) < reference.date, "latest_date_in_plan"


def summarize(results: list[ProvisionResult], reference: ReferenceDocument, plan_date: str | None,
              predates: bool | None = None, how: str | None = None, scored: bool = True) -> ComparisonSummary:
    groups = []
    for group in dict.fromkeys(r.group for r in results):
        members = [r for r in results if r.group == group]
        groups.append(_coverage(group, reference.groups.get(group, ""), members))
    if predates is None and plan_date and reference.date:
        predates, how = plan_date < reference.date, "issued_date"
    return ComparisonSummary(
        overall=_coverage("all", "", results).coverage if scored else None,
        groups=groups,
        predates_reference=predates,
        plan_date=plan_date,
        reference_date=reference.date,
        dating=how,
    )


def _coverage(group: str, title: str, members: list[ProvisionResult]) -> GroupCoverage:
    count = Counter(r.status for r in members)
    applicable = len(members) - count["not_applicable"]
    value = (count["covered"] + 0.5 * count["partial"]) / applicable if applicable else 0.0
    return GroupCoverage(group=group, title=title, covered=count["covered"], partial=count["partial"],
                         missing=count["missing"], not_applicable=count["not_applicable"], coverage=round(value, 3))


def render(result: Comparison, fmt: str = "json") -> str:
    """The comparison as JSON, Markdown or a self-contained HTML page. The Markdown report
    starts with the relevance, scan-quality and provenance notices; a document that was not
    scored gets those notices only."""
    from .report import render_markdown
    from .report_html import render_html

    if fmt == "json":
        return result.model_dump_json(indent=2) + "\n"
    if fmt == "md":
        from .notices import markdown_notices

        scored = result.relevance is None or result.relevance.scored
        return markdown_notices(result) + (render_markdown(result) if scored else "")
    if fmt == "html":
        return render_html(result)
    raise ChithiError(None, f"unknown report format {fmt!r} (json, md or html)", "compare")


make_callable(__name__, "pipeline.runner:compare")
