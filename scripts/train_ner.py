"""Train the NER model of the `model` stage (CPU, a few minutes) and save it to models/ner/.

    nice -n 10 .venv/bin/python scripts/build_ner_data.py     # first: build/ner/*.spacy
    nice -n 10 .venv/bin/python scripts/train_ner.py           # → models/ner/
    nice -n 10 .venv/bin/python scripts/train_ner.py --epochs 6 --hold-out 004
    nice -n 10 .venv/bin/python scripts/train_ner.py --width 96 --depth 4 --out build/ner-w96d4

The pipeline is `spacy.blank("vi")` with the syllable tokenizer (`use_pyvi = false`) and
spaCy's default `ner` (a transition-based parser) over a HashEmbedCNN tok2vec of
--width × --depth (default 96 × 4, spaCy's; 64 × 2 is 38 % faster but tags less exactly,
see the Size section of models/ner/MODEL_CARD.md), its other settings spaCy's defaults. Training data: build/ner/train.spacy
(filtered silver) plus the gold-checked sample DocBins (oversampled), minus any sample
named by --hold-out. build/ner/dev.spacy (held-out corpus records) is scored after each epoch.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spacy  # noqa: E402
from spacy.tokens import Doc, DocBin  # noqa: E402
from spacy.training import Example  # noqa: E402
from spacy.util import compounding, fix_random_seed, minibatch  # noqa: E402

from pipeline.extract.ner import LABELS, model_dir  # noqa: E402

DATA = ROOT / "build" / "ner"
PREFIXES = ("000", "001", "002", "003", "004")
WIDTH, DEPTH = 96, 4  # the tok2vec of models/ner (spaCy's default); smaller ones: MODEL_CARD.md, Size


def blank():
    return spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})


def read(nlp, path: Path) -> list[Doc]:
    return list(DocBin().from_disk(path).get_docs(nlp.vocab)) if path.exists() else []


def examples(docs: list[Doc]) -> list[Example]:
    return [Example(Doc(ref.vocab, words=[t.text for t in ref], spaces=[bool(t.whitespace_) for t in ref]), ref)
            for ref in docs]


def training_docs(nlp, hold_out: set[str], oversample: int, silver_limit: int | None = None,
                  data: Path = DATA) -> list[Doc]:
    """Silver lines and their noisy copies (if built), plus the samples not held out and theirs."""
    docs = read(nlp, data / "train.spacy")[:silver_limit] + read(nlp, data / "train.noisy.spacy")[:silver_limit]
    for prefix in PREFIXES:
        if prefix not in hold_out:
            docs += read(nlp, data / "samples" / f"{prefix}.spacy") * oversample
            docs += read(nlp, data / "samples" / f"{prefix}.noisy.spacy")
    return docs


def ner_config(width: int = WIDTH, depth: int = DEPTH) -> dict:
    """spaCy's default `ner` model config with a HashEmbedCNN tok2vec of `width` × `depth`."""
    return {"model": {
        "@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner", "extra_state_tokens": False,
        "hidden_width": 64, "maxout_pieces": 2, "use_upper": True, "nO": None,
        "tok2vec": {"@architectures": "spacy.HashEmbedCNN.v2", "pretrained_vectors": None, "width": width,
                    "depth": depth, "embed_size": 2000, "window_size": 1, "maxout_pieces": 3,
                    "subword_features": True},
    }}


def train(train_docs: list[Doc], dev_docs: list[Doc], *, epochs: int, seed: int, log=print,
          width: int = WIDTH, depth: int = DEPTH):
    """A fresh blank('vi') + ner (tok2vec `width` × `depth`) trained on `train_docs`; prints dev P/R/F per epoch."""
    fix_random_seed(seed)
    nlp = blank()
    ner = nlp.add_pipe("ner", config=ner_config(width, depth))
    for label in LABELS:
        ner.add_label(label)
    train_examples = examples(train_docs)
    dev_examples = examples(dev_docs)
    optimizer = nlp.initialize(lambda: train_examples)
    rng = random.Random(seed)
    for epoch in range(1, epochs + 1):
        started, losses = time.time(), {}
        rng.shuffle(train_examples)
        for batch in minibatch(train_examples, size=compounding(8.0, 32.0, 1.001)):
            nlp.update(batch, sgd=optimizer, drop=0.2, losses=losses)
        scores = nlp.evaluate(dev_examples) if dev_examples else {}
        log(f"{epoch:>5} {losses.get('ner', 0):>10.1f} {scores.get('ents_p') or 0:>6.3f} "
            f"{scores.get('ents_r') or 0:>6.3f} {scores.get('ents_f') or 0:>6.3f} {time.time() - started:>6.1f}")
    return nlp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--oversample", type=int, default=3, help="Copies of each gold-checked sample line.")
    parser.add_argument("--silver-limit", type=int, default=None, help="Use only the first N silver lines.")
    parser.add_argument("--hold-out", default="", help="Comma-separated sample prefixes to leave out.")
    parser.add_argument("--data", type=Path, default=DATA, help="Folder written by build_ner_data.py.")
    parser.add_argument("--width", type=int, default=WIDTH, help="Width of the HashEmbedCNN tok2vec.")
    parser.add_argument("--depth", type=int, default=DEPTH, help="Convolution layers of the tok2vec.")
    parser.add_argument("--out", type=Path, default=model_dir())
    args = parser.parse_args(argv)

    hold_out = {p for p in args.hold_out.split(",") if p}
    probe = blank()
    train_docs = training_docs(probe, hold_out, args.oversample, args.silver_limit, args.data)
    dev_docs = read(probe, args.data / "dev.spacy")
    if not train_docs:
        print("no training data: run scripts/build_ner_data.py first", file=sys.stderr)
        return 1
    print(f"train docs: {len(train_docs)}, dev docs: {len(dev_docs)}, held out samples: {sorted(hold_out) or '-'}, "
          f"tok2vec width {args.width} depth {args.depth}")
    print(f"{'epoch':>5} {'loss':>10} {'dev P':>6} {'dev R':>6} {'dev F':>6} {'sec':>6}")
    nlp = train(train_docs, dev_docs, epochs=args.epochs, seed=args.seed, width=args.width, depth=args.depth)
    nlp.meta.update({"name": "chithi_ner", "version": "0.1.0", "description":
                     "AGENCY/MARKET/TARGET/DEADLINE spans for chithi; see MODEL_CARD.md",
                     "chithi_training": {"train_docs": len(train_docs), "dev_docs": len(dev_docs),
                                         "epochs": args.epochs, "seed": args.seed,
                                         "width": args.width, "depth": args.depth,
                                         "silver_limit": args.silver_limit, "data": str(args.data),
                                         "held_out_samples": sorted(hold_out)}})
    args.out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.out)
    print(f"saved to {args.out}")
    print(json.dumps(nlp.meta["chithi_training"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
