"""The output folder of a batch: one writer at a time, and only chithi's own files touched.

* **One writer.** A batch holds an exclusive `flock` on OUT_DIR/.chithi.lock from before it
  reads or removes anything until it ends; the kernel releases it when the process dies
  (SIGKILL included), so a killed batch never leaves the folder locked. A second batch on
  the same folder stops at once with one line naming the first (its pid, host and start
  time, which the holder writes into the lock file). Worker processes do not inherit the
  lock (they are forked from the fork server, and Python opens files non-inheritable).
* **Only our files.** A non-empty folder without a manifest is not a chithi output folder:
  a batch refuses it unless told otherwise (`allow_other_files`, `--force`), and even then
  refuses to write over a file that has one of chithi's names. A new manifest records the
  names chithi may create there (`CHITHI_NAMES`); starting afresh removes only those, the
  manifest last, so that a crash half-way leaves a folder that is still chithi's.
* **Faults in one line.** Any error while writing (a full disk, a read-only or vanished
  folder) becomes an `OutputError` that names the file; the batch stops with exit code 4,
  and what was committed stays resumable.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import display_path
from .tables import COMPARISON_TABLE, DOCUMENT_TABLES

LOCK_NAME = ".chithi.lock"
MANIFEST_NAME = "manifest.sqlite"
MANIFEST_FILES = (f"{MANIFEST_NAME}-wal", f"{MANIFEST_NAME}-shm", f"{MANIFEST_NAME}-journal", MANIFEST_NAME)
OUTPUTS = ("documents.jsonl", "errors.jsonl", "comparisons.jsonl")
TABLES = (*DOCUMENT_TABLES, COMPARISON_TABLE.name)
REPORT_DIRS = ("report", ".report.tmp", ".report.old")  # `chithi report` (also at the end of a batch)
CHITHI_NAMES = (
    *OUTPUTS, "summary.json", *REPORT_DIRS,
    *(f"{table}.parquet" for table in TABLES), *(f".{table}.parquet.tmp" for table in TABLES),
    *(f".{name}.compact" for name in OUTPUTS),
    LOCK_NAME, *MANIFEST_FILES,  # the manifest last: it is removed last
)


class OutputError(Exception):
    """The output could not be written (exit code 4); what was committed is kept."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path, self.reason = display_path(path), reason
        super().__init__(f"{self.path}: cannot write ({reason})")


class FolderRefused(Exception):
    """OUT_DIR is not ours to write in (exit code 2), or another batch writes there (exit code 4)."""

    def __init__(self, message: str, busy: bool = False):
        super().__init__(message)
        self.busy = busy


@contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an OSError or SQLite error while writing `path` into an OutputError naming it."""
    try:
        yield
    except OSError as err:
        raise OutputError(path, err.strerror or str(err)) from None
    except sqlite3.Error as err:
        raise OutputError(path, _sqlite_reason(path, err)) from None


def _sqlite_reason(path: str | os.PathLike[str], err: sqlite3.Error) -> str:
    """SQLite says "database or disk is full", or only "disk I/O error" when the disk filled
    as it wrote its journal; either is said as the OS says it when the disk is indeed full."""
    full = getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    try:
        space = os.statvfs(os.path.dirname(os.path.abspath(path)))
        full = full or space.f_bavail * space.f_frsize < 1 << 20
    except OSError:
        pass
    return os.strerror(errno.ENOSPC) if full else str(err)


def check_folder(out_dir: Path, allow_other_files: bool) -> bool:
    """Whether OUT_DIR is a chithi output folder (False: empty or new). Raises FolderRefused
    where writing there could touch a file chithi did not create."""
    entries = set(os.listdir(out_dir)) - {LOCK_NAME}
    if MANIFEST_NAME in entries:
        return True
    if entries and not allow_other_files:
        shown = ", ".join(sorted(display_path(e) for e in entries)[:3]) + (" …" if len(entries) > 3 else "")
        raise FolderRefused(f"{display_path(out_dir)}: not empty and not a chithi output folder (it holds {shown}); "
                            "choose an empty or new folder, or pass --force to write beside those files "
                            "(chithi never changes a file it did not create)")
    clash = sorted(entries & set(CHITHI_NAMES))
    if clash:
        raise FolderRefused(f"{display_path(out_dir / clash[0])}: exists and was not written by chithi "
                            "(the folder has no manifest); move it away or choose another folder")
    return False


def lock_folder(out_dir: Path) -> int:
    """Take the folder's lock (kept until the returned descriptor is closed or the process ends)."""
    path = out_dir / LOCK_NAME
    with writing(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 300, 0).decode("utf-8", "replace").strip() or "starting up"
        os.close(fd)
        raise FolderRefused(f"{display_path(out_dir)}: another chithi batch is writing there ({holder}); "
                            "wait for it to end, or choose another folder", busy=True) from None
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    with writing(path):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {stamp}\n".encode(), 0)
    return fd


def unlock_folder(fd: int) -> None:
    os.close(fd)  # closing the descriptor releases the flock


def remove_owned(out_dir: Path, owned: set[str]) -> int:
    """Remove the files chithi created in OUT_DIR (never the lock it holds), the manifest last."""
    removed = 0
    for name in CHITHI_NAMES:
        if name in owned and name != LOCK_NAME:
            path = out_dir / name
            with writing(path):
                if path.is_symlink():
                    continue
                if path.is_file():
                    path.unlink()
                    removed += 1
                elif name in REPORT_DIRS and path.is_dir():
                    shutil.rmtree(path)
                    removed += 1
    return removed
