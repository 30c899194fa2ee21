"""Agreement of `chithi compare` with the hand-made gold in corpus/gold/compare/.

    .venv/bin/python scripts/eval_compare.py                # accuracy per sample and per group
    .venv/bin/python scripts/eval_compare.py --calibrate    # also search the status thresholds
    .venv/bin/python scripts/eval_compare.py --no-repair    # the same without the repair stage

Prints one table per view; the gold is the annotator's judgement of each provision
(covered / partial / missing) read from the plan's text, not from chithi's output.

The gold has no "not applicable": its annotator marked a provision the plan does not carry
as missing, whoever it addresses. chithi calls a provision not applicable when it addresses
only bodies the plan's issuer does not direct (a Party body, in a People's Committee's plan)
and the plan does not cover it. Two agreements are printed: over the provisions chithi holds
applicable (the not applicable ones left out), and over all provisions, a not applicable
verdict agreeing with a gold "missing" (nothing in the plan carries it) and with nothing else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.compare import applies, load_reference, main_record, settings, status_of  # noqa: E402
from pipeline.runner import compare, extract  # noqa: E402

STATUSES = ("covered", "partial", "missing")
Row = tuple[str, float, str, bool]  # gold status, score, group, whether the provision applies to the plan


def load_gold() -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((ROOT / "corpus/gold/compare").glob("*.json"))]


def run(gold: list[dict], repair: bool) -> dict[str, dict[str, Row]]:
    """sample → provision id → (gold status, score, group, applies)."""
    out = {}
    for item in gold:
        record = main_record(extract(ROOT / item["sample"], repair=repair))
        result = compare(record, against=item["against"])
        reference = load_reference(item["against"])
        kind = record.document.issuer.kind
        provisions = {p.id: p for p in reference.provisions}
        scores = {p.id: (p.score, p.group, applies(provisions[p.id], reference, kind)) for p in result.provisions}
        out[Path(item["sample"]).name[:3]] = {
            pid: (label["status"], *scores[pid]) for pid, label in item["labels"].items()
        }
    return out


def verdict(score: float, applicable: bool, thresholds: dict) -> str:
    """chithi's status under `thresholds`, as compare_record gives it."""
    status = status_of(score, thresholds)
    return "not_applicable" if status != "covered" and not applicable else status


def accuracy(rows: list[Row], thresholds: dict, applicable_only: bool = False) -> tuple[float, float, int]:
    """(exact agreement, agreement within one step, rows counted). Not applicable agrees with a gold
    "missing" only (and is one step from "partial"); with `applicable_only` those rows are left out."""
    exact = near = counted = 0
    for gold, score, _, applicable in rows:
        got = verdict(score, applicable, thresholds)
        if got == "not_applicable":
            if applicable_only:
                continue
            got = "missing"  # agrees with a gold "missing", and with nothing else
        counted += 1
        exact += got == gold
        near += abs(STATUSES.index(got) - STATUSES.index(gold)) <= 1
    return (exact / counted, near / counted, counted) if counted else (0.0, 0.0, 0)


def print_tables(results: dict[str, dict[str, Row]], thresholds: dict) -> None:
    print(f"thresholds: covered ≥ {thresholds['covered']:.2f}, partial ≥ {thresholds['partial']:.2f}\n")
    print("| sample | provisions | not applicable | exact (applicable only) | exact (n/a = missing) | within one step |")
    print("|---|---:|---:|---:|---:|---:|")
    all_rows: list[Row] = []
    for sample, labels in results.items():
        rows = list(labels.values())
        all_rows += rows
        exact_app, _, counted = accuracy(rows, thresholds, applicable_only=True)
        exact, near, _ = accuracy(rows, thresholds)
        print(f"| {sample} | {len(rows)} | {len(rows) - counted} | {exact_app:.2f} | {exact:.2f} | {near:.2f} |")
    exact_app, _, counted = accuracy(all_rows, thresholds, applicable_only=True)
    exact, near, _ = accuracy(all_rows, thresholds)
    print(f"| **all** | {len(all_rows)} | {len(all_rows) - counted} | **{exact_app:.2f}** | **{exact:.2f}** | {near:.2f} |\n")

    by_group = defaultdict(list)
    for labels in results.values():
        for row in labels.values():
            by_group[row[2]].append(row)
    print("| group | provisions | exact (n/a = missing) |")
    print("|---|---:|---:|")
    for group, rows in sorted(by_group.items()):
        print(f"| {group} | {len(rows)} | {accuracy(rows, thresholds)[0]:.2f} |")

    confusion = Counter((gold, verdict(score, applicable, thresholds)) for gold, score, _, applicable in all_rows)
    columns = (*STATUSES, "not_applicable")
    print("\n| gold \\ chithi | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for gold in STATUSES:
        print(f"| {gold} | " + " | ".join(str(confusion[(gold, got)]) for got in columns) + " |")
    na = [(sample, pid, row[0]) for sample, labels in results.items() for pid, row in labels.items()
          if verdict(row[1], row[3], thresholds) == "not_applicable"]
    if na:
        print("\nnot applicable (sample provision: gold): " + ", ".join(f"{s} {p}: {g}" for s, p, g in na))


def calibrate(results: dict[str, dict[str, Row]]) -> dict:
    rows = [row for labels in results.values() for row in labels.values()]
    best = None
    for covered in [x / 100 for x in range(30, 91, 2)]:
        for partial in [x / 100 for x in range(10, int(covered * 100), 2)]:
            thresholds = {"covered": covered, "partial": partial}
            exact, near, _ = accuracy(rows, thresholds)
            key = (round(exact, 4), round(near, 4), -abs(covered - partial - 0.2))
            if best is None or key > best[0]:
                best = (key, thresholds)
    assert best is not None
    return best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calibrate", action="store_true", help="search the thresholds that agree best with the gold")
    parser.add_argument("--no-repair", action="store_true", help="compare the plans without the repair stage")
    args = parser.parse_args()

    results = run(load_gold(), repair=not args.no_repair)
    print(f"## compare vs gold ({'without' if args.no_repair else 'with'} repair)\n")
    print_tables(results, settings()["thresholds"])
    if args.calibrate:
        best = calibrate(results)
        print("\n## best thresholds on this gold (in-sample: optimistic)\n")
        print_tables(results, best)
        print("\n## leave-one-sample-out (thresholds fitted on the other samples)\n")
        print("| held-out sample | thresholds | exact |")
        print("|---|---|---:|")
        for sample in results:
            fitted = calibrate({k: v for k, v in results.items() if k != sample})
            exact, _, _ = accuracy(list(results[sample].values()), fitted)
            print(f"| {sample} | {fitted['covered']:.2f} / {fitted['partial']:.2f} | {exact:.2f} |")


if __name__ == "__main__":
    main()
