"""The batch manifest: a small SQLite database in the output folder that is the commit point.

What it holds:

    contents  one row per content: the SHA-256 of the bytes a worker read (or, for a path that
              could not be read at all, `path:<error>:<path>`), its status, and the byte range
              its lines occupy in each output file
    paths     which content each input path had when it was last listed (the key a path maps to)
    outputs   the committed length of each output file
    owned     the names chithi may create in the folder (what starting afresh removes)
    meta      the options that shape the records, the manifest layout, a compaction in progress

**Commit.** A batch appends each file's lines to the outputs, fsyncs them, and only then
records, in one SQLite transaction, the contents, the path → content rows and the byte length
each output had after them. Whatever a crash leaves past those lengths was never committed:
a `--resume` truncates the outputs back to them before anything is appended, and processes
the files that were not committed again. So a run killed at any moment (SIGKILL included) and
resumed ends with exactly one set of lines per content.

**Change.** A content stays in the outputs while some path maps to it. When a path's content
changes (a file edited between a killed run and its resume, a failed file fixed, a file
retried with `--retry-failed`), the path's row moves to the new content; the old content,
if no other path has it, is dead. A content's lines name the first path (in name order)
that has it, as in a clean run; when that path changed or vanished, or an earlier-named copy
appeared, the content is *reattributed* to the path that now comes first. At the end of a
run the outputs are **compacted**: each is copied without the byte ranges of dead or
replaced contents, and with the lines of reattributed contents naming their new path, to
a temporary file, fsynced,
and then one transaction records the new ranges and lengths, drops the dead rows and sets a
`compaction` marker; the temporary files are renamed over the outputs and the marker is
cleared. A crash before that transaction leaves the old outputs (the temporary files are
removed on the next start); a crash after it is finished on the next start by renaming the
temporary files that are still there. No stale line survives a run that ends.

Contents are keyed by their SHA-256 alone, with the pipeline fingerprint as a column: a
renamed file is not processed twice, and after an upgrade of the pipeline or its models a
resume processes every file again and its new lines replace the old ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .. import __version__
from ..errors import ChithiError
from ..resources import models_dir
from .export import rename_lines
from .folder import CHITHI_NAMES, OUTPUTS, writing

LAYOUT = "2"  # layout 1 (one `files` table keyed by hash and version, no ranges) cannot be resumed
_RANGES = ", ".join(f"{name.split('.')[0]}_{end} INTEGER NOT NULL" for name in OUTPUTS for end in ("start", "end"))
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contents (
    key       TEXT PRIMARY KEY,       -- SHA-256 of the bytes read, or path:<error>:<path>
    version   TEXT NOT NULL,          -- the pipeline fingerprint that made the lines
    path      TEXT NOT NULL,          -- the path its lines name (display form) …
    row       BLOB NOT NULL,          -- … and that path's key in `paths`
    status    TEXT NOT NULL,          -- ok | failed
    documents INTEGER NOT NULL,
    pages     INTEGER NOT NULL,
    seconds   REAL NOT NULL,
    done_at   REAL NOT NULL,
    {_RANGES}                         -- its lines in each output: bytes [start, end)
);
CREATE TABLE IF NOT EXISTS paths (
    path      BLOB PRIMARY KEY,       -- the absolute path, as bytes (names need not be UTF-8)
    key       TEXT NOT NULL,          -- the content it had when last listed
    shown     TEXT NOT NULL           -- the path as the batch names it (display form)
);
CREATE INDEX IF NOT EXISTS paths_by_key ON paths (key);
CREATE TABLE IF NOT EXISTS outputs (name TEXT PRIMARY KEY, bytes INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS owned (name TEXT PRIMARY KEY);
"""
_LIVE = "EXISTS (SELECT 1 FROM paths p WHERE p.key = contents.key)"


@cache
def pipeline_fingerprint() -> str:
    """`__version__` plus a short hash of the stage list and the model cards in models/."""
    from ..runner import DOCUMENT_STAGES

    digest = hashlib.sha256(__version__.encode())
    digest.update(json.dumps(DOCUMENT_STAGES).encode())
    folder = models_dir()
    for card in sorted(folder.glob("*/MODEL_CARD.md")) if folder.is_dir() else []:
        digest.update(card.parent.name.encode())
        digest.update(card.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


@dataclass(frozen=True)
class FileEntry:
    key: str
    path: str
    row: bytes
    status: str
    documents: int
    pages: int
    seconds: float
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)  # output name → [start, end)


class Manifest:
    """Which contents are done and where their lines are; which content each path has."""

    def __init__(self, path: Path, version: str | None = None):
        self.path = path
        self.version = version or pipeline_fingerprint()
        with writing(path):
            self._db = sqlite3.connect(path, isolation_level=None)  # explicit transactions only
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            self.legacy = "files" in tables and "contents" not in tables
            self.created = not tables
            if not self.legacy:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.executescript(_SCHEMA)
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('layout', ?)", (LAYOUT,))

    def close(self) -> None:
        self._db.close()

    # ------------------------------------------------------------------ the folder
    def owned(self) -> set[str]:
        """The names chithi may have created in this folder."""
        if self.legacy:
            return set(CHITHI_NAMES)
        return {row[0] for row in self._db.execute("SELECT name FROM owned")}

    def own(self, names: Iterable[str]) -> None:
        with self._transaction():
            self._db.executemany("INSERT OR IGNORE INTO owned VALUES (?)", [(n,) for n in names])

    def check_resumable(self) -> None:
        if self.legacy:
            raise ChithiError(str(self.path.parent), "the run being resumed was made by an earlier chithi "
                              "(manifest layout 1); start afresh without --resume", stage="resume")

    def check_options(self, options: dict) -> None:
        """Remember the options of the first run; a resume with other options is refused."""
        wanted = json.dumps(options, sort_keys=True)
        row = self._db.execute("SELECT value FROM meta WHERE key='options'").fetchone()
        if row is None:
            with self._transaction():
                self._db.execute("INSERT INTO meta VALUES ('options', ?)", (wanted,))
        elif row[0] != wanted:
            raise ChithiError(
                str(self.path.parent),
                f"the run being resumed used other options ({row[0]}, now {wanted}); "
                "resume with the same options, or start afresh in another folder",
                stage="resume",
            )

    # ------------------------------------------------------------------ commits
    def committed_bytes(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT name, bytes FROM outputs"))

    def status(self, key: str) -> str | None:
        """'ok' or 'failed' when `key` was committed by this pipeline version, else None."""
        row = self._db.execute("SELECT status FROM contents WHERE key=? AND version=?", (key, self.version)).fetchone()
        return row[0] if row else None

    def commit(self, entries: list[FileEntry], paths: list[tuple[bytes, str | None, str]],
               output_bytes: dict[str, int]) -> None:
        """Record `entries`, the path rows (path, key, shown; key None: forget the path) and the
        output lengths that include the entries' lines, in one transaction."""
        now = time.time()
        rows = [(e.key, self.version, e.path, e.row, e.status, e.documents, e.pages, e.seconds, now,
                 *(bound for name in OUTPUTS for bound in e.ranges.get(name, (0, 0)))) for e in entries]
        with writing(self.path), self._transaction():
            self._db.executemany(f"INSERT OR REPLACE INTO contents VALUES ({', '.join('?' * 15)})", rows)
            self._db.executemany("INSERT OR REPLACE INTO paths VALUES (?, ?, ?)",
                                 [(row, key, shown) for row, key, shown in paths if key is not None])
            self._db.executemany("DELETE FROM paths WHERE path=?", [(row,) for row, key, _ in paths if key is None])
            self._db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?)", sorted(output_bytes.items()))

    def paths_under(self, folders: list[bytes], files: set[bytes]) -> list[bytes]:
        """The recorded paths inside `folders` (absolute, with a trailing separator) or among `files`."""
        found = []
        for (path,) in self._db.execute("SELECT path FROM paths"):
            if path in files or any(path.startswith(folder) for folder in folders):
                found.append(path)
        return found

    # ------------------------------------------------------------------ compaction
    def live_ranges(self, name: str) -> list[tuple[str, int, int]]:
        column = name.split(".")[0]
        return list(self._db.execute(
            f"SELECT key, {column}_start, {column}_end FROM contents WHERE {_LIVE} AND {column}_end > {column}_start "
            f"ORDER BY {column}_start"))

    def reattributions(self) -> dict[str, tuple[bytes, str]]:
        """Live contents whose lines name a path that no longer comes first among the paths
        that have them (it changed, vanished, or a copy with an earlier name appeared):
        key → (row, shown) of the first such path, which a clean run would name."""
        rows = self._db.execute(
            "SELECT contents.key, p.path, min(p.shown) FROM contents JOIN paths p ON p.key = contents.key "
            "GROUP BY contents.key HAVING p.path != contents.row")
        return {key: (row, shown) for key, row, shown in rows}

    def dead_count(self) -> int:
        return self._db.execute(f"SELECT count(*) FROM contents WHERE NOT {_LIVE}").fetchone()[0]

    def compacted(self, moved: dict[str, dict[str, tuple[int, int]]], lengths: dict[str, int],
                  renamed: dict[str, tuple[bytes, str]]) -> None:
        """Record the compacted outputs: new ranges (output → key → range), new lengths, the
        paths the reattributed contents now name, the dead rows dropped, and the marker saying
        the temporary files are to be renamed."""
        with writing(self.path), self._transaction():
            self._db.execute(f"DELETE FROM contents WHERE NOT {_LIVE}")
            self._db.executemany("UPDATE contents SET row=?, path=? WHERE key=?",
                                 [(row, shown, key) for key, (row, shown) in renamed.items()])
            for name, ranges in moved.items():
                column = name.split(".")[0]
                self._db.executemany(f"UPDATE contents SET {column}_start=?, {column}_end=? WHERE key=?",
                                     [(start, end, key) for key, (start, end) in ranges.items()])
                self._db.execute(f"UPDATE contents SET {column}_start=0, {column}_end=0 "
                                 f"WHERE {column}_end = {column}_start")
            self._db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?)", sorted(lengths.items()))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('compaction', ?)", (json.dumps(sorted(moved)),))

    def compaction_pending(self) -> list[str] | None:
        row = self._db.execute("SELECT value FROM meta WHERE key='compaction'").fetchone()
        return json.loads(row[0]) if row else None

    def compaction_done(self) -> None:
        with writing(self.path), self._transaction():
            self._db.execute("DELETE FROM meta WHERE key='compaction'")

    @contextmanager
    def _transaction(self):
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise
        self._db.execute("COMMIT")


def compact_name(name: str) -> str:
    return f".{name}.compact"


def compact(out_dir: Path, manifest: Manifest, sizes: dict[str, int]) -> int:
    """Rewrite the outputs without the lines of dead or replaced contents, and with the lines
    of reattributed contents naming their path now (see the module docstring); returns how
    many bytes were dropped."""
    renamed = manifest.reattributions()
    moved: dict[str, dict[str, tuple[int, int]]] = {}
    lengths: dict[str, int] = {}
    for name in OUTPUTS:
        ranges = manifest.live_ranges(name)
        if (sum(end - start for _, start, end in ranges) == sizes.get(name, 0)
                and not any(key in renamed for key, _, _ in ranges)):
            continue
        moved[name], lengths[name] = _copy_ranges(out_dir / name, out_dir / compact_name(name), ranges,
                                                  {key: shown for key, (_, shown) in renamed.items()}, name)
    if not moved and not renamed and not manifest.dead_count():
        return 0
    manifest.compacted(moved, lengths, renamed)
    finish_compaction(out_dir, manifest)
    return sum(max(sizes.get(name, 0) - lengths[name], 0) for name in moved)


def _copy_ranges(source: Path, target: Path, ranges: list[tuple[str, int, int]], renamed: dict[str, str],
                 name: str) -> tuple[dict, int]:
    """Copy the byte ranges of `source` into `target` (fsynced), the lines of `renamed` keys naming
    their new path; the ranges' new positions and the length."""
    moved, position = {}, 0
    try:
        with writing(target), source.open("rb") as src, target.open("wb") as dst:
            for key, start, end in ranges:
                src.seek(start)
                data = src.read(end - start)
                if len(data) != end - start:
                    raise OSError(f"{source} is shorter than the manifest says")
                if key in renamed:
                    data = rename_lines(name, data, renamed[key])
                dst.write(data)
                moved[key] = (position, position + len(data))
                position += len(data)
            dst.flush()
            os.fsync(dst.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return moved, position


def finish_compaction(out_dir: Path, manifest: Manifest) -> None:
    """Rename the compacted files over the outputs (also after a crash), or drop unrecorded ones."""
    pending = manifest.compaction_pending()
    for name in OUTPUTS:
        temporary = out_dir / compact_name(name)
        with writing(out_dir / name):
            if pending is not None and name in pending and temporary.exists():
                os.replace(temporary, out_dir / name)
            else:
                temporary.unlink(missing_ok=True)
    if pending is not None:
        with writing(out_dir):
            directory = os.open(out_dir, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        manifest.compaction_done()


def truncate_to_committed(out_dir: Path, committed: dict[str, int], names: tuple[str, ...]) -> dict[str, int]:
    """Cut each output back to its committed length (0 when never committed); returns the bytes cut."""
    cut = {}
    for name in names:
        path = out_dir / name
        keep = committed.get(name, 0)
        size = path.stat().st_size if path.exists() else 0
        if size > keep:
            with writing(path), path.open("r+b") as handle:
                handle.truncate(keep)
                handle.flush()
                os.fsync(handle.fileno())
            cut[name] = size - keep
        elif size < keep:
            raise ChithiError(
                str(path),
                f"shorter ({size} B) than the manifest says was written ({keep} B); "
                "the output folder was changed by hand, so start again without --resume",
                stage="resume",
            )
    return cut
