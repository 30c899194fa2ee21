"""Cross-validate the NER model: leave one sample plan out, train on the rest, score it.

    nice -n 10 .venv/bin/python scripts/cv_ner.py                 # 5 folds, prints tables
    nice -n 10 .venv/bin/python scripts/cv_ner.py --epochs 4 --folds 001,004

For each fold the model is trained from scratch on the silver corpus lines plus the four
other samples (scripts/train_ner.py's `train`), then on the held-out sample it reports:

1. span P/R/F1 per label against the sample's gold-checked spans (build/ner/samples/);
2. agencies and markets P/R/F1 against corpus/gold with the rule stages only, and with the
   fold's model merged in by the `model` stage (the same scoring as scripts/evaluate.py);
3. what the model finds that the rules miss: model spans that overlap no rule span, how
   many became items, how many of those are in the gold, with examples.

It then writes models/ner/calibration.json: each label's span precision over all folds,
which the `model` stage uses as the confidence of model-only items.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from evaluate import key_of, prf, score  # noqa: E402
from train_ner import DATA, PREFIXES, blank, examples, read, train, training_docs  # noqa: E402

from pipeline.core import document_stages, extract  # noqa: E402
from pipeline.extractors import model as model_stage  # noqa: E402
from pipeline.extractors.agencies import GOLD_KEY as AGENCY_KEY  # noqa: E402
from pipeline.extractors.markets import GOLD_KEY as MARKET_KEY  # noqa: E402

SAMPLES = ROOT / "corpus" / "samples"
GOLD = ROOT / "corpus" / "gold"
FIELDS = {"agencies": AGENCY_KEY, "markets": MARKET_KEY}


def field_counts(prefix: str, records, field: str) -> tuple[int, int, int]:
    path = GOLD / prefix / f"{field}.json"
    gold_items = json.loads(path.read_text("utf-8")) if path.exists() else []
    key = FIELDS[field]
    gold = Counter((g["doc"], *key_of(g, key)) for g in gold_items)
    predicted = Counter((r.source.index, *key_of(i.model_dump(), key)) for r in records for i in getattr(r, field))
    return score(gold, predicted)


def add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def fold(prefix: str, epochs: int, seed: int, silver_limit: int, examples_out: list[str]) -> dict:
    probe = blank()
    docs = training_docs(probe, {prefix}, 3, silver_limit)
    nlp = train(docs, [], epochs=epochs, seed=seed, log=lambda *_: None)
    held = read(nlp, DATA / "samples" / f"{prefix}.spacy")
    spans = nlp.evaluate(examples(held)) if held else {}
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    stages = [s for s in document_stages() if s != "model"]
    rules = extract(path, stages=stages)
    merged = [model_stage.apply(r.model_copy(deep=True), nlp, {}) for r in rules]
    result = {"spans": spans, "rules": {}, "model": {}, "missed": Counter()}
    for field in FIELDS:
        result["rules"][field] = field_counts(prefix, rules, field)
        result["model"][field] = field_counts(prefix, merged, field)
    gold_names = {" ".join(g["name"].casefold().split()) for g in json.loads((GOLD / prefix / "agencies.json").read_text("utf-8"))}
    for record, after in zip(rules, merged):
        covered = model_stage.rule_spans(record)
        for start, end, label in model_stage.predict(nlp, record.text):
            if any(s < end and start < e for s, e, _ in covered):
                continue
            result["missed"][label] += 1
            text = record.text[start:end].replace("\n", " ")
            items = [a for a in after.agencies if a.source == "model" and any(m.start == start for m in a.mentions)]
            if items:
                result["missed"]["AGENCY items"] += 1
                if " ".join(items[0].name.casefold().split()) in gold_names:
                    result["missed"]["AGENCY items in gold"] += 1
            if len(examples_out) < 40:
                examples_out.append(f"{prefix} {label:<8} {text!r}" + (f" → {items[0].name!r}" if items else ""))
    return result


def dev_report(limit: int = 15) -> None:
    """The trained model (models/ner) on the held-out corpus lines: spans vs silver, and new ones."""
    nlp = model_stage.load_model()
    if nlp is None:
        print("no trained model under models/ner")
        return
    docs = read(nlp, DATA / "dev.spacy")
    scores = nlp.evaluate(examples(docs))
    print(f"4. Trained model on {len(docs)} held-out corpus lines (build/ner/dev.spacy, never trained on)")
    print(f"   vs rule (silver) spans: P {scores['ents_p']:.3f} R {scores['ents_r']:.3f} F1 {scores['ents_f']:.3f}")
    new, shown = Counter(), []
    for ref in docs:
        text = ref.text
        covered = [(e.start_char, e.end_char) for e in ref.ents]
        for start, end, label in model_stage.predict(nlp, text):
            if not any(s < end and start < e for s, e in covered):
                new[label] += 1
                if len(shown) < limit:
                    shown.append(f"  {label:<8} {text[start:end]!r}  ← {text[max(0, start - 40):end + 30]!r}")
    print(f"   model spans overlapping no rule span: {dict(new)}")
    print("\n".join(shown))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", default=",".join(PREFIXES))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--silver-limit", type=int, default=1500, help="Silver lines per fold (CPU budget).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dev", action="store_true", help="Only score the trained model on the held-out corpus lines.")
    args = parser.parse_args(argv)
    if args.dev:
        dev_report()
        return 0

    span_rows, field_rows, missed, shown = [], [], Counter(), []
    per_type: dict[str, list[tuple[float, int]]] = {}
    totals = {(stage, f): (0, 0, 0) for stage in ("rules", "model") for f in FIELDS}
    for prefix in args.folds.split(","):
        r = fold(prefix, args.epochs, args.seed, args.silver_limit, shown)
        s = r["spans"]
        span_rows.append(f"{prefix:<6} {s.get('ents_p') or 0:>6.3f} {s.get('ents_r') or 0:>6.3f} {s.get('ents_f') or 0:>6.3f}")
        for label, v in (s.get("ents_per_type") or {}).items():
            per_type.setdefault(label, []).append((v["p"], 1))
        for stage in ("rules", "model"):
            for f in FIELDS:
                c = r[stage][f]
                totals[(stage, f)] = add(totals[(stage, f)], c)
                p, rc, f1 = prf(*c)
                field_rows.append(f"{prefix:<6} {f:<9} {stage:<6} {c[0]:>4} {c[1]:>4} {c[2]:>4} {p:>6.3f} {rc:>6.3f} {f1:>6.3f}")
        missed.update(r["missed"])
        print(f"fold {prefix} done", file=sys.stderr)

    print(f"Leave-one-sample-out, {args.epochs} epochs per fold, {args.silver_limit} silver lines + 4 samples\n")
    print("1. NER spans on the held-out sample (vs gold-checked spans)")
    print(f"{'fold':<6} {'P':>6} {'R':>6} {'F1':>6}")
    print("\n".join(span_rows))
    print("\nper label, mean precision over folds where the label was predicted:")
    calib = {}
    for label, values in sorted(per_type.items()):
        calib[label] = round(sum(p for p, _ in values) / len(values), 3)
        print(f"  {label:<9} {calib[label]:.3f} ({len(values)} folds)")
    print("\n2. Fields on the held-out sample, rules only vs rules + fold model")
    print(f"{'fold':<6} {'field':<9} {'stage':<6} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}")
    print("\n".join(field_rows))
    for (stage, f), c in totals.items():
        p, rc, f1 = prf(*c)
        print(f"{'all':<6} {f:<9} {stage:<6} {c[0]:>4} {c[1]:>4} {c[2]:>4} {p:>6.3f} {rc:>6.3f} {f1:>6.3f}")
    print("\n3. Model spans that overlap no rule span (held-out samples)")
    for label, n in sorted(missed.items()):
        print(f"  {label:<22} {n}")
    print("examples:")
    print("\n".join("  " + line for line in shown[:25]))
    out = model_stage.MODEL_DIR / "calibration.json"
    if out.parent.exists():
        out.write_text(json.dumps(calib, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
