"""The worker's side of a batch: one file in, its output lines out, never an exception.

`process_file` is the work function of both engines (local processes and Ray tasks).
A worker loads its models once, before its first file (`warm_up`), and keeps Python's
garbage collector off them (`settle_heap`).

**What is hashed is what is read.** The parent hashes every file when it plans it (to skip
files already done and duplicates), but a file can change between that moment and the
moment a worker reads it. So the worker reads the file once, into memory, hashes those
bytes, and runs the pipeline on exactly them: it writes them to a private temporary copy
with the same name (the readers of PDF, Word and images open a path, and would otherwise
read the file a second time) and passes that copy to `extract`. The records carry the hash
of the bytes processed, and `FileResult.key` says which content the lines belong to; the
parent commits them under that key, not the one it planned with (see `run.Batch.settle`).
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ChithiError, display_path
from ..schema import DocumentRecord, ErrorRecord
from .inputs import InputProblem, read_regular

PARENT_POLL_SECONDS = 1.0
GC_FIRST_THRESHOLD = 10_000  # allocations between young-generation collections (CPython's default: 700)
WARM_UP_TEXTS = (  # a clean plan, a scan that lost its marks, an English-OCR scan: every model loads
    "KẾ HOẠCH\nThực hiện Chỉ thị số 20-CT/TW về đưa người lao động Việt Nam đi làm việc ở nước ngoài.\n",
    "KE HOACH\nThuc hien Chi thi so 20-CT/TW ve dua nguoi lao dong Viet Nam di lam viec o nuoc ngoai.\n",
    "K6 HO4CH\nThvc hi€n Chi thi s6 20-CT/TW v6 dua ngudi lao dQng ViQt Nam di lam vi6c.\n",
)


@dataclass(frozen=True)
class Job:
    path: str  # the real name (it may hold bytes that are not UTF-8, as surrogate escapes)
    sha256: str  # the content the parent hashed when it planned the job
    repair: bool
    compare_with: str | None
    follow: bool = False  # the path is a symbolic link the listing decided to follow
    max_bytes: int = 25_000_000


@dataclass
class FileResult:
    """What one file gave: serialised lines for each output, and counts for progress.

    `key` is the content the lines belong to: the SHA-256 of the bytes the worker read, or
    `path:<error>:<path>` when nothing could be read. `planned` is the hash the parent
    planned the job with ('' for results the parent made itself)."""

    path: str
    key: str
    documents: list[str] = field(default_factory=list)
    comparisons: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0
    skipped: bool = False
    planned: str = ""

    @property
    def status(self) -> str:
        return "failed" if self.errors else "ok"

    @property
    def display(self) -> str:
        return display_path(self.path)


def path_key(error: str, path: str) -> str:
    """The key of a path that could not be read: no content to hash, so the path and the cause."""
    return f"path:{error}:{display_path(path)}"


def error_line(path: str, stage: str, error: str, message: str) -> str:
    return ErrorRecord(path=display_path(path), stage=stage, error=error, message=message).model_dump_json()


def failed(path: str, error: str, message: str, key: str | None = None, stage: str = "input") -> FileResult:
    """A result with one error line (keyed by the path unless a content key is given)."""
    return FileResult(path, key or path_key(error, path), errors=[error_line(path, stage, error, message)])


def process_file(job: Job) -> FileResult:
    """The work function of both engines: one file → its output lines. Never raises."""
    warm_up(job.repair)  # at once where the worker is warm already; a Ray worker's first task loads
    started = time.perf_counter()
    try:
        data = read_regular(job.path, job.follow, job.max_bytes)
    except InputProblem as err:
        result = failed(job.path, err.error, err.message, stage="ingest" if err.error == "FileTooLarge" else "input")
        result.planned = job.sha256
        return result
    result = FileResult(job.path, hashlib.sha256(data).hexdigest(), planned=job.sha256)
    try:
        records = _extract_bytes(job, data)
    except ChithiError as err:
        result.errors.append(error_line(job.path, err.stage, type(err).__name__, err.message))
        records = []
    except Exception as err:  # a bug in a stage must cost one file, not the batch
        result.errors.append(error_line(job.path, "internal", type(err).__name__, str(err) or repr(err)))
        records = []
    del data
    result.documents = [record.model_dump_json() for record in records]
    result.pages = records[0].source.pages if records else 0
    if job.compare_with:
        _compare_all(records, job, result)
    result.seconds = time.perf_counter() - started
    return result


def _extract_bytes(job: Job, data: bytes) -> list[DocumentRecord]:
    """The pipeline on `data` (the bytes read from `job.path`), through a private copy of the
    same name; the records name the real path."""
    from ..runner import extract

    global _private_copy
    try:
        folder = _private_copy = tempfile.mkdtemp(prefix="chithi-read-")
    except OSError as err:
        raise ChithiError(job.path, f"could not make a private copy to read in {tempfile.gettempdir()} "
                                    f"({err.strerror or err})", stage="input") from None
    copy = os.path.join(folder, os.path.basename(job.path))
    try:
        try:
            with open(copy, "wb") as handle:
                handle.write(data)
        except OSError as err:
            raise ChithiError(job.path, f"could not make a private copy to read in {folder} "
                                        f"({err.strerror or err})", stage="input") from None
        records = extract(Path(copy), repair=job.repair)
    except ChithiError as err:
        err.message = err.message.replace(copy, display_path(job.path))
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _private_copy = None
    for record in records:
        record.source.path = display_path(job.path)
    return records


def _compare_all(records: list[DocumentRecord], job: Job, result: FileResult) -> None:
    from ..runner import compare

    assert job.compare_with is not None
    for record in records:
        try:
            result.comparisons.append(compare(record, against=job.compare_with).model_dump_json())
        except Exception as err:
            stage = err.stage if isinstance(err, ChithiError) else "compare"
            message = err.message if isinstance(err, ChithiError) else str(err) or repr(err)
            message = f"document {record.source.index}: {message}"
            result.errors.append(error_line(job.path, stage, type(err).__name__, message))


_private_copy: str | None = None  # the folder of the private copy being read (see _extract_bytes)
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
    from ..ingest import ingest_text
    from ..runner import process

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
    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                if _private_copy is not None:  # the file being read when the batch was killed
                    shutil.rmtree(_private_copy, ignore_errors=True)
                os._exit(1)

    threading.Thread(target=watch, name="chithi-parent-watch", daemon=True).start()
