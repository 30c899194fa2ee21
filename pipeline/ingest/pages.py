"""The page images OCR reads and what it gives back (light to import: no OpenCV)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image


@dataclass
class PageImage:
    """One page to OCR: the image and its resolution (None when the file does not say)."""

    image: Image.Image
    dpi: float | None = None


@dataclass
class OcrResult:
    text: str
    confidence: float | None  # mean word confidence, 0–100; None when no word was found
    noise: float  # the grain signal (median |Laplacian|)
    skew: float  # degrees
    signals: dict[str, float | None] = field(default_factory=dict)  # all of `cleanup.Signals`
    steps: list[str] = field(default_factory=list)  # the clean-up steps taken
