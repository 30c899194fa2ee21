"""Measure English-OCR garble repair: syllable accuracy before and after `pipeline.repair.garble.repair_line`.

Pages come from make_ocr_pairs.py --split heldout (documents never used to train the channel
or the language model), so every line is English-OCR output of real Vietnamese text. Every
OCR line is repaired, as if the garble detector had flagged it. Accuracy: reference words found
in the aligned output, tone placement ignored, case ignored.

    nice -n 10 .venv/bin/python scripts/make_ocr_pairs.py --split heldout --pages 30 --seed 7 --out /tmp/chithi-ocr/heldout.jsonl
    .venv/bin/python scripts/eval_garble.py --pages /tmp/chithi-ocr/heldout.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr_common import syllable_accuracy  # noqa: E402

from pipeline.repair.garble import repair_line  # noqa: E402


def apply_edits(line: str, edits) -> str:
    for start, end, replacement, _, _ in sorted(edits, reverse=True):
        line = line[:start] + replacement + line[end:]
    return line


def repair_text(text: str) -> tuple[str, int, dict]:
    lines, n_edits, kinds = [], 0, defaultdict(int)
    for line in text.split("\n"):
        edits = repair_line(line)
        for edit in edits:
            kinds[edit[4]] += 1
        n_edits += len(edits)
        lines.append(apply_edits(line, edits))
    return "\n".join(lines), n_edits, kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--show", type=int, default=0, help="print N example lines")
    args = parser.parse_args()

    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    kinds_total: dict[str, int] = defaultdict(int)
    shown = 0
    began, words = time.time(), 0
    records = [json.loads(line) for line in args.pages.open(encoding="utf-8")]
    if args.limit:
        records = records[: args.limit]
    for record in records:
        repaired, _, kinds = repair_text(record["ocr"])
        for kind, n in kinds.items():
            kinds_total[kind] += n
        before = syllable_accuracy(record["source"], record["ocr"])
        after = syllable_accuracy(record["source"], repaired)
        words += before[1]
        for key in ("all", record["font"].split("/")[-1].rsplit(".", 1)[0], record["degradation"]):
            g = groups[key]
            g[0] += before[0]
            g[1] += after[0]
            g[2] += before[1]
            g[3] += 1
        if shown < args.show:
            for src, ocr, rep in zip(record["source"].split("\n"), record["ocr"].split("\n"), repaired.split("\n")):
                print(f"  source:   {src}\n  ocr:      {ocr}\n  repaired: {rep}\n")
                shown += 1
                if shown >= args.show:
                    break
    elapsed = time.time() - began
    print(f"{len(records)} pages, {words} reference words, {elapsed:.1f} s ({words / elapsed:.0f} words/s)")
    print(f"edits: {dict(kinds_total)}")
    print(f"| {'group':34} | pages | words | as-is OCR | repaired |")
    print(f"|{'-' * 36}|------:|------:|----------:|---------:|")
    for key, (ok_before, ok_after, total, pages) in sorted(groups.items(), key=lambda kv: (kv[0] != "all", kv[0])):
        print(f"| {key:34} | {pages:5} | {total:5} | {100 * ok_before / total:8.1f}% | {100 * ok_after / total:7.1f}% |")


if __name__ == "__main__":
    main()
