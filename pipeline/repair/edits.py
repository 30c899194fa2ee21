"""Edits: what a repairer proposes for a span of a line, and how edits become `Repair`s.

Every repairer (diacritic restoration, OCR-garble repair, codes and dates) returns `Edit`s
in line coordinates; `pipeline.repair` shifts them into the text, merges neighbours of the
same kind into one readable span (`merge_adjacent`) and applies them (`apply_edits`), which
reports each as a `Repair` whose offsets point into the repaired text.
"""

from __future__ import annotations

from typing import NamedTuple

from ..schema import Repair


class Edit(NamedTuple):
    start: int
    end: int
    replacement: str
    confidence: float
    kind: str = "diacritics"  # a Repair kind: diacritics, ocr_garble, code, date

    def shifted(self, offset: int) -> Edit:
        return self._replace(start=self.start + offset, end=self.end + offset)


def merge_adjacent(text: str, edits: list[Edit]) -> list[Edit]:
    """Merge edits of the same kind separated only by spaces into one phrase edit."""
    merged: list[Edit] = []
    for e in sorted(edits, key=lambda x: x.start):
        if merged:
            prev = merged[-1]
            gap = text[prev.end:e.start]
            if prev.kind == e.kind and prev.end <= e.start and gap.strip(" ") == "" and "\n" not in gap:
                merged[-1] = Edit(prev.start, e.end, prev.replacement + gap + e.replacement,
                                  min(prev.confidence, e.confidence), e.kind)
                continue
            if e.start < prev.end:
                continue  # overlapping edit: the earlier one wins
        merged.append(e)
    return merged


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, list[Repair]]:
    """Apply sorted, non-overlapping edits; report each with offsets into the new text."""
    out, repairs, cursor, shift = [], [], 0, 0
    for e in edits:
        out.append(text[cursor:e.start])
        start = e.start + shift
        out.append(e.replacement)
        repairs.append(Repair(start=start, end=start + len(e.replacement), kind=e.kind, repaired=True,
                              original=text[e.start:e.end], replacement=e.replacement,
                              confidence=max(0.0, min(1.0, e.confidence))))
        shift += len(e.replacement) - (e.end - e.start)
        cursor = e.end
    out.append(text[cursor:])
    return "".join(out), repairs
