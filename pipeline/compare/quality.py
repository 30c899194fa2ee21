"""What a reader of a comparison must know besides the verdicts: how far the text can be
trusted (`quality_of`: OCR confidence, the share of the text that repair changed) and where
the result comes from (`provenance_of`: file, hash, chithi version, reference, date)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from .. import __version__
from ..schema import DocumentRecord, Provenance, Quality
from .reference import ReferenceDocument
from .settings import settings

# Repairs that change what the text says; "normalize" (Unicode forms, spaces) does not.
CHANGING = frozenset({"legacy_encoding", "diacritics", "ocr_garble", "code", "date"})


def _covered_chars(spans: list[tuple[int, int]]) -> int:
    """Characters inside the union of the spans."""
    total, reach = 0, 0
    for start, end in sorted(spans):
        start = max(start, reach)
        if end > start:
            total += end - start
            reach = end
    return total


def quality_of(record: DocumentRecord) -> Quality:
    """Good, fair or poor, from the OCR confidence and the shares of repaired and garbled text
    (thresholds in compare/data/compare.json, "quality")."""
    conf = settings()["quality"]
    length = max(len(record.text), 1)
    changed = [r for r in record.repairs if r.kind in CHANGING]
    repaired = _covered_chars([(r.start, r.end) for r in changed]) / length
    garbled = _covered_chars([(r.start, r.end) for r in changed if r.kind == "ocr_garble"]) / length
    confidence = record.source.ocr_confidence
    reasons = []
    if confidence is not None and confidence < conf["ocr_confidence_poor"]:
        reasons.append("very_low_ocr_confidence")
    elif confidence is not None and confidence < conf["ocr_confidence_fair"]:
        reasons.append("low_ocr_confidence")
    if garbled >= conf["garbled_share_poor"]:
        reasons.append("badly_garbled")
    elif garbled >= conf["garbled_share_fair"]:
        reasons.append("garbled")
    if repaired >= conf["repaired_share_fair"]:
        reasons.append("much_repaired")
    level = "poor" if {"very_low_ocr_confidence", "badly_garbled"} & set(reasons) else "fair" if reasons else "good"
    if record.source.legacy_encoding:
        reasons.append("legacy_encoding")
    return Quality(
        level=level, reasons=reasons, pages=record.source.pages, ocr_pages=len(record.source.ocr_pages),
        ocr_confidence=confidence, repaired_share=round(repaired, 3), garbled_share=round(garbled, 3),
        repairs=dict(Counter(r.kind for r in changed)),
    )


def provenance_of(record: DocumentRecord, reference: ReferenceDocument, against: str) -> Provenance:
    return Provenance(
        file=record.source.path, sha256=record.source.sha256, document_index=record.source.index,
        document_count=record.source.count, chithi_version=__version__, reference=against,
        reference_sha256=reference.sha256, created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
