"""Ingestion: a file (txt, md, docx, pdf, image) → pages of text, with what was OCRed.

STUB: only UTF-8 text for now; the ingestion helper replaces this module.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ChithiError, EmptyDocument, UnsupportedFormat
from .schema import PageInfo

PAGE_SEPARATOR = "\n\n"


@dataclass
class Ingested:
    path: str | None
    sha256: str
    format: str
    pages: list[PageInfo]
    page_texts: list[str]
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return PAGE_SEPARATOR.join(self.page_texts)

    @property
    def ocr_confidence(self) -> float | None:
        conf = [p.ocr_confidence for p in self.pages if p.method == "ocr" and p.ocr_confidence is not None]
        return round(sum(conf) / len(conf), 2) if conf else None


def ingest_text(text: str) -> Ingested:
    return Ingested(
        path=None,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        format="text",
        pages=[PageInfo(number=1, method="text", chars=len(text))],
        page_texts=[text],
        encoding="utf-8",
    )


def ingest_path(path: Path, progress: bool = False) -> Ingested:
    if not path.exists():
        raise ChithiError(str(path), "file not found")
    data = path.read_bytes()
    if not data.strip():
        raise EmptyDocument(str(path), "the file is empty")
    if path.suffix.lower() not in {".txt", ".md"}:
        raise UnsupportedFormat(str(path), f"unsupported format {path.suffix!r}")
    text = data.decode("utf-8-sig")
    return Ingested(
        path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        format=path.suffix.lower().lstrip("."),
        pages=[PageInfo(number=1, method="text", chars=len(text))],
        page_texts=[text],
        encoding="utf-8",
    )
