"""The pipeline, in the order data flows:

    ingest → repair (normalize, legacy encodings, diacritics, OCR garble) → split
           → document stages (sections, metadata, references, extractors, ner)

Ingestion and repair turn a file into one repaired text; `split` cuts it into documents;
each document becomes a `Document` and passes through the document stages in the order of
DOCUMENT_STAGES (checked against what each stage reads and assigns when first used). Every
offset in the output points into the repaired text of its record.

`extract` and `compare` here are what `pipeline.extract(…)` and `pipeline.compare(…)` call.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from . import __version__
from .document import Document
from .errors import ChithiError
from .registry import Stage, check_order
from .schema import Comparison, DocumentRecord, Repair, Source, Span
from .text.match import overlap_test

if TYPE_CHECKING:
    from .compare.reference import ReferenceDocument
    from .ingest import Ingested, Limits

# (stage name, module that registers it), in run order.
DOCUMENT_STAGES: tuple[tuple[str, str], ...] = (
    ("sections", "pipeline.structure.sections"),
    ("metadata", "pipeline.structure.metadata"),
    ("references", "pipeline.structure.references"),
    ("markets", "pipeline.extract.markets"),
    ("agencies", "pipeline.extract.agencies"),
    ("targets", "pipeline.extract.targets"),
    ("deadlines", "pipeline.extract.deadlines"),
    ("funding", "pipeline.extract.funding"),
    ("tasks", "pipeline.extract.tasks"),
    ("ner", "pipeline.extract.ner"),
)
MODEL_STAGES = frozenset({"ner"})  # what `model=False` leaves out
SPAN_FIELDS = ("document", "references", "sections", "markets", "targets", "figures", "checks", "agencies", "tasks",
               "deadlines", "funding")


@cache
def document_stages(model: bool = True) -> tuple[Stage, ...]:
    """The document stages in run order (importing each module registers it), order checked."""
    names = []
    for name, module in DOCUMENT_STAGES:
        importlib.import_module(module)
        if model or name not in MODEL_STAGES:
            names.append(name)
    return check_order(names)


def _looks_like_path(value: str) -> bool:
    """A string is a path when it names an existing file, or is one line ending in a file
    extension with no spaces around it ("plan.pdf", "scans/KH 157.tif"); anything else is text."""
    if "\n" in value or len(value) > 4096:
        return False
    try:
        if Path(value).exists():
            return True
    except OSError:  # a one-line text longer than a file name can be
        return False
    suffix = Path(value).suffix
    return value == value.strip() and 1 < len(suffix) <= 5 and suffix[1:].isalnum()


def extract(source: str | os.PathLike[str], *, repair: bool = True, model: bool = True,
            progress: bool = False, limits: Limits | None = None) -> list[DocumentRecord]:
    """Run the whole pipeline on a file path or on text; one record per document found.

    `repair=False` only normalises the text (no diacritic restoration, no OCR-garble repair);
    `model=False` leaves out the NER model (rules only). A file holding several documents
    (a cover letter and the plan it forwards) gives several records, each with its own
    metadata and offsets into its own `text`. `limits`: what one input may cost
    (`pipeline.ingest.Limits`; the defaults when None).
    """
    from .ingest import ingest_path, ingest_text

    if isinstance(source, os.PathLike) or _looks_like_path(source):
        ingested = ingest_path(Path(source), progress=progress, limits=limits)
    else:
        ingested = ingest_text(source, limits=limits)
    return process(ingested, repair=repair, model=model)


def run_stages(source: str | os.PathLike[str], stages: Sequence[str] | None, *,
               repair: bool = True) -> list[DocumentRecord]:
    """`extract` running only the named document stages (all with None), in the pipeline's
    order, for tests and evaluations of one stage: fields a stage left out would fill stay empty."""
    from .ingest import ingest_path, ingest_text

    path = isinstance(source, os.PathLike) or _looks_like_path(source)
    ingested = ingest_path(Path(source)) if path else ingest_text(str(source))
    return process(ingested, repair=repair, stages=stages)


def process(ingested: Ingested, *, repair: bool = True, model: bool = True,
            stages: Sequence[str] | None = None) -> list[DocumentRecord]:
    """The stages after ingestion, shared by `extract` and the batch workers (`stages`: see
    `run_stages`)."""
    from .repair import repair as repair_text
    from .repair.normalize import normalize_recorded, removal_repairs
    from .structure.split import split_documents

    if repair:  # pages read by Tesseract `vie` also get the Vietnamese-OCR post-correction
        fixed = repair_text(ingested.text, vie_ocr=any(page.method == "ocr" for page in ingested.pages))
        text, repairs, legacy = fixed.text, fixed.repairs, fixed.legacy_encoding
    else:
        text, removed = normalize_recorded(ingested.text)
        repairs, legacy = removal_repairs(removed, []), None
    if not text.strip():
        raise ChithiError(ingested.path, "no text could be read from the file (empty or blank pages)")

    to_run = document_stages(model)
    if stages is not None:
        unknown = set(stages) - {s.name for s in document_stages()}
        if unknown:
            raise ValueError(f"unknown stages: {sorted(unknown)}")
        to_run = tuple(s for s in document_stages() if s.name in stages)
    bounds = split_documents(text)
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
        doc = Document(DocumentRecord(
            pipeline_version=__version__,
            source=source,
            text=text[start:end],
            repairs=_rebase(repairs, start, end),
            warnings=list(ingested.warnings),
        ))
        for current in to_run:
            current.run(doc)
        _flag_repaired(doc.record)
        records.append(doc.record)
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

    def walk(value: object) -> None:
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

    for field in SPAN_FIELDS:
        walk(getattr(record, field))


# ----------------------------------------------------------------------------- compare
def compare(plan: str | os.PathLike[str] | DocumentRecord, against: str = "directive-20", *,
            repair: bool = True, force: bool = False, limits: Limits | None = None) -> Comparison:
    """Compare a plan (a path, a text or a DocumentRecord) with a reference: the id of one
    shipped with chithi ("directive-20"), a reference JSON file, or another plan's file
    (a provincial plan that a district plan implements). A document that is not a plan for
    the reference (a Thông tư, a cover letter) is flagged and not scored unless `force`."""
    from .compare import compare_record

    record = plan if isinstance(plan, DocumentRecord) else load_plan(plan, repair=repair, limits=limits)
    return compare_record(record, reference_for(str(against)), against=str(against), force=force)


def load_plan(source: str | os.PathLike[str], *, repair: bool = True, role: str = "plan",
              limits: Limits | None = None) -> DocumentRecord:
    """The plan of a file or a text (a cover letter before it is skipped)."""
    from .compare import main_record

    records = extract(source, repair=repair, limits=limits)
    if not records:
        raise ChithiError(str(source), f"no document found in the {role}", "compare")
    return main_record(records)


def reference_for(against: str) -> ReferenceDocument:
    """The reference named by `against`, built once per file version (a batch compares many plans)."""
    return _reference_for(against, _mtime(against))


@lru_cache(maxsize=16)
def _reference_for(against: str, mtime: float | None) -> ReferenceDocument:
    from .compare import is_reference_id, load_reference, reference_from_plan

    if is_reference_id(against) or against.endswith(".json"):
        return load_reference(against)
    if mtime is None:
        return load_reference(against)  # neither a reference id nor a file: its error message lists the known ones
    return reference_from_plan(load_plan(against, role="reference plan"), against)


def _mtime(path: str) -> float | None:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return None
