"""Learn the English-OCR noisy channel P(observed chunk | true chunk) from make_ocr_pairs.py data.

Every (true token, observed string) pair is aligned character by character (Levenshtein
opcodes); equal and same-length replaced runs give one-character units, other replaced runs
give chunks of up to three characters, and inserted characters join the unit before them.
The true side is lower-cased (case is restored from the observed token at repair time).
Counts are smoothed (add-k over what each true unit was seen as) and written, indexed by
the observed side, to models/channel/channel.json together with token split/merge rates.

    .venv/bin/python scripts/train_channel.py --pairs /tmp/chithi-ocr/train.jsonl --out models/channel
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from rapidfuzz.distance import Levenshtein

MAX_CHUNK = 3
MIN_COUNT = 2  # a (true, observed) unit seen once is more often an alignment accident
SMOOTHING = 0.5


def units(true: str, observed: str) -> list[tuple[str, str]]:
    """Cut an aligned (true, observed) pair into (true chunk, observed chunk) units."""
    out: list[list[str]] = []
    for tag, t1, t2, o1, o2 in Levenshtein.opcodes(true, observed):
        if tag == "equal" or (tag == "replace" and t2 - t1 == o2 - o1):
            out.extend([true[t1 + k], observed[o1 + k]] for k in range(t2 - t1))
        elif tag == "replace" and t2 - t1 <= MAX_CHUNK and o2 - o1 <= MAX_CHUNK:
            out.append([true[t1:t2], observed[o1:o2]])
        elif tag == "replace":  # a long uneven run: pair what lines up, the rest joins the last unit
            n = min(t2 - t1, o2 - o1)
            out.extend([true[t1 + k], observed[o1 + k]] for k in range(n))
            out[-1][0] += true[t1 + n:t2]
            out[-1][1] += observed[o1 + n:o2]
        elif tag == "delete":
            out.extend([true[k], ""] for k in range(t1, t2))
        elif out:  # insert: the extra characters belong to the unit before
            out[-1][1] += observed[o1:o2]
        else:
            out.append(["", observed[o1:o2]])
    return [(t, o) for t, o in out if t and len(t) <= MAX_CHUNK and len(o) <= MAX_CHUNK]


def read_pairs(path: Path):
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            yield record


def train(path: Path, keep: float) -> dict:
    counts: dict[str, Counter] = defaultdict(Counter)
    tokens = lost = split = 0
    source_spaces = merged_spaces = 0
    for record in read_pairs(path):
        for true, observed in record["pairs"]:
            tokens += 1
            if not observed:
                lost += 1
                continue
            if " " in observed:
                split += 1
                continue  # a split token teaches the space rate, not letter confusions
            true = unicodedata.normalize("NFC", true).lower()
            for t, o in units(true, observed):
                counts[t][o] += 1
        # merges: a source space with no space at its aligned place in the OCR output
        for (_, o1), (_, o2) in zip(record["pairs"], record["pairs"][1:]):
            source_spaces += 1
            merged_spaces += bool(o1 and o2) and (o1 + o2) in record["ocr"].replace("\n", " ")
    rules: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for t, seen in counts.items():
        kept = {o: c for o, c in seen.items() if c >= MIN_COUNT or o == t}
        total = sum(kept.values()) + SMOOTHING * (len(kept) + 1)
        for o, c in kept.items():
            rules[o].append((t, round(math.log((c + SMOOTHING) / total), 3)))
    for o in rules:
        rules[o].sort(key=lambda x: -x[1])
    return {
        "rules": dict(sorted(rules.items())),
        "unseen_logprob": round(min(lp for options in rules.values() for _, lp in options) - 2.0, 3),
        "keep_logprob": keep,
        "split_logprob": round(math.log((split + 1) / (tokens + 2)), 3),
        "merge_logprob": round(math.log((merged_spaces + 1) / (source_spaces + 2)), 3),
        "lost_rate": round(lost / max(tokens, 1), 4),
        "tokens": tokens,
        "units": sum(sum(c.values()) for c in counts.values()),
    }


def code_priors(limit_docs: int) -> tuple[dict[str, float], dict[str, float]]:
    """log P(document type) among the codes ("20-CT/TW", "01/QĐ-UBND") of training documents,
    and log P(separator) of dates ("12/12/2022", "12-12-2022", "12.12.2022") in the clean sample plans,
    one vote per document."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ocr_common import corpus_documents, sample_plans

    grammar = json.loads((Path(__file__).resolve().parents[1] / "pipeline/data/ocr_codes.json").read_text(encoding="utf-8"))
    types = "|".join(sorted(map(re.escape, grammar["document_types"]), key=len, reverse=True))
    pattern = re.compile(rf"\b\d{{1,4}}(?:/\d{{4}})?[-/]({types})[-/][A-ZĐ]")
    counts = Counter({t: 1 for t in grammar["document_types"]})
    separators = Counter({"/": 1, "-": 1, ".": 1})
    date = re.compile(r"\b\d{1,2}([/.-])\d{1,2}\1(?:19|20)\d\d\b")
    documents = list(sample_plans())
    for index, document in enumerate(corpus_documents("train")):
        if index >= limit_docs:
            break
        documents.append(document)
    for _, text in documents:
        counts.update(pattern.findall(text))
    for _, text in sample_plans():  # the target genre: gazette running headers skew the corpus to "-"
        found = Counter(date.findall(text))
        if found:  # one vote per document
            separators[found.most_common(1)[0][0]] += 1

    def logprob(counter: Counter) -> dict[str, float]:
        total = sum(counter.values())
        return {k: round(math.log(c / total), 3) for k, c in counter.most_common()}

    return logprob(counts), logprob(separators)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("models/channel"))
    parser.add_argument("--keep", type=float, default=-6.0,
                        help="log-prob penalty for keeping a token that is not a syllable (tuned on dev pages)")
    parser.add_argument("--code-docs", type=int, default=400, help="training documents scanned for the document-type prior")
    args = parser.parse_args()
    model = train(args.pairs, args.keep)
    model["code_type_logprob"], model["date_separator_logprob"] = code_priors(args.code_docs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "channel.json").write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    n_rules = sum(len(v) for v in model["rules"].values())
    print(f"{model['tokens']} token pairs, {model['units']} aligned units → {n_rules} rules "
          f"({len(model['rules'])} observed chunks); split {math.exp(model['split_logprob']):.4f}, "
          f"merge {math.exp(model['merge_logprob']):.4f}, lost {model['lost_rate']:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
