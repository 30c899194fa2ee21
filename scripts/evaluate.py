"""Precision, recall and F1 of the extractors against the gold of the sample plans.

    .venv/bin/python scripts/evaluate.py                 # all samples, all fields with gold
    .venv/bin/python scripts/evaluate.py --no-model      # without the statistical "model" stage
    .venv/bin/python scripts/evaluate.py --samples 001,004 --fields markets,targets --overall-only

Gold lives in corpus/gold/<prefix>/<field>.json: a list of items, each with "doc" (the
document's index within the file) and the fields that identify it. Which fields identify an
item is declared by the extractor module as GOLD_KEY (or <FIELD>_GOLD_KEY, e.g. the
targets module's CHECKS_GOLD_KEY for `checks`). Each sample runs through
`pipeline.extract` with repair, as a user would run it. Items are compared as multisets of
normalised key tuples: strings case-folded, numbers rounded, lists sorted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.runner import document_stages, run_stages  # noqa: E402

GOLD = ROOT / "corpus" / "gold"
SAMPLES = ROOT / "corpus" / "samples"
FIELD_MODULES = {
    "markets": "pipeline.extract.markets",
    "targets": "pipeline.extract.targets",
    "figures": "pipeline.extract.targets",
    "checks": "pipeline.extract.targets",
    "agencies": "pipeline.extract.agencies",
    "tasks": "pipeline.extract.tasks",
    "deadlines": "pipeline.extract.deadlines",
    "funding": "pipeline.extract.funding",
}


def gold_key(field: str) -> tuple[str, ...] | None:
    module = importlib.import_module(FIELD_MODULES[field])
    return getattr(module, f"{field.upper()}_GOLD_KEY", None) or getattr(module, "GOLD_KEY", None)


def normalise(value):
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFC", value).casefold().split())
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 2)
    if isinstance(value, (list, tuple)):
        return tuple(sorted(normalise(v) for v in value))
    return value


def key_of(item: dict, key: tuple[str, ...]) -> tuple:
    return tuple(normalise(item.get(name)) for name in key)


def score(gold: Counter, predicted: Counter) -> tuple[int, int, int]:
    tp = sum((gold & predicted).values())
    return tp, sum(predicted.values()) - tp, sum(gold.values()) - tp


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate_sample(prefix: str, fields: list[str], stages: list[str] | None) -> dict[str, tuple[int, int, int]]:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    records = run_stages(path, stages=stages)
    results = {}
    for field in fields:
        gold_file = GOLD / prefix / f"{field}.json"
        key = gold_key(field)
        if not gold_file.exists() or key is None:
            continue
        gold = Counter((item["doc"], *key_of(item, key)) for item in json.loads(gold_file.read_text("utf-8")))
        predicted = Counter(
            (record.source.index, *key_of(item.model_dump(), key))
            for record in records for item in getattr(record, field)
        )
        results[field] = score(gold, predicted)
    return results


def table(rows: list[tuple[str, str, tuple[int, int, int]]]) -> str:
    lines = [f"{'sample':<8} {'field':<10} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}"]
    for sample, field, (tp, fp, fn) in rows:
        p, r, f = prf(tp, fp, fn)
        lines.append(f"{sample:<8} {field:<10} {tp:>4} {fp:>4} {fn:>4} {p:>6.3f} {r:>6.3f} {f:>6.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", default="000,001,002,003,004", help="Comma-separated sample prefixes.")
    parser.add_argument("--fields", default=",".join(FIELD_MODULES), help="Comma-separated fields.")
    parser.add_argument("--no-model", action="store_true", help='Skip the "model" stage.')
    parser.add_argument("--overall-only", action="store_true", help="Print only the rows over all samples.")
    args = parser.parse_args(argv)

    stages = [s.name for s in document_stages(model=False)] if args.no_model else None
    fields = [f for f in args.fields.split(",") if f in FIELD_MODULES]
    per_sample, totals = [], {}
    for prefix in args.samples.split(","):
        for field, counts in evaluate_sample(prefix, fields, stages).items():
            per_sample.append((prefix, field, counts))
            totals[field] = tuple(a + b for a, b in zip(totals.get(field, (0, 0, 0)), counts))
    rows = [] if args.overall_only else per_sample
    rows += [("all", field, counts) for field, counts in totals.items()]
    micro = tuple(sum(c[i] for c in totals.values()) for i in range(3))
    rows.append(("all", "micro", micro))
    print(f"model stage: {'off' if args.no_model else 'on'}; samples: {args.samples}")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
