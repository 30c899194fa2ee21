"""Learn the confusions of Tesseract's Vietnamese model (`vie`) from rendered pages.

Input: render_ocr_pairs.py --ocr chithi pages (the page read as chithi reads a scan: its
clean-up, then `tesseract -l vie`), training split only. Every (true token, observed token)
pair whose two sides are the same letters once marks are stripped (the confusions `vie`
makes: ư/u, ơ/o, â/ă/a, ê/e, ô/o, đ/d, one tone for another, a mark dropped) is cut
into its letters. The channel is factored:

    log P(observed | true) = Σ log P(observed letter | true letter) + log P(observed tone | true tone)

over letters without their tone (quality marks kept: a ă â e ê o ô ơ u ư d đ, other letters
only read as themselves) and the syllable's tone (0 none … 5 nặng). Counts are add-½
smoothed. Some confusions belong to words rather than to letters (`vie` reads "chi" as
"chỉ" far more often than the tone table says), so the counts of every word misread at least
MIN_WORD_ERRORS times are kept too, and the corrector interpolates them with the factored
model (pipeline.repair.vie_ocr.VieChannel). Pairs whose letters differ otherwise (a letter lost or misread) are counted as
"other" and not modelled: the corrector does not look for them.

    .venv/bin/python scripts/train_vie_channel.py --pairs /tmp/chithi-ocr/vie-train.jsonl --out models/vie_ocr
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.repair.normalize import normalize  # noqa: E402
from pipeline.repair.vie_ocr import QUALITY_LETTERS, letters_and_tone  # noqa: E402
from pipeline.text.vietnamese import strip_diacritics  # noqa: E402

SMOOTHING = 0.5
MIN_WORD_ERRORS = 2  # a word misread this often keeps its own confusion counts


def token_pairs(paths: list[Path]):
    for path in paths:
        for line in path.open(encoding="utf-8"):
            record = json.loads(line)
            for true, observed in record["pairs"]:
                yield normalize(unicodedata.normalize("NFC", true)).lower(), normalize(observed).lower()


def train(paths: list[Path]) -> dict:
    letters: Counter = Counter()
    tones: Counter = Counter()
    words: Counter = Counter()  # (true, observed) pairs of modelled words
    occurrences: Counter = Counter()
    stats: Counter = Counter()
    for true, observed in token_pairs(paths):
        if not any(c.isalpha() for c in true):
            continue
        stats["words"] += 1
        stats["right"] += true == observed
        if not observed or " " in observed or len(true) != len(observed) or strip_diacritics(true) != strip_diacritics(observed):
            stats["other"] += 1
            continue
        true_letters, true_tone = letters_and_tone(true)
        seen_letters, seen_tone = letters_and_tone(observed)
        if true_tone is None or seen_tone is None:
            stats["other"] += 1
            continue
        stats["modelled"] += 1
        occurrences[true] += 1
        words[true, observed] += 1
        tones[true_tone, seen_tone] += 1
        for t, o in zip(true_letters, seen_letters):
            if t in QUALITY_LETTERS:
                letters[t, o] += 1

    def table(counts: Counter, sides: list, same_letter: bool) -> dict[str, dict[str, float]]:
        out = {}
        for t in sides:
            row = {o: counts[t, o] for o in sides if not same_letter or strip_diacritics(o) == strip_diacritics(t)}
            total = sum(row.values()) + SMOOTHING * len(row)
            out[str(t)] = {str(o): round(math.log((n + SMOOTHING) / total), 4) for o, n in row.items()}
        return out

    misread: Counter = Counter()
    for (true, observed), n in words.items():
        if true != observed:
            misread[true] += n
    kept = {t for t, n in misread.items() if n >= MIN_WORD_ERRORS}
    word_table = {t: {"count": occurrences[t], "read": {o: n for (w, o), n in words.items() if w == t and o != t}}
                  for t in sorted(kept)}
    return {
        "words": word_table,
        "letters": table(letters, list(QUALITY_LETTERS), True),
        "tones": table(tones, list(range(6)), False),
        "counts": {"words": stats["words"], "right": stats["right"], "modelled": stats["modelled"],
                   "other": stats["other"], "letter_pairs": sum(letters.values())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "vie_ocr")
    args = parser.parse_args()
    model = train(args.pairs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "channel.json").write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts = model["counts"]
    print(f"{counts['words']} words, {counts['right']} read right ({100 * counts['right'] / counts['words']:.2f} %), "
          f"{counts['modelled']} modelled, {counts['other']} other; → {args.out / 'channel.json'}")


if __name__ == "__main__":
    main()
