"""Train the mention classifier of the targets stage (models/figures/), and cross-validate it.

    .venv/bin/python scripts/train_figures.py                # cross-validate on dev, then train and save
    .venv/bin/python scripts/train_figures.py --cv-only      # only the cross-validation table
    .venv/bin/python scripts/train_figures.py --no-weak      # without the weakly labelled corpora

Each quantity of a text becomes a mention with the features of `pipeline.extract.mentions`
and one of five labels: target, achieved, statistic, budget, other. Labels come from:

* the hand-checked development gold of corpus/figures/dev (a quantity that matches a gold
  figure — same value, overlapping span — takes its kind; any other quantity of those texts
  is "other"), weighted GOLD_WEIGHT;
* the targets of the sample plans 001 and 004 that their hand-made gold lists;
* weak labels on the training split of corpus/admin (plans, reports, letters, decisions)
  and on a seeded sample of the legal corpora in ../shared/corpora: cue words of the
  number's clause (`weak_label`), or a plan section headed "Mục tiêu"/"Chỉ tiêu" for a target: "phấn đấu", "chỉ tiêu", "dự kiến" … for a target, "đã",
  "đạt", "kết quả", "lũy kế", "so với cùng kỳ" … for a result, "lực lượng lao động", "dân
  số", "hiện có" … for a statistic, money for a budget, the limits of a regulation ("không
  quá", "tối đa", "mức") for other; a clause with cues of two kinds, or none, gives no label.

The test split of corpus/figures is never read here. Cross-validation: the dev texts are
cut into five folds by province; for each fold a model trained on the weak labels and the
other folds' gold runs in the whole targets stage (attachments and all) on the fold's
texts, and scripts/eval_figures.py's matching scores it. The final model is trained on all
of it and written with its model card.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import eval_figures  # noqa: E402

from pipeline.document import Document  # noqa: E402
from pipeline.extract import mentions as mentions_module  # noqa: E402
from pipeline.extract import targets as targets_module  # noqa: E402
from pipeline.extract.attach import document_year  # noqa: E402
from pipeline.extract.mentions import KINDS, Classifier, describe  # noqa: E402
from pipeline.runner import run_stages  # noqa: E402
from pipeline.text.fold import fold  # noqa: E402

CORPORA = Path("/work/shared/corpora/legal")
OUT = ROOT / "models" / "figures"
GOLD_WEIGHT = 3.0
LEGAL_DOCUMENTS = 150  # seeded sample of the legal corpora (statutes: mostly "other" and some targets)
MIN_FEATURE_COUNT = 2
C = 1.0
CLASS_WEIGHT: str | None = "balanced"
TARGET_THRESHOLD = 0.3

CUES = {
    "target": r"phan dau|chi tieu|muc tieu|du kien|ke hoach (?:nam|giao|de ra)|duoc giao|giao cho|it nhat|toi thieu"
              r"|den nam \d{4}|nham dat|bao dam dat|se (?:dua|dat|tao|giai quyet)|binh quan moi nam|moi nam (?:dua|dat|tao)",
    "achieved": r"(?<![a-z])da (?:dua|tao|giai quyet|dao tao|co|thuc hien|ho tro|to chuc|xuat canh)|ket qua|luy ke"
                r"|so voi cung ky|thuc hien duoc|(?<!phan dau )(?<!muc tieu )dat (?:duoc )?\d|uoc dat|tu dau nam|nam qua"
                r"|thang dau nam|tang \d|giam \d|dat ty le|vuot \d",
    "statistic": r"luc luong lao dong|dan so|hien co|hien nay co|dang lam viec|toan tinh co|tong so (?:ho|dan)|ty le that nghiep",
    "other": r"khong qua|toi da|(?<![a-z])muc (?:phat|thu|huong|chi)|phat tien|le phi|khong duoc|thoi han|trong thoi gian",
}
_CUES = {kind: re.compile(pattern) for kind, pattern in CUES.items()}


def weak_label(doc: Document, mention) -> str | None:
    """A noisy label from cue words of the mention's clause (see the module docstring)."""
    if mention.quantity.unit in ("VND", "USD"):
        return "budget"
    if "section:targets" in mention.features:  # under a "Mục tiêu", "Chỉ tiêu" heading of a plan
        return "target"
    clause = fold(doc.text[mention.clause[0]:mention.clause[1]])
    sentence = fold(doc.text[mention.sentence[0]:mention.sentence[1]])
    fired = {kind for kind, cue in _CUES.items() if cue.search(clause)}
    if not fired:
        fired = {kind for kind, cue in _CUES.items() if kind != "other" and cue.search(sentence)}
    return fired.pop() if len(fired) == 1 else None


def documents_of(text: str) -> list[Document]:
    """The documents of a text, with sections and metadata (what the features read)."""
    return [Document(record) for record in run_stages(text, ["sections", "metadata"])]


def gold_examples(split_ids: list[str]) -> list[tuple[list[str], str, str]]:
    """(features, label, province) of every quantity of the dev texts."""
    out = []
    for doc_id, text, gold in eval_figures.gold_of("dev"):
        if doc_id not in split_ids:
            continue
        for doc in documents_of(text):
            year = document_year(doc)
            mentions = [describe(doc, q, year) for q in doc.quantities]
            predicted = [{"kind": "?", "value": m.quantity.value, "value_max": m.quantity.value_max,
                          "start": m.quantity.start, "end": m.quantity.end, "index": i} for i, m in enumerate(mentions)]
            labels = ["other"] * len(mentions)
            for g, p in eval_figures.match(gold["figures"], predicted, doc.text, kinded=False):
                labels[p["index"]] = g["kind"]
            out += [(m.features, label, gold["province"]) for m, label in zip(mentions, labels)]
    return out


def sample_examples() -> list[tuple[list[str], str, str]]:
    """The hand-checked targets (and quota-table statistics) of the sample plans 001 and 004:
    their quantities that match a gold target, as targets. Their other numbers have no gold
    and are not used. (The samples are in-sample for the rules anyway.)"""
    out = []
    for prefix in ("001", "004"):
        (path,) = (ROOT / "corpus" / "samples").glob(f"{prefix}_*.txt")
        gold = json.loads((ROOT / "corpus" / "gold" / prefix / "targets.json").read_text("utf-8"))
        values = {(g["value"], g.get("value_max")) for g in gold if g.get("table") is None}
        for doc in documents_of(path.read_text("utf-8")):
            year = document_year(doc)
            for quantity in doc.quantities:
                if (quantity.value, quantity.value_max) in values:
                    out.append((describe(doc, quantity, year).features, "target", "sample"))
    return out


def weak_texts(seed: int) -> list[str]:
    texts = [p.read_text("utf-8") for p in sorted((ROOT / "corpus" / "admin" / "train").glob("*/*.txt"))]
    legal = []
    for corpus in sorted(CORPORA.glob("*.jsonl.gz")):
        with gzip.open(corpus, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if int(hashlib.sha1(record["id"].encode()).hexdigest(), 16) % 50 != 0:  # train_lm.py's held-out rule
                    legal.append(record["text"])
    random.Random(seed).shuffle(legal)
    return texts + [t[:20000] for t in legal[:LEGAL_DOCUMENTS]]


def weak_examples(seed: int) -> list[tuple[list[str], str, str]]:
    out = []
    for text in weak_texts(seed):
        for doc in documents_of(text):
            year = document_year(doc)
            for quantity in doc.quantities:
                mention = describe(doc, quantity, year)
                label = weak_label(doc, mention)
                if label is not None:
                    out.append((mention.features, label, "weak"))
    return out


def fit(examples: list[tuple[list[str], str, str]], c: float = C, class_weight: str | None = CLASS_WEIGHT,
        target_threshold: float = 1.0) -> Classifier:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(f for features, _, _ in examples for f in set(features))
    kept = [({f: 1.0 for f in features if counts[f] >= MIN_FEATURE_COUNT}, label, source)
            for features, label, source in examples]
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([features for features, _, _ in kept])
    y = [KINDS.index(label) for _, label, _ in kept]
    weights = [1.0 if source == "weak" else GOLD_WEIGHT for _, _, source in kept]
    model = LogisticRegression(C=c, max_iter=3000, class_weight=class_weight)
    model.fit(x, y, sample_weight=weights)
    classes = [KINDS[c] for c in model.classes_]
    table = {name: [round(float(model.coef_[k][j]), 4) for k in range(len(classes))]
             for name, j in vectorizer.vocabulary_.items()}
    table = {name: row for name, row in table.items() if any(row)}
    bias = [round(float(b), 4) for b in model.intercept_]
    return Classifier(tuple(classes), table, bias, target_threshold)


def cross_validate(weak: list, options: dict, folds: int = 5, show_errors: int = 0) -> tuple[dict, Counter]:
    """Province folds of the dev split; returns the summed counts per kind and attributes."""
    documents = eval_figures.gold_of("dev")
    provinces = sorted({gold["province"] for _, _, gold in documents})
    random.Random(7).shuffle(provinces)
    fold_of = {province: i % folds for i, province in enumerate(provinces)}
    totals: dict[str, Counter] = {}
    attributes: Counter = Counter()
    for k in range(folds):
        train_ids = [doc_id for doc_id, _, gold in documents if fold_of[gold["province"]] != k]
        test = [(doc_id, text, gold) for doc_id, text, gold in documents if fold_of[gold["province"]] == k]
        model = fit(weak + gold_examples(train_ids), **options)
        original = targets_module.load_classifier
        targets_module.load_classifier = lambda model=model: model  # the stage reads this fold's model
        try:
            counts, fold_attributes, errors = eval_figures.score(test, show_errors)
            print("\n".join(errors))
        finally:
            targets_module.load_classifier = original
        for kind, c in counts.items():
            totals.setdefault(kind, Counter()).update(c)
        attributes.update(fold_attributes)
    return totals, attributes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv-only", action="store_true")
    parser.add_argument("--no-weak", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--C", type=float, default=C, help="Inverse regularisation strength.")
    parser.add_argument("--unbalanced", action="store_true", help="Do not weigh the kinds inversely to their frequency.")
    parser.add_argument("--target-threshold", type=float, default=TARGET_THRESHOLD,
                        help="A mention at least this likely to be a target is one (1: plain argmax).")
    parser.add_argument("--errors", type=int, default=0, help="Print each fold's first N mistakes (dev texts).")
    args = parser.parse_args()
    options = {"c": args.C, "class_weight": None if args.unbalanced else "balanced", "target_threshold": args.target_threshold}
    weak = ([] if args.no_weak else weak_examples(args.seed)) + sample_examples()
    print(f"weak examples: {len(weak)} {dict(Counter(label for _, label, _ in weak))}")
    counts, attributes = cross_validate(weak, options, show_errors=args.errors)
    print("\ncross-validation on dev (5 province folds, the whole targets stage):\n")
    eval_figures.print_table(counts, attributes)
    if args.cv_only:
        return
    all_ids = [doc_id for doc_id, _, _ in eval_figures.gold_of("dev")]
    gold = gold_examples(all_ids)
    model = fit(weak + gold, **options)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "classifier.json").write_text(json.dumps({"kinds": list(model.kinds), "bias": model.bias,
                                                     "target_threshold": model.target_threshold,
                                                     "weights": model.weights}, ensure_ascii=False) + "\n", "utf-8")
    meta = {"weak_examples": len(weak), "gold_examples": len(gold), "features": len(model.weights), **options,
            "gold_weight": GOLD_WEIGHT, "legal_documents": LEGAL_DOCUMENTS, "seed": args.seed,
            "labels": dict(Counter(label for _, label, _ in weak + gold))}
    (OUT / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8")
    mentions_module.load_classifier.cache_clear()
    print(f"\nwrote {OUT / 'classifier.json'} ({len(model.weights)} features); {meta}")


if __name__ == "__main__":
    main()
