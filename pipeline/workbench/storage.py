"""The workbench's store: one SQLite file in the data folder, and the uploaded files beside it.

    DATA/workbench.sqlite3     files, jobs, documents (record and comparison as JSON), reviews
    DATA/files/<sha256><ext>   each uploaded file, named by the hash of its bytes (never by the
                               name the browser sent, which is kept only as text to show)
    DATA/secret.key            the key of the CSRF and access-token cookies (made on first start)

Reviews are never overwritten: each decision is a new row with its reviewer and time, and a
provision's review is its latest row. The web process and the worker process each open
their own connections (WAL mode, so reading never waits for the worker's writes).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..schema import Comparison, DocumentRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, suffix TEXT NOT NULL, size INTEGER NOT NULL, uploaded_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, state TEXT NOT NULL, step TEXT NOT NULL DEFAULT 'queued',
    progress REAL NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
    started_at TEXT, finished_at TEXT);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, idx INTEGER NOT NULL, count INTEGER NOT NULL, main INTEGER NOT NULL,
    doc_type TEXT, number TEXT, issued_date TEXT, province TEXT, level TEXT, issuer_kind TEXT, title TEXT,
    relation TEXT, scored INTEGER NOT NULL, coverage REAL, quality TEXT, record TEXT NOT NULL, comparison TEXT NOT NULL,
    created_at TEXT NOT NULL, UNIQUE (sha256, idx));
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id), provision_id TEXT NOT NULL,
    status TEXT NOT NULL, computed TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', reviewer TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS reviews_by_document ON reviews (document_id, provision_id, id);
"""
LIST_COLUMNS = ("id", "sha256", "idx", "count", "main", "doc_type", "number", "issued_date", "province", "level",
                "issuer_kind", "title", "relation", "scored", "coverage", "quality", "created_at")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """The SQLite file and the folder of uploaded files of one data folder."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.files_dir = self.data_dir / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / "workbench.sqlite3"
        with self.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.db_path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    def secret(self) -> bytes:
        """The key of the signed cookies, made on first use and readable by its owner only."""
        path = self.data_dir / "secret.key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
        return path.read_bytes()

    # ----------------------------------------------------------------- files and jobs
    def file_path(self, sha256: str, suffix: str) -> Path:
        return self.files_dir / f"{sha256}{suffix}"

    def add_file(self, sha256: str, name: str, suffix: str, size: int) -> None:
        with self.connect() as db:
            db.execute("INSERT OR IGNORE INTO files VALUES (?, ?, ?, ?, ?)", (sha256, name, suffix, size, now()))

    def file(self, sha256: str) -> sqlite3.Row | None:
        with self.connect() as db:
            return db.execute("SELECT * FROM files WHERE sha256 = ?", (sha256,)).fetchone()

    def add_job(self, sha256: str) -> int:
        with self.connect() as db:
            cursor = db.execute("INSERT INTO jobs (sha256, state, created_at) VALUES (?, 'queued', ?)", (sha256, now()))
            return int(cursor.lastrowid or 0)

    def job(self, job_id: int) -> sqlite3.Row | None:
        with self.connect() as db:
            return db.execute("SELECT jobs.*, files.name FROM jobs JOIN files USING (sha256) WHERE jobs.id = ?",
                              (job_id,)).fetchone()

    def active_job(self, sha256: str) -> sqlite3.Row | None:
        with self.connect() as db:
            return db.execute("SELECT * FROM jobs WHERE sha256 = ? AND state IN ('queued', 'running') ORDER BY id DESC",
                              (sha256,)).fetchone()

    def unfinished_jobs(self) -> list[sqlite3.Row]:
        with self.connect() as db:
            return db.execute("SELECT jobs.*, files.suffix, files.name FROM jobs JOIN files USING (sha256) "
                              "WHERE state IN ('queued', 'running') ORDER BY jobs.id").fetchall()

    def recent_jobs(self, limit: int = 10) -> list[sqlite3.Row]:
        with self.connect() as db:
            return db.execute("SELECT jobs.*, files.name FROM jobs JOIN files USING (sha256) "
                              "WHERE state IN ('queued', 'running', 'error') ORDER BY jobs.id DESC LIMIT ?",
                              (limit,)).fetchall()

    def progress(self, job_id: int, step: str, progress: float) -> None:
        with self.connect() as db:
            db.execute("UPDATE jobs SET state = 'running', step = ?, progress = ?, started_at = COALESCE(started_at, ?) "
                       "WHERE id = ?", (step, progress, now(), job_id))

    def finish(self, job_id: int, state: str, message: str = "") -> None:
        with self.connect() as db:
            db.execute("UPDATE jobs SET state = ?, step = ?, progress = ?, message = ?, finished_at = ? WHERE id = ?",
                       (state, state, 1.0 if state == "done" else 0.0, message, now(), job_id))

    # --------------------------------------------------------------------- documents
    def save_documents(self, sha256: str, items: Iterable[tuple[DocumentRecord, Comparison, bool]]) -> None:
        """Store the documents of a file (record, comparison, whether it is the file's main plan)."""
        with self.connect() as db:
            for record, comparison, main in items:
                doc, relevance, quality = record.document, comparison.relevance, comparison.quality
                db.execute(
                    "INSERT OR REPLACE INTO documents (sha256, idx, count, main, doc_type, number, issued_date, province, "
                    "level, issuer_kind, title, relation, scored, coverage, quality, record, comparison, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (sha256, record.source.index, record.source.count, int(main), doc.doc_type, doc.number, doc.issued_date,
                     doc.province, doc.issuer.level, doc.issuer.kind, doc.title,
                     relevance.relation if relevance else None, int(bool(relevance is None or relevance.scored)),
                     comparison.summary.overall, quality.level if quality else None,
                     record.model_dump_json(), comparison.model_dump_json(), now()))

    def update_comparison(self, document_id: int, comparison: Comparison) -> None:
        relevance = comparison.relevance
        with self.connect() as db:
            db.execute("UPDATE documents SET comparison = ?, coverage = ?, scored = ?, relation = ? WHERE id = ?",
                       (comparison.model_dump_json(), comparison.summary.overall,
                        int(bool(relevance is None or relevance.scored)), relevance.relation if relevance else None,
                        document_id))

    def documents(self) -> list[sqlite3.Row]:
        """Every document, without its JSON, newest file first."""
        with self.connect() as db:
            return db.execute(f"SELECT {', '.join(LIST_COLUMNS)}, files.name FROM documents JOIN files USING (sha256) "
                              "ORDER BY files.rowid DESC, idx").fetchall()

    def documents_of(self, sha256: str) -> list[sqlite3.Row]:
        with self.connect() as db:
            return db.execute(f"SELECT {', '.join(LIST_COLUMNS)} FROM documents WHERE sha256 = ? ORDER BY idx",
                              (sha256,)).fetchall()

    def document(self, document_id: int) -> sqlite3.Row | None:
        with self.connect() as db:
            return db.execute("SELECT documents.*, files.name, files.suffix FROM documents JOIN files USING (sha256) "
                              "WHERE documents.id = ?", (document_id,)).fetchone()

    def implementing_numbers(self) -> list[str]:
        """Numbers of the plans held that implement or cite the directive (for the via_plan relation)."""
        with self.connect() as db:
            rows = db.execute("SELECT number FROM documents WHERE number IS NOT NULL AND relation IN ('implements', 'cites')")
            return [row["number"] for row in rows]

    # ----------------------------------------------------------------------- reviews
    def add_review(self, document_id: int, provision_id: str, status: str, computed: str, comment: str,
                   reviewer: str) -> None:
        with self.connect() as db:
            db.execute("INSERT INTO reviews (document_id, provision_id, status, computed, comment, reviewer, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (document_id, provision_id, status, computed, comment, reviewer, now()))

    def reviews(self, document_id: int) -> dict[str, sqlite3.Row]:
        """provision id → its latest review."""
        with self.connect() as db:
            rows = db.execute("SELECT * FROM reviews WHERE document_id = ? ORDER BY id", (document_id,)).fetchall()
        return {row["provision_id"]: row for row in rows}

    def review_history(self, document_id: int) -> list[sqlite3.Row]:
        with self.connect() as db:
            return db.execute("SELECT * FROM reviews WHERE document_id = ? ORDER BY id DESC", (document_id,)).fetchall()

    def review_counts(self) -> dict[int, tuple[int, int]]:
        """document id → (provisions reviewed, of which the reviewer agreed with chithi)."""
        with self.connect() as db:
            rows = db.execute(
                "SELECT document_id, COUNT(*) AS n, SUM(status = computed) AS agreed FROM reviews WHERE id IN "
                "(SELECT MAX(id) FROM reviews GROUP BY document_id, provision_id) GROUP BY document_id").fetchall()
        return {row["document_id"]: (row["n"], row["agreed"] or 0) for row in rows}


def loads_record(row: Any) -> DocumentRecord:
    return DocumentRecord.model_validate_json(row["record"])


def loads_comparison(row: Any) -> Comparison:
    return Comparison.model_validate_json(row["comparison"])


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
