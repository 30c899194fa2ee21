"""Where one batch worker's time goes, per document: a table of every step of the path.

    nice -n 10 .venv/bin/python scripts/profile_batch.py --files 40
    nice -n 10 .venv/bin/python scripts/profile_batch.py --files 40 --distinct

Times are CPU times of this process (the machine is shared; a last column gives wall-clock
time, which also holds the fsync waits and the other users' load). One process does, for each input file, what the batch parent and one worker do: hash the
file and (every 64 files) commit the manifest; ingest, repair, split, run every document
stage, serialise the records, pickle the result as the pool does to send it back, append
the lines; and at the end build the Parquet tables. Each step is timed with
`time.process_time` around the public function that does it (the repair stage is split into
its own steps by timing the functions it calls), so the rows add up to the whole.

A second table times, inside those steps, the code whose cost a model sets: the NER's
`predict`, the language-model decoder and the garble channel search (both compiled with
numba). It sets their sum against the 40 CPU ms a document may take for 50 docs/s on two
cores (issue 6's target), and the rest, Python, beside it.

Inputs: the five samples replicated with a copy line (as `bench_batch.py` does), or with
--distinct the held-out corpus documents of `bench_batch.py --distinct` (no two alike).
The first file is run once untimed to load the models, as the batch warm-up does.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import pickle
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

TIMES: dict[str, float] = defaultdict(float)  # CPU seconds of this process per step
WALL: dict[str, float] = defaultdict(float)  # wall-clock seconds per step (I/O waits included)
INNER: dict[str, float] = defaultdict(float)  # CPU seconds in model and compiled code, inside the steps
INNER_CALLS = (  # (module, function, label): the code whose cost is set by a model, not by Python
    ("pipeline.extract.ner", "predict", "NER model (spaCy tok2vec + NER on the lines read)"),
    ("pipeline.repair.lm_kernels", "decode", "language-model decoder (numba)"),
    ("pipeline.repair.garble_kernels", "search", "garble channel search (numba)"),
)
BUDGET_DOCS_PER_SECOND, BUDGET_CORES = 50, 2  # the throughput target of issue 6
REPAIR_STEPS = ("_decode_legacy", "normalize_recorded", "line_stats", "classify_lines", "vietnamese_spans",
                "garbled_spans_in_clean", "invalid_spans", "_garble_edits_many", "restore_lines", "_with_garbled_tokens",
                "vie_ocr_edits", "merge_adjacent", "apply_edits")


@contextmanager
def timed(name: str):
    began, cpu_began = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        TIMES[name] += time.process_time() - cpu_began
        WALL[name] += time.perf_counter() - began


def wrap(module, attribute: str, label: str) -> None:
    """Replace module.attribute by a version that adds its time to TIMES[label]."""
    original = getattr(module, attribute)

    def timed_call(*args, **kwargs):
        with timed(label):
            return original(*args, **kwargs)

    setattr(module, attribute, timed_call)


def wrap_inner(module, attribute: str, label: str) -> None:
    """Replace module.attribute by a version that adds its CPU time to INNER[label] (a part
    of whatever step calls it)."""
    original = getattr(module, attribute)

    def timed_call(*args, **kwargs):
        began = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            INNER[label] += time.process_time() - began

    setattr(module, attribute, timed_call)


def instrument() -> None:
    from pipeline import registry
    from pipeline.runner import document_stages

    repair = importlib.import_module("pipeline.repair")  # `pipeline.repair` is also the API function
    for step in REPAIR_STEPS:
        wrap(repair, step, f"repair: {step.strip('_')}")
    for stage in document_stages():
        wrap_stage(registry, stage.name)
    for module, function, label in INNER_CALLS:
        wrap_inner(importlib.import_module(module), function, label)


def wrap_stage(registry, name: str) -> None:
    from pipeline.runner import document_stages

    original = registry._STAGES[name]

    def timed_stage(doc):
        with timed(f"stage: {name}"):
            return original.run(doc)

    registry._STAGES[name] = dataclasses.replace(original, run=timed_stage)
    document_stages.cache_clear()


def profile(paths: list[Path], out: Path, repair: bool, settle_heap: bool = True) -> tuple[int, float, float, float]:
    from pipeline.batch.export import JsonlAppender, write_parquet
    from pipeline.batch.inputs import file_sha256
    from pipeline.batch.manifest import FileEntry, Manifest
    from pipeline.batch.run import COMMIT_FILES
    from pipeline.batch.work import FileResult
    from pipeline.ingest import ingest_path
    from pipeline.runner import process

    wrap(importlib.import_module("pipeline.runner"), "_flag_repaired", "flag repaired spans")
    process(ingest_path(paths[0]), repair=repair)  # loads the models (the batch warm-up)
    if settle_heap:
        from pipeline.batch.work import settle_heap

        settle_heap()  # as a batch worker does after its warm-up
    gc_seconds = _time_collections()
    TIMES.clear()
    WALL.clear()
    INNER.clear()
    manifest, sink = Manifest(out / "manifest.sqlite"), JsonlAppender(out / "documents.jsonl")
    entries, rows, documents = [], [], 0
    began, cpu_began = time.perf_counter(), time.process_time()
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
            ranges = {"documents.jsonl": sink.write_lines(lines)}
        entries.append(FileEntry(sha, str(path), bytes(path), "ok", len(lines), 1, 0.0, ranges))
        rows.append((bytes(path), sha, str(path)))
        documents += len(lines)
        if len(entries) == COMMIT_FILES or path == paths[-1]:
            with timed("parent: group commit (fsync + SQLite)"):
                manifest.commit(entries, rows, {"documents.jsonl": sink.sync()})
            entries, rows = [], []
    total, cpu_total = time.perf_counter() - began, time.process_time() - cpu_began
    sink.close()
    with timed("parent: Parquet tables at the end"):
        write_parquet(out, out / "documents.jsonl", None)
    return documents, total, cpu_total, gc_seconds[0]


def _time_collections() -> list[float]:
    """Wall-clock seconds the garbage collector runs from now on (they are also inside the
    steps it interrupted), summed in a one-element list."""
    import gc

    spent, began = [0.0], [0.0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - began[0]

    gc.callbacks.append(callback)
    return spent


def report(documents: int, total: float, cpu_total: float, gc_seconds: float, files: int) -> None:
    for table in (TIMES, WALL):
        process_total = table.pop("worker: process (repair, split, stages)")
        inner = sum(v for k, v in table.items() if k.startswith(("repair:", "stage:")) or k == "flag repaired spans")
        table["worker: process, rest (split, record building)"] = process_total - inner
    parquet, parquet_wall = TIMES.pop("parent: Parquet tables at the end"), WALL.pop("parent: Parquet tables at the end")
    print(f"{files} files, {documents} documents: {cpu_total:.2f} CPU s, {total:.2f} s wall in the loop "
          f"({documents / cpu_total:.1f} docs per CPU-second)\n")
    print("| step | CPU ms / document | share of CPU | wall ms / document |")
    print("|---|---:|---:|---:|")
    for name, seconds in sorted(TIMES.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {1000 * seconds / documents:.2f} | {100 * seconds / cpu_total:.1f} % "
              f"| {1000 * WALL[name] / documents:.2f} |")
    print(f"| **total** | **{1000 * cpu_total / documents:.1f}** | | **{1000 * total / documents:.1f}** |")
    budget = 1000 * BUDGET_CORES / BUDGET_DOCS_PER_SECOND
    inner = sum(INNER.values())
    print(f"\nInside the steps above, the code whose cost the models set (CPU ms / document), against the "
          f"{budget:.0f} ms a document may take in all for {BUDGET_DOCS_PER_SECOND} docs/s on {BUDGET_CORES} cores:\n")
    print("| model or compiled code | CPU ms / document | share of the budget |")
    print("|---|---:|---:|")
    for name, seconds in sorted(INNER.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {1000 * seconds / documents:.2f} | {100 * seconds / documents * 1000 / budget:.0f} % |")
    print(f"| **all of them** | **{1000 * inner / documents:.1f}** | **{100 * inner / documents * 1000 / budget:.0f} %** |")
    print(f"| everything else (Python) | {1000 * (cpu_total - inner) / documents:.1f} | "
          f"{100 * (cpu_total - inner) / documents * 1000 / budget:.0f} % |")
    print(f"\nGarbage collector (inside the steps above): {1000 * gc_seconds / documents:.2f} ms / document "
          f"({100 * gc_seconds / total:.1f} % of the wall time)")
    print(f"Parquet tables at the end (once per run): {parquet:.2f} CPU s, {parquet_wall:.2f} s wall "
          f"({1000 * parquet / documents:.1f} CPU ms / document)")


def main() -> None:
    from bench_batch import make_distinct_inputs, make_text_inputs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--distinct", action="store_true", help="held-out corpus documents instead of sample copies")
    parser.add_argument("--no-repair", action="store_true")
    parser.add_argument("--plain-gc", action="store_true",
                        help="leave the garbage collector as CPython sets it (no gc.freeze after the warm-up)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chithi-profile-") as work:
        inputs, out = Path(work) / "in", Path(work) / "out"
        inputs.mkdir(), out.mkdir()
        make = make_distinct_inputs if args.distinct else make_text_inputs
        paths = make(inputs, args.files)
        instrument()
        documents, total, cpu_total, gc_seconds = profile(paths, out, repair=not args.no_repair,
                                                          settle_heap=not args.plain_gc)
        report(documents, total, cpu_total, gc_seconds, len(paths))


if __name__ == "__main__":
    # One BLAS thread, as a batch worker has (pipeline.batch._start_fork_server); set before
    # numpy is first imported. Otherwise the NER's idle BLAS threads add to the CPU times.
    # These are pipeline.batch.BLAS_THREAD_VARIABLES, written out: importing pipeline imports numpy.
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    main()
