"""`chithi batch`: run the pipeline over an archive with progress, resume and error isolation.

The parent process lists and hashes the inputs, hands the files to workers (local processes
or Ray tasks) with a bounded number in flight, and alone writes the outputs:

    OUT_DIR/documents.jsonl     one DocumentRecord per line (as `chithi extract` prints)
    OUT_DIR/errors.jsonl        one ErrorRecord per failed file (or failed comparison)
    OUT_DIR/comparisons.jsonl   one Comparison per document, with --compare
    OUT_DIR/<table>.parquet     flat tables keyed by doc_id, rebuilt from the JSONL at the end
    OUT_DIR/manifest.sqlite     the commit point for resume (see pipeline.manifest)
    OUT_DIR/summary.json        counts and timings of the run

Exit codes: 0 all files succeeded, 3 some files (or comparisons) failed, 2 usage error,
130 interrupted (rerun with --resume).
"""

from __future__ import annotations

import gc
import glob
import hashlib
import json
import os
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ChithiError
from .export import JsonlAppender, write_parquet
from .manifest import MANIFEST_NAME, FileEntry, Manifest, truncate_to_committed
from .schema import ErrorRecord

EXIT_OK, EXIT_USAGE, EXIT_SOME_FAILED, EXIT_INTERRUPTED = 0, 2, 3, 130
SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".docx", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"})
DEFAULT_MAX_FILE_MB = 25.0
DOCUMENTS, ERRORS, COMPARISONS = "documents.jsonl", "errors.jsonl", "comparisons.jsonl"
OUTPUTS = (DOCUMENTS, ERRORS, COMPARISONS)
IN_FLIGHT_PER_WORKER = 2
PLAIN_PROGRESS_SECONDS = 5.0
PARENT_POLL_SECONDS = 1.0
COMMIT_FILES, COMMIT_SECONDS = 64, 0.5  # group commit: whichever comes first
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
PRELOAD_REPAIR = "CHITHI_PRELOAD_REPAIR"  # tells the fork server's preload whether to load the repair models
GC_FIRST_THRESHOLD = 10_000  # allocations between young-generation collections (CPython's default: 700)
WARM_UP_TEXTS = (  # a clean plan, a scan that lost its marks, an English-OCR scan: every model loads
    "KẾ HOẠCH\nThực hiện Chỉ thị số 20-CT/TW về đưa người lao động Việt Nam đi làm việc ở nước ngoài.\n",
    "KE HOACH\nThuc hien Chi thi so 20-CT/TW ve dua nguoi lao dong Viet Nam di lam viec o nuoc ngoai.\n",
    "K6 HO4CH\nThvc hi€n Chi thi s6 20-CT/TW v6 dua ngudi lao dQng ViQt Nam di lam vi6c.\n",
)


class UsageError(Exception):
    """Bad arguments to `chithi batch` (exit code 2)."""


# ------------------------------------------------------------------------------ work
@dataclass(frozen=True)
class Job:
    path: str
    sha256: str
    repair: bool
    compare_with: str | None


@dataclass
class FileResult:
    """What one file gave: serialised lines for each output, and counts for progress."""

    path: str
    sha256: str
    documents: list[str] = field(default_factory=list)
    comparisons: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0
    skipped: bool = False

    @property
    def status(self) -> str:
        return "failed" if self.errors else "ok"


def error_line(path: str, stage: str, error: str, message: str) -> str:
    return ErrorRecord(path=path, stage=stage, error=error, message=message).model_dump_json()


def process_file(job: Job) -> FileResult:
    """The work function of both engines: one file → its output lines. Never raises."""
    from .core import extract

    warm_up(job.repair)  # at once where the worker is warm already; a Ray worker's first task loads
    started = time.perf_counter()
    result = FileResult(job.path, job.sha256)
    try:
        records = extract(Path(job.path), repair=job.repair)
    except ChithiError as err:
        result.errors.append(error_line(job.path, err.stage, type(err).__name__, err.message))
        records = []
    except Exception as err:  # a bug in a stage must cost one file, not the batch
        result.errors.append(error_line(job.path, "internal", type(err).__name__, str(err) or repr(err)))
        records = []
    result.documents = [record.model_dump_json() for record in records]
    result.pages = records[0].source.pages if records else 0
    if job.compare_with:
        _compare_all(records, job, result)
    result.seconds = time.perf_counter() - started
    return result


def _compare_all(records, job: Job, result: FileResult) -> None:
    from .compare import compare

    for record in records:
        try:
            result.comparisons.append(compare(record, against=job.compare_with).model_dump_json())
        except Exception as err:
            stage = err.stage if isinstance(err, ChithiError) else "compare"
            message = err.message if isinstance(err, ChithiError) else str(err) or repr(err)
            message = f"document {record.source.index}: {message}"
            result.errors.append(error_line(job.path, stage, type(err).__name__, message))


_warmed: bool | None = None  # whether this process has loaded the models, with (True) or without the repair ones


def warm_up(repair: bool, parent_pid: int | None = None) -> None:
    """Worker initializer: load the stages and their models once, before the first file,
    then keep the garbage collector off them (`settle_heap`). A worker forked from the
    loaded fork server (`_start_fork_server`) finds them loaded and only starts watching its
    parent. The one-thread BLAS a worker needs is set before it starts (`_start_fork_server`;
    Ray sets OMP_NUM_THREADS=1 in its workers itself)."""
    global _warmed
    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    if _warmed or (_warmed is not None and not repair):  # loaded already, with what this batch needs
        return
    _warmed = repair
    from .core import process
    from .ingest import ingest_text

    try:
        for text in WARM_UP_TEXTS if repair else WARM_UP_TEXTS[:1]:
            process(ingest_text(text), repair=repair)
    except Exception:  # a failing warm-up shows up, with its file name, on the first real file
        pass
    settle_heap()


def settle_heap() -> None:
    """Stop the cyclic garbage collector from walking the loaded models again and again.

    A worker holds about 190,000 long-lived container objects once its models are loaded
    (the language model's and the gazetteers' tables, spaCy's pipeline). CPython's collector
    walks them at each of its older-generation collections, which took 13–16 % of a worker's
    time on the replicated samples (scripts/profile_batch.py, --plain-gc). `gc.freeze()`
    moves everything alive after the warm-up to a permanent generation that is never
    scanned, and a larger young-generation threshold makes collections ten times rarer: the
    collector's share falls under 1 %. Objects made per document are collected as before.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_FIRST_THRESHOLD, *gc.get_threshold()[1:])


def _exit_with_parent(parent_pid: int) -> None:
    """A worker whose batch was killed (SIGKILL leaves no chance to clean up) exits too."""
    import threading

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, name="chithi-parent-watch", daemon=True).start()


# --------------------------------------------------------------------------- engines
def run_local(jobs: Iterable[Job], workers: int, repair: bool = True, work=process_file) -> Iterator[FileResult]:
    """Worker processes; results stream back as they finish, at most 2×workers in flight.

    A worker that dies (a crash in a native library) breaks the pool. The files that were
    in flight are then run again one at a time in a fresh pool, so a crash can be pinned on
    its file: a file that breaks the pool while running alone is recorded as WorkerCrashed,
    and the others go through.
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    jobs, suspects = iter(jobs), deque()
    context = multiprocessing.get_context("forkserver")
    _start_fork_server(repair)
    while True:
        pool = None
        pending: dict = {}
        try:
            while True:
                while len(pending) < IN_FLIGHT_PER_WORKER * workers and not (suspects and pending):
                    job = suspects.popleft() if suspects else next(jobs, None)
                    if job is None:
                        break
                    if pool is None:
                        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=warm_up,
                                                   initargs=(repair, os.getpid()))
                    pending[pool.submit(work, job)] = job
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    error = future.exception()
                    if isinstance(error, BrokenProcessPool):
                        broken = True
                        continue
                    job = pending.pop(future)
                    yield _crashed(job, f"the worker failed: {error!r}") if error else future.result()
                if broken:
                    break
            if len(pending) == 1:
                (job,) = pending.values()
                yield _crashed(job, "the worker process died while reading this file")
            else:
                suspects.extend(pending.values())
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)


def _start_fork_server(repair: bool) -> None:
    """Start multiprocessing's fork server, which forks the workers: with the models loaded
    (`pipeline._worker_preload`; with the repair stage's when the batch repairs), and with
    the BLAS libraries limited to one thread (a value the user exported is kept).

    Workers forked from a loaded server start at once and share the models' pages: with 2
    workers the batch's PSS fell from 744 to 556 MB (bench_batch.py --files 500, repair on).
    A fork server is started once per process: a later batch of the same process reuses it.

    Each worker is meant to keep one core busy. OpenBLAS sizes its thread pool when numpy is
    imported, which happens in the fork server (or, without the preload, as a worker
    unpickles its first task), so the limit must be in the environment the fork server
    starts with: setting it in the worker comes too late. Without it, every worker's matrix
    products (the NER model's) ran on all cores and their threads fought: 9.9 instead of
    about 20 docs/s with 2 workers on 2 cores (bench_batch.py --files 500, repair on,
    OPENBLAS_NUM_THREADS unset). The parent's own environment is left as it was.
    """
    from multiprocessing import forkserver

    saved = {variable: os.environ.get(variable) for variable in (*BLAS_THREAD_VARIABLES, PRELOAD_REPAIR)}
    for variable in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
    os.environ[PRELOAD_REPAIR] = "1" if repair else "0"
    try:
        forkserver.set_forkserver_preload(["pipeline._worker_preload"])  # the models, loaded once
        forkserver.ensure_running()
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


def run_ray(jobs: Iterable[Job], workers: int, address: str | None) -> Iterator[FileResult]:
    """The same work function as Ray tasks, with at most 2×workers tasks in flight."""
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        options = {"address": address} if address else {"num_cpus": workers}
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False, **options)
    task = ray.remote(num_cpus=1, max_retries=1)(process_file)
    pending: dict = {}
    try:
        for job in jobs:
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                yield _ray_next(pending)
            pending[task.remote(job)] = job
        while pending:
            yield _ray_next(pending)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()


def _ray_next(pending: dict) -> FileResult:
    import ray

    (ref,), _ = ray.wait(list(pending), num_returns=1)
    job = pending.pop(ref)
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as err:  # worker died or the task could not run
        return _crashed(job, f"the Ray task failed ({type(err).__name__})")


def _crashed(job: Job, message: str) -> FileResult:
    return FileResult(job.path, job.sha256, errors=[error_line(job.path, "worker", "WorkerCrashed", message)])


# ---------------------------------------------------------------------------- inputs
def expand_inputs(inputs: list[str], exclude: Path | None = None) -> tuple[list[Path], list[str]]:
    """Folders (recursive), files and glob patterns → sorted unique files, and the unmatched inputs."""
    found: dict[str, Path] = {}
    unmatched = []
    skip = exclude.resolve() if exclude is not None else None
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            matches = [p for p in path.rglob("*") if p.is_file()]
        elif path.is_file():
            matches = [path]
        else:
            matches = [Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file()]
        matches = [p for p in matches if skip is None or skip not in p.resolve().parents]
        if not matches:
            unmatched.append(item)
        for match in matches:
            found.setdefault(str(match.resolve()), match)
    return sorted(found.values(), key=str), unmatched


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------------------- progress
class Progress:
    """A rich progress bar on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.stream = total, stream
        self.files = self.documents = self.pages = self.errors = self.skipped = 0
        self.started = time.perf_counter()
        self._last_line = self.started
        self._bar = None
        if stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("[bold]chithi batch"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[pages]} pages · {task.fields[rate]} docs/s · "
                           "[red]{task.fields[errors]} errors"),
                TimeRemainingColumn(), console=Console(file=stream), transient=False,
            )
            self._task = self._bar.add_task("files", total=total, pages=0, rate="0.0", errors=0)
            self._bar.start()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def rate(self) -> float:
        return self.documents / self.elapsed if self.elapsed > 0 else 0.0

    def update(self, result: FileResult) -> None:
        self.files += 1
        self.skipped += result.skipped
        self.documents += len(result.documents)
        self.pages += result.pages
        self.errors += bool(result.errors)
        if self._bar is not None:
            self._bar.update(self._task, completed=self.files, pages=self.pages,
                             rate=f"{self.rate():.1f}", errors=self.errors)
        elif time.perf_counter() - self._last_line >= PLAIN_PROGRESS_SECONDS:
            self._last_line = time.perf_counter()
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        done = self.files - self.skipped
        left = self.total - self.files
        eta = f"{left * self.elapsed / done:.0f} s" if done else "?"
        return (f"chithi batch: {self.files}/{self.total} files, {self.documents} documents, "
                f"{self.pages} pages, {self.errors} failed, {self.rate():.1f} docs/s, ETA {eta}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


# ------------------------------------------------------------------------------- run
class Batch:
    """The parent's side: plans the jobs, commits results, keeps the counts."""

    def __init__(self, out_dir: Path, *, resume: bool, repair: bool, compare_with: str | None,
                 max_bytes: int, stream=sys.stderr):
        self.out_dir, self.repair, self.compare_with = out_dir, repair, compare_with
        self.max_bytes, self.stream = max_bytes, stream
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
    stream=sys.stderr,
) -> int:
    """Process every input file into OUT_DIR; returns the exit code (see the module docstring)."""
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
                      max_bytes=int(max_file_mb * 1e6), stream=stream)
    except ChithiError as err:
        stream.write(f"chithi batch: {err}\n")
        return EXIT_USAGE
    batch.progress = Progress(len(paths) + len(unmatched), stream)
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
        try:
            from .compare import compare  # noqa: F401
        except ImportError as err:
            raise UsageError(f"--compare is not available ({err})") from None


def _finish(batch: Batch, engine: str, workers: int, seconds: float, parquet: bool, stream) -> int:
    progress, out_dir = batch.progress, batch.out_dir
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
    stream.write(
        f"chithi batch: {progress.files} files — {summary['ok']} ok, {summary['failed']} failed, "
        f"{summary['skipped']} skipped ({batch.already_done} done before, {len(batch.duplicates)} duplicate "
        f"content); {progress.documents} documents, {progress.pages} pages in {seconds:.1f} s "
        f"({progress.rate():.1f} docs/s); outputs in {out_dir}\n"
    )
    if failed_total:
        stream.write(f"chithi batch: {failed_total} errors in {out_dir / ERRORS}\n")
    return EXIT_SOME_FAILED if failed_total else EXIT_OK


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())
