"""Stage `targets`: planned targets, and the other figures a plan or a report gives.

Every quantity of the text ("1.800 lao động", "9,4%", "164 tỉ đồng", "253/2.685 người",
`pipeline.extract.quantities`) is read in its context by the mention classifier
(`pipeline.extract.mentions`): a **target** is a commitment (chỉ tiêu, phấn đấu, mục tiêu,
giao, kế hoạch, dự kiến, "đến năm 2025 đạt …") and goes to `targets`; an **achieved**
result (đạt, đã đưa, kết quả, lũy kế, "% kế hoạch"), a **statistic** (labour force,
population, households) and a **budget** go to `figures` with their kind; anything else is
left out. Money is a budget whatever its context.

Around each figure the stage reads, within the clause and sentence the number belongs to
(`pipeline.extract.attach`): the comparator, per year or in total, the period (the period
named nearest before the number, relative ones — "năm nay" — resolved against the
document's date), a per-unit scope or the plan's locality, and for a percentage what it is
a percent of. A sentence repeated word for word gives its figures once. Allocations written
inline ("Quế Sơn 270 chỉ tiêu, Thăng Bình 250, …") give one target per place, and quota
tables (`pipeline.extract.tables`, exact rules) one target per row with a sum check.
"""

from __future__ import annotations

import re

from ..document import Document
from ..registry import stage
from ..schema import Check, Figure, Target
from ..text.fold import fold, lower
from .attach import allocations, attributes, document_year, head_scope, metric_of
from .context import document_locality
from .mentions import Mention, describe, load_classifier
from .quantities import cue_table
from .tables import find_tables, read_quota_table

GOLD_KEY: tuple[str, ...] = ("metric", "value", "value_max", "scope", "period_end")
FIGURES_GOLD_KEY: tuple[str, ...] = ("kind", "metric", "value", "scope")
CHECKS_GOLD_KEY: tuple[str, ...] = ("kind", "passed", "expected")
MONEY = frozenset({"VND", "USD"})


@stage("targets", requires=("text", "sections", "document"), assigns=("targets", "figures", "checks"))
def targets(doc: Document) -> None:
    doc.record.targets, doc.record.figures, doc.record.checks = find_figures(doc)


def find_targets(doc: Document) -> tuple[list[Target], list[Check]]:
    """The targets of a document and the quota tables' sum checks (what the NER merge reads)."""
    found, _, checks = find_figures(doc)
    return found, checks


def find_figures(doc: Document) -> tuple[list[Target], list[Figure], list[Check]]:
    """Targets, other figures and sum checks of a document, in text order."""
    tables = find_tables(doc.text)
    inside_table = [(t.start, t.end) for t in tables]
    classifier = load_classifier()
    year = document_year(doc)
    locality = document_locality(doc)
    lists = _Lists(doc)
    targets: list[Target] = []
    figures: list[Figure] = []
    first_seen: dict[str, int] = {}  # a sentence's words → where it was first said
    for quantity in doc.quantities:
        if any(s <= quantity.start < e for s, e in inside_table):
            continue
        mention = describe(doc, quantity, year)
        words = " ".join(lower(doc.text[mention.sentence[0]:mention.sentence[1]]).split())
        if first_seen.setdefault(words, mention.sentence[0]) != mention.sentence[0]:
            continue  # the same sentence said again: its figures are already there
        kind, probability = classifier.classify(mention.features)
        detailed = lists.detailed(mention)  # the figure a "Cụ thể, …" list spells out
        if detailed is not None:
            kind = detailed[0]
        if quantity.unit in MONEY and kind != "other":
            kind = "budget"
        if kind == "other":
            continue
        fields = attributes(doc, quantity, mention, year, locality, kind)
        metric = metric_of(doc.text, mention, quantity, kind)
        if metric == "other" and detailed is not None:
            metric = detailed[1]
        fields.update(metric=metric, confidence=round(probability, 3))
        lists.kept(mention, kind, metric)
        if kind == "target":
            rows = allocations(doc, quantity, mention, fields)
            if rows and fields["scope"] == locality:
                fields["scope"] = head_scope(doc.text, mention.clause[0], quantity.start) or fields["scope"]
            targets.append(Target(**fields))
            targets.extend(Target(**row) for row in rows)
        else:
            figures.append(Figure(kind=kind, **fields))
    checks: list[Check] = []
    for index, table in enumerate(tables):
        quotas, statistics, table_checks = read_quota_table(doc, table, index)
        targets.extend(quotas)
        figures.extend(statistics)
        checks.extend(table_checks)
    return sorted(targets, key=_order), sorted(figures, key=_order), checks


class _Lists:
    """Sentences that spell out the figure kept before them ("Mục tiêu … đưa 9.800 người.
    Cụ thể, năm 2021: 1.800 người; năm 2022: 2.000 người."): up to the full stop, their
    numbers with no cue words of their own take that figure's kind and metric."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.last: tuple[int, str, str] | None = None  # sentence start, kind and metric of the last figure kept
        self.stretches: dict[tuple[int, int], tuple[str, str]] = {}

    def detailed(self, mention: Mention) -> tuple[str, str] | None:
        """(kind, metric) of the figure the mention's list details, or None."""
        if _own_cue(mention):
            return None
        start = mention.sentence[0]
        found = next((d for (a, b), d in self.stretches.items() if a <= mention.quantity.start < b), None)
        if found is None and self.last is not None and self.last[0] < start and _spells_out(self.doc, mention):
            end = re.search(r"[.!?](?:\s|$)|\n", self.doc.text[start:])
            found = self.stretches[(start, start + end.start() if end else len(self.doc.text))] = self.last[1:]
        return found

    def kept(self, mention: Mention, kind: str, metric: str) -> None:
        self.last = (mention.sentence[0], kind, metric)


def _spells_out(doc: Document, mention: Mention) -> bool:
    """Whether the mention's sentence details the figure before it: it opens with "Cụ thể",
    "Trong đó", "Chia ra" …, or follows it after a semicolon (the next item of a list)."""
    opening = fold(doc.text[mention.sentence[0]:mention.sentence[0] + 30]).lstrip(" -+*•")
    after_semicolon = doc.text[:mention.sentence[0]].rstrip().endswith(";")  # the next item of a list
    return after_semicolon or any(opening.startswith(fold(w)) for w in cue_table()["continuations"])


def _own_cue(mention: Mention) -> bool:
    """Whether cue words of some kind stand in the number's own clause or right after it."""
    return any(f.startswith(("cue_clause:", "cue_after:")) for f in mention.features)


def _order(item: Target | Figure) -> tuple[int, str]:
    return item.start, item.metric
