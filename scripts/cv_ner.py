"""Cross-validate the NER model: leave one sample out, train on the rest, score what it adds.

    nice -n 10 .venv/bin/python scripts/cv_ner.py --data build/ner-noisy --models build/ner-cv/noisy
    nice -n 10 .venv/bin/python scripts/cv_ner.py --folds 000,002,004 --write-calibration
    nice -n 10 .venv/bin/python scripts/cv_ner.py --noisy-dev --data build/ner-noisy   # trained model only
    nice -n 10 .venv/bin/python scripts/cv_ner.py --width 96 --depth 4 --models build/ner-cv/w96d4

For each fold the model is trained from scratch on silver corpus lines plus the four other
samples (and the noisy copies of both, when the data folder has them; scripts/train_ner.py's
`train`, tok2vec --width × --depth), or loaded from --models when an earlier run saved it
(a saved fold model of another width/depth is refused). On the held-out sample:

1. NER span P/R/F1 against the sample's gold-checked spans;
2. agencies and markets P/R/F1 against corpus/gold (the scoring of scripts/evaluate.py):
   rules only, rules + fold model reading every line, and rules + fold model reading only
   the lines the repair stage changed (the stage's default). The fold's fuzzy-match
   threshold is the one that scores best on the noisy held-out corpus lines (below) with the
   fold's model — never on a sample;
3. the items the model changed: added or renamed by it, and whether the gold has them.

`--write-calibration` stores each label's span precision over the folds (the confidence of
model-only items) in models/ner/calibration.json; with --noisy-dev, the threshold chosen
for the trained model.

`--noisy-dev` scores the trained model (models/ner) on text it never saw in any form: the
held-out corpus lines (build_ner_data's id-hash rule) with residual-OCR noise. The truth is
the agency names the rules read on each line's clean original; rules and rules + model
read the noisy line. It prints a sweep of the fuzzy-match threshold and picks the best.
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

import spacy  # noqa: E402
from evaluate import key_of, prf, score  # noqa: E402
from train_ner import DATA, DEPTH, PREFIXES, WIDTH, blank, examples, read, train, training_docs  # noqa: E402

from pipeline.document import Document  # noqa: E402
from pipeline.extract import ner as model_stage  # noqa: E402
from pipeline.extract.agencies import GOLD_KEY as AGENCY_KEY  # noqa: E402
from pipeline.extract.agencies import name_key
from pipeline.extract.markets import GOLD_KEY as MARKET_KEY  # noqa: E402
from pipeline.registry import get_stage  # noqa: E402
from pipeline.runner import document_stages, run_stages  # noqa: E402
from pipeline.schema import DocumentRecord  # noqa: E402

SAMPLES = ROOT / "corpus" / "samples"
GOLD = ROOT / "corpus" / "gold"
FIELDS = {"agencies": AGENCY_KEY, "markets": MARKET_KEY, "names": ("name",)}  # names: agencies, roles ignored
FILES = {"agencies": "agencies", "markets": "markets", "names": "agencies"}
THRESHOLDS = (70, 75, 80, 85, 88, 90, 92, 95, 101)  # 101: no fuzzy match at all
SCOPES = ("all", "repaired")


# ------------------------------------------------------------------- scoring
def gold_counter(prefix: str, field: str) -> Counter:
    path = GOLD / prefix / f"{FILES[field]}.json"
    items = json.loads(path.read_text("utf-8")) if path.exists() else []
    return Counter((g["doc"], *key_of(g, FIELDS[field])) for g in items)


def predicted_counter(records, field: str) -> Counter:
    return Counter((r.source.index, *key_of(i.model_dump(), FIELDS[field]))
                   for r in records for i in getattr(r, FILES[field]))


def add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def f1_of(counts) -> float:
    return prf(*counts)[2]


# --------------------------------------------------------------------- folds
def fold_model(prefix: str, epochs: int, seed: int, silver_limit: int, data: Path, models: Path | None,
               width: int = WIDTH, depth: int = DEPTH):
    """The fold's model: loaded from `models/<prefix>` when saved by an earlier run, else trained (and saved)."""
    saved = models / prefix if models else None
    if saved and (saved / "meta.json").exists():
        nlp = spacy.load(saved)
        tok2vec = nlp.config["components"]["ner"]["model"]["tok2vec"]
        if (tok2vec["width"], tok2vec["depth"]) != (width, depth):
            raise SystemExit(f"{saved} has a tok2vec of width {tok2vec['width']} depth {tok2vec['depth']}, "
                             f"not {width} × {depth}: pass its sizes or another --models folder")
        model_stage._use_numpy_matmul(nlp)
        return nlp
    docs = training_docs(blank(), {prefix}, 3, silver_limit, data)
    nlp = train(docs, [], epochs=epochs, seed=seed, log=lambda *_: None, width=width, depth=depth)
    nlp.meta["chithi_training"] = {"train_docs": len(docs), "epochs": epochs, "seed": seed,
                                   "silver_limit": silver_limit, "data": str(data), "held_out_samples": [prefix],
                                   "width": width, "depth": depth}
    if saved:
        saved.mkdir(parents=True, exist_ok=True)
        nlp.to_disk(saved)
    return nlp


def merged(records, predictions, scope: str, threshold: float):
    """The held-out records with the fold model's spans merged in (`scope` lines only)."""
    calib = {"match_threshold": {"AGENCY": threshold, "MARKET": threshold}}
    out = []
    for record, spans in zip(records, predictions):
        lines = model_stage.lines_to_read(record, scope)
        kept = [(s, e, label) for s, e, label in spans if any(a <= s and e <= b for a, b in lines)]
        out.append(model_stage.apply(Document(record.model_copy(deep=True)), None, calib, spans=kept))
    return out


def fold_result(prefix: str, nlp, data: Path, dev_data: Path) -> dict:
    held = read(nlp, data / "samples" / f"{prefix}.spacy")
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    rules = run_stages(path, stages=[s.name for s in document_stages(model=False)])
    predictions = [model_stage.predict(nlp, r.text) for r in rules]
    counts = {("rules", None, f): score(gold_counter(prefix, f), predicted_counter(rules, f)) for f in FIELDS}
    for scope in SCOPES:
        for threshold in THRESHOLDS:
            after = merged(rules, predictions, scope, threshold)
            for f in FIELDS:
                counts[(scope, threshold, f)] = score(gold_counter(prefix, f), predicted_counter(after, f))
    dev = noisy_dev(nlp, dev_data)
    return {"spans": nlp.evaluate(examples(held)) if held else {}, "counts": counts,
            "rules": rules, "predictions": predictions, "threshold": dev_threshold(dev) if dev else 101}


def sum_counts(results, folds, scope, threshold, field):
    c = (0, 0, 0)
    for prefix in folds:
        c = add(c, results[prefix]["counts"][(scope, threshold, field)])
    return c


def changed_items(prefix: str, result: dict, threshold: float) -> list[str]:
    """Agencies/markets the model added or renamed (all lines read), marked ✓ when in gold
    (agencies: name and roles; names: the name, roles ignored)."""
    after = merged(result["rules"], result["predictions"], "all", threshold)
    lines = []
    for field in FIELDS:
        gold = gold_counter(prefix, field)
        before = predicted_counter(result["rules"], field)
        for record in after:
            for item in getattr(record, FILES[field]):
                key = (record.source.index, *key_of(item.model_dump(), FIELDS[field]))
                if item.source == "rule" or before[key]:
                    continue
                texts = "; ".join(repr(m.text) for m in item.mentions[:2])
                what = item.code if field == "markets" else item.roles
                lines.append(f"{prefix} {field:<9} {'✓' if gold[key] else '✗'} {item.name!r} {what} ← {texts}")
    return lines


# ---------------------------------------------------------------- noisy dev
def noisy_dev(nlp, data: Path) -> list[tuple[Counter, DocumentRecord, list]]:
    """Noisy held-out corpus lines: (truth = rule names on the clean line, rule record of the
    noisy line, the model's spans on it)."""
    lines = []
    for doc in read(nlp, data / "dev.noisy.spacy"):
        truth = Counter(name_key(a.name) for a in rule_record(doc.user_data["clean"]).agencies)
        noisy = rule_record(doc.text)
        lines.append((truth, noisy, model_stage.predict(nlp, noisy.text)))
    return lines


def names_of(record) -> Counter:
    return Counter(name_key(a.name) for a in record.agencies)


def dev_counts(lines, threshold: float | None) -> tuple:
    """Agency-name counts over noisy dev lines: rules only (threshold None) or rules + model."""
    c = (0, 0, 0)
    for truth, record, spans in lines:
        if threshold is not None:
            calib = {"match_threshold": {"AGENCY": threshold, "MARKET": threshold}}
            record = model_stage.apply(Document(record.model_copy(deep=True)), None, calib, spans=spans)
        c = add(c, score(truth, names_of(record)))
    return c


def dev_threshold(lines) -> float:
    """The threshold with the best name F1 on noisy dev lines (ties: the higher)."""
    return max(THRESHOLDS, key=lambda t: (round(f1_of(dev_counts(lines, t)), 6), t))


def noisy_dev_report(data: Path, model_path: Path) -> float:
    """The trained model on noisy copies of held-out corpus lines: threshold sweep and examples."""
    nlp = spacy.load(model_path)
    model_stage._use_numpy_matmul(nlp)
    lines = noisy_dev(nlp, data)
    print(f"Noisy held-out corpus lines: {len(lines)} ({data / 'dev.noisy.spacy'}), never trained on in any form;")
    print("truth = the agency names the rules read on each clean line; roles ignored")
    print(f"{'reader':<22} {'tp':>5} {'fp':>5} {'fn':>5} {'P':>6} {'R':>6} {'F1':>6}")
    for threshold in (None, *THRESHOLDS):
        c = dev_counts(lines, threshold)
        name = "rules" if threshold is None else f"rules+model (T={threshold})"
        print(f"{name:<22} {c[0]:>5} {c[1]:>5} {c[2]:>5} " + " ".join(f"{x:>6.3f}" for x in prf(*c)))
    chosen = dev_threshold(lines)
    print(f"chosen threshold: {chosen}")
    print("agency names the model added or renamed there (✓ = the clean line's rules read it):")
    calib = {"match_threshold": {"AGENCY": chosen, "MARKET": chosen}}
    shown = 0
    for truth, record, spans in lines:
        after = model_stage.apply(Document(record.model_copy(deep=True)), None, calib, spans=spans)
        for name in names_of(after) - names_of(record):
            agency = next(a for a in after.agencies if name_key(a.name) == name)
            if shown < 15:
                print(f"  {'✓' if truth[name] else '✗'} {agency.name!r} ← {agency.mentions[0].text!r}")
                shown += 1
    return chosen


def rule_record(text: str) -> DocumentRecord:
    doc = Document.from_text(text)
    for name in ("markets", "agencies"):
        get_stage(name).run(doc)
    return doc.record


# ---------------------------------------------------------------------- main
def print_tables(results: dict[str, dict], folds: list[str], epochs: int, silver_limit: int, data: Path,
                 width: int = WIDTH, depth: int = DEPTH) -> dict:
    print(f"Leave-one-sample-out, {epochs} epochs per fold, {silver_limit} silver lines + 4 samples, data {data}, "
          f"tok2vec {width} × {depth}\n")
    print("1. NER spans on the held-out sample (vs gold-checked spans)")
    print(f"{'fold':<6} {'P':>6} {'R':>6} {'F1':>6}")
    per_type: dict[str, list[float]] = {}
    for prefix in folds:
        s = results[prefix]["spans"]
        print(f"{prefix:<6} {s.get('ents_p') or 0:>6.3f} {s.get('ents_r') or 0:>6.3f} {s.get('ents_f') or 0:>6.3f}")
        for label, v in (s.get("ents_per_type") or {}).items():
            per_type.setdefault(label, []).append(v["p"])
    confidence = {label: round(sum(v) / len(v), 3) for label, v in sorted(per_type.items())}
    print("per label, mean precision over folds where the label was predicted:", confidence)

    print("\n2. Fuzzy-match threshold sweep, all lines read, summed over folds (F1 of agencies | markets | names)")
    for t in THRESHOLDS:
        a, m, n = (f1_of(sum_counts(results, folds, "all", t, f)) for f in FIELDS)
        print(f"   {t:>4}  {a:.3f} | {m:.3f} | {n:.3f}")
    chosen = {p: results[p]["threshold"] for p in folds}
    print("threshold per fold, chosen on noisy held-out corpus lines with the fold's model:", chosen)

    print("\n3. Fields on the held-out sample: rules only vs rules + fold model")
    print(f"{'fold':<6} {'field':<9} {'reader':<16} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}")
    totals: dict[tuple[str, str], tuple] = {}
    for prefix in folds:
        counts = results[prefix]["counts"]
        for field in FIELDS:
            for reader, key in (("rules", ("rules", None, field)),
                                ("+model all", ("all", chosen[prefix], field)),
                                ("+model repaired", ("repaired", chosen[prefix], field))):
                c = counts[key]
                totals[(reader, field)] = add(totals.get((reader, field), (0, 0, 0)), c)
                print(f"{prefix:<6} {field:<9} {reader:<16} {c[0]:>4} {c[1]:>4} {c[2]:>4} " +
                      " ".join(f"{x:>6.3f}" for x in prf(*c)))
    for (reader, field), c in sorted(totals.items(), key=lambda x: x[0][1]):
        print(f"{'all':<6} {field:<9} {reader:<16} {c[0]:>4} {c[1]:>4} {c[2]:>4} " +
              " ".join(f"{x:>6.3f}" for x in prf(*c)))

    print("\n4. Items the fold model added or renamed (all lines read; ✓ = in the gold)")
    for prefix in folds:
        print("\n".join("  " + line for line in changed_items(prefix, results[prefix], chosen[prefix])) or f"  {prefix}: none")
    return {"confidence": confidence}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", default=",".join(PREFIXES))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--silver-limit", type=int, default=1500, help="Silver lines per fold (CPU budget).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DATA, help="Folder written by build_ner_data.py.")
    parser.add_argument("--width", type=int, default=WIDTH, help="Width of the fold models' tok2vec.")
    parser.add_argument("--depth", type=int, default=DEPTH, help="Convolution layers of the fold models' tok2vec.")
    parser.add_argument("--dev-data", type=Path, default=None,
                        help="Folder whose dev.noisy.spacy picks the threshold (default: --data).")
    parser.add_argument("--models", type=Path, default=None,
                        help="Save each fold's model under MODELS/<prefix>, or reuse it if already there.")
    parser.add_argument("--write-calibration", action="store_true",
                        help="Write confidences and the chosen threshold to models/ner/calibration.json.")
    parser.add_argument("--noisy-dev", action="store_true",
                        help="Only score the trained model on noisy held-out corpus lines.")
    parser.add_argument("--model", type=Path, default=model_stage.model_dir(), help="Model for --noisy-dev.")
    args = parser.parse_args(argv)
    document_stages()  # registers every stage the model stage may call
    if args.noisy_dev:
        chosen = noisy_dev_report(args.data, args.model)
        if args.write_calibration:
            write_calibration({"match_threshold": {"AGENCY": chosen, "MARKET": chosen}})
        return 0

    folds = args.folds.split(",")
    results = {}
    for prefix in folds:
        nlp = fold_model(prefix, args.epochs, args.seed, args.silver_limit, args.data, args.models,
                         args.width, args.depth)
        results[prefix] = fold_result(prefix, nlp, args.data, args.dev_data or args.data)
        print(f"fold {prefix} done", file=sys.stderr)
    calib = print_tables(results, folds, args.epochs, args.silver_limit, args.data, args.width, args.depth)
    if args.write_calibration:
        write_calibration(calib)
    return 0


def write_calibration(update: dict) -> None:
    """Update models/ner/calibration.json with `update`'s keys (the rest kept)."""
    out = model_stage.model_dir() / "calibration.json"
    calib = {**model_stage.calibration(str(model_stage.model_dir())), **update}
    out.write_text(json.dumps(calib, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)}: {calib}")


if __name__ == "__main__":
    raise SystemExit(main())
