"""Stage `funding`: where the money comes from, and how much.

Sources are cue phrases in `extract/data/funding.json` (state, central and local budgets, credit
through the Bank for Social Policies, enterprises, workers, contributions of organisations
and individuals, integrated programmes, other lawful sources), matched on whole syllables,
longest first. Cues that are common words outside money matters ("tài trợ", "đóng góp")
count only in a sentence about funds or under a funding heading ("KINH PHÍ THỰC HIỆN").
One `Funding` per kind, at its first mention; an amount with a currency in the same
sentence ("164 tỉ đồng") is attached to it.
"""

from __future__ import annotations

import re
from functools import cache

from ..document import Document
from ..registry import stage
from ..resources import data
from ..schema import Funding
from ..text.fold import lower
from ..text.phrases import PhraseMatcher
from .context import preceding_headings

GOLD_KEY: tuple[str, ...] = ("kind",)

_MONEY = {"VND", "USD"}


@cache
def _cues() -> tuple[PhraseMatcher, tuple[str, ...], tuple[str, ...]]:
    table = data("pipeline.extract", "funding.json")
    matcher = PhraseMatcher({cue: source for source in table["sources"] for cue in source["cues"]})
    return matcher, tuple(lower(w) for w in table["context"]), tuple(lower(w) for w in table["headings"])


@stage("funding", requires=("text",), assigns=("funding",))
def funding(doc: Document) -> None:
    text = doc.text
    matcher, _, _ = _cues()
    amounts = [q for q in doc.quantities if q.unit in _MONEY]
    by_kind: dict[str, Funding] = {}
    for match in matcher.find(text, doc.syllables):
        source = match.value
        if source["kind"] in by_kind:
            continue
        s_start, s_end = doc.sentence_at(match.start)
        if source.get("needs_context") and not _about_money(text, s_start, s_end, source.get("context")):
            continue
        amount = next((q for q in amounts if s_start <= q.start < s_end), None)
        by_kind[source["kind"]] = Funding(
            kind=source["kind"],
            amount=amount.value if amount else None,
            unit=amount.unit if amount else None,
            text=re.sub(r"\s+", " ", text[s_start:s_end]).strip()[:300],
            start=match.start, end=match.end, confidence=0.85 if source.get("needs_context") else 0.9,
        )
    doc.record.funding = sorted(by_kind.values(), key=lambda f: f.start)


def _contains(haystack: str, phrase: str) -> bool:
    return re.search(rf"(?<![^\W_]){re.escape(phrase)}(?![^\W_])", haystack) is not None


def _about_money(text: str, start: int, end: int, own_context: list[str] | None = None) -> bool:
    _, context, headings = _cues()
    words = [lower(w) for w in own_context] if own_context else context
    if any(_contains(lower(text[start:end]), word) for word in words):
        return True
    nearest = preceding_headings(text, start, limit=15)[:2]
    return any(_contains(lower(line), word) for _, line in nearest for word in headings)
