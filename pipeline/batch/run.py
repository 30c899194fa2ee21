"""`chithi batch`: run the pipeline over an archive with progress, resume and error isolation.

The parent process lists and hashes the inputs, hands the files to workers (local processes
or Ray tasks) with a bounded number in flight, and alone writes the outputs:

    OUT_DIR/documents.jsonl     one DocumentRecord per line (as `chithi extract` prints)
    OUT_DIR/errors.jsonl        one ErrorRecord per failed file (or failed comparison)
    OUT_DIR/comparisons.jsonl   one Comparison per document, with --compare
    OUT_DIR/<table>.parquet     flat tables keyed by doc_id, rebuilt from the JSONL at the end
    OUT_DIR/manifest.sqlite     the commit point for resume (see pipeline.batch.manifest)
    OUT_DIR/summary.json        counts and timings of the run

Exit codes: 0 all files succeeded, 3 some files (or comparisons) failed, 2 usage error,
130 interrupted (rerun with --resume).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ..errors import ChithiError
from ..ingest import SUFFIXES as SUPPORTED_SUFFIXES
from .engines import run_local, run_ray
from .export import JsonlAppender, write_parquet
from .inputs import expand_inputs, file_sha256
from .manifest import MANIFEST_NAME, FileEntry, Manifest, truncate_to_committed
from .progress import Progress
from .work import FileResult, Job, error_line

EXIT_OK, EXIT_USAGE, EXIT_SOME_FAILED, EXIT_INTERRUPTED = 0, 2, 3, 130
DEFAULT_MAX_FILE_MB = 25.0
DOCUMENTS, ERRORS, COMPARISONS = "documents.jsonl", "errors.jsonl", "comparisons.jsonl"
OUTPUTS = (DOCUMENTS, ERRORS, COMPARISONS)
COMMIT_FILES, COMMIT_SECONDS = 64, 0.5  # group commit: whichever comes first


class UsageError(Exception):
    """Bad arguments to `chithi batch` (exit code 2)."""


class Batch:
    """The parent's side: plans the jobs, commits results, keeps the counts."""

    def __init__(self, out_dir: Path, *, resume: bool, repair: bool, compare_with: str | None,
                 max_bytes: int, stream: TextIO = sys.stderr, talk: bool = True):
        self.out_dir, self.repair, self.compare_with = out_dir, repair, compare_with
        self.max_bytes, self.stream, self.talk = max_bytes, stream, talk
        out_dir.mkdir(parents=True, exist_ok=True)
        if not resume:
            self._clear_previous()
        self.manifest = Manifest(out_dir / MANIFEST_NAME)
        self.manifest.check_options({"repair": repair, "compare_with": compare_with})
        cut = truncate_to_committed(out_dir, self.manifest.committed_bytes(), OUTPUTS)
        for name, size in cut.items():
            self._say(f"resume: discarded {size} uncommitted bytes at the end of {name}")
        self.sinks = {name: JsonlAppender(out_dir / name) for name in OUTPUTS}
        self.seen: dict[str, str] = {}
        self.duplicates: list[tuple[str, str]] = []
        self.already_done = 0
        self.progress: Progress | None = None
        self.uncommitted: list[FileEntry] = []
        self.last_commit = time.monotonic()

    def _say(self, message: str) -> None:
        if self.talk:
            self.stream.write(f"chithi batch: {message}\n")

    def _clear_previous(self) -> None:
        stale = [self.out_dir / n for n in (*OUTPUTS, MANIFEST_NAME, "summary.json")]
        stale += [self.out_dir / f"{MANIFEST_NAME}-{s}" for s in ("wal", "shm")]
        stale += list(self.out_dir.glob("*.parquet"))
        stale = [p for p in stale if p.exists()]
        if stale:
            self._say(f"starting afresh in {self.out_dir} (use --resume to continue the previous run)")
        for path in stale:
            path.unlink()

    def jobs(self, paths: list[Path], unmatched: list[str]) -> Iterator[Job]:
        """Jobs for the workers; files that need no worker are committed here, in order."""
        for item in unmatched:
            self.settle(FileResult(item, f"path:{item}", errors=[
                error_line(item, "input", "FileNotFoundError", "no file or folder matches this input")]))
        for path in paths:
            job_or_result = self._plan(path)
            if isinstance(job_or_result, Job):
                yield job_or_result
            else:
                self.settle(job_or_result)

    def _plan(self, path: Path) -> Job | FileResult:
        name = str(path)
        try:
            size = path.stat().st_size
            sha = file_sha256(path)
        except FileNotFoundError:
            return self._error(name, f"path:{name}", "input", "FileNotFoundError",
                               "the file disappeared before it could be read")
        except OSError as err:
            return self._error(name, f"path:{name}", "input", type(err).__name__, err.strerror or str(err))
        if sha in self.seen:
            self.duplicates.append((name, self.seen[sha]))
            return FileResult(name, sha, skipped=True)
        self.seen[sha] = name
        if self.manifest.done(sha) is not None:
            self.already_done += 1
            return FileResult(name, sha, skipped=True)
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return self._error(name, sha, "ingest", "UnsupportedFormat",
                               f"unsupported file type {path.suffix or '(no extension)'!r}; "
                               f"supported: {' '.join(sorted(SUPPORTED_SUFFIXES))}")
        if size > self.max_bytes:
            return self._error(name, sha, "ingest", "FileTooLarge",
                               f"the file is too large ({size / 1e6:.1f} MB > {self.max_bytes / 1e6:.0f} MB); "
                               "raise the limit with --max-file-mb")
        return Job(name, sha, self.repair, self.compare_with)

    def _error(self, path: str, key: str, stage: str, error: str, message: str) -> FileResult:
        if self.manifest.done(key) is not None:  # already reported by the run being resumed
            self.already_done += 1
            return FileResult(path, key, skipped=True)
        return FileResult(path, key, errors=[error_line(path, stage, error, message)])

    def settle(self, result: FileResult) -> None:
        """Append the result's lines; they count once the next group commit covers them."""
        if not result.skipped:
            self.sinks[DOCUMENTS].write_lines(result.documents)
            self.sinks[ERRORS].write_lines(result.errors)
            self.sinks[COMPARISONS].write_lines(result.comparisons)
            self.uncommitted.append(FileEntry(result.sha256, result.path, result.status,
                                              len(result.documents), result.pages, result.seconds))
        if self.progress is not None:
            self.progress.update(result)
        if len(self.uncommitted) >= COMMIT_FILES or time.monotonic() - self.last_commit >= COMMIT_SECONDS:
            self.commit()

    def commit(self) -> None:
        """Make the appended lines durable (fsync), then record them in the manifest: the commit point.

        Committing a group of files at once costs one fsync per output instead of one per file;
        a crash loses at most the uncommitted group, which a resume processes again.
        """
        if self.uncommitted:
            lengths = {name: sink.sync() for name, sink in self.sinks.items()}
            self.manifest.commit(self.uncommitted, lengths)
            self.uncommitted = []
        self.last_commit = time.monotonic()

    def close(self) -> None:
        for sink in self.sinks.values():
            sink.close()
        self.manifest.close()


def run_batch(
    inputs: list[str],
    out_dir: Path,
    *,
    workers: int = 1,
    engine: str = "local",
    ray_address: str | None = None,
    resume: bool = False,
    compare_with: str | None = None,
    repair: bool = True,
    parquet: bool = True,
    max_file_mb: float = DEFAULT_MAX_FILE_MB,
    stream: TextIO = sys.stderr,
    show_progress: bool = True,
) -> int:
    """Process every input file into OUT_DIR; returns the exit code (see the module docstring).

    Errors always go to `stream`; progress and the closing summary only with `show_progress`."""
    try:
        _check_arguments(workers, engine, ray_address, compare_with, max_file_mb)
        paths, unmatched = expand_inputs(inputs, exclude=out_dir)
        if not paths:
            raise UsageError("no input files found in: " + ", ".join(inputs))
    except UsageError as err:
        stream.write(f"chithi batch: {err}\n")
        return EXIT_USAGE
    try:
        batch = Batch(out_dir, resume=resume, repair=repair, compare_with=compare_with,
                      max_bytes=int(max_file_mb * 1e6), stream=stream, talk=show_progress)
    except ChithiError as err:
        stream.write(f"chithi batch: {err}\n")
        return EXIT_USAGE
    batch.progress = Progress(len(paths) + len(unmatched), stream, enabled=show_progress)
    interrupted = False
    try:
        jobs = batch.jobs(paths, unmatched)
        results = run_ray(jobs, workers, ray_address) if engine == "ray" else run_local(jobs, workers, repair)
        for result in results:
            batch.settle(result)
        batch.commit()
    except KeyboardInterrupt:  # lines appended since the last commit may be cut mid-way: not committed
        interrupted = True
    finally:
        batch.progress.close()
        seconds = batch.progress.elapsed
        batch.close()
    if interrupted:
        stream.write("chithi batch: interrupted; what was committed is kept — rerun with --resume\n")
        return EXIT_INTERRUPTED
    return _finish(batch, engine, workers, seconds, parquet, stream)


def _check_arguments(workers, engine, ray_address, compare_with, max_file_mb) -> None:
    if engine not in {"local", "ray"}:
        raise UsageError(f"--engine must be local or ray, not {engine!r}")
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    if ray_address and engine != "ray":
        raise UsageError("--ray-address needs --engine ray")
    if max_file_mb <= 0:
        raise UsageError("--max-file-mb must be positive")
    if engine == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise UsageError("--engine ray needs Ray: pip install 'chithi[ray]'") from None
    if compare_with:
        from ..compare import is_reference_id, known_references

        if not (is_reference_id(compare_with) or Path(compare_with).is_file()):
            raise UsageError(f"--compare {compare_with!r}: neither a known reference ({', '.join(known_references())}) "
                             "nor a file")


def _finish(batch: Batch, engine: str, workers: int, seconds: float, parquet: bool, stream: TextIO) -> int:
    progress, out_dir = batch.progress, batch.out_dir
    assert progress is not None  # run_batch sets it before any file is read
    failed_total = _count_lines(out_dir / ERRORS)
    tables = {}
    parquet_seconds = 0.0
    if parquet:
        started = time.perf_counter()
        comparisons = out_dir / COMPARISONS if batch.compare_with else None
        tables = write_parquet(out_dir, out_dir / DOCUMENTS, comparisons)
        parquet_seconds = time.perf_counter() - started
    processed = progress.files - progress.skipped
    summary = {
        "engine": engine, "workers": workers, "files": progress.files,
        "ok": processed - progress.errors, "failed": progress.errors, "skipped": progress.skipped,
        "skipped_done_before": batch.already_done, "skipped_duplicates": len(batch.duplicates),
        "duplicates": [{"path": p, "same_content_as": first} for p, first in batch.duplicates],
        "documents": progress.documents, "pages": progress.pages, "seconds": round(seconds, 3),
        "docs_per_s": round(progress.rate(), 2), "parquet_seconds": round(parquet_seconds, 3),
        "parquet_rows": tables, "error_lines_in_output": failed_total,
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", "utf-8")
    batch._say(
        f"{progress.files} files — {summary['ok']} ok, {summary['failed']} failed, "
        f"{summary['skipped']} skipped ({batch.already_done} done before, {len(batch.duplicates)} duplicate "
        f"content); {progress.documents} documents, {progress.pages} pages in {seconds:.1f} s "
        f"({progress.rate():.1f} docs/s); outputs in {out_dir}"
    )
    if failed_total:
        stream.write(f"chithi batch: {failed_total} errors in {out_dir / ERRORS}\n")
    return EXIT_SOME_FAILED if failed_total else EXIT_OK


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())
