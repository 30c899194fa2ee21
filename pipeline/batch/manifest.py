"""The batch manifest: a small SQLite database in the output folder that is the commit point.

A batch appends each file's lines to the output JSON Lines files, fsyncs them, and only then
records, in one SQLite transaction, that the file is done *and* the byte length each output
file had after it. Whatever a crash leaves past those lengths was never committed: on
`--resume` the outputs are truncated back to the committed lengths before anything is
appended, and the files that were not committed are processed again. So a run killed at any
moment (SIGKILL included) and resumed ends with exactly one record per document.

Files are keyed by the SHA-256 of their bytes and the pipeline fingerprint, so a renamed
file is not processed twice and an upgrade of the pipeline or its models processes
everything again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import __version__
from ..errors import ChithiError
from ..resources import models_dir

MANIFEST_NAME = "manifest.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    sha256    TEXT NOT NULL,
    version   TEXT NOT NULL,
    path      TEXT NOT NULL,
    status    TEXT NOT NULL,          -- ok | failed
    documents INTEGER NOT NULL,
    pages     INTEGER NOT NULL,
    seconds   REAL NOT NULL,
    done_at   REAL NOT NULL,
    PRIMARY KEY (sha256, version)
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,           -- options: the run options that shape the records
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outputs (
    name  TEXT PRIMARY KEY,           -- documents.jsonl, errors.jsonl, comparisons.jsonl
    bytes INTEGER NOT NULL            -- committed length; anything past it is discarded on resume
);
"""


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
    sha256: str
    path: str
    status: str
    documents: int
    pages: int
    seconds: float


class Manifest:
    """Which files are done, and the committed length of each output file."""

    def __init__(self, path: Path, version: str | None = None):
        self.path = path
        self.version = version or pipeline_fingerprint()
        self._db = sqlite3.connect(path, isolation_level=None)  # explicit transactions only
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def done(self, sha256: str) -> FileEntry | None:
        row = self._db.execute(
            "SELECT sha256, path, status, documents, pages, seconds FROM files WHERE sha256=? AND version=?",
            (sha256, self.version),
        ).fetchone()
        return FileEntry(*row) if row else None

    def check_options(self, options: dict) -> None:
        """Remember the options of the first run; a resume with other options is refused."""
        wanted = json.dumps(options, sort_keys=True)
        row = self._db.execute("SELECT value FROM meta WHERE key='options'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('options', ?)", (wanted,))
        elif row[0] != wanted:
            raise ChithiError(
                str(self.path.parent),
                f"the run being resumed used other options ({row[0]}, now {wanted}); "
                "resume with the same options, or start afresh in another folder",
                stage="resume",
            )

    def committed_bytes(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT name, bytes FROM outputs"))

    def commit(self, entries: list[FileEntry], output_bytes: dict[str, int]) -> None:
        """Mark `entries` done together with the output lengths that include their lines."""
        now = time.time()
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(e.sha256, self.version, e.path, e.status, e.documents, e.pages, e.seconds, now)
                 for e in entries],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO outputs VALUES (?, ?)", sorted(output_bytes.items())
            )

    @contextmanager
    def _transaction(self):
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def truncate_to_committed(out_dir: Path, committed: dict[str, int], names: tuple[str, ...]) -> dict[str, int]:
    """Cut each output back to its committed length (0 when never committed); returns the bytes cut."""
    cut = {}
    for name in names:
        path = out_dir / name
        keep = committed.get(name, 0)
        size = path.stat().st_size if path.exists() else 0
        if size > keep:
            with path.open("r+b") as handle:
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
