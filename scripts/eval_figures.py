"""Planned targets and reported figures against the hand-made gold of corpus/figures/.

    .venv/bin/python scripts/eval_figures.py                 # the dev split
    .venv/bin/python scripts/eval_figures.py --split test    # the frozen test split
    .venv/bin/python scripts/eval_figures.py --split dev --errors 40   # and the first mistakes

corpus/figures holds real texts from provinces no rule was written on (press reports of
plans, decisions, and results), split by province into dev and test before any rule was
written; see its README. For each text, chithi's `targets` (kind "target") and `figures`
(kinds "achieved", "statistic", "budget") are matched one to one with the gold figures of
the same kind: the same value (and upper bound of a range) and a span that overlaps the
gold quote. Printed: precision, recall and F1 per kind and over all kinds, the same with
the kind ignored (was the number found at all?), and, on the matched pairs, how often the
unit, the period, per-year/total and the metric agree with the gold.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pipeline  # noqa: E402
from pipeline.repair.normalize import normalize  # noqa: E402

FIGURES = ROOT / "corpus" / "figures"
KINDS = ("target", "achieved", "statistic", "budget")
UNITS = {"person", "percent", "VND", "household", "course", "enterprise"}  # the gold's units; others are "other"


def gold_of(split: str) -> list[tuple[str, str, dict]]:
    ids = json.loads((FIGURES / "split.json").read_text("utf-8"))[split]
    return [(doc_id, (FIGURES / split / f"{doc_id}.txt").read_text("utf-8"),
             json.loads((FIGURES / split / f"{doc_id}.json").read_text("utf-8"))) for doc_id in ids]


def quote_span(text: str, quote: str, occurrence: int) -> tuple[int, int]:
    """Where the gold quote stands in `text` (the repaired text; the quote normalised as it is)."""
    quote = normalize(quote)
    start = -1
    for _ in range(occurrence):
        start = text.index(quote, start + 1)
    return start, start + len(quote)


def predictions(text: str) -> tuple[str, list[dict]]:
    """The repaired text of a gold text and chithi's figures in it (offsets into that text;
    a file that splits into several documents is one text here)."""
    whole, out = "", []
    for record in pipeline.extract(text):
        shift = len(whole)
        whole += record.text
        for target in record.targets:
            out.append({**target.model_dump(), "kind": "target", "start": target.start + shift, "end": target.end + shift})
        for figure in record.figures:
            out.append({**figure.model_dump(), "start": figure.start + shift, "end": figure.end + shift})
    return whole, out


def _same_value(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


# The gold's coarser metric names (corpus/figures/README.md) for chithi's metric codes.
GOLD_METRIC = {"jobs_created": "jobs", "trained_workers": "trained", "share_trained": "trained",
               "share_high_income_markets": "workers_sent", "share_returned_employed": "other", "events": "other"}


def _metric(value: str | None) -> str:
    return GOLD_METRIC.get(value or "other", value or "other")


def _unit(value: str | None) -> str:
    return value if value in UNITS else "other"


def match(gold: list[dict], predicted: list[dict], text: str, kinded: bool) -> list[tuple[dict, dict]]:
    """Gold and predicted figures paired one to one (greedy, in text order)."""
    pairs, used = [], set()
    for g in gold:
        start, end = quote_span(text, g["quote"], g.get("occurrence", 1))
        for index, p in enumerate(predicted):
            if index in used or (kinded and p["kind"] != g["kind"]):
                continue
            if p["start"] < end and start < p["end"] and _same_value(p.get("value"), g["value"]) \
                    and _same_value(p.get("value_max"), g.get("value_max")):
                pairs.append((g, p))
                used.add(index)
                break
    return pairs


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(documents: list[tuple[str, str, dict]], show_errors: int = 0) -> tuple[dict[str, Counter], Counter, list[str]]:
    """Counts per kind (tp, fp, fn), attribute agreement on matched pairs, and the first mistakes."""
    counts: dict[str, Counter] = {kind: Counter() for kind in (*KINDS, "all", "any kind")}
    attributes: Counter = Counter()
    errors: list[str] = []
    for doc_id, raw, gold in documents:
        text, predicted = predictions(raw)
        figures = gold["figures"]
        for kind in KINDS:
            g = [f for f in figures if f["kind"] == kind]
            p = [f for f in predicted if f["kind"] == kind]
            pairs = match(g, p, text, kinded=True)
            for name in (kind, "all"):
                counts[name].update(tp=len(pairs), fp=len(p) - len(pairs), fn=len(g) - len(pairs))
            for gf, pf in pairs:
                attributes["pairs"] += 1
                attributes["unit"] += _unit(pf.get("unit")) == gf["unit"]
                attributes["period"] += (pf.get("period_start"), pf.get("period_end")) == (gf["period_start"], gf["period_end"])
                attributes["per_year"] += (pf.get("frequency") == "year") == bool(gf.get("per_year"))
                attributes["metric"] += _metric(pf.get("metric")) == gf.get("metric", "other")
                if gf["unit"] == "percent":
                    attributes["percent"] += 1
                    attributes["percent_of"] += bool(pf.get("percent_of")) == bool(gf.get("percent_of"))
            if len(errors) < show_errors:
                matched_gold = {id(gf) for gf, _ in pairs}
                matched_pred = {id(pf) for _, pf in pairs}
                errors += [f"{doc_id}: missed {kind} {gf['value']} «{gf['quote']}»" for gf in g if id(gf) not in matched_gold]
                errors += [f"{doc_id}: spurious {kind} {pf['value']} «{text[pf['start']:pf['end']]}»" for pf in p
                           if id(pf) not in matched_pred]
        any_pairs = match(figures, predicted, text, kinded=False)
        counts["any kind"].update(tp=len(any_pairs), fp=len(predicted) - len(any_pairs), fn=len(figures) - len(any_pairs))
    return counts, attributes, errors


def print_table(counts: dict[str, Counter], attributes: Counter) -> None:
    print("| kind | gold | predicted | P | R | F1 |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, c in counts.items():
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        print(f"| {kind} | {c['tp'] + c['fn']} | {c['tp'] + c['fp']} | {p:.3f} | {r:.3f} | {f:.3f} |")
    if attributes["pairs"]:
        n = attributes["pairs"]
        line = (f"\nOn the {n} matched figures: unit {attributes['unit'] / n:.3f}, period {attributes['period'] / n:.3f}, "
                f"per year / total {attributes['per_year'] / n:.3f}, metric {attributes['metric'] / n:.3f}")
        if attributes["percent"]:
            line += f"; percentages with what they are a percent of, or none, as in the gold: " \
                    f"{attributes['percent_of'] / attributes['percent']:.3f}"
        print(line)


def evaluate(split: str, show_errors: int = 0) -> None:
    documents = gold_of(split)
    counts, attributes, errors = score(documents, show_errors)
    print(f"split {split}: {len(documents)} texts\n")
    print_table(counts, attributes)
    if errors:
        print("\n" + "\n".join(errors[:show_errors]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--errors", type=int, default=0, help="Print the first N mistakes (dev only).")
    args = parser.parse_args()
    if args.errors and args.split == "test":
        raise SystemExit("--errors is for the dev split: the test split is not read while rules are written")
    evaluate(args.split, args.errors)


if __name__ == "__main__":
    main()
