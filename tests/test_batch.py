"""`chithi batch` on real samples and on awkward inputs: isolation, resume, JSONL and Parquet."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.batch import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, engines, run_batch
from pipeline.batch import run as run_module
from pipeline.batch.tables import DOCUMENT_TABLES
from pipeline.batch.work import Job, process_file
from pipeline.schema import DocumentRecord, ErrorRecord

from .conftest import ROOT, sample


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _copy_samples(folder: Path, prefixes=("001", "003", "004")) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(sample(p), folder / f"kế hoạch {p}.txt")) for p in prefixes]


def _run(inputs, out, **options) -> tuple[int, str]:
    """run_batch without the repair stage unless asked: these tests are about the batch itself."""
    options.setdefault("repair", False)
    stream = io.StringIO()
    code = run_batch([str(i) for i in inputs], out, stream=stream, **options)
    return code, stream.getvalue()


@pytest.fixture(scope="module")
def bad_batch(tmp_path_factory):
    """One batch over the awkward inputs, one of which vanishes after it was listed."""
    folder = tmp_path_factory.mktemp("bad inputs")
    expected = _load_script("make_bad_inputs").make_bad_inputs(folder, big_mb=50)
    vanishing = folder / "sẽ biến mất.txt"
    shutil.copy(sample("003"), vanishing)
    expected[vanishing.name] = "error"

    listed = run_module.expand_inputs

    def list_then_delete(inputs, exclude=None, **options):
        found = listed(inputs, exclude, **options)
        vanishing.unlink()
        return found

    run_module.expand_inputs = list_then_delete
    try:
        out = tmp_path_factory.mktemp("bad out")
        code, log = _run([folder], out, workers=1)
    finally:
        run_module.expand_inputs = listed
    return expected, out, code, log


def test_bad_inputs_never_stop_the_batch(bad_batch):
    expected, out, code, log = bad_batch
    assert code == EXIT_SOME_FAILED, log
    errors = [ErrorRecord.model_validate(e) for e in _lines(out / "errors.jsonl")]
    documents = [DocumentRecord.model_validate(d) for d in _lines(out / "documents.jsonl")]
    errors_by_name = {Path(e.path).name: e for e in errors}
    docs_by_name = {Path(d.source.path).name for d in documents}
    assert len(errors_by_name) == len(errors), "one error line per failed file"
    for name, outcome in expected.items():
        failed, read = name in errors_by_name, name in docs_by_name
        assert failed != read, f"{name}: exactly one of a record or an error (error={failed}, record={read})"
        if outcome != "either":
            assert (outcome == "error") == failed, f"{name}: expected {outcome}"
    for error in errors:
        assert error.message and error.stage and error.error, error


def test_bad_inputs_have_clear_causes(bad_batch):
    _, out, _, log = bad_batch
    errors = {Path(e["path"]).name: e for e in _lines(out / "errors.jsonl")}
    too_large = errors["rất lớn 50MB.txt"]
    assert too_large["error"] == "FileTooLarge" and "--max-file-mb" in too_large["message"]
    assert errors["ghi chú.xyz"]["error"] == "UnsupportedFormat"
    vanished = errors["sẽ biến mất.txt"]
    assert vanished["error"] == "FileNotFoundError" and "disappeared" in vanished["message"]
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["files"] == len(errors) + summary["ok"]
    assert "failed" in log and "errors.jsonl" in log


def test_a_file_gone_before_the_worker_reads_it_is_one_error(tmp_path):
    result = process_file(Job(str(tmp_path / "không có.txt"), "0" * 64, repair=True, compare_with=None))
    assert result.documents == [] and len(result.errors) == 1
    assert json.loads(result.errors[0])["path"].endswith("không có.txt")


def test_a_warm_worker_keeps_the_garbage_collector_off_its_models():
    """The warm-up loads the models, then moves them out of the collector's walks."""
    code = ("import gc; from pipeline.batch.work import GC_FIRST_THRESHOLD, warm_up; warm_up(repair=True); "
            "print(gc.get_freeze_count(), gc.get_threshold()[0] == GC_FIRST_THRESHOLD)")
    frozen, threshold_set = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                                           text=True, check=True).stdout.split()
    assert int(frozen) > 100_000 and threshold_set == "True"  # the models' objects, not a handful


def _how_the_worker_started(job):
    """A work function: the environment this worker process started with (/proc/self/environ,
    what numpy saw when it sized its BLAS thread pool), not its os.environ now; and whether
    it was forked from a fork server that had loaded the models."""
    pairs = Path("/proc/self/environ").read_bytes().split(b"\0")
    environment = dict(pair.decode("utf-8", "replace").split("=", 1) for pair in pairs if b"=" in pair)
    return environment, "pipeline.batch._preload" in sys.modules


def test_local_workers_start_loaded_and_with_a_one_thread_blas(monkeypatch):
    """With 2 workers on 2 cores, BLAS threads sized to every core fought each other (less
    than half the throughput); the limit is set where numpy first sees it, not later. The
    workers are forked from a fork server that loaded the models (shared pages)."""
    for variable in engines.BLAS_THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    job = Job(str(sample("004")), "0" * 64, repair=False, compare_with=None)
    ((environment, preloaded),) = engines.run_local([job], 1, repair=False, work=_how_the_worker_started)
    assert environment["OPENBLAS_NUM_THREADS"] == "1" and environment["OMP_NUM_THREADS"] == "1"
    assert all(variable not in os.environ for variable in engines.BLAS_THREAD_VARIABLES)  # the parent's is left alone
    assert preloaded


def test_records_match_chithi_extract(tmp_path):
    from pipeline import extract

    files = _copy_samples(tmp_path / "in")
    code, log = _run([tmp_path / "in"], tmp_path / "out", workers=2, repair=True)
    assert code == EXIT_OK, log
    got = {(d["source"]["sha256"], d["source"]["index"]): d for d in _lines(tmp_path / "out" / "documents.jsonl")}
    want = {(r.source.sha256, r.source.index): json.loads(r.model_dump_json()) for f in files for r in extract(f)}
    assert got == want
    assert (tmp_path / "out" / "errors.jsonl").read_text() == ""


def test_resume_skips_files_already_done(tmp_path):
    _copy_samples(tmp_path / "in", ("001", "003"))
    out = tmp_path / "out"
    assert _run([tmp_path / "in"], out)[0] == EXIT_OK
    first = (out / "documents.jsonl").read_bytes()

    shutil.copy(sample("004"), tmp_path / "in" / "mới thêm.txt")
    shutil.copy(sample("001"), tmp_path / "in" / "đổi tên.txt")  # same bytes as a done file
    code, log = _run([tmp_path / "in"], out, resume=True)
    assert code == EXIT_OK, log
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["skipped_done_before"] == 2 and summary["skipped_duplicates"] == 1
    assert summary["ok"] == 1 and summary["documents"] == 1
    after = (out / "documents.jsonl").read_bytes()
    assert after.startswith(first)
    paths = [Path(d["source"]["path"]).name for d in _lines(out / "documents.jsonl")]
    assert sorted(paths) == sorted(["kế hoạch 001.txt", "kế hoạch 003.txt", "mới thêm.txt"])


def test_resume_discards_uncommitted_bytes(tmp_path):
    """What a crash leaves between the fsync and the manifest commit is cut off, then redone."""
    _copy_samples(tmp_path / "in", ("001", "003"))
    out = tmp_path / "out"
    assert _run([tmp_path / "in"], out)[0] == EXIT_OK
    clean = sorted(_lines(out / "documents.jsonl"), key=lambda d: d["source"]["sha256"])
    lines = (out / "documents.jsonl").read_bytes().splitlines(keepends=True)
    last = json.loads(lines[-1])["source"]["sha256"]  # forget the last file, as after a crash
    kept = [line for line in lines if json.loads(line)["source"]["sha256"] != last]
    assert b"".join(lines).startswith(b"".join(kept))
    with sqlite3.connect(out / "manifest.sqlite") as db:
        db.execute("DELETE FROM contents WHERE key=?", (last,))
        db.execute("UPDATE outputs SET bytes=? WHERE name='documents.jsonl'", (len(b"".join(kept)),))
    with (out / "documents.jsonl").open("ab") as handle:
        handle.write(b'{"half a line')
    code, log = _run([tmp_path / "in"], out, resume=True)
    assert code == EXIT_OK, log
    assert "discarded" in log
    assert sorted(_lines(out / "documents.jsonl"), key=lambda d: d["source"]["sha256"]) == clean


def test_without_resume_the_output_starts_afresh(tmp_path):
    _copy_samples(tmp_path / "in", ("001",))
    out = tmp_path / "out"
    _run([tmp_path / "in"], out)
    code, log = _run([tmp_path / "in"], out)
    assert code == EXIT_OK and "afresh" in log
    assert len(_lines(out / "documents.jsonl")) == 1


def test_exit_codes_are_the_cli_table():
    from pipeline import cli

    assert (run_module.EXIT_OK, run_module.EXIT_USAGE, run_module.EXIT_SOME_FAILED, run_module.EXIT_OUTPUT,
            run_module.EXIT_INTERRUPTED) == (cli.EXIT_OK, cli.EXIT_USAGE, cli.EXIT_INPUT, cli.EXIT_OUTPUT,
                                             cli.EXIT_INTERRUPTED)


def test_usage_errors(tmp_path):
    assert _run([tmp_path / "nothing-here"], tmp_path / "out")[0] == EXIT_USAGE
    assert _run([ROOT / "corpus" / "samples"], tmp_path / "out", engine="spark")[0] == EXIT_USAGE
    assert _run([ROOT / "corpus" / "samples"], tmp_path / "out", workers=0)[0] == EXIT_USAGE


def test_parquet_tables_for_duckdb_and_pandas(tmp_path):
    import duckdb
    import pandas as pd

    _copy_samples(tmp_path / "in", ("001", "002", "003", "004"))
    out = tmp_path / "out"
    assert _run([tmp_path / "in"], out, workers=2)[0] == EXIT_OK
    records = _lines(out / "documents.jsonl")
    keys = {r["doc_id"] for r in records}
    assert len(keys) == len(records) and all(r["doc_id"].startswith(r["source"]["sha256"][:16]) for r in records)
    documents = pd.read_parquet(out / "documents.parquet")
    assert set(documents["doc_id"]) == keys and len(documents) == len(records)
    for table, spec in DOCUMENT_TABLES.items():
        frame = pd.read_parquet(out / f"{table}.parquet")
        assert list(frame.columns) == [name for name, _ in spec.columns], table
        assert set(frame["doc_id"]) <= keys, table
        if table != "documents":
            assert len(frame) == sum(len(r.get(table) or []) for r in records), table
    from pipeline.schema import Figure, Signer, Task

    written = {name: set(pd.read_parquet(out / f"{name}.parquet").columns) for name in ("figures", "tasks", "documents")}
    assert set(Figure.model_fields) - {"mentions", "table"} <= written["figures"]  # every field of the model is a column
    assert {f for f in Task.model_fields if f != "id"} | {"task_id"} <= written["tasks"]
    assert {f"signer_{f}" for f in Signer.model_fields if f != "name"} <= written["documents"]
    markets = duckdb.sql(f"""
        SELECT d.doc_type, m.name, count(*) AS n
        FROM '{out}/markets.parquet' m JOIN '{out}/documents.parquet' d USING (doc_id)
        GROUP BY ALL ORDER BY n DESC""").fetchall()
    assert sum(n for *_, n in markets) == sum(len(r["markets"]) for r in records)


def crash_on_marked_files(job: Job):
    """A work function that kills its worker process on files whose name says so."""
    import os

    if "sập" in Path(job.path).name:
        os._exit(70)
    return process_file(job)


def test_a_crashing_worker_costs_only_its_own_file(tmp_path):
    folder = tmp_path / "in"
    _copy_samples(folder, ("001", "003", "004"))
    shutil.copy(sample("000"), folder / "làm sập worker.txt")
    jobs = [Job(str(p), str(n), repair=False, compare_with=None) for n, p in enumerate(sorted(folder.iterdir()))]
    results = list(engines.run_local(jobs, workers=2, repair=False, work=crash_on_marked_files))
    assert sorted(Path(r.path).name for r in results) == sorted(p.name for p in folder.iterdir())
    failed = {Path(r.path).name: json.loads(r.errors[0]) for r in results if r.errors}
    assert list(failed) == ["làm sập worker.txt"] and failed["làm sập worker.txt"]["error"] == "WorkerCrashed"
    assert all(r.documents for r in results if not r.errors)


def test_resume_with_other_options_is_refused(tmp_path):
    _copy_samples(tmp_path / "in", ("001",))
    out = tmp_path / "out"
    assert _run([tmp_path / "in"], out)[0] == EXIT_OK
    code, log = _run([tmp_path / "in"], out, resume=True, repair=True)
    assert code == EXIT_USAGE and "other options" in log
    assert len(_lines(out / "documents.jsonl")) == 1


def test_the_documented_parquet_columns_are_the_derived_ones():
    from pipeline.batch.tables import describe

    assert describe() in (ROOT / "docs" / "batch.md").read_text("utf-8"), "rerun describe() into docs/batch.md"
