"""Stage `targets`: numeric targets in running text and quota tables, with sum checks.

A number becomes a target only when a unit follows it ("lao động", "%", "tỉ đồng" …, see
`extract/data/targets.json` and `pipeline.extract.quantities`) and the sentence names what
is counted (the metric cue table), so dates, years, document and section numbers never
become targets. Around the quantity the stage reads the comparator ("trên", "ít nhất", "trở
lên"), the frequency ("mỗi năm"), a per-unit scope ("mỗi xã, thị trấn"), and the period
("đến năm 2025", "giai đoạn 2021 - 2025") from the sentence or, failing that, from the
nearest heading above it. Quota tables are read by `pipeline.extract.tables`.
"""

from __future__ import annotations

import re

from ..document import Document
from ..registry import stage
from ..schema import Check, Target
from ..text.fold import lower
from ..text.numbers import find_period
from .context import document_locality, preceding_headings
from .quantities import Quantity, contains, cue_table
from .tables import find_tables, read_quota_table

GOLD_KEY: tuple[str, ...] = ("metric", "value", "value_max", "scope", "period_end")
CHECKS_GOLD_KEY: tuple[str, ...] = ("kind", "passed", "expected")


@stage("targets", requires=("text", "sections", "document"), assigns=("targets", "checks"))
def targets(doc: Document) -> None:
    doc.record.targets, doc.record.checks = find_targets(doc)


def find_targets(doc: Document) -> tuple[list[Target], list[Check]]:
    """The document's targets (running text, then quota tables) and the tables' sum checks."""
    tables = find_tables(doc.text)
    table_spans = [(t.start, t.end) for t in tables]
    found = [
        target for target in text_targets(doc, document_locality(doc))
        if not any(s <= target.start < e for s, e in table_spans)
    ]
    checks: list[Check] = []
    for index, table in enumerate(tables):
        rows, table_checks = read_quota_table(doc, table, index)
        found.extend(rows)
        checks.extend(table_checks)
    return sorted(found, key=lambda t: (t.start, t.metric)), checks


def text_targets(doc: Document, locality: str | None) -> list[Target]:
    """Targets in running text: quantities whose sentence names what is counted."""
    text = doc.text
    found = []
    for q in doc.quantities:
        s_start, s_end = doc.sentence_at(q.start)
        sentence = text[s_start:s_end]
        metric = _metric(sentence, q.unit)
        if metric is None:
            continue
        period_start, period_end = _period(doc, s_start, sentence)
        scope = _per_unit_scope(text, s_start, q.start) or locality
        found.append(Target(
            metric=metric, value=q.value, value_max=q.value_max,
            comparator=_comparator(text, s_start, q), unit=q.unit,
            frequency=_frequency(text[s_start:q.start] + text[q.end:q.end + 8]),
            period_start=period_start, period_end=period_end, scope=scope,
            text=text[q.start:q.end], section_id=doc.section_id_at(q.start),
            start=q.start, end=q.end, confidence=0.85 if period_end else 0.7,
        ))
    return found


def _metric(sentence: str, unit: str) -> str | None:
    folded = lower(sentence)
    for spec in cue_table()["metrics"]:
        if unit in spec["units"] and any(contains(folded, cue) for cue in spec["cues"]):
            return spec["metric"]
    return None


def _comparator(text: str, sentence_start: int, q: Quantity) -> str:
    cues = cue_table()["comparators"]
    before = lower(text[sentence_start:q.start])
    for spec in cues:
        if spec["position"] == "pre" and re.search(rf"(?<![^\W_]){re.escape(spec['phrase'])}\s+(?:từ\s+)?$", before):
            return spec["comparator"]
    after = lower(text[q.end:q.end + 120])
    after = re.sub(r"^\s*\([^()]*\)", "", after)  # "30 – 40 lao động (mỗi xã …) trở lên"
    for spec in cues:
        if spec["position"] == "post" and re.match(rf"\s*{re.escape(spec['phrase'])}(?![^\W_])", after):
            return spec["comparator"]
    return "="


def _frequency(context: str) -> str | None:
    folded = lower(context)
    for spec in cue_table()["frequencies"]:
        phrase = re.escape(spec["phrase"])
        pattern = rf"/\s*{phrase}(?![^\W_])" if spec.get("after_slash") else rf"(?<![^\W_]){phrase}(?![^\W_])"
        if re.search(pattern, folded):
            return spec["frequency"]
    return None


def _per_unit_scope(text: str, sentence_start: int, offset: int) -> str | None:
    """'mỗi xã, thị trấn' between the quantity and the bracket or sentence start before it."""
    segment = text[sentence_start:offset]
    open_bracket = segment.rfind("(")
    if open_bracket > segment.rfind(")"):
        segment = segment[open_bracket:]
    folded = lower(segment)
    for spec in sorted(cue_table()["scopes"], key=lambda s: len(s["phrase"]), reverse=True):
        if contains(folded, spec["phrase"]):
            return spec["scope"]
    return None


def _period(doc: Document, sentence_start: int, sentence: str) -> tuple[int | None, int | None]:
    """The period named in the sentence, else in the nearest enclosing heading that names one."""
    period = find_period(sentence)
    if period != (None, None):
        return period
    headings = [s.heading for s in reversed(doc.section_path(sentence_start))]
    headings += [line for _, line in preceding_headings(doc.text, sentence_start)]
    for heading in headings:
        period = find_period(heading)
        if period != (None, None):
            return period
    return None, None

