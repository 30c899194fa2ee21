"""Build the NER training data: gold-checked sample spans plus filtered silver corpus spans.

    nice -n 10 .venv/bin/python scripts/build_ner_data.py            # → build/ner/
    nice -n 10 .venv/bin/python scripts/build_ner_data.py --lines 6000

(a) Samples: each sample plan runs through the pipeline (with repair, without the model
    stage); a rule span is kept only when its item is in the sample's gold
    (corpus/gold/<prefix>/<field>.json): agency name, market code, target (metric, value),
    deadline (date, recurrence). One DocBin per sample, so cross-validation can hold
    samples out.
(b) Silver: lines of the public-domain legal corpora (/work/shared/corpora/legal) tagged by
    the rule extractors, filtered for quality (no span across a line break, bounded span
    lengths, overlaps resolved, a share of lines with no entity). Records are split by a
    hash of their id: 1 in 10 goes to dev.spacy and is never trained on.

Spans are labelled AGENCY, MARKET, TARGET, DEADLINE on the syllable tokens of
`pipeline.extractors.model.syllable_doc`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spacy  # noqa: E402
from spacy.tokens import DocBin, Span  # noqa: E402

from pipeline.core import document_stages, extract  # noqa: E402
from pipeline.registry import get_stage  # noqa: E402
from pipeline.schema import DocumentRecord, Source  # noqa: E402
from pipeline.extractors.model import rule_spans, syllable_doc, syllable_tokens, token_range  # noqa: E402

CORPORA = Path("/work/shared/corpora/legal")
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


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Non-blank lines of `text` as (start, end)."""
    out, start = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((start, start + len(line)))
        start += len(line) + 1
    return out


def sample_docs(nlp, prefix: str) -> list:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    stages = [s for s in document_stages() if s != "model"]
    docs = []
    for record in extract(path, stages=stages):
        spans = gold_checked_spans(prefix, record.source.index, record)
        for start, end in paragraphs(record.text):
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
    record = DocumentRecord(source=Source(path=None, sha256="", format="text"), text=text)
    for name in RULE_STAGES:
        record = get_stage(name)(record)
    return rule_spans(record)


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
    args = parser.parse_args(argv)

    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})
    (OUT / "samples").mkdir(parents=True, exist_ok=True)
    print(f"{'set':<14} {'docs':>6} {'AGENCY':>7} {'MARKET':>7} {'TARGET':>7} {'DEADLINE':>9}")

    def report(name, docs):
        c = label_counts(docs)
        print(f"{name:<14} {len(docs):>6} {c['AGENCY']:>7} {c['MARKET']:>7} {c['TARGET']:>7} {c['DEADLINE']:>9}")

    for path in sorted(SAMPLES.glob("*_*.txt")):
        prefix = path.name.split("_")[0]
        docs = sample_docs(nlp, prefix)
        DocBin(docs=docs).to_disk(OUT / "samples" / f"{prefix}.spacy")
        report(f"sample {prefix}", docs)
    train, dev = silver_docs(nlp, args.lines, args.negative_share, args.per_record, args.seed)
    DocBin(docs=train).to_disk(OUT / "train.spacy")
    DocBin(docs=dev).to_disk(OUT / "dev.spacy")
    report("silver train", train)
    report("silver dev", dev)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
