"""Does underthesea's word segmentation help the comparison with Directive 20? (issue 16, item 6)

    .venv/bin/python scripts/exp_word_segmentation.py

The comparison scores a provision against a window of the plan by, among others, TF-IDF
over syllable unigrams and bigrams of the diacritic-free text. This experiment adds
underthesea's words (`word_tokenize` on the text with its marks, each word of two
syllables or more folded and joined by "_") as terms, or uses them instead of the
syllable bigrams, and prints the agreement with the hand-made gold of corpus/gold/compare
(the five samples, 125 provision labels), with the thresholds shipped in
pipeline/compare/data/compare.json, for each variant. Nothing in pipeline/ is changed:
the term function of `pipeline.compare.scoring` is replaced while the script runs.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import eval_compare  # noqa: E402

from pipeline.compare import passages as passages_module  # noqa: E402
from pipeline.compare import scoring  # noqa: E402
from pipeline.compare.reference import load_reference  # noqa: E402
from pipeline.text.fold import plain_words  # noqa: E402

ORIGINAL_TERMS = scoring.terms
WORDS: dict[str, list[str]] = {}  # folded text → underthesea's words of the text it was folded from


def _words(text: str) -> list[str]:
    from underthesea import word_tokenize

    folded = (plain_words(w).replace(" ", "_") for w in word_tokenize(text))
    return [w for w in folded if "_" in w]


def _remember(text: str) -> None:
    """Segment `text` once and file its words under every folded form the scorer will see."""
    key = plain_words(text)
    if key in WORDS:
        return
    words = _words(text)
    WORDS[key] = words
    stops = load_reference("directive-20").stop_phrases
    WORDS.setdefault(passages_module.strip_stop_phrases(key, stops), words)


def _passages_with_words(record):
    found = ORIGINAL_PASSAGES(record)
    for p in found:
        _remember(record.text[p.start:p.end])
    return found


def _variant(mode: str):
    def word_terms(folded: str) -> Counter:
        counts = ORIGINAL_TERMS(folded)
        words = WORDS.get(folded)
        if words is None:  # a query: the provision's wording and cues joined by " | "
            words = [w for part in folded.split("|") for w in WORDS.get(part.strip(), [])]
        if mode == "instead":
            counts = Counter({t: c for t, c in counts.items() if "_" not in t})
        counts.update(words)
        return counts

    return word_terms


ORIGINAL_PASSAGES = scoring_passages = passages_module.passages_of


def main() -> None:
    from pipeline import compare as compare_package

    gold = eval_compare.load_gold()
    reference = load_reference("directive-20")
    for provision in reference.provisions:  # the query side: the provisions' wording and cues
        for text in (provision.text, *provision.cues):
            _remember(text)
    thresholds = eval_compare.settings()["thresholds"]
    print("| terms | exact agreement | within one step | seconds |")
    print("|---|---:|---:|---:|")
    for name, mode in (("syllable unigrams + bigrams (shipped)", None),
                       ("+ underthesea words", "add"),
                       ("syllable unigrams + underthesea words (no bigrams)", "instead")):
        scoring.terms = ORIGINAL_TERMS if mode is None else _variant(mode)
        compare_package.passages_of = _passages_with_words  # the name compare_record calls
        started = time.perf_counter()
        results = eval_compare.run(gold, repair=True)
        rows = [row for sample in results.values() for row in sample.values()]
        exact, near = eval_compare.accuracy(rows, thresholds)
        print(f"| {name} | {exact:.3f} | {near:.3f} | {time.perf_counter() - started:.1f} |")
    scoring.terms = ORIGINAL_TERMS
    compare_package.passages_of = ORIGINAL_PASSAGES


if __name__ == "__main__":
    main()
