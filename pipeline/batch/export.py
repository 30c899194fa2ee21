"""The writers of a batch's outputs: durable JSON Lines appenders, and the Parquet tables
(whose columns batch/tables.py derives from the output models)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .folder import writing
from .tables import BOOL, COMPARISON_TABLE, DOCUMENT_TABLES, FLOAT, INT, INTS, STRING, STRINGS, Column


# ------------------------------------------------------------------------------ JSONL
class JsonlAppender:
    """An append-only JSON Lines file whose writes are durable once `sync()` returns."""

    def __init__(self, path: Path):
        self.path = path
        with writing(path):
            self._handle = path.open("ab")
            self.position = self._handle.tell()

    def write_lines(self, lines: list[str]) -> tuple[int, int]:
        """Append the lines; returns the byte range [start, end) they occupy."""
        start = self.position
        if lines:
            data = "".join(_line_safe(line) + "\n" for line in lines).encode("utf-8")
            with writing(self.path):
                self._handle.write(data)
            self.position += len(data)
        return start, self.position

    def sync(self) -> int:
        """Flush to disk; returns the file's length, which now holds everything written."""
        with writing(self.path):
            self._handle.flush()
            os.fsync(self._handle.fileno())
        return self.position

    def close(self) -> None:
        try:
            self._handle.close()
        except OSError:  # a flush that failed already (disk full) was reported; what it held is not committed
            pass


# Characters that JSON leaves raw inside strings but that str.splitlines() and some editors
# take for line breaks (bytes read in an 8-bit encoding can give them); they can only occur inside
# strings, so escaping them keeps every line valid JSON with the same value.
_LINE_BREAKS = str.maketrans({"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _line_safe(line: str) -> str:
    if "\u0085" in line or "\u2028" in line or "\u2029" in line:
        return line.translate(_LINE_BREAKS)
    return line


def rename_lines(output: str, data: bytes, path: str) -> bytes:
    """The lines of one content in `output` (bytes) with the path they name set to `path`,
    serialised as the worker serialises them (so a reattributed record equals a clean run's)."""
    lines = [_renamed(output, line, path) for line in data.decode("utf-8").split("\n") if line]
    return "".join(_line_safe(line) + "\n" for line in lines).encode("utf-8")


def _renamed(output: str, line: str, path: str) -> str:
    from ..schema import Comparison, DocumentRecord, ErrorRecord

    if output.startswith("documents"):
        record = DocumentRecord.model_validate_json(line)
        record.source.path = path
        return record.model_dump_json()
    if output.startswith("comparisons"):
        comparison = Comparison.model_validate_json(line)
        comparison.plan.path = path
        return comparison.model_dump_json()
    error = ErrorRecord.model_validate_json(line)
    error.path = path
    return error.model_dump_json()


def iter_jsonl(path: Path) -> Iterator[dict]:
    """The objects of a JSON Lines file, one at a time (constant memory)."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


# ---------------------------------------------------------------------------- Parquet
class _ParquetSink:
    """Buffers rows of one table and writes them as row groups, so memory stays bounded."""

    ROW_GROUP = 5000

    def __init__(self, path: Path, columns: list[Column]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        types = {STRING: pa.string(), INT: pa.int64(), FLOAT: pa.float64(), BOOL: pa.bool_(),
                 STRINGS: pa.list_(pa.string()), INTS: pa.list_(pa.int64())}
        self.path, self.schema = path, pa.schema([(name, types[kind]) for name, kind in columns])
        self.rows: list[dict] = []
        self.count = 0
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def add(self, rows: Iterable[dict]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= self.ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            self._writer.write_table(self._pa.Table.from_pylist(self.rows, schema=self.schema))
            self.count += len(self.rows)
            self.rows = []

    def close(self) -> int:
        self._flush()
        self._writer.close()
        return self.count


def write_parquet(out_dir: Path, documents: Path, comparisons: Path | None = None) -> dict[str, int]:
    """Write OUT_DIR/<table>.parquet from documents.jsonl (and comparisons.jsonl); rows per table.
    The tables and their columns are derived from the output models (batch/tables.py).

    Each table is written to a temporary name and renamed, so a reader never sees half a file.
    """
    tables = dict(DOCUMENT_TABLES)
    if comparisons is not None:
        tables["comparisons"] = COMPARISON_TABLE
    sinks: dict[str, _ParquetSink] = {}
    try:
        for name, table in tables.items():
            with writing(out_dir / f"{name}.parquet"):
                sinks[name] = _ParquetSink(out_dir / f".{name}.parquet.tmp", table.columns)
        with writing(out_dir / "documents.parquet"):
            for record in iter_jsonl(documents):
                for name, table in DOCUMENT_TABLES.items():
                    sinks[name].add(table.rows(record))
            if comparisons is not None:
                for comparison in iter_jsonl(comparisons):
                    sinks["comparisons"].add(COMPARISON_TABLE.rows(comparison))
        counts = {}
        for name, sink in sinks.items():
            with writing(out_dir / f"{name}.parquet"):
                counts[name] = sink.close()
                os.replace(sink.path, out_dir / f"{name}.parquet")
    except BaseException:  # a full disk: no half-written temporary file stays behind
        for sink in sinks.values():
            sink.path.unlink(missing_ok=True)
        raise
    return counts
