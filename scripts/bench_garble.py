"""Speed of English-OCR garble repair on the garbled sample plans; prints a table.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_garble.py [--dump DIR]

Samples 000 (diacritics stripped and some tokens garbled) and 002 (read by an English OCR
model) go through `repair.repair` with cold per-token caches: models are loaded and warmed
first, then each run starts by clearing `garble`'s token cache, so every distinct token is
searched again, as in a fresh process. Time is CPU time of this process (other jobs on the
machine do not inflate it), best of --repeat runs. --dump writes each repaired text to DIR so
that two versions of the repairer can be diffed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pipeline.repair import channel, garble, garbled_codes, repair
from pipeline.repair.normalize import normalize
from pipeline.text.vietnamese import tokenize

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ("000", "002")


def _clear_caches() -> None:
    channel.syllable_candidates.cache_clear()
    garble._core_candidates.cache_clear()
    garbled_codes.repair_code.cache_clear()
    garbled_codes._read_as.cache_clear()
    garble._read_as_itself.cache_clear()


def _best_cpu_seconds(text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        _clear_caches()
        began = time.process_time()
        repair(text)
        best = min(best, time.process_time() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dump", type=Path, help="write each repaired text to this folder")
    args = parser.parse_args()

    repair("Kế hoạch ViQt Nam")  # load the channel, the trie and the language model
    print(f"| {'sample':28} | words | ms / file | words / s |")
    print(f"|{'-' * 30}|------:|----------:|----------:|")
    for name in SAMPLES:
        path = next((ROOT / "corpus" / "samples").glob(f"{name}_*.txt"))
        text = normalize(path.read_text(encoding="utf-8"))
        words = sum(1 for t in tokenize(text) if t.kind == "word")
        seconds = _best_cpu_seconds(text, args.repeat)
        print(f"| {path.name:28} | {words:5} | {1000 * seconds:9.0f} | {words / seconds:9.0f} |")
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            (args.dump / path.name).write_text(repair(text).text, encoding="utf-8")


if __name__ == "__main__":
    main()
