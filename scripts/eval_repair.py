"""Measure diacritic restoration and clean-text preservation; print tables.

    .venv/bin/python scripts/eval_repair.py                       # models/lm only
    .venv/bin/python scripts/eval_repair.py --variants /tmp/lmv   # + baselines, leave-one-out

Restoration: gold text (normalised) → strip all diacritics → `pipeline.repair.repair` →
share of word tokens equal to the gold token (case-sensitive; tone placement is the same
on both sides because both went through `normalize`). Sets: held-out corpus documents
(never trained on, see scripts/train_lm.py) and the clean sample plans 001/003/004.
The samples are in the domain training data of the main model, so they are also scored
with the leave-one-out model trained without the evaluated sample ("no-001", …).
Clean rate: share of word tokens of the gold text left unchanged by `repair(gold)`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from train_lm import CLEAN_SAMPLES, is_held_out, read_corpus  # noqa: E402

import pipeline.repair.lm as lm_module  # noqa: E402
from pipeline.repair import repair  # noqa: E402
from pipeline.repair.normalize import normalize  # noqa: E402
from pipeline.text.vietnamese import strip_diacritics, tokenize  # noqa: E402


def words(text: str) -> list[str]:
    return [t.text for t in tokenize(text) if t.kind == "word"]


def held_out_text(max_words: int) -> str:
    """The first `max_words` words of held-out corpus documents, as whole lines."""
    lines, count = [], 0
    for _, doc_id, text in read_corpus(None, keep=is_held_out):
        for line in text.split("\n"):
            lines.append(line)
            count += len(words(line))
            if count >= max_words:
                return "\n".join(lines)
    return "\n".join(lines)


def sample_text(name: str) -> str:
    return normalize(next((ROOT / "corpus" / "samples").glob(f"{name}_*.txt")).read_text(encoding="utf-8"))


def use_model(path: Path) -> None:
    model = lm_module.LanguageModel.load(path)
    lm_module.use_model(model)


def restoration(gold: str) -> tuple[int, int, int]:
    """(correct words, words, words whose gold form has marks) after strip → repair."""
    pred = words(repair(strip_diacritics(gold)).text)
    ref = words(gold)
    return matches(ref, pred), len(ref), sum(not r.isascii() for r in ref)


def clean_rate(gold: str) -> tuple[int, int]:
    pred, ref = words(repair(gold).text), words(gold)
    return matches(ref, pred), len(ref)


def matches(ref: list[str], pred: list[str]) -> int:
    """Reference words equal to their counterpart; position by position while the word counts
    agree, else after aligning the two sequences (a repair that split or joined a word)."""
    if len(pred) == len(ref):
        return sum(p == r for p, r in zip(pred, ref))
    return sum(r2 - r1 for tag, r1, r2, _, _ in Levenshtein.opcodes(ref, pred) if tag == "equal")


def row(name: str, correct: int, total: int, extra: str = "") -> str:
    return f"| {name} | {total:,} | {100 * correct / total:.2f} % |{extra}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", type=Path, help="Folder with no-domain/, unigram/, no-001/ … from train_lm.py")
    ap.add_argument("--held-out-words", type=int, default=30000)
    ap.add_argument("--model", type=Path, default=lm_module.model_path("lm"), help="The main model (default models/lm).")
    args = ap.parse_args()

    t0 = time.time()
    sets = {"held-out corpus": normalize(held_out_text(args.held_out_words))}
    sets.update({f"sample {name}": sample_text(name) for name in CLEAN_SAMPLES})

    models = {"main (corpus + samples)": args.model}
    if args.variants:
        models["corpus only (no domain)"] = args.variants / "no-domain"
        models["unigram baseline"] = args.variants / "unigram"

    print("## Diacritic restoration: strip → repair, word accuracy\n")
    print("| model | set | words | accuracy |")
    print("|---|---|---|---|")
    for model_name, path in models.items():
        use_model(path)
        for set_name, gold in sets.items():
            correct, total, _ = restoration(gold)
            print(f"| {model_name} | {set_name} | {total:,} | {100 * correct / total:.2f} % |", flush=True)
    if args.variants:
        for name in CLEAN_SAMPLES:
            use_model(args.variants / f"no-{name}")
            correct, total, _ = restoration(sets[f"sample {name}"])
            print(f"| leave-one-out (without {name}) | sample {name} | {total:,} | {100 * correct / total:.2f} % |",
                  flush=True)

    use_model(args.model)
    print("\n## Clean text left unchanged by repair (main model)\n")
    print("| set | words | unchanged |")
    print("|---|---|---|")
    for set_name, gold in sets.items():
        same, total = clean_rate(gold)
        print(f"| {set_name} | {total:,} | {100 * same / total:.3f} % |")
    print(f"\n({time.time() - t0:.0f}s)")


if __name__ == "__main__":
    main()
