"""Learn the English-OCR noisy channel P(observed chunk | true chunk) from make_ocr_pairs.py data.

Every (true token, observed string) pair is first aligned character by character
(Levenshtein opcodes): equal and same-length replaced runs give one-character units, other
replaced runs give chunks of up to three characters, and inserted characters join the unit
before them. That unit-cost alignment often cuts a many-to-many confusion in the wrong place
("ước" read "udéc": ư→u, ớ→d, then a stray é), so `--em N` then re-aligns every pair N times
with the model itself (hard EM): the cheapest cut of the pair into (true chunk of 1–3
characters, observed chunk of 0–3) units under the current log-probs, a Viterbi pass over
the two strings, and re-estimates from those cuts. P(observed | true chunk) is a count over
how often the true chunk occurs in the true text, not over how often it was cut as a unit
(Brill & Moore's partition model), so a long chunk is only cheap when it really is read
that way.

The true side is lower-cased (case is restored from the observed token at repair time).
Counts are smoothed (add-k) and written, indexed by the observed side, to
models/channel/channel.json together with token split/merge rates.

    .venv/bin/python scripts/train_channel.py --pairs /tmp/chithi-ocr/train.jsonl --out models/channel --em 3
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


def token_pairs(paths: list[Path]) -> tuple[Counter, dict]:
    """(lower-cased true token, observed) pairs with their counts, and the token statistics:
    pairs, tokens the OCR lost, tokens it split, and source spaces it lost."""
    pairs: Counter = Counter()
    stats = Counter()
    for path in paths:
        for record in read_pairs(path):
            for true, observed in record["pairs"]:
                stats["tokens"] += 1
                if not observed:
                    stats["lost"] += 1
                elif " " in observed:
                    stats["split"] += 1  # a split token teaches the space rate, not letter confusions
                else:
                    pairs[unicodedata.normalize("NFC", true).lower(), observed] += 1
            # merges: a source space with no space at its aligned place in the OCR output
            for (_, o1), (_, o2) in zip(record["pairs"], record["pairs"][1:]):
                stats["source_spaces"] += 1
                stats["merged_spaces"] += bool(o1 and o2) and (o1 + o2) in record["ocr"].replace("\n", " ")
    return pairs, stats


# Cost (-log-prob) of a unit the current model has no rule for, in the Viterbi re-alignment.
IDENTITY_COST = 1.0
UNSEEN_UNIT_COST = 9.0


def backoff_cost(true: str, observed: str) -> float:
    if len(true) == 1 and observed == true:
        return IDENTITY_COST
    return UNSEEN_UNIT_COST * max(len(true), len(observed), 1) + 2.0 * abs(len(true) - len(observed))


def viterbi_units(true: str, observed: str, cost: dict) -> list[tuple[str, str]] | None:
    """The cheapest cut of (true, observed) into (true chunk of 1..MAX_CHUNK characters,
    observed chunk of 0..MAX_CHUNK) units under `cost`; None if no cut exists."""
    n, m = len(true), len(observed)
    if m > MAX_CHUNK * n:
        return None
    best = [[math.inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(1, n + 1):
        for j in range(m + 1):
            here, step = math.inf, None
            for a in range(1, min(MAX_CHUNK, i) + 1):
                t = true[i - a:i]
                row = best[i - a]
                for b in range(min(MAX_CHUNK, j) + 1):
                    before = row[j - b]
                    if before == math.inf:
                        continue
                    o = observed[j - b:j]
                    c = before + cost.get((t, o), backoff_cost(t, o) if a == 1 else math.inf)
                    if c < here:
                        here, step = c, (a, b)
            best[i][j], back[i][j] = here, step
    if best[n][m] == math.inf:
        return None
    out, i, j = [], n, m
    while i:
        a, b = back[i][j]
        out.append((true[i - a:i], observed[j - b:j]))
        i, j = i - a, j - b
    return out[::-1]


def estimate(counts: Counter, pairs: Counter) -> dict[tuple[str, str], float]:
    """log P(observed chunk | true chunk) = (count + k) / (occurrences of the true chunk in the
    true tokens + k·(kinds + 1)); units seen once are dropped unless they are identities."""
    kept = Counter({(t, o): c for (t, o), c in counts.items() if c >= MIN_COUNT or o == t})
    kinds = Counter(t for t, _ in kept)
    occurrences: Counter = Counter()
    for true, count in Counter(t for t, _ in pairs.elements()).items():
        for a in range(1, MAX_CHUNK + 1):
            for i in range(len(true) - a + 1):
                if true[i:i + a] in kinds:
                    occurrences[true[i:i + a]] += count
    return {(t, o): math.log((c + SMOOTHING) / (max(occurrences[t], c) + SMOOTHING * (kinds[t] + 1)))
            for (t, o), c in kept.items()}


def align_counts(pairs: Counter, cost: dict | None) -> Counter:
    """Unit counts over all pairs: Levenshtein units first (cost None), else the Viterbi cut."""
    counts: Counter = Counter()
    for (true, observed), n in pairs.items():
        cut = units(true, observed) if cost is None else viterbi_units(true, observed, cost)
        for unit in cut or ():
            counts[unit] += n
    return counts


TONE_MARKS = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # huyền sắc ngã hỏi nặng


def tone_variants(char: str) -> set[str]:
    """The six tones of a vowel letter ("ợ" -> {"ơ", "ờ", "ớ", "ở", "ỡ", "ợ"}); other characters: {}."""
    base = "".join(c for c in unicodedata.normalize("NFD", char) if c not in TONE_MARKS)
    if unicodedata.normalize("NFD", base)[:1] not in "aeiouy":
        return set()
    variants = {unicodedata.normalize("NFC", base + mark) for mark in ("",) + TONE_MARKS}
    return {v for v in variants if len(v) == 1}


def tone_backoff(logprob: dict[tuple[str, str], float], penalty: float) -> dict[tuple[str, str], float]:
    """Lend the many-character readings of a vowel to its other tones: an English OCR drops the
    tone mark, so "ơ" read as "ll" says "ợ" may be read as "ll" too, but the data seldom shows
    each of the six tones of a rare reading. A borrowed rule costs `penalty` more than the
    rule it is borrowed from, and never replaces one the data gave."""
    out = dict(logprob)
    for (true, observed), lp in logprob.items():
        if len(true) != 1 or len(observed) == 1:
            continue  # one-to-one confusions are seen often enough for every tone
        for variant in tone_variants(true) - {true}:
            key = (variant, observed)
            if key not in logprob:
                out[key] = max(out.get(key, -math.inf), lp - penalty)
    return out


def train(paths: list[Path], keep: float, em: int = 0, backoff: float | None = None, unseen: float = -11.9) -> dict:
    pairs, stats = token_pairs(paths)
    counts = align_counts(pairs, None)
    logprob = estimate(counts, pairs)
    for iteration in range(em):
        counts = align_counts(pairs, {unit: -lp for unit, lp in logprob.items()})
        logprob = estimate(counts, pairs)
        print(f"EM {iteration + 1}/{em}: {len(logprob)} rules", file=sys.stderr)
    if backoff is not None:
        logprob = tone_backoff(logprob, backoff)
    rules: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (t, o), lp in logprob.items():
        if t and len(t) <= MAX_CHUNK and len(o) <= MAX_CHUNK:
            rules[o].append((t, round(lp, 3)))
    for o in rules:
        rules[o].sort(key=lambda x: -x[1])
    tokens = stats["tokens"]
    return {
        "rules": dict(sorted(rules.items())),
        "unseen_logprob": unseen,
        "keep_logprob": keep,
        "split_logprob": round(math.log((stats["split"] + 1) / (tokens + 2)), 3),
        "merge_logprob": round(math.log((stats["merged_spaces"] + 1) / (stats["source_spaces"] + 2)), 3),
        "lost_rate": round(stats["lost"] / max(tokens, 1), 4),
        "tokens": tokens,
        "units": sum(counts.values()),
        "em_iterations": em,
        "tone_backoff": backoff,
    }


def code_priors(limit_docs: int) -> tuple[dict[str, float], dict[str, float]]:
    """log P(document type) among the codes ("20-CT/TW", "01/QĐ-UBND") of training documents,
    and log P(separator) of dates ("12/12/2022", "12-12-2022", "12.12.2022") in the clean sample plans,
    one vote per document."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ocr_common import sample_plans
    from render_common import legal_documents  # train_lm.py's held-out rule

    grammar = json.loads((Path(__file__).resolve().parents[1] / "pipeline/repair/data/ocr_codes.json").read_text(encoding="utf-8"))
    types = "|".join(sorted(map(re.escape, grammar["document_types"]), key=len, reverse=True))
    pattern = re.compile(rf"\b\d{{1,4}}(?:/\d{{4}})?[-/]({types})[-/][A-ZĐ]")
    counts = Counter({t: 1 for t in grammar["document_types"]})
    separators = Counter({"/": 1, "-": 1, ".": 1})
    date = re.compile(r"\b\d{1,2}([/.-])\d{1,2}\1(?:19|20)\d\d\b")
    documents = list(sample_plans())
    for index, document in enumerate(legal_documents("train")):
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
    parser.add_argument("--pairs", type=Path, nargs="+", required=True, help="make_ocr_pairs.py output files")
    parser.add_argument("--out", type=Path, default=Path("models/channel"))
    parser.add_argument("--keep", type=float, default=-6.0,
                        help="log-prob penalty for keeping a token that is not a syllable (tuned on dev pages)")
    parser.add_argument("--em", type=int, default=0, help="Viterbi re-alignment iterations (0: Levenshtein units only)")
    parser.add_argument("--tone-backoff", type=float, default=None,
                        help="lend many-character readings of a vowel to its other tones at this log-prob penalty")
    parser.add_argument("--unseen", type=float, default=-11.9,
                        help="log-prob of a confusion training never showed; pipeline/garble.py only tries "
                             "such readings within its MARGIN (12) of the best, so keep it above -12")
    parser.add_argument("--code-docs", type=int, default=400, help="training documents scanned for the document-type prior")
    args = parser.parse_args()
    model = train(args.pairs, args.keep, args.em, args.tone_backoff, args.unseen)
    model["code_type_logprob"], model["date_separator_logprob"] = code_priors(args.code_docs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "channel.json").write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    n_rules = sum(len(v) for v in model["rules"].values())
    print(f"{model['tokens']} token pairs, {model['units']} aligned units → {n_rules} rules "
          f"({len(model['rules'])} observed chunks); split {math.exp(model['split_logprob']):.4f}, "
          f"merge {math.exp(model['merge_logprob']):.4f}, lost {model['lost_rate']:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
