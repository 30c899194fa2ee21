"""`chithi batch`: run the pipeline over an archive with progress, resume and error isolation.

The parent process lists and hashes the inputs, hands the files to workers (local processes
or Ray tasks) with a bounded number in flight, and alone writes the outputs:

    OUT_DIR/documents.jsonl     one DocumentRecord per line (as `chithi extract` prints)
    OUT_DIR/errors.jsonl        one ErrorRecord per failed file (or failed comparison)
    OUT_DIR/comparisons.jsonl   one Comparison per document, with --compare
    OUT_DIR/<table>.parquet     flat tables keyed by doc_id, rebuilt from the JSONL at the end
    OUT_DIR/manifest.sqlite     the commit point for resume (see pipeline.batch.manifest)
    OUT_DIR/summary.json        counts and timings of the run
    OUT_DIR/.chithi.lock        held while a batch writes (see pipeline.batch.folder)

Exactly once per (content, document index): the lines of a file are committed under the hash
of the bytes the worker read (`work.process_file`); a file that changed after the parent
hashed it is committed under its new content, or dropped when that content is done already
or belongs to another file of this run, and the files skipped as duplicates of its old
content are planned again. A path whose content changed has its old lines removed when the
run ends (`manifest.compact`).

Exit codes (pipeline.cli.EXIT_CODES): 0 all files succeeded, 3 some files (or comparisons)
failed, 2 usage error or an output folder that is not chithi's, 4 the output could not be
written (a full disk; another batch holds the folder), 130 interrupted (rerun with --resume).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import TextIO

from ..errors import ChithiError, display_path
from ..ingest import SUFFIXES as SUPPORTED_SUFFIXES
from .engines import RECYCLE_AFTER, run_local, run_ray
from .export import JsonlAppender, write_parquet
from .folder import (
    CHITHI_NAMES,
    MANIFEST_NAME,
    OUTPUTS,
    FolderRefused,
    OutputError,
    check_folder,
    lock_folder,
    remove_owned,
    unlock_folder,
    writing,
)
from .inputs import InputProblem, Listing, expand_inputs, hash_regular, too_large_message
from .manifest import FileEntry, Manifest, compact, finish_compaction, truncate_to_committed
from .progress import Progress
from .work import FileResult, Job, failed, process_file

EXIT_OK, EXIT_USAGE, EXIT_SOME_FAILED, EXIT_OUTPUT, EXIT_INTERRUPTED = 0, 2, 3, 4, 130
DEFAULT_MAX_FILE_MB = 25.0
DOCUMENTS, ERRORS, COMPARISONS = OUTPUTS
COMMIT_FILES, COMMIT_SECONDS = 64, 0.5  # group commit: whichever comes first
COMMIT_PATHS = 4096  # path rows of skipped files alone also make a commit
INPUT_ROW = b"\0input:"  # path rows of inputs that matched nothing (no real path starts with NUL)


class UsageError(Exception):
    """Bad arguments to `chithi batch` (exit code 2)."""


def path_row(path: str | os.PathLike[str]) -> bytes:
    """A path's key in the manifest: its absolute name as bytes (the same file from another cwd)."""
    return os.fsencode(os.path.abspath(path))


class Batch:
    """The parent's side: takes the folder, plans the jobs, commits results, keeps the counts."""

    def __init__(self, out_dir: Path, *, resume: bool, repair: bool, compare_with: str | None,
                 max_bytes: int, retry_failed: bool = False, allow_other_files: bool = False,
                 stream: TextIO = sys.stderr, talk: bool = True):
        self.out_dir, self.repair, self.compare_with = out_dir, repair, compare_with
        self.max_bytes, self.retry_failed, self.stream, self.talk = max_bytes, retry_failed, stream, talk
        self.seen: dict[str, str] = {}  # content → the path that has it in this run
        self.duplicates: list[tuple[str, str]] = []
        self.duplicates_of: dict[str, list[tuple[Path, bool]]] = defaultdict(list)
        self.again: deque[tuple[Path, bool]] = deque()  # paths to plan again (see settle)
        self.already_done = self.changed = 0
        self.progress: Progress | None = None
        self.uncommitted: list[FileEntry] = []
        self.path_rows: list[tuple[bytes, str | None, str]] = []  # (path, key or None: forget, shown)
        self.rows_seen: set[bytes] = set()
        self.last_commit = time.monotonic()
        self.lock: int | None = None
        try:
            self._open_folder(resume, allow_other_files)
        except BaseException:
            if self.lock is not None:
                unlock_folder(self.lock)
            raise

    def _open_folder(self, resume: bool, allow_other_files: bool) -> None:
        out_dir = self.out_dir
        with writing(out_dir):
            out_dir.mkdir(parents=True, exist_ok=True)
        check_folder(out_dir, allow_other_files)  # refused before anything is created there
        self.lock = lock_folder(out_dir)
        ours = check_folder(out_dir, allow_other_files)  # again: no other batch changes it now
        if ours and not resume:
            previous = Manifest(out_dir / MANIFEST_NAME)
            owned = previous.owned()
            previous.close()
            if remove_owned(out_dir, owned):
                self._say(f"starting afresh in {display_path(out_dir)}: the previous run's files were removed "
                          "(use --resume to continue a run)")
        self.manifest = Manifest(out_dir / MANIFEST_NAME)
        if self.manifest.created:
            self.manifest.own(CHITHI_NAMES)
        self.manifest.check_resumable()
        self.manifest.check_options({"repair": self.repair, "compare_with": self.compare_with})
        finish_compaction(out_dir, self.manifest)  # one that a crash interrupted, if any
        cut = truncate_to_committed(out_dir, self.manifest.committed_bytes(), OUTPUTS)
        for name, size in cut.items():
            self._say(f"resume: discarded {size} uncommitted bytes at the end of {name}")
        self.sinks = {name: JsonlAppender(out_dir / name) for name in OUTPUTS}

    def _say(self, message: str) -> None:
        if self.talk:
            self.stream.write(f"chithi batch: {message}\n")

    # --------------------------------------------------------------------- planning
    def jobs(self, listing: Listing) -> _Jobs:
        return _Jobs(self, listing)

    def plan(self, path: Path, follow: bool) -> Job | None:
        """A job for a listed file, or None when the file needs no worker (settled here)."""
        name, row = str(path), path_row(path)
        try:
            size, sha = hash_regular(path, follow)
        except InputProblem as err:
            self._settle_here(failed(name, err.error, err.message), row)
            return None
        if sha in self.seen:
            self.duplicates.append((display_path(name), display_path(self.seen[sha])))
            self.duplicates_of[sha].append((path, follow))
            self.settle(FileResult(name, sha, skipped=True), row)
            return None
        self.seen[sha] = name
        if self._done(sha):
            self.already_done += 1
            self.settle(FileResult(name, sha, skipped=True), row)
            return None
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            self.settle(failed(name, "UnsupportedFormat", f"unsupported file type {path.suffix or '(no extension)'!r}; "
                               f"supported: {' '.join(sorted(SUPPORTED_SUFFIXES))}", key=sha, stage="ingest"), row)
            return None
        if size > self.max_bytes:
            self.settle(failed(name, "FileTooLarge", too_large_message(size, self.max_bytes), key=sha, stage="ingest"),
                        row)
            return None
        return Job(name, sha, self.repair, self.compare_with, follow=follow, max_bytes=self.max_bytes)

    def _done(self, key: str) -> bool:
        status = self.manifest.status(key)
        return status == "ok" or (status == "failed" and not self.retry_failed)

    def _settle_here(self, result: FileResult, row: bytes) -> None:
        """A result the parent made (a path it could not read): skipped if reported before."""
        if self._done(result.key):
            self.already_done += 1
            result = FileResult(result.path, result.key, skipped=True)
        self.settle(result, row)

    # --------------------------------------------------------------------- results
    def settle(self, result: FileResult, row: bytes | None = None) -> None:
        """Append the result's lines; they count once the next group commit covers them."""
        if result.planned and not result.skipped and result.key != result.planned:
            result = self._changed(result)
        row = path_row(result.path) if row is None else row
        if not result.skipped:
            lines = {DOCUMENTS: result.documents, ERRORS: result.errors, COMPARISONS: result.comparisons}
            ranges = {name: self.sinks[name].write_lines(lines[name]) for name in OUTPUTS}
            self.uncommitted.append(FileEntry(result.key, result.display, row, result.status, len(result.documents),
                                              result.pages, result.seconds, ranges))
        self.path_rows.append((row, result.key, result.display))
        self.rows_seen.add(row)
        if self.progress is not None:
            self.progress.update(result)
        if (len(self.uncommitted) >= COMMIT_FILES or len(self.path_rows) >= COMMIT_PATHS
                or time.monotonic() - self.last_commit >= COMMIT_SECONDS):
            self.commit()

    def _changed(self, result: FileResult) -> FileResult:
        """The worker read other bytes than the parent hashed: the file changed in between
        (or could not be read at all). Its lines belong to what was read; the paths skipped as
        duplicates of the planned content are planned again (one of them has it now)."""
        self.changed += 1
        if self.seen.get(result.planned) == result.path:
            del self.seen[result.planned]
        self.again.extend(self.duplicates_of.pop(result.planned, []))
        if result.key.startswith("path:"):
            return result
        if result.key in self.seen or self._done(result.key):
            first = self.seen.get(result.key)
            self.duplicates.append((result.display, display_path(first) if first else "(done before)"))
            return FileResult(result.path, result.key, skipped=True)
        self.seen[result.key] = result.path
        return result

    def commit(self) -> None:
        """Make the appended lines durable (fsync), then record them in the manifest: the commit point.

        Committing a group of files at once costs one fsync per output instead of one per file;
        a crash loses at most the uncommitted group, which a resume processes again.
        """
        if self.uncommitted or self.path_rows:
            lengths = {name: sink.sync() for name, sink in self.sinks.items()}
            self.manifest.commit(self.uncommitted, self.path_rows, lengths)
            self.uncommitted, self.path_rows = [], []
        self.last_commit = time.monotonic()

    def forget_vanished(self, listing: Listing) -> None:
        """Paths inside the folders walked (or among the files named) that this run did not
        meet are gone: their rows go, and with them their contents' lines (at compaction)."""
        folders = [os.fsencode(os.path.join(folder, "")) for folder in listing.folders]
        files = {os.fsencode(path) for path in listing.named_files}
        gone = [p for p in self.manifest.paths_under(folders, files) if p not in self.rows_seen]
        self.path_rows += [(p, None, "") for p in gone]
        self.commit()

    def compact(self) -> int:
        return compact(self.out_dir, self.manifest, self.manifest.committed_bytes())

    def close(self) -> None:
        for sink in getattr(self, "sinks", {}).values():
            sink.close()
        if hasattr(self, "manifest"):
            self.manifest.close()
        if self.lock is not None:
            unlock_folder(self.lock)
            self.lock = None


class _Jobs:
    """The engine's jobs, planned one at a time as the engine asks. It may give more after it
    ran dry once: a changed file's duplicates are planned again (`Batch._changed`)."""

    def __init__(self, batch: Batch, listing: Listing):
        self.batch, self.source = batch, self._listed(listing)

    def __iter__(self) -> _Jobs:
        return self

    def __next__(self) -> Job:
        while self.batch.again:
            job = self.batch.plan(*self.batch.again.popleft())
            if job is not None:
                return job
        job = next(self.source, None)
        if job is None:
            raise StopIteration
        return job

    def _listed(self, listing: Listing):
        batch = self.batch
        batch.path_rows += [(INPUT_ROW + os.fsencode(item), None, "") for item in listing.matched]
        for item in listing.unmatched:
            batch._settle_here(failed(item, "FileNotFoundError", "no file or folder matches this input"),
                               INPUT_ROW + os.fsencode(item))
        for refused in listing.refused:
            batch._settle_here(failed(refused.path, refused.error, refused.message), path_row(refused.path))
        for path, follow in listing.files:
            job = batch.plan(path, follow)
            if job is not None:
                yield job


def run_batch(
    inputs: list[str],
    out_dir: Path,
    *,
    workers: int = 1,
    engine: str = "local",
    ray_address: str | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    compare_with: str | None = None,
    repair: bool = True,
    parquet: bool = True,
    report: bool = True,
    max_file_mb: float = DEFAULT_MAX_FILE_MB,
    follow_links: bool = False,
    allow_other_files: bool = False,
    recycle_after: int | None = None,
    stream: TextIO = sys.stderr,
    show_progress: bool = True,
    work=process_file,
) -> int:
    """Process every input file into OUT_DIR; returns the exit code (see the module docstring).

    Errors always go to `stream`; progress and the closing summary only with `show_progress`.
    `recycle_after`: files per worker before it is replaced (None: engines.RECYCLE_AFTER).
    `work` is the local engine's work function (tests replace it)."""
    recycle_after = RECYCLE_AFTER if recycle_after is None else recycle_after
    try:
        _check_arguments(workers, engine, ray_address, compare_with, max_file_mb, resume, retry_failed, recycle_after)
        listing = expand_inputs(inputs, exclude=out_dir, follow_links=follow_links)
        if not listing.files and not listing.refused:
            raise UsageError("no input files found in: " + ", ".join(display_path(i) for i in inputs))
    except UsageError as err:
        stream.write(f"chithi batch: {err}\n")
        return EXIT_USAGE
    try:
        batch = Batch(out_dir, resume=resume, repair=repair, compare_with=compare_with,
                      max_bytes=int(max_file_mb * 1e6), retry_failed=retry_failed,
                      allow_other_files=allow_other_files, stream=stream, talk=show_progress)
    except (ChithiError, FolderRefused, OutputError) as err:
        stream.write(f"chithi batch: {err}\n")
        busy = isinstance(err, FolderRefused) and err.busy
        return EXIT_OUTPUT if isinstance(err, OutputError) or busy else EXIT_USAGE
    total = len(listing.files) + len(listing.refused) + len(listing.unmatched)
    batch.progress = Progress(total, stream, enabled=show_progress)
    stopped: str | None = None
    try:
        jobs = batch.jobs(listing)
        results = (run_ray(jobs, workers, ray_address, recycle_after) if engine == "ray"
                   else run_local(jobs, workers, repair, work=work, recycle_after=recycle_after))
        try:
            for result in results:
                batch.settle(result)
        finally:
            results.close()  # the workers go at once, also when writing failed
        batch.commit()
        seconds = batch.progress.elapsed
        code = _finish(batch, listing, engine, workers, seconds, parquet, stream)
        if report and parquet:
            code = _report(batch, code, stream)
    except KeyboardInterrupt:  # lines appended since the last commit may be cut mid-way: not committed
        stopped = "interrupted; what was committed is kept — rerun with --resume"
        code = EXIT_INTERRUPTED
    except OutputError as err:
        stopped = f"{err}; what was committed is kept — make room, then rerun with --resume"
        code = EXIT_OUTPUT
    finally:
        batch.progress.close()
        batch.close()
    if stopped:
        stream.write(f"chithi batch: {stopped}\n")
    return code


def _report(batch: Batch, code: int, stream: TextIO) -> int:
    """The roll-ups (`chithi report`) of the batch's tables, while the batch still holds the
    folder. Records and tables are already committed: a report that cannot be written costs
    only itself (one line, exit code 4)."""
    from ..rollup import build

    try:
        index = build(batch.out_dir)
    except OSError as err:
        stream.write(f"chithi batch: the report could not be written ({err.strerror or err}); "
                     f"the records are complete — rerun chithi report {display_path(batch.out_dir)}\n")
        return EXIT_OUTPUT
    batch._say(f"report: {display_path(index)}")
    return code


def _check_arguments(workers, engine, ray_address, compare_with, max_file_mb, resume, retry_failed,
                     recycle_after) -> None:
    if engine not in {"local", "ray"}:
        raise UsageError(f"--engine must be local or ray, not {engine!r}")
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    if ray_address and engine != "ray":
        raise UsageError("--ray-address needs --engine ray")
    if max_file_mb <= 0:
        raise UsageError("--max-file-mb must be positive")
    if retry_failed and not resume:
        raise UsageError("--retry-failed needs --resume (without it every file is processed anyway)")
    if recycle_after < 0:
        raise UsageError("--recycle-after must be 0 (never) or more")
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


def _finish(batch: Batch, listing: Listing, engine: str, workers: int, seconds: float, parquet: bool,
            stream: TextIO) -> int:
    """Forget vanished paths, compact the outputs, write the Parquet tables and the summary."""
    progress, out_dir = batch.progress, batch.out_dir
    assert progress is not None  # run_batch sets it before any file is read
    batch.forget_vanished(listing)
    stale = batch.manifest.dead_count()
    dropped = batch.compact()
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
        "changed_while_read": batch.changed, "stale_contents_removed": stale, "stale_bytes_removed": dropped,
        "documents": progress.documents, "pages": progress.pages, "seconds": round(seconds, 3),
        "docs_per_s": round(progress.rate(), 2), "parquet_seconds": round(parquet_seconds, 3),
        "parquet_rows": tables, "error_lines_in_output": failed_total,
    }
    with writing(out_dir / "summary.json"):
        (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", "utf-8")
    batch._say(
        f"{progress.files} files — {summary['ok']} ok, {summary['failed']} failed, "
        f"{summary['skipped']} skipped ({batch.already_done} done before, {len(batch.duplicates)} duplicate "
        f"content); {progress.documents} documents, {progress.pages} pages in {seconds:.1f} s "
        f"({progress.rate():.1f} docs/s); outputs in {display_path(out_dir)}"
        + (f"; removed the lines of {stale} changed or vanished files" if stale else "")
    )
    if failed_total:
        stream.write(f"chithi batch: {failed_total} errors in {display_path(out_dir / ERRORS)}\n")
    return EXIT_SOME_FAILED if failed_total else EXIT_OK


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())
