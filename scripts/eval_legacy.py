"""Round-trip evaluation of legacy-encoding repair: Unicode → TCVN3/VNI → decode_legacy → compare.

Texts: the clean sample plans 001/003/004 and the held-out legal documents (never used to
build tcvn3.json's capitalisation list). Also checks that clean Unicode comes back unchanged.

    .venv/bin/python scripts/eval_legacy.py
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from pathlib import Path

from rapidfuzz.distance import Levenshtein

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr_common import corpus_documents, sample_plans  # noqa: E402

from pipeline.repair.legacy import ENCODINGS, decode_legacy, encode_legacy  # noqa: E402


def compare(reference: str, decoded: str) -> tuple[int, int, int, int]:
    """(exact lines, lines, characters equal, characters equal ignoring case)."""
    ref_lines, out_lines = reference.split("\n"), decoded.split("\n")
    exact = sum(a == b for a, b in zip(ref_lines, out_lines))
    same = len(reference) - sum(Levenshtein.distance(a, b) for a, b in zip(ref_lines, out_lines))
    folded = len(reference) - sum(Levenshtein.distance(a.lower(), b.lower()) for a, b in zip(ref_lines, out_lines))
    return exact, len(ref_lines), same, folded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout-docs", type=int, default=20)
    args = parser.parse_args()
    texts = [(name[:3], text) for name, text in sample_plans()]
    heldout = [text for _, text in corpus_documents("heldout")][: args.heldout_docs]
    texts.append((f"held-out legal ({len(heldout)} docs)", "\n".join(heldout)))

    print("| text | encoding | detected | lines exact | characters exact | ignoring case | clean text unchanged |")
    print("|---|---|---|---:|---:|---:|---|")
    began = time.time()
    total_chars = 0
    for name, text in texts:
        text = unicodedata.normalize("NFC", text)
        unchanged = decode_legacy(text) == (text, None)
        for encoding in ENCODINGS:
            decoded, detected = decode_legacy(encode_legacy(text, encoding))
            exact, lines, same, folded = compare(text, decoded)
            total_chars += len(text)
            print(f"| {name} | {encoding} | {detected} | {exact}/{lines} ({100 * exact / lines:.2f}%) "
                  f"| {100 * same / len(text):.3f}% | {100 * folded / len(text):.3f}% | {'yes' if unchanged else 'NO'} |")
    print(f"\n{total_chars} characters decoded in {time.time() - began:.1f} s")


if __name__ == "__main__":
    main()
