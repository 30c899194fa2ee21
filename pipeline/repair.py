"""Repair: legacy encodings, diacritic restoration and OCR-garble repair.

STUB: normalisation only; the repair helpers replace this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .normalize import normalize
from .schema import Repair


@dataclass
class Repaired:
    text: str
    repairs: list[Repair] = field(default_factory=list)
    legacy_encoding: str | None = None


def repair(text: str) -> Repaired:
    return Repaired(text=normalize(text))
