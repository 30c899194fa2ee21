"""Measure English-OCR garble repair: syllable accuracy before and after repair.

Pages come from render_ocr_pairs.py --split heldout (documents never used to train the
channel or the language model; --family seen: the fonts and render path the channel was
trained on, --family unseen: other fonts laid out by LibreOffice) or from the older
make_ocr_pairs.py --split heldout. Accuracy: reference words found in the aligned output,
tone placement ignored, case ignored.

--mode line (default): every OCR line is repaired with `garble.repair_line`, as if the
garble detector had flagged it. --mode pipeline: the page goes through `pipeline.repair`
(routing decides what each word gets), as a user's document would.

    nice -n 10 .venv/bin/python scripts/render_ocr_pairs.py --split heldout --family unseen --pages 30 --seed 7 \\
        --out /tmp/chithi-ocr/wide-unseen.jsonl
    .venv/bin/python scripts/eval_garble.py --pages /tmp/chithi-ocr/wide-unseen.jsonl --mode pipeline
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

import pipeline  # noqa: E402
from pipeline.repair.garble import repair_line  # noqa: E402


def apply_edits(line: str, edits) -> str:
    for start, end, replacement, _, _ in sorted(edits, reverse=True):
        line = line[:start] + replacement + line[end:]
    return line


def repair_text(text: str, mode: str) -> tuple[str, dict]:
    kinds: dict[str, int] = defaultdict(int)
    if mode == "pipeline":
        result = pipeline.repair(text)
        for repair in result.repairs:
            kinds[repair.kind] += 1
        return result.text, kinds
    lines = []
    for line in text.split("\n"):
        edits = repair_line(line)
        for edit in edits:
            kinds[edit[4]] += 1
        lines.append(apply_edits(line, edits))
    return "\n".join(lines), kinds


def font_name(record: dict) -> str:
    name = record["font"].split("/")[-1].rsplit(".", 1)[0] if "/" in record["font"] else record["font"]
    return f"{name} ({record['like']}-like)" if record.get("like") else name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, nargs="+", required=True)
    parser.add_argument("--mode", choices=("line", "pipeline"), default="line")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages of each file")
    parser.add_argument("--show", type=int, default=0, help="print N example lines")
    args = parser.parse_args()

    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    kinds_total: dict[str, int] = defaultdict(int)
    shown = 0
    records = []
    for path in args.pages:
        found = [json.loads(line) for line in path.open(encoding="utf-8")]
        records += found[: args.limit] if args.limit else found
    began, words = time.process_time(), 0
    for record in records:
        repaired, kinds = repair_text(record["ocr"], args.mode)
        for kind, n in kinds.items():
            kinds_total[kind] += n
        before = syllable_accuracy(record["source"], record["ocr"])
        after = syllable_accuracy(record["source"], repaired)
        words += before[1]
        keys = [("all", "all"), ("font", font_name(record)), ("degradation", record["degradation"])]
        if "ocr_setting" in record:
            keys += [("OCR", record["ocr_setting"]), ("dpi", str(record["dpi"])), ("path", record["path"])]
        for key in keys:
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
    elapsed = time.process_time() - began
    print(f"{len(records)} pages, {words} reference words, mode {args.mode}, {elapsed:.1f} s CPU "
          f"({words / max(elapsed, 1e-9):.0f} words/s, accuracy included)")
    print(f"edits: {dict(kinds_total)}")
    print(f"| {'group':12} | {'value':36} | pages | words | as-is OCR | repaired |")
    print(f"|{'-' * 14}|{'-' * 38}|------:|------:|----------:|---------:|")
    order = {"all": 0, "font": 1, "degradation": 2, "OCR": 3, "dpi": 4, "path": 5}
    for (dim, value), (ok_before, ok_after, total, pages) in sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        print(f"| {dim:12} | {value:36} | {pages:5} | {total:5} | {100 * ok_before / total:8.1f}% | "
              f"{100 * ok_after / total:7.2f}% |")


if __name__ == "__main__":
    main()
