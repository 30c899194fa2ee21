"""Measure Vietnamese-OCR post-correction (`pipeline.repair.vie_ocr.correct_vie_ocr`): character
error rate before and after, per degradation, font and render path, and what it does to clean text.

Pages: render_ocr_pairs.py --ocr chithi on held-out documents (the page read as chithi reads a
scan: pipeline.ingest.ocr's clean-up, then `tesseract -l vie`):

    nice -n 10 .venv/bin/python scripts/render_ocr_pairs.py --split heldout --family seen --pages 32 --seed 7 \\
        --ocr chithi --out /tmp/chithi-ocr/vie-seen.jsonl
    nice -n 10 .venv/bin/python scripts/render_ocr_pairs.py --split heldout --family unseen --pages 30 --seed 7 \\
        --ocr chithi --out /tmp/chithi-ocr/vie-unseen.jsonl
    .venv/bin/python scripts/eval_vie_ocr.py --pages /tmp/chithi-ocr/vie-seen.jsonl /tmp/chithi-ocr/vie-unseen.jsonl --clean

CER = Levenshtein distance / reference characters, both sides normalised (pipeline.repair's
`normalize`, whitespace runs as one space): "before" is the OCR text normalised, "after" the
corrected text. Word changes are judged on the word-aligned texts: a change is right when it
turns a word the OCR misread into the reference word, wrong when it turns a right word into
a wrong one (or one wrong word into another). --clean also runs the corrector over clean text
(the held-out corpus of scripts/eval_repair.py and the clean sample plans) and counts the
words it changed there.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from pipeline.repair.normalize import normalize  # noqa: E402
from pipeline.repair.vie_ocr import correct_vie_ocr  # noqa: E402


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", normalize(text)).strip()


def word_changes(reference: str, before: str, after: str) -> tuple[int, int, int]:
    """(changes, right, wrong) among the words that differ between before and after,
    judged against the reference (all three word-aligned)."""
    ref, old, new = reference.split(), before.split(), after.split()
    if len(old) != len(new):
        return 0, 0, 0
    aligned = {}
    for tag, r1, r2, o1, o2 in Levenshtein.opcodes(ref, old):
        if tag in ("equal", "replace") and r2 - r1 == o2 - o1:
            aligned.update({o1 + k: ref[r1 + k] for k in range(r2 - r1)})
    changes = right = wrong = 0
    for i, (a, b) in enumerate(zip(old, new)):
        if a == b:
            continue
        changes += 1
        truth = aligned.get(i)
        right += truth is not None and b == truth
        wrong += truth is not None and b != truth
    return changes, right, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, nargs="+", required=True)
    parser.add_argument("--clean", action="store_true", help="also count the words changed in clean text")
    args = parser.parse_args()

    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
    began = time.process_time()
    for path in args.pages:
        for line in path.open(encoding="utf-8"):
            record = json.loads(line)
            reference = flat(record["source"])
            before = flat(record["ocr"])
            after = flat(correct_vie_ocr(record["ocr"]).text)
            changes, right, wrong = word_changes(reference, before, after)
            row = [1, len(reference), Levenshtein.distance(reference, before), Levenshtein.distance(reference, after),
                   changes, right, wrong]
            family = "seen (Pillow)" if record["path"] == "pil" else "unseen (LibreOffice)"
            for key in (("all", "all"), ("family", family), ("degradation", record["degradation"]),
                        ("font", record["font"]), ("dpi", str(record["dpi"]))):
                groups[key] = [a + b for a, b in zip(groups[key], row)]
    print(f"{time.process_time() - began:.1f} s CPU")
    print("| group | value | pages | characters | CER before | CER after | words changed | right | wrong |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    order = {"all": 0, "family": 1, "degradation": 2, "font": 3, "dpi": 4}
    for (dim, value), (pages, chars, d_before, d_after, changes, right, wrong) in sorted(
            groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        print(f"| {dim} | {value} | {pages} | {chars} | {100 * d_before / chars:.2f} % | {100 * d_after / chars:.2f} % | "
              f"{changes} | {right} | {wrong} |")
    if args.clean:
        from eval_repair import held_out_text, sample_text
        from train_lm import CLEAN_SAMPLES

        print("\n| clean text | words | changed by the corrector |")
        print("|---|---:|---:|")
        sets = {"held-out corpus": normalize(held_out_text(30000))}
        sets.update({f"sample {name}": sample_text(name) for name in CLEAN_SAMPLES})
        for name, text in sets.items():
            fixed = correct_vie_ocr(text)
            words = len(text.split())
            print(f"| {name} | {words:,} | {len(fixed.repairs)} |")


if __name__ == "__main__":
    main()
