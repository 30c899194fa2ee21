"""Speed, load time and memory of the repair stage; prints a table.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_repair.py [--model models/lm]

Each measurement runs in a fresh interpreter so load time and peak memory are the
stage's own: load = `LanguageModel.load` + the candidate table; restoration speed =
stripped sample plans 001/003/004 through `diacritics.restore_lines` (CPU time of one
process, so other jobs on the machine do not inflate it); repair speed = the same text
through `repair.repair` (routing included); clean speed = the clean text through
`repair`. Peak memory = the child's maximum resident set size (includes Python + numpy).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
t0, c0 = time.perf_counter(), time.process_time()
import pipeline.repair.lm as L
model = L.LanguageModel.load(Path(sys.argv[1]))
model.candidates("a")
load, load_cpu = time.perf_counter() - t0, time.process_time() - c0
L.use_model(model)
from pipeline.repair.diacritics import restore_lines
from pipeline.repair.normalize import normalize
from pipeline.repair import repair
from pipeline.text.vietnamese import strip_diacritics, tokenize
gold = "\n".join(normalize(next(Path("corpus/samples").glob(f"{n}_*.txt")).read_text()) for n in ("001", "003", "004"))
stripped = strip_diacritics(gold)
n = sum(1 for t in tokenize(gold) if t.kind == "word")
def cpu(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time(); fn(); best = min(best, time.process_time() - t)
    return best
lines = [(line, "stripped") for line in stripped.split("\n")]
restore_lines(lines)  # warm caches
out = {
    "syllables": n,
    "load_s": load,
    "load_cpu_s": load_cpu,
    "restore_syl_per_s": n / cpu(lambda: restore_lines(lines)),
    "repair_syl_per_s": n / cpu(lambda: repair(stripped)),
    "clean_syl_per_s": n / cpu(lambda: repair(gold)),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "model_mb": sum(f.stat().st_size for f in Path(sys.argv[1]).iterdir()) / 1e6,
}
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "lm")
    args = ap.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(args.model)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print("| measure | value |")
    print("|---|---|")
    print(f"| model size on disk | {r['model_mb']:.1f} MB |")
    print(f"| load time (import + model + candidate table), wall | {r['load_s']:.2f} s |")
    print(f"| load time, CPU | {r['load_cpu_s']:.2f} s |")
    print(f"| restoration speed (stripped text, 1 core CPU time) | {r['restore_syl_per_s']:,.0f} syllables/s |")
    print(f"| repair() on stripped text (routing included) | {r['repair_syl_per_s']:,.0f} syllables/s |")
    print(f"| repair() on clean text | {r['clean_syl_per_s']:,.0f} syllables/s |")
    print(f"| peak memory (max RSS, whole process) | {r['peak_rss_mb']:.0f} MB |")
    print(f"\n(text: clean samples 001/003/004, {r['syllables']:,} words)")


if __name__ == "__main__":
    main()
