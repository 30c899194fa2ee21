"""Where one batch worker's time goes, per document: a table of every step of the path.

    nice -n 10 .venv/bin/python scripts/profile_batch.py --files 40
    nice -n 10 .venv/bin/python scripts/profile_batch.py --files 40 --distinct

One process does, for each input file, what the batch parent and one worker do: hash the
file and (every 64 files) commit the manifest; ingest, repair, split, run every document
stage, serialise the records, pickle the result as the pool does to send it back, append
the lines; and at the end build the Parquet tables. Each step is timed with
`time.perf_counter` around the public function that does it (the repair stage is split into
its own steps by timing the functions it calls), so the rows add up to the whole.

Inputs: the five samples replicated with a copy line (as `bench_batch.py` does), or with
--distinct the held-out corpus documents of `bench_batch.py --distinct` (no two alike).
The first file is run once untimed to load the models, as the batch warm-up does.
"""

from __future__ import annotations

import argparse
import importlib
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

TIMES: dict[str, float] = defaultdict(float)
REPAIR_STEPS = ("_decode_legacy", "normalize", "line_stats", "_garble_edits_many", "restore_lines",
                "_with_garbled_tokens", "merge_adjacent", "apply_edits")


@contextmanager
def timed(name: str):
    began = time.perf_counter()
    try:
        yield
    finally:
        TIMES[name] += time.perf_counter() - began


def wrap(module, attribute: str, label: str) -> None:
    """Replace module.attribute by a version that adds its time to TIMES[label]."""
    original = getattr(module, attribute)

    def timed_call(*args, **kwargs):
        with timed(label):
            return original(*args, **kwargs)

    setattr(module, attribute, timed_call)


def instrument() -> None:
    from pipeline import registry
    from pipeline.core import document_stages

    repair = importlib.import_module("pipeline.repair")  # `pipeline.repair` is also the API function
    for step in REPAIR_STEPS:
        wrap(repair, step, f"repair: {step.strip('_')}")
    for name in document_stages():
        wrap_stage(registry, name)


def wrap_stage(registry, name: str) -> None:
    original = registry._STAGES[name]

    def timed_stage(record):
        with timed(f"stage: {name}"):
            return original(record)

    registry._STAGES[name] = timed_stage


def profile(paths: list[Path], out: Path, repair: bool) -> tuple[int, float]:
    from pipeline.batch import COMMIT_FILES, FileResult, file_sha256
    from pipeline.core import process
    from pipeline.export import JsonlAppender, write_parquet
    from pipeline.ingest import ingest_path
    from pipeline.manifest import FileEntry, Manifest

    wrap(importlib.import_module("pipeline.core"), "_flag_repaired", "flag repaired spans")
    process(ingest_path(paths[0]), repair=repair)  # loads the models (the batch warm-up)
    TIMES.clear()
    manifest, sink = Manifest(out / "manifest.sqlite"), JsonlAppender(out / "documents.jsonl")
    entries, documents = [], 0
    began = time.perf_counter()
    for path in paths:
        with timed("parent: hash file"):
            sha = file_sha256(path)
        with timed("worker: ingest (read, decode)"):
            ingested = ingest_path(path)
        with timed("worker: process (repair, split, stages)"):
            records = process(ingested, repair=repair)
        with timed("worker: JSON serialisation"):
            lines = [record.model_dump_json() for record in records]
        with timed("pool: pickle + unpickle result"):
            pickle.loads(pickle.dumps(FileResult(str(path), sha, documents=lines)))
        with timed("parent: append lines"):
            sink.write_lines(lines)
        entries.append(FileEntry(sha, str(path), "ok", len(lines), 1, 0.0))
        documents += len(lines)
        if len(entries) == COMMIT_FILES or path == paths[-1]:
            with timed("parent: group commit (fsync + SQLite)"):
                manifest.commit(entries, {"documents.jsonl": sink.sync()})
            entries = []
    total = time.perf_counter() - began
    sink.close()
    with timed("parent: Parquet tables at the end"):
        write_parquet(out, out / "documents.jsonl", None)
    return documents, total


def report(documents: int, total: float, files: int) -> None:
    process_total = TIMES.pop("worker: process (repair, split, stages)")
    inner = sum(v for k, v in TIMES.items() if k.startswith(("repair:", "stage:")) or k == "flag repaired spans")
    TIMES["worker: process, rest (split, record building)"] = process_total - inner
    print(f"{files} files, {documents} documents, {total:.2f} s in the loop "
          f"({documents / total:.1f} docs/s on one core)\n")
    print(f"| step | ms / document | share |")
    print("|---|---:|---:|")
    for name, seconds in sorted(TIMES.items(), key=lambda kv: -kv[1]):
        if name == "parent: Parquet tables at the end":
            continue
        print(f"| {name} | {1000 * seconds / documents:.2f} | {100 * seconds / total:.1f} % |")
    print(f"| **total** | **{1000 * total / documents:.1f}** | |")
    parquet = TIMES["parent: Parquet tables at the end"]
    print(f"\nParquet tables at the end (once per run): {parquet:.2f} s, {1000 * parquet / documents:.2f} ms / document")


def main() -> None:
    from bench_batch import make_distinct_inputs, make_text_inputs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--distinct", action="store_true", help="held-out corpus documents instead of sample copies")
    parser.add_argument("--no-repair", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chithi-profile-") as work:
        inputs, out = Path(work) / "in", Path(work) / "out"
        inputs.mkdir(), out.mkdir()
        make = make_distinct_inputs if args.distinct else make_text_inputs
        paths = make(inputs, args.files)
        instrument()
        documents, total = profile(paths, out, repair=not args.no_repair)
        report(documents, total, len(paths))


if __name__ == "__main__":
    main()
