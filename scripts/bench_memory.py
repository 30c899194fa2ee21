"""Memory of one batch worker over a long run: RSS every few hundred documents, with and without
worker recycling (`chithi batch --recycle-after`).

    OPENBLAS_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/bench_memory.py --documents 2000

Inputs: DOCUMENTS distinct noisy documents made from the held-out pieces of the legal corpora
(scripts/bench_batch.py's distinct set, 203 pieces): copy k of a piece has about 4 % of its
words changed at one letter (a seeded random letter or digit), and every 5th copy is also
stripped of its diacritics. Every copy so brings words no earlier document had, as OCR
noise does: new entries for the stages' word caches and spaCy's StringStore (the NER reads
the lines the repair stage changed, so the repair stage is on).

Each configuration runs `chithi batch --workers 1` as a subprocess and samples, twice a
second, the documents written so far and the RSS of the worker process (the fork server's
child; with recycling, the worker alive at that moment). The table gives the RSS when the
worker started ("start"), at every STEP documents, and at the end; then the run's wall and
CPU time (the CPU time of the whole process tree: what recycling costs, as fresh workers
fill their word caches again, shows there less blurred by other jobs on the machine).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
LETTERS = "abcdeghiklmnopqrstuvxyđâăêôơư0123456789"


def make_noisy_inputs(folder: Path, count: int, seed: int = 1) -> None:
    from bench_batch import _samples, cut_at_lines, held_out_texts

    from pipeline.text.vietnamese import strip_diacritics

    size = sum(len(p.read_text("utf-8")) for p in _samples()) // len(_samples())
    pieces = [piece for text in held_out_texts() for piece in cut_at_lines(text, size)]
    rng = random.Random(seed)
    for k in range(count):
        words = pieces[k % len(pieces)].split(" ")
        for i, word in enumerate(words):
            if word and rng.random() < 0.04:
                at = rng.randrange(len(word))
                words[i] = word[:at] + rng.choice(LETTERS) + word[at + 1:]
        text = " ".join(words)
        (folder / f"văn bản {k:05d}.txt").write_text(strip_diacritics(text) if k % 5 == 4 else text, "utf-8")


def worker_rss(batch: psutil.Process) -> dict[int, int]:
    """RSS (bytes) of the batch's worker processes: the children of its fork server."""
    found = {}
    for child in batch.children():
        try:
            if "forkserver" in " ".join(child.cmdline()):
                for worker in child.children():
                    found[worker.pid] = worker.memory_info().rss
        except psutil.Error:
            continue
    return found


def run(inputs: Path, out: Path, recycle_after: int) -> tuple[list[tuple[int, float, int]], float, int, float]:
    """Samples (documents, MB, workers seen so far), seconds, worker processes seen, CPU seconds
    of the whole process tree (each process's last sample: a recycled worker's last half
    second is missed)."""
    command = [sys.executable, "-m", "pipeline.cli", "-q", "batch", str(inputs), "-o", str(out), "--workers", "1",
               "--no-parquet", "--recycle-after", str(recycle_after)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    started = time.monotonic()
    proc = subprocess.Popen(command, cwd=ROOT, env=env)
    batch, samples, seen = psutil.Process(proc.pid), [], set()
    documents = out / "documents.jsonl"
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        for member in [batch, *_descendants(batch)]:
            try:
                times = member.cpu_times()
                cpu[member.pid] = times.user + times.system
            except psutil.Error:
                continue
        rss = worker_rss(batch)
        seen |= set(rss)
        if rss:
            done = documents.read_bytes().count(b"\n") if documents.exists() else 0
            samples.append((done, max(rss.values()) / 2**20, len(seen)))
        time.sleep(0.5)
    return samples, time.monotonic() - started, len(seen), sum(cpu.values())


def _descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.Error:
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--step", type=int, default=250)
    parser.add_argument("--recycle", default="0,500,1000", help="--recycle-after values to compare (0: never)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chithi-memory-") as work:
        inputs = Path(work) / "in"
        inputs.mkdir()
        make_noisy_inputs(inputs, args.documents)
        results = {}
        for value in (int(v) for v in args.recycle.split(",")):
            results[value] = run(inputs, Path(work) / f"out {value}", value)
    marks = list(range(args.step, args.documents + 1, args.step))
    print(f"{args.documents} distinct noisy documents, 1 worker, repair on; worker RSS in MB "
          f"(load average {os.getloadavg()[0]:.1f})\n")
    header = ["documents done"] + [f"recycle-after {v or 'never'}" for v in results]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    rows = [("start", lambda s: s[0])] + [(str(m), _at(m)) for m in marks] + [("end", lambda s: s[-1])]
    for label, pick in rows:
        cells = []
        for samples, *_ in results.values():
            sample = pick(samples) if samples else None
            cells.append(f"{sample[1]:.0f}" if sample else "—")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("| peak | " + " | ".join(f"{max(s[1] for s in samples):.0f}" for samples, *_ in results.values()) + " |")
    print("| worker processes | " + " | ".join(str(n) for _, _, n, _ in results.values()) + " |")
    print("| wall s (docs/s) | " + " | ".join(f"{t:.0f} ({args.documents / t:.1f})" for _, t, _, _ in results.values())
          + " |")
    print("| CPU s (docs per CPU-s) | " + " | ".join(f"{c:.0f} ({args.documents / c:.1f})"
                                                     for *_, c in results.values()) + " |")


def _at(mark: int):
    def pick(samples):
        return next((s for s in samples if s[0] >= mark), None)
    return pick


if __name__ == "__main__":
    main()
