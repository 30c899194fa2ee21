"""Repair speed of this tree against another checkout (the base commit), as a ratio, in one run.

    git worktree add --detach /tmp/chithi-base <base commit>
    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_repair_ratio.py --base /tmp/chithi-base --rounds 3

Runs each tree's own scripts/bench_repair.py (stripped and clean sample plans) and
scripts/bench_garble.py (the English-OCR samples 000 and 002, cold token caches) in fresh
processes, alternating base and new, --rounds times; every figure is CPU time of one process
(best of the script's own repeats), so the two trees see the same machine load over the run.
Prints per-document milliseconds of each round and the ratio new / base of the medians.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(tree: Path, script: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    env["CHITHI_MODELS"] = str(tree / "models")  # each tree's own models (an installed chithi may point elsewhere)
    return subprocess.run([sys.executable, f"scripts/{script}"], cwd=tree, env=env, capture_output=True, text=True,
                          check=True).stdout


def measures(tree: Path) -> dict[str, float]:
    """Milliseconds per document: repair() on the 3 stripped and the 3 clean plans, and on 000 and 002."""
    out: dict[str, float] = {}
    table = run(tree, "bench_repair.py")
    words = int(re.search(r"([\d,]+) words\)", table).group(1).replace(",", ""))
    for name, label in (("stripped plans (001/003/004)", r"repair\(\) on stripped text"),
                        ("clean plans (001/003/004)", r"repair\(\) on clean text")):
        rate = float(re.search(label + r"[^|]*\| ([\d,]+) syllables/s", table).group(1).replace(",", ""))
        out[name] = 1000 * words / rate / 3
    for line in run(tree, "bench_garble.py").splitlines():
        found = re.match(r"\| (\d{3})_\S+ +\| +\d+ \| +(\d+) \|", line)
        if found:
            out[f"English-OCR sample {found.group(1)}"] = float(found.group(2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="a checkout of the base commit")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"base": [], "new": []}
    for round_ in range(args.rounds):
        for name, tree in (("base", args.base), ("new", ROOT)):
            runs[name].append(measures(tree))
            print(f"round {round_ + 1} {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in runs[name][-1].items()),
                  file=sys.stderr, flush=True)
    print("| document | base ms (each round) | new ms (each round) | new / base (medians) |")
    print("|---|---|---|---:|")
    for key in runs["base"][0]:
        old = [r[key] for r in runs["base"]]
        new = [r[key] for r in runs["new"]]
        print(f"| {key} | {', '.join(f'{x:.1f}' for x in old)} | {', '.join(f'{x:.1f}' for x in new)} | "
              f"{statistics.median(new) / statistics.median(old):.2f} |")


if __name__ == "__main__":
    main()
