"""The pipeline, in the order data flows:

    ingest → repair (normalize, legacy encodings, diacritics, OCR garble) → split
           → document stages (sections, metadata, references, extractors…)

File-level stages turn a file into one repaired text; `split` cuts it into documents; each
document then passes through the registered document stages listed in
`data/stages.json`. Every offset in the output points into the repaired text of its record.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel

from . import __version__
from .errors import ChithiError
from .registry import get_stage
from .schema import DocumentRecord, Repair, Source, Span
from .textmatch import overlap_test


@cache
def document_stages() -> tuple[str, ...]:
    """Names of the document stages in run order; importing each module registers it."""
    spec = json.loads(resources.files("pipeline").joinpath("data/stages.json").read_text("utf-8"))
    names = []
    for name, module in spec["document"]:
        importlib.import_module(module)
        names.append(name)
    return tuple(names)


def _looks_like_path(value: str) -> bool:
    """A string is a path when it names an existing file, or is one line ending in a file
    extension with no spaces around it ("plan.pdf", "scans/KH 157.tif"); anything else is text."""
    if "\n" in value or len(value) > 4096:
        return False
    if Path(value).exists():
        return True
    suffix = Path(value).suffix
    return value == value.strip() and 1 < len(suffix) <= 5 and suffix[1:].isalnum()


def extract(
    source: str | Path,
    *,
    repair: bool = True,
    stages: list[str] | None = None,
    progress: bool = False,
) -> list[DocumentRecord]:
    """Run the whole pipeline on a file path or on text; one record per document found.

    A file holding several documents (a cover letter and the plan it forwards) gives
    several records, each with its own metadata and offsets into its own `text`.
    """
    from .ingest import ingest_path, ingest_text

    if isinstance(source, Path) or _looks_like_path(source):
        ingested = ingest_path(Path(source), progress=progress)
    else:
        ingested = ingest_text(source)
    return process(ingested, repair=repair, stages=stages)


def process(ingested, *, repair: bool = True, stages: list[str] | None = None) -> list[DocumentRecord]:
    """The stages after ingestion, shared by `extract` and the batch workers."""
    from .repair import repair as repair_text
    from .normalize import normalize
    from .split import split_documents

    if repair:
        fixed = repair_text(ingested.text)
        text, repairs, legacy = fixed.text, fixed.repairs, fixed.legacy_encoding
    else:
        text, repairs, legacy = normalize(ingested.text), [], None
    if not text.strip():
        raise ChithiError(ingested.path, "no text could be read from the file (empty or blank pages)")

    bounds = split_documents(text)
    names = document_stages()  # importing the stage modules registers them
    if stages is not None:
        names = tuple(stages)
    records = []
    for index, (start, end) in enumerate(bounds):
        source = Source(
            path=ingested.path,
            sha256=ingested.sha256,
            index=index,
            count=len(bounds),
            format=ingested.format,
            encoding=ingested.encoding,
            legacy_encoding=legacy,
            pages=len(ingested.pages),
            ocr_pages=[p.number for p in ingested.pages if p.method == "ocr"],
            ocr_confidence=ingested.ocr_confidence,
            page_info=ingested.pages,
            span=Span(start=start, end=end),
        )
        record = DocumentRecord(
            pipeline_version=__version__,
            source=source,
            text=text[start:end],
            repairs=_rebase(repairs, start, end),
            warnings=list(ingested.warnings),
        )
        for name in names:
            record = get_stage(name)(record)
        _flag_repaired(record)
        records.append(record)
    return records


def _rebase(repairs: list[Repair], start: int, end: int) -> list[Repair]:
    return [
        r.model_copy(update={"start": r.start - start, "end": r.end - start, "repaired": True})
        for r in repairs
        if start <= r.start and r.end <= end
    ]


def _flag_repaired(record: DocumentRecord) -> None:
    """Mark every span that overlaps a repair, so a reviewer knows what to double-check."""
    if not record.repairs:
        return
    overlaps = overlap_test((r.start, r.end) for r in record.repairs)

    def walk(value) -> None:
        if isinstance(value, Span):
            value.repaired = value.repaired or overlaps(value.start, value.end)
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for field in ("document", "references", "sections", "markets", "targets", "checks",
                  "agencies", "tasks", "deadlines", "funding"):
        walk(getattr(record, field))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
