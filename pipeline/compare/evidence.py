"""Evidence for each provision (the passages that cover it, in context; for a provision
without any, the passage that comes closest) and the plan's additions (body passages that
match no provision, with the targets and markets in them; titles are never additions).
Quotes are trimmed of the Markdown marks at their ends and stay `text[start:end]`."""

from __future__ import annotations

import numpy as np

from ..schema import Addition, DocumentRecord, Evidence
from ..text.fold import plain_words
from .passages import Passage, body_range, strip_stop_phrases
from .quotes import after_headings, heading_spans, plain, trim_span
from .reference import Provision, ReferenceDocument
from .scoring import Scorer
from .settings import settings


def _context(text: str, start: int, end: int, chars: int) -> tuple[str, str]:
    before = text[max(0, start - chars):start]
    after = text[end:end + chars]
    if start - chars > 0 and " " in before:
        before = "…" + before[before.index(" ") + 1:]
    if end + chars < len(text) and " " in after:
        after = after[:after.rindex(" ")] + "…"
    return plain(before), plain(after)


def _overlaps_repair(record: DocumentRecord, start: int, end: int) -> bool:
    return any(r.start < end and start < r.end for r in record.repairs)


def _prefer_single(scorer: Scorer, scores: np.ndarray, i: int) -> int:
    """A two-passage window gives way to its better passage unless the pair scores clearly higher."""
    window = scorer.windows[i]
    if window.first == window.last:
        return i
    single = max(range(window.first, window.last + 1), key=lambda j: scores[j])  # single windows come first
    return single if scores[single] >= scores[i] - settings()["pair_margin"] else i


def evidence_for(record: DocumentRecord, scorer: Scorer, provision: Provision, scores: np.ndarray) -> list[Evidence]:
    conf = settings()
    floor = conf["thresholds"]["partial"]
    taken: list[tuple[int, int]] = []
    out: list[Evidence] = []
    for i in np.argsort(-scores):
        if scores[i] < floor or len(out) >= conf["max_evidence"]:
            break
        i = _prefer_single(scorer, scores, int(i))
        window = scorer.windows[i]
        if any(window.first <= b and a <= window.last for a, b in taken):
            continue
        taken.append((window.first, window.last))
        out.append(_evidence(record, scorer, provision, i, float(scores[i])))
    return out


def closest_for(record: DocumentRecord, scorer: Scorer, provision: Provision, scores: np.ndarray) -> Evidence | None:
    """The best passage of a provision that has no evidence, so that a reviewer can check a
    "missing" verdict; None when no passage shares anything with the provision."""
    if not len(scores) or scores.max() <= 0:
        return None
    i = _prefer_single(scorer, scores, int(np.argmax(scores)))
    return _evidence(record, scorer, provision, i, float(scores[i]))


def _evidence(record: DocumentRecord, scorer: Scorer, provision: Provision, i: int, score: float) -> Evidence:
    window = scorer.windows[i]
    start, end = trim_span(record.text, scorer.passages[window.first].start, scorer.passages[window.last].end)
    before, after = _context(record.text, start, end, settings()["context_chars"])
    return Evidence(
        start=start, end=end, repaired=_overlaps_repair(record, start, end),
        section_id=scorer.passages[window.first].section_id, quote=record.text[start:end], score=round(score, 3),
        before=before, after=after, cues=scorer.found_cues(provision, i),
    )


# --------------------------------------------------------------------------- additions
def _content_words(folded: str, reference: ReferenceDocument) -> int:
    """Syllables left once the reference's fixed wording (its title, the recurring phrase) is removed."""
    return len(strip_stop_phrases(folded, reference.stop_phrases).replace("|", " ").split())


def _labels_in(record: DocumentRecord, start: int, end: int) -> tuple[list[str], list[str]]:
    inside = lambda s: start <= s.start and s.end <= end  # noqa: E731
    targets = [t.text or f"{t.metric} {t.value}" for t in record.targets if inside(t)]
    markets = [m.name for m in record.markets if inside(m) or any(inside(x) for x in m.mentions)]
    return targets, list(dict.fromkeys(markets))


def additions_of(record: DocumentRecord, scorer: Scorer, best_single: np.ndarray,
               evidence: list[Evidence]) -> list[Addition]:
    conf = settings()
    used = [(e.start, e.end) for e in evidence]
    first, last = body_range(record, scorer.passages)
    chosen = [
        i for i in range(first, last)
        if _content_words(scorer.passages[i].folded, scorer.reference) >= conf["addition_min_tokens"]
        and best_single[i] < conf["addition_max_score"]
        and not any(s < scorer.passages[i].end and scorer.passages[i].start < e for s, e in used)
    ]
    headings = heading_spans(record)
    out: list[Addition] = []
    for run in _runs(chosen, scorer.passages):
        start, end = scorer.passages[run[0]].start, scorer.passages[run[-1]].end
        start = after_headings(start, end, headings, record.text)
        start, end = trim_span(record.text, start, end)
        if _content_words(plain_words(record.text[start:end]), scorer.reference) < conf["addition_min_tokens"]:
            continue  # a title, or a title and a few words
        targets, markets = _labels_in(record, start, end)
        out.append(Addition(start=start, end=end, repaired=_overlaps_repair(record, start, end),
                            section_id=scorer.passages[run[0]].section_id, quote=record.text[start:end],
                            targets=targets, markets=markets))
    return out


def _runs(indices: list[int], passages: list[Passage], max_chars: int = 900) -> list[list[int]]:
    """Group consecutive passage indices of the same section into runs of readable length."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1 and passages[i].section_id == passages[runs[-1][0]].section_id \
                and passages[i].end - passages[runs[-1][0]].start <= max_chars:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs
