"""The writers of a batch's outputs: durable JSON Lines appenders, and the Parquet tables."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .folder import writing


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
def doc_id(source: dict) -> str:
    """The key joining every Parquet table: first 16 hex digits of the file's SHA-256, ':', index.

    A file holding a cover letter and the plan it forwards gives '…:0' and '…:1'.
    """
    return f"{source['sha256'][:16]}:{source.get('index', 0)}"


def _span(item: dict) -> dict:
    return {"start": item.get("start"), "end": item.get("end"), "repaired": item.get("repaired", False)}


def _document_rows(rec: dict) -> Iterator[dict]:
    """One row per document: its source, metadata and how many items each field holds."""
    src, info = rec["source"], rec.get("document", {})
    issuer, signer = info.get("issuer") or {}, info.get("signer") or {}
    yield {
        "doc_id": doc_id(src), "path": src.get("path"), "sha256": src["sha256"],
        "doc_index": src.get("index", 0), "doc_count": src.get("count", 1), "format": src.get("format"),
        "pages": src.get("pages"), "ocr_pages": len(src.get("ocr_pages") or []),
        "ocr_confidence": src.get("ocr_confidence"), "legacy_encoding": src.get("legacy_encoding"),
        "doc_type": info.get("doc_type"), "number": info.get("number"), "issued_date": info.get("issued_date"),
        "place": info.get("place"), "province": info.get("province"), "issuer": issuer.get("name"),
        "issuer_level": issuer.get("level"), "issuer_kind": issuer.get("kind"), "title": info.get("title"),
        "signer": signer.get("name"), "signer_title": signer.get("title"),
        "text_chars": len(rec.get("text", "")), "pipeline_version": rec.get("pipeline_version"),
        **{f"n_{field}": len(rec.get(field) or []) for field in COUNTED_FIELDS},
        "n_warnings": len(rec.get("warnings") or []),
    }


COUNTED_FIELDS = ("sections", "repairs", "references", "markets", "targets", "figures", "agencies", "tasks",
                  "deadlines", "funding")


def _item_rows(field: str, columns: tuple[str, ...], renames: dict[str, str] | None = None):
    """Rows of one list field of a record: doc_id, province, the chosen columns and the span."""
    renames = renames or {}

    def rows(rec: dict) -> Iterator[dict]:
        key, province = doc_id(rec["source"]), (rec.get("document") or {}).get("province")
        for item in rec.get(field) or []:
            row = {"doc_id": key, "province": province}
            row.update({renames.get(c, c): item.get(c) for c in columns})
            if "mentions" in item:
                row["mention_count"] = len(item["mentions"])
            row.update(_span(item))
            yield row

    return rows


def _comparison_rows(comp: dict) -> Iterator[dict]:
    key, summary = doc_id(comp["plan"]), comp.get("summary") or {}
    for prov in comp.get("provisions") or []:
        yield {
            "doc_id": key, "province": (comp.get("plan_document") or {}).get("province"),
            "against": comp.get("against"), "overall": summary.get("overall"),
            "provision_id": prov.get("id"), "group": prov.get("group"), "title": prov.get("title"),
            "status": prov.get("status"), "score": prov.get("score"),
            "evidence_count": len(prov.get("evidence") or []),
        }


# Column types by name; pyarrow is imported only when a table is written.
_S, _I, _F, _B, _LS = "string", "int64", "float64", "bool", "list<string>"
_SPAN = [("start", _I), ("end", _I), ("repaired", _B)]
_KEY = [("doc_id", _S), ("province", _S)]

# the fields of a planned target and of a reported figure (pipeline.schema.Quantified)
_QUANTIFIED = ("metric", "value", "value_max", "comparator", "unit", "counted", "percent_of", "frequency",
               "period_start", "period_end", "scope", "text", "section_id", "table", "source", "confidence")
_QUANTIFIED_COLUMNS = [
    ("metric", _S), ("value", _F), ("value_max", _F), ("comparator", _S), ("unit", _S), ("counted", _S),
    ("percent_of", _S), ("frequency", _S), ("period_start", _I), ("period_end", _I), ("scope", _S), ("text", _S),
    ("section_id", _S), ("table_index", _I), ("source", _S), ("confidence", _F), *_SPAN,
]

# table name → (row function over a document record, Arrow columns in order)
DOCUMENT_TABLES = {
    "documents": (_document_rows, [
        ("doc_id", _S), ("path", _S), ("sha256", _S), ("doc_index", _I), ("doc_count", _I), ("format", _S),
        ("pages", _I), ("ocr_pages", _I), ("ocr_confidence", _F), ("legacy_encoding", _S), ("doc_type", _S),
        ("number", _S), ("issued_date", _S), ("place", _S), ("province", _S), ("issuer", _S),
        ("issuer_level", _S), ("issuer_kind", _S), ("title", _S), ("signer", _S), ("signer_title", _S),
        ("text_chars", _I), ("pipeline_version", _S),
        *[(f"n_{field}", _I) for field in COUNTED_FIELDS], ("n_warnings", _I),
    ]),
    "tasks": (_item_rows("tasks", ("id", "section_id", "title", "text", "lead", "cooperating", "deadline",
                                   "source", "confidence"), {"id": "task_id"}), [
        *_KEY, ("task_id", _S), ("section_id", _S), ("title", _S), ("text", _S), ("lead", _LS),
        ("cooperating", _LS), ("deadline", _S), ("source", _S), ("confidence", _F), *_SPAN,
    ]),
    "agencies": (_item_rows("agencies", ("name", "level", "kind", "roles", "source", "confidence")), [
        *_KEY, ("name", _S), ("level", _S), ("kind", _S), ("roles", _LS), ("source", _S),
        ("confidence", _F), ("mention_count", _I), *_SPAN,
    ]),
    "markets": (_item_rows("markets", ("code", "kind", "name", "source", "confidence")), [
        *_KEY, ("code", _S), ("kind", _S), ("name", _S), ("source", _S), ("confidence", _F),
        ("mention_count", _I), *_SPAN,
    ]),
    "targets": (_item_rows("targets", _QUANTIFIED, {"table": "table_index"}), [*_KEY, *_QUANTIFIED_COLUMNS]),
    "figures": (_item_rows("figures", ("kind", *_QUANTIFIED), {"table": "table_index"}),
                [*_KEY, ("kind", _S), *_QUANTIFIED_COLUMNS]),
    "deadlines": (_item_rows("deadlines", ("date", "recurrence", "what", "agency", "report_to", "text",
                                           "source", "confidence")), [
        *_KEY, ("date", _S), ("recurrence", _S), ("what", _S), ("agency", _S), ("report_to", _S),
        ("text", _S), ("source", _S), ("confidence", _F), *_SPAN,
    ]),
    "references": (_item_rows("references", ("doc_type", "number", "date", "issuer", "text")), [
        *_KEY, ("doc_type", _S), ("number", _S), ("date", _S), ("issuer", _S), ("text", _S), *_SPAN,
    ]),
    "funding": (_item_rows("funding", ("kind", "amount", "unit", "text", "source", "confidence")), [
        *_KEY, ("kind", _S), ("amount", _F), ("unit", _S), ("text", _S), ("source", _S), ("confidence", _F),
        *_SPAN,
    ]),
}
COMPARISON_TABLE = (_comparison_rows, [
    *_KEY, ("against", _S), ("overall", _F), ("provision_id", _S), ("group", _S), ("title", _S),
    ("status", _S), ("score", _F), ("evidence_count", _I),
])


class _ParquetSink:
    """Buffers rows of one table and writes them as row groups, so memory stays bounded."""

    ROW_GROUP = 5000

    def __init__(self, path: Path, columns: list[tuple[str, str]]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        types = {_S: pa.string(), _I: pa.int64(), _F: pa.float64(), _B: pa.bool_(), _LS: pa.list_(pa.string())}
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

    Each table is written to a temporary name and renamed, so a reader never sees half a file.
    """
    tables = {name: (rows, cols) for name, (rows, cols) in DOCUMENT_TABLES.items()}
    sources = {name: documents for name in tables}
    if comparisons is not None:
        tables["comparisons"] = COMPARISON_TABLE
        sources["comparisons"] = comparisons
    sinks: dict[str, _ParquetSink] = {}
    try:
        for name, (_, cols) in tables.items():
            with writing(out_dir / f"{name}.parquet"):
                sinks[name] = _ParquetSink(out_dir / f".{name}.parquet.tmp", cols)
        with writing(out_dir / "documents.parquet"):
            for record in iter_jsonl(documents):
                for name, (rows, _) in DOCUMENT_TABLES.items():
                    sinks[name].add(rows(record))
            if comparisons is not None:
                for comp in iter_jsonl(comparisons):
                    sinks["comparisons"].add(_comparison_rows(comp))
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
