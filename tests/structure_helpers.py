"""Shared readers for the structure tests: sample and PDF texts as the pipeline sees them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from pipeline.errors import UnsupportedFormat
from pipeline.ingest import ingest_path
from pipeline.repair.normalize import normalize

ROOT = Path(__file__).resolve().parents[1]


@cache
def text_of(relative: str) -> str:
    """Normalised text of a corpus file (no repair: the clean files need none).

    PDFs go through pdfplumber while the ingest stage does not read them yet."""
    path = ROOT / relative
    try:
        return normalize(ingest_path(path).text)
    except UnsupportedFormat:
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            return normalize("\n\n".join(page.extract_text() or "" for page in pdf.pages))


@cache
def gold() -> list[dict]:
    return json.loads((ROOT / "corpus/gold/metadata.json").read_text("utf-8"))["documents"]
