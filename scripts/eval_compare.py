"""Agreement of `chithi compare` with the hand-made gold in corpus/gold/compare/.

    .venv/bin/python scripts/eval_compare.py                # accuracy per sample and per group
    .venv/bin/python scripts/eval_compare.py --calibrate    # also search the status thresholds
    .venv/bin/python scripts/eval_compare.py --no-repair    # the same without the repair stage

Prints one table per view; the gold is the annotator's judgement of each provision
(covered / partial / missing) read from the plan's text, not from chithi's output.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.compare import main_record, settings, status_of  # noqa: E402
from pipeline.runner import compare, extract  # noqa: E402

STATUSES = ("covered", "partial", "missing")


def load_gold() -> list[dict]:
    return [json.loads(p.read_text("utf-8")) for p in sorted((ROOT / "corpus/gold/compare").glob("*.json"))]


def run(gold: list[dict], repair: bool) -> dict[str, dict[str, tuple[str, float, str]]]:
    """sample → provision id → (gold status, score, group)."""
    out = {}
    for item in gold:
        record = main_record(extract(ROOT / item["sample"], repair=repair))
        result = compare(record, against=item["against"])
        scores = {p.id: (p.score, p.group) for p in result.provisions}
        out[Path(item["sample"]).name[:3]] = {
            pid: (label["status"], *scores[pid]) for pid, label in item["labels"].items()
        }
    return out


def accuracy(rows, thresholds) -> tuple[float, float]:
    """(exact agreement, agreement within one step: covered~partial or partial~missing)."""
    if not rows:
        return 0.0, 0.0
    exact = near = 0
    for gold, score, _ in rows:
        got = status_of(score, thresholds)
        exact += got == gold
        near += abs(STATUSES.index(got) - STATUSES.index(gold)) <= 1
    return exact / len(rows), near / len(rows)


def print_tables(results, thresholds) -> None:
    print(f"thresholds: covered ≥ {thresholds['covered']:.2f}, partial ≥ {thresholds['partial']:.2f}\n")
    print("| sample | provisions | exact | within one step |")
    print("|---|---:|---:|---:|")
    all_rows = []
    for sample, labels in results.items():
        rows = list(labels.values())
        all_rows += rows
        exact, near = accuracy(rows, thresholds)
        print(f"| {sample} | {len(rows)} | {exact:.2f} | {near:.2f} |")
    exact, near = accuracy(all_rows, thresholds)
    print(f"| **all** | {len(all_rows)} | **{exact:.2f}** | {near:.2f} |\n")

    by_group = defaultdict(list)
    for labels in results.values():
        for gold, score, group in labels.values():
            by_group[group].append((gold, score, group))
    print("| group | provisions | exact |")
    print("|---|---:|---:|")
    for group, rows in sorted(by_group.items()):
        print(f"| {group} | {len(rows)} | {accuracy(rows, thresholds)[0]:.2f} |")

    confusion = Counter((gold, status_of(score, thresholds)) for gold, score, _ in all_rows)
    print("\n| gold \\ chithi | " + " | ".join(STATUSES) + " |")
    print("|---|" + "---:|" * len(STATUSES))
    for gold in STATUSES:
        print(f"| {gold} | " + " | ".join(str(confusion[(gold, got)]) for got in STATUSES) + " |")


def calibrate(results) -> dict:
    rows = [row for labels in results.values() for row in labels.values()]
    best = None
    for covered in [x / 100 for x in range(30, 91, 2)]:
        for partial in [x / 100 for x in range(10, int(covered * 100), 2)]:
            thresholds = {"covered": covered, "partial": partial}
            exact, near = accuracy(rows, thresholds)
            key = (round(exact, 4), round(near, 4), -abs(covered - partial - 0.2))
            if best is None or key > best[0]:
                best = (key, thresholds)
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
            exact, _ = accuracy(list(results[sample].values()), fitted)
            print(f"| {sample} | {fitted['covered']:.2f} / {fitted['partial']:.2f} | {exact:.2f} |")


if __name__ == "__main__":
    main()
