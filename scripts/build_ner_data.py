"""Build the NER training data: gold-checked sample spans plus filtered silver corpus spans.

    nice -n 10 .venv/bin/python scripts/build_ner_data.py            # → build/ner/
    nice -n 10 .venv/bin/python scripts/build_ner_data.py --lines 6000

(a) Samples: each sample plan runs through the pipeline (with repair, without the model
    stage); a rule span is kept only when its item is in the sample's gold
    (corpus/gold/<prefix>/<field>.json): agency name, market code, target (metric, value),
    deadline (date, recurrence). A line holding a rule agency/market the gold rejects is
    left out: its true span is unknown, and as a line without entities it would teach the
    model to pass over the garbled bodies it is there to find. One DocBin per sample, so
    cross-validation can hold samples out.
(b) Silver: lines of the public-domain legal corpora (/work/shared/corpora/legal) tagged by
    the rule extractors, filtered for quality (no span across a line break, bounded span
    lengths, overlaps resolved, a share of lines with no entity). Records are split by a
    hash of their id: 1 in 10 goes to dev.spacy and is never trained on.

(c) Noisy copies (`--noise`): each gold-checked sample line and each silver line with an
    entity gets a copy carrying the errors that OCR + repair leave behind, its spans moved
    with the text: syllables that lost their marks or took another tone, a letter read as
    the OCR channel of the repair stage reads it (models/channel/channel.json, inverted),
    a syllable replaced by a real syllable one letter away (what a repair that picked the
    wrong word leaves), merged and split words, now and then a whole line without marks.
    They go to samples/<prefix>.noisy.spacy, train.noisy.spacy and dev.noisy.spacy (the
    dev copies keep their clean line, to score rules and model on noise they never saw).

Spans are labelled AGENCY, MARKET, TARGET, DEADLINE on the syllable tokens of
`pipeline.extract.ner.syllable_doc`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import random
import sys
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spacy  # noqa: E402
from spacy.tokens import DocBin, Span  # noqa: E402

from pipeline.document import Document  # noqa: E402
from pipeline.extract.ner import rule_spans, syllable_doc, syllable_tokens, text_lines, token_range  # noqa: E402
from pipeline.registry import get_stage  # noqa: E402
from pipeline.runner import document_stages, run_stages  # noqa: E402
from pipeline.schema import DocumentRecord  # noqa: E402
from pipeline.text.vietnamese import parse, strip_diacritics, syllables  # noqa: E402

CORPORA = Path("/work/shared/corpora/legal")
CHANNEL = ROOT / "models" / "channel" / "channel.json"
OUT = ROOT / "build" / "ner"
SAMPLES = ROOT / "corpus" / "samples"
GOLD = ROOT / "corpus" / "gold"
RULE_STAGES = ("markets", "agencies", "targets", "deadlines")
MAX_TOKENS = {"AGENCY": 16, "MARKET": 6, "TARGET": 12, "DEADLINE": 24}
PRIORITY = {"AGENCY": 0, "MARKET": 0, "TARGET": 1, "DEADLINE": 2}


def labelled_doc(nlp, text: str, spans: list[tuple[int, int, str]]):
    """A Doc of `text` whose ents are `spans`, overlaps resolved (deadline clauses are clipped)."""
    tokens = syllable_tokens(text)
    doc = syllable_doc(nlp.vocab, text, tokens)
    taken: list[tuple[int, int, str]] = []
    for start, end, label in sorted(set(spans), key=lambda s: (PRIORITY[s[2]], s[0], -s[1])):
        if "\n" in text[start:end].strip():
            continue
        window = token_range(tokens, start, end)
        if window is None:
            continue
        i, j = window
        for a, b, _ in taken:  # clip a clause-long span around the entities inside it
            if a < j and i < b:
                i, j = (i, a) if a > i else (max(i, b), j)
        while j > i and not any(c.isalnum() for c in doc[j - 1].text):
            j -= 1
        if j - i < 1 or j - i > MAX_TOKENS[label] or any(a < j and i < b for a, b, _ in taken):
            continue
        taken.append((i, j, label))
    doc.ents = [Span(doc, i, j, label=label) for i, j, label in sorted(taken)]
    return doc


# ----------------------------------------------------------------------- noise
@cache
def channel_confusions() -> dict[str, tuple[list[str], list[float]]]:
    """True character → (what the OCR channel reads instead, probabilities), identity left out."""
    rules = json.loads(CHANNEL.read_text("utf-8"))["rules"]
    table: dict[str, tuple[list[str], list[float]]] = {}
    for observed, candidates in rules.items():
        for true, logprob in candidates:
            if len(true) == 1 and observed.lower() != true:
                outs, weights = table.setdefault(true, ([], []))
                outs.append(observed)
                weights.append(math.exp(logprob))
    return table


@cache
def one_letter_neighbours() -> dict[str, list[str]]:
    """Unmarked syllable form → syllables whose unmarked form is one letter away (or equal)."""
    forms: dict[str, list[str]] = {}
    for syllable in syllables():
        forms.setdefault(strip_diacritics(syllable), []).append(syllable)
    by_deletion: dict[str, set[str]] = {}
    for form in forms:
        for i in range(len(form)):
            by_deletion.setdefault(form[:i] + "*" + form[i + 1:], set()).add(form)
    out = {}
    for form in forms:
        near = set().union(*(by_deletion[form[:i] + "*" + form[i + 1:]] for i in range(len(form))))
        out[form] = sorted(s for f in near for s in forms[f])
    return out


def _keep_case(new: str, old: str) -> str:
    if old.isupper() and len(old) > 1:
        return new.upper()
    return new[:1].upper() + new[1:] if old[:1].isupper() else new


class Noiser:
    """Residual OCR/repair errors for one line at a time (`noisy_copy`)."""

    def __init__(self, rng: random.Random, rate: float = 0.2, join_rate: float = 0.03,
                 split_rate: float = 0.015, bare_line_rate: float = 0.1):
        self.rng, self.rate = rng, rate
        self.join_rate, self.split_rate, self.bare_line_rate = join_rate, split_rate, bare_line_rate

    def unmarked(self, word: str) -> str:
        return strip_diacritics(word)

    def retoned(self, word: str) -> str:
        syllable = parse(word.lower())
        if syllable is None:
            return word
        tone = self.rng.choice([t for t in range(6) if t != syllable.tone])
        variants = [s for s in one_letter_neighbours().get(strip_diacritics(word.lower()), [])
                    if strip_diacritics(s) == strip_diacritics(word.lower()) and (parse(s) or syllable).tone == tone]
        return _keep_case(variants[0], word) if variants else word

    def misread_letter(self, word: str) -> str:
        confusions = channel_confusions()
        places = [i for i, c in enumerate(word) if c.lower() in confusions]
        if not places:
            return word
        i = self.rng.choice(places)
        outs, weights = confusions[word[i].lower()]
        return word[:i] + self.rng.choices(outs, weights)[0] + word[i + 1:]

    def wrong_word(self, word: str) -> str:
        near = one_letter_neighbours().get(strip_diacritics(word.lower()))
        return _keep_case(self.rng.choice(near), word) if near else word

    def word(self, word: str) -> str:
        if not word.isalpha() or self.rng.random() >= self.rate:
            return word
        change = self.rng.choice((self.unmarked, self.retoned, self.misread_letter, self.wrong_word))
        return unicodedata.normalize("NFC", change(word))

    def noisy_copy(self, text: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, str]]]:
        """`text` with noise, and `spans` (on token boundaries) moved onto it."""
        tokens = syllable_tokens(text)
        bare = self.rng.random() < self.bare_line_rate
        starts = {s for s, _, _ in spans}
        ends = {e for _, e, _ in spans}
        pieces, moved, last = [], {}, 0
        for s, e in tokens:
            gap = text[last:s]
            if gap == " " and s not in starts and last not in ends and self.rng.random() < self.join_rate:
                gap = ""
            pieces.append(gap)
            word = strip_diacritics(text[s:e]) if bare else self.word(text[s:e])
            if len(word) >= 4 and word.isalpha() and self.rng.random() < self.split_rate:
                cut = self.rng.randrange(1, len(word) - 1)
                word = word[:cut] + " " + word[cut:]
            at = sum(map(len, pieces))
            moved[s], moved[e] = at, at + len(word)
            pieces.append(word)
            last = e
        pieces.append(text[last:])
        noisy = "".join(pieces)
        return noisy, [(moved[s], moved[e], label) for s, e, label in spans if s in moved and e in moved]


def noisy_docs(nlp, docs, noiser: Noiser, keep_clean: bool = False) -> list:
    """A noisy copy of each doc (its entities moved along); `keep_clean` stores the clean line."""
    out = []
    for doc in docs:
        spans = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        text, moved = noiser.noisy_copy(doc.text, spans)
        copy = labelled_doc(nlp, text, moved)
        if keep_clean:
            copy.user_data["clean"] = doc.text
        out.append(copy)
    return out


# ------------------------------------------------------------------ gold samples
def _gold(prefix: str, field: str) -> list[dict]:
    path = GOLD / prefix / f"{field}.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else []


def _fold(value):
    return " ".join(value.casefold().split()) if isinstance(value, str) else value


def gold_checked_spans(prefix: str, index: int, record: DocumentRecord) -> list[tuple[int, int, str]]:
    """Rule spans of a sample record whose items the sample's gold confirms."""
    agencies = {_fold(g["name"]) for g in _gold(prefix, "agencies") if g["doc"] == index}
    markets = {g.get("code") for g in _gold(prefix, "markets") if g["doc"] == index and g.get("code")}
    targets = {(g["metric"], g.get("value")) for g in _gold(prefix, "targets") if g["doc"] == index}
    deadlines = {(g.get("date"), g.get("recurrence")) for g in _gold(prefix, "deadlines") if g["doc"] == index}
    spans = [(m.start, m.end, "AGENCY") for a in record.agencies if _fold(a.name) in agencies for m in a.mentions]
    spans += [(m.start, m.end, "MARKET") for x in record.markets if x.code in markets for m in (x.mentions or [x])]
    spans += [(t.start, t.end, "TARGET") for t in record.targets
              if t.table is None and (t.metric, t.value) in targets]
    spans += [(d.start, d.end, "DEADLINE") for d in record.deadlines if (d.date, d.recurrence) in deadlines]
    return spans


def gold_rejected_spans(prefix: str, index: int, record: DocumentRecord) -> list[tuple[int, int]]:
    """Rule agency/market spans whose items the gold does not have: on garbled text, mostly a
    body the grammar cut short ("Văn phòng Tỉnh" of "Văn phòng Tỉnh rẫy"), whose true span
    is unknown."""
    agencies = {_fold(g["name"]) for g in _gold(prefix, "agencies") if g["doc"] == index}
    markets = {g.get("code") for g in _gold(prefix, "markets") if g["doc"] == index and g.get("code")}
    spans = [(m.start, m.end) for a in record.agencies if _fold(a.name) not in agencies for m in a.mentions]
    return spans + [(m.start, m.end) for x in record.markets if x.code and x.code not in markets
                    for m in (x.mentions or [x])]


def sample_docs(nlp, prefix: str) -> list:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    stages = [s.name for s in document_stages(model=False)]
    docs = []
    for record in run_stages(path, stages=stages):
        spans = gold_checked_spans(prefix, record.source.index, record)
        rejected = gold_rejected_spans(prefix, record.source.index, record)
        for start, end in text_lines(record.text):
            if any(start <= s and e <= end for s, e in rejected):
                continue  # a line whose true spans are unknown would teach "no entity here"
            inside = [(s - start, e - start, l) for s, e, l in spans if start <= s and e <= end]
            docs.append(labelled_doc(nlp, record.text[start:end], inside))
    return docs


# ---------------------------------------------------------------------- silver
def is_dev(record_id: str) -> bool:
    return int(hashlib.sha1(record_id.encode()).hexdigest(), 16) % 10 == 0


def corpus_lines(rng: random.Random, per_record: int):
    for file in sorted(CORPORA.glob("*.jsonl.gz")):
        with gzip.open(file, "rt", encoding="utf-8") as lines:
            for raw in lines:
                item = json.loads(raw)
                candidates = [line.strip() for line in item["text"].split("\n")]
                candidates = [c for c in candidates if 40 <= len(c) <= 600 and not c.startswith("|")]
                rng.shuffle(candidates)
                for line in candidates[:per_record]:
                    yield item["id"], line


def rule_tagged(text: str) -> list[tuple[int, int, str]]:
    doc = Document.from_text(text)
    for name in RULE_STAGES:
        get_stage(name).run(doc)
    return rule_spans(doc.record)


def silver_docs(nlp, wanted: int, negative_share: float, per_record: int, seed: int):
    rng = random.Random(seed)
    train, dev, seen = [], [], set()
    positives = {"train": 0, "dev": 0}
    for record_id, line in corpus_lines(rng, per_record):
        if line in seen:
            continue
        seen.add(line)
        split = "dev" if is_dev(record_id) else "train"
        spans = rule_tagged(line)
        doc = labelled_doc(nlp, line, spans)
        if len(doc) > 120:
            continue
        if not doc.ents and rng.random() > negative_share:
            continue
        positives[split] += bool(doc.ents)
        (dev if split == "dev" else train).append(doc)
        if positives["train"] >= wanted:
            break
    return train, dev


def label_counts(docs) -> Counter:
    return Counter(e.label_ for d in docs for e in d.ents)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=4000, help="Silver training lines with at least one entity.")
    parser.add_argument("--negative-share", type=float, default=0.08, help="Share of entity-free lines kept.")
    parser.add_argument("--per-record", type=int, default=40, help="Most lines taken from one corpus record.")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--noise", type=float, default=0.0,
                        help="Share of syllables changed in the noisy copies (0: no noisy copies).")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    out = args.out

    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})
    (out / "samples").mkdir(parents=True, exist_ok=True)
    noiser = Noiser(random.Random(args.seed + 1), rate=args.noise) if args.noise else None
    print(f"{'set':<14} {'docs':>6} {'AGENCY':>7} {'MARKET':>7} {'TARGET':>7} {'DEADLINE':>9}")

    def report(name, docs):
        c = label_counts(docs)
        print(f"{name:<14} {len(docs):>6} {c['AGENCY']:>7} {c['MARKET']:>7} {c['TARGET']:>7} {c['DEADLINE']:>9}")

    for path in sorted(SAMPLES.glob("*_*.txt")):
        prefix = path.name.split("_")[0]
        docs = sample_docs(nlp, prefix)
        DocBin(docs=docs).to_disk(out / "samples" / f"{prefix}.spacy")
        report(f"sample {prefix}", docs)
        if noiser:
            noisy = noisy_docs(nlp, [d for d in docs if d.ents], noiser)
            DocBin(docs=noisy).to_disk(out / "samples" / f"{prefix}.noisy.spacy")
            report(f"  noisy {prefix}", noisy)
    train, dev = silver_docs(nlp, args.lines, args.negative_share, args.per_record, args.seed)
    DocBin(docs=train).to_disk(out / "train.spacy")
    DocBin(docs=dev).to_disk(out / "dev.spacy")
    report("silver train", train)
    report("silver dev", dev)
    if noiser:
        for name, docs in (("train", train), ("dev", dev)):
            noisy = noisy_docs(nlp, [d for d in docs if d.ents], noiser, keep_clean=name == "dev")
            DocBin(docs=noisy, store_user_data=True).to_disk(out / f"{name}.noisy.spacy")
            report(f"  noisy {name}", noisy)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
