"""Kill -9 `chithi batch` at random moments, with concurrent starts and file changes mixed in,
then resume to the end and compare with a clean run on the final files.

    nice -n 10 .venv/bin/python scripts/chaos_batch.py --files 300 --cycles 20 --seed 7

Inputs: FILES small distinct plans cut from the five samples (600 characters of a sample's
head and 1,900 from somewhere in it), plus an empty file and an unsupported one. Each cycle:

* starts `chithi batch … --workers 2 --no-repair` (with `--resume` after the first cycle);
  in about a third of the cycles a second batch on the same folder starts 0–0.3 s later
  (exactly one of them may write: the other must stop with exit code 4);
* in half of the cycles changes files while the batch runs (so some change after they were
  hashed and before a worker read them);
* SIGKILLs whatever still runs: in 60 % of the cycles once the run has written a random
  number of new document lines (1–30, fewer than the files it has to process: surely
  mid-run), otherwise at a random moment
  (0.1–1.0 × a clean run's time: start-up, hashing and the final compaction included);
* changes files between the kill and the next start: edits (a line appended), copies of
  another file's content (duplicates), emptied files (errors), fixed files, deletions, new
  files, renames, and 3–10 % of the files edited at once, so that the next resume has work
  to be killed in.

Then a last `--resume` runs to the end, a clean batch runs on the final files in a fresh
folder, and the two are compared: every document line (the whole record: path, hash,
index, text, items), every error line, the `doc_id`s, and the Parquet rows. The script
prints one row per cycle and a closing table, and exits 1 when they differ.
`tests/test_batch_faults.py` runs a small version (`run_chaos`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "corpus" / "samples"


def plan_text(rng: random.Random, texts: list[str]) -> str:
    text = rng.choice(texts)
    start = rng.randrange(max(1, len(text) - 2500))
    return text[:600] + text[start:start + 1900] + f"\nSố thứ tự {rng.randrange(10**9)}.\n"


def make_inputs(folder: Path, files: int, rng: random.Random, texts: list[str]) -> None:
    folder.mkdir(parents=True)
    for n in range(files):
        (folder / f"kế hoạch {n:03d}.txt").write_text(plan_text(rng, texts), "utf-8")
    (folder / "rỗng.txt").write_bytes(b"")
    (folder / "bảng tính.xlsx").write_bytes(b"PK\x03\x04 not a plan")


def mutate(folder: Path, rng: random.Random, texts: list[str], count: int) -> list[str]:
    """`count` random changes to the input files; what was done, in words."""
    done = []
    for _ in range(count):
        files = sorted(p for p in folder.iterdir() if p.suffix == ".txt")
        target = rng.choice(files)
        kind = rng.choice(["edit", "edit", "copy", "empty", "fix", "delete", "new", "rename"])
        if kind == "edit":
            with target.open("a", encoding="utf-8") as handle:
                handle.write(f"Bổ sung {rng.randrange(10**6)}.\n")
        elif kind == "copy":
            target.write_bytes(rng.choice(files).read_bytes())
        elif kind == "empty":
            target.write_bytes(b"")
        elif kind == "fix":
            empty = [p for p in files if p.stat().st_size == 0] or [target]
            target = rng.choice(empty)
            target.write_text(plan_text(rng, texts), "utf-8")
        elif kind == "delete" and len(files) > 10:
            target.unlink()
        elif kind == "new":
            target = folder / f"mới {rng.randrange(10**6)}.txt"
            target.write_text(plan_text(rng, texts), "utf-8")
        elif kind == "rename":
            renamed = folder / f"đổi tên {rng.randrange(10**6)}.txt"
            target.rename(renamed)
            target = renamed
        done.append(kind)
    return done


def _edit_many(folder: Path, rng: random.Random, count: int) -> None:
    files = sorted(p for p in folder.iterdir() if p.suffix == ".txt")
    for target in rng.sample(files, min(count, len(files))):
        with target.open("a", encoding="utf-8") as handle:
            handle.write(f"Sửa hàng loạt {rng.randrange(10**6)}.\n")


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def batch(inputs: Path, out: Path, *extra: str, parquet: bool = False) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipeline.cli", "batch", str(inputs), "-o", str(out),
               "--workers", "2", "--no-repair", *([] if parquet else ["--no-parquet"]), *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env)


def outputs(out: Path) -> dict:
    documents = [json.loads(line) for line in (out / "documents.jsonl").read_text("utf-8").splitlines()]
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text("utf-8").splitlines()]
    ids = Counter(f"{d['source']['sha256'][:16]}:{d['source']['index']}" for d in documents)
    parquet_rows = None
    if (out / "documents.parquet").exists():
        import pyarrow.parquet as pq

        parquet_rows = pq.read_metadata(out / "documents.parquet").num_rows
    return {
        "documents": Counter(json.dumps(d, sort_keys=True, ensure_ascii=False) for d in documents),
        "errors": Counter(json.dumps(e, sort_keys=True, ensure_ascii=False) for e in errors),
        "ids_twice": sorted(i for i, n in ids.items() if n > 1), "parquet_rows": parquet_rows,
        "lines": len(documents),
    }


def run_chaos(work: Path, files: int, cycles: int, seed: int, say=print) -> dict:
    """The whole experiment in `work`; returns the comparison (see the module docstring)."""
    rng = random.Random(seed)
    texts = [p.read_text("utf-8") for p in sorted(SAMPLES.glob("00[0-4]_*.txt"))]
    inputs, out = work / "lưu trữ", work / "killed"
    make_inputs(inputs, files, rng, texts)
    started = time.monotonic()
    clean = batch(inputs, work / "first clean")
    clean.wait(timeout=600)
    clean_seconds = time.monotonic() - started
    say(f"{files} files, seed {seed}; a clean run takes {clean_seconds:.1f} s\n")
    say("| cycle | batches | refused (exit 4) | the writer | changes while running | changes after |")
    say("|---:|---:|---:|---|---|---|")
    refused = killed = mid_run = 0
    work_left = files  # about how many files the next run has to process
    for cycle in range(cycles):
        base = _lines(out / "documents.jsonl")
        procs = [batch(inputs, out, *(["--resume"] if cycle else []))]
        began = time.monotonic()
        if rng.random() < 0.35:
            time.sleep(rng.uniform(0, 0.3))
            procs.append(batch(inputs, out, "--resume"))
        during: list[str] = []
        if rng.random() < 0.5:  # while the batch starts or runs
            time.sleep(rng.uniform(0.2, 0.9) * clean_seconds)
            during = mutate(inputs, rng, texts, rng.randint(1, 3))
        if rng.random() < 0.6:  # once this run has written a random number of lines: surely mid-run
            wanted = rng.randint(1, max(1, min(30, work_left - 1)))
            ends = time.monotonic() + 3 * clean_seconds
            while any(p.poll() is None for p in procs) and time.monotonic() < ends:
                if _lines(out / "documents.jsonl") >= base + wanted:
                    break
                time.sleep(0.002)
            moment = f"after {wanted} new document lines"
        else:  # at any moment, start-up and the end included
            time.sleep(max(0.0, rng.uniform(0.1, 1.0) * clean_seconds - (time.monotonic() - began)))
            moment = f"at {time.monotonic() - began:.1f} s"
        codes = [p.poll() for p in procs]
        written = _lines(out / "documents.jsonl")
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.wait(timeout=60)
        cycle_refused = sum(code == 4 for code in codes)
        refused += cycle_refused
        if any(code not in (None, 0, 3, 4) for code in codes):
            raise SystemExit(f"cycle {cycle}: a batch ended with {codes}: {procs[0].stderr.read().decode()}")
        after = mutate(inputs, rng, texts, rng.randint(0, 4))
        many = rng.randint(files // 30, files // 10)  # work for the next resume to be killed in
        _edit_many(inputs, rng, many)
        after.append(f"{many} edits")
        work_left = many + len(after)
        ended = [c for c in codes if c is not None and c != 4]
        mid_run += not ended and written > base
        writer = (f"ended by itself (exit {ended[0]})" if ended
                  else f"killed {moment}, {written - base:+d} lines in documents.jsonl")
        say(f"| {cycle} | {len(procs)} | {cycle_refused} | {writer} | {', '.join(during) or '—'} | "
            f"{', '.join(after)} |")
    final = batch(inputs, out, "--resume", parquet=True)
    final_code = final.wait(timeout=600)
    fresh = batch(inputs, work / "clean", parquet=True)
    fresh_code = fresh.wait(timeout=600)
    got, want = outputs(out), outputs(work / "clean")
    result = {
        "seed": seed, "files": len(list(inputs.iterdir())), "cycles": cycles, "processes killed": killed,
        "cycles killed after writing": mid_run, "refused (exit 4)": refused,
        "exit codes (resumed, clean)": (final_code, fresh_code),
        "document lines (resumed, clean)": (got["lines"], want["lines"]),
        "lost": sum((want["documents"] - got["documents"]).values()),
        "invented or stale": sum((got["documents"] - want["documents"]).values()),
        "twice": sum(n - 1 for n in got["documents"].values() if n > 1) + len(got["ids_twice"]),
        "error lines equal": got["errors"] == want["errors"],
        "parquet rows (resumed, clean)": (got["parquet_rows"], want["parquet_rows"]),
    }
    result["equal"] = (got["documents"] == want["documents"] and result["error lines equal"] and not got["ids_twice"]
                       and got["parquet_rows"] == got["lines"] and final_code == fresh_code)
    say("\n| check | value |\n|---|---|")
    for key, value in result.items():
        say(f"| {key} | {value} |")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else time.time_ns() % 10**6
    if args.keep:
        result = run_chaos(args.keep, args.files, args.cycles, seed)
    else:
        with tempfile.TemporaryDirectory(prefix="chithi-chaos-") as work:
            result = run_chaos(Path(work), args.files, args.cycles, seed)
    sys.exit(0 if result["equal"] else 1)


if __name__ == "__main__":
    main()
