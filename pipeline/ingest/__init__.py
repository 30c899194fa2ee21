"""Ingestion: a file (txt, md, docx, pdf, image) → pages of text, with what was OCRed.

The format comes from the extension and is then checked against the bytes, so a file
that is not what its name says fails with a clear `ChithiError` instead of garbage:

- .txt/.md: encoding detected (BOM, UTF-16, UTF-8, then cp1258/cp1252 scored as Vietnamese);
- .docx: paragraphs and tables in document order (python-docx);
- .pdf: the text layer per page (pdfplumber); a page without a usable one is OCRed, and so
  is a page whose text layer does not read as Vietnamese (the better reading is kept);
- .png/.jpg/.tif…: every frame OCRed (see `pipeline.ingest.ocr`).

One reader module per format: `plaintext`, `word`, `pdf`, `image`. A file is read once,
within `Limits` (`pipeline.ingest.limits`): special files (FIFOs, devices), link loops and
inputs over a size, page or pixel limit are refused with one line naming the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EmptyDocument, UnreadableFile, UnsupportedFormat, display_path
from . import image, pdf, plaintext, reading, word
from .limits import DEFAULT_LIMITS, Limits, check_text, read_file
from .pages import OcrResult, PageImage

if TYPE_CHECKING:
    from ..schema import PageInfo

__all__ = ["DEFAULT_LIMITS", "SUFFIXES", "Ingested", "Limits", "ingest_path", "ingest_text"]

PAGE_SEPARATOR = "\n\n"
SUFFIXES = frozenset(plaintext.SUFFIXES | word.SUFFIXES | pdf.SUFFIXES | image.SUFFIXES)


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


def ingest_text(text: str, limits: Limits | None = None) -> Ingested:
    """A text given as a string (no file): one page; refused over `limits.max_text_mb`."""
    check_text(None, text, limits or DEFAULT_LIMITS)
    return Ingested(
        path=None,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        format="text",
        pages=[_text_page(1, text)],
        page_texts=[text],
        encoding="utf-8",
    )


def ingest_path(path: Path, progress: bool = False, limits: Limits | None = None) -> Ingested:
    """Read any supported file into page texts; raise a `ChithiError` naming the file."""
    path = Path(path)
    limits = limits or DEFAULT_LIMITS
    data = read_file(path, limits)
    name = display_path(path)
    suffix = path.suffix.lower()
    sha256 = hashlib.sha256(data).hexdigest()
    if suffix in plaintext.SUFFIXES:
        text, encoding = plaintext.decode_text(data, str(path))
        if not text.strip():
            raise EmptyDocument(str(path), "the file holds only blank space")
        got = Ingested(name, sha256, suffix.lstrip("."), [_text_page(1, text)], [text], encoding)
    elif suffix in word.SUFFIXES:
        text = word.read_docx(path, data, limits)
        if not text.strip():
            raise EmptyDocument(str(path), "the Word document holds no text")
        got = Ingested(name, sha256, "docx", [_text_page(1, text)], [text])
    elif suffix in pdf.SUFFIXES:
        got = _ingest_pdf(path, data, sha256, progress, limits)
    elif suffix in image.SUFFIXES:
        got = _ingest_image(path, data, sha256, progress, limits)
    else:
        known = sorted(SUFFIXES)
        raise UnsupportedFormat(str(path), f"unsupported format {path.suffix or '(no extension)'!r}; expected one of {' '.join(known)}")
    check_text(path, got.text, limits)
    return got


def _text_page(number: int, text: str) -> PageInfo:
    from ..schema import PageInfo

    return PageInfo(number=number, method="text", chars=len(text))


def _ocr_page(number: int, result: OcrResult) -> PageInfo:
    from ..schema import PageInfo

    return PageInfo(number=number, method="ocr", ocr_confidence=result.confidence, chars=len(result.text))


def _ocr(path: Path, images: Iterable[PageImage], total: int, progress: bool) -> list[OcrResult]:
    """OCR page images; a Tesseract failure becomes an error naming the file."""
    import cv2
    import pytesseract

    from .ocr import ocr_pages

    try:
        return ocr_pages(images, progress=progress, label=f"OCR {path.name}", total=total)
    except (pytesseract.TesseractError, cv2.error, RuntimeError) as err:  # tesserocr raises RuntimeError
        raise UnreadableFile(str(path), f"OCR failed ({type(err).__name__}: {err})") from None


def _ingest_pdf(path: Path, data: bytes, sha256: str, progress: bool, limits: Limits) -> Ingested:
    pdf.check_pdf(path, data, limits)
    layer = pdf.read_pdf_text(path, data)
    texts = {page.number: page.text for page in layer}
    infos = {page.number: _text_page(page.number, page.text) for page in layer}
    warnings = []
    unusable = [p.number for p in layer if not pdf.usable_text_layer(p.text) and (p.has_graphics or p.text.strip())]
    judged = {p.number: reading.read(p.text) for p in layer if p.number not in unusable}
    doubtful = [n for n, r in judged.items() if not r.good]
    to_ocr = sorted(unusable + doubtful)
    if to_ocr:
        images = pdf.pdf_page_images(path, to_ocr, data, limits)
        results = _ocr(path, images, len(to_ocr), progress)
        for number, result in zip(to_ocr, results):
            if number in judged:
                layer_reading = reading.read(texts[number], with_lm=True)
                ocr_reading = reading.read(result.text, with_lm=True)
                if not reading.ocr_reads_better(layer_reading, ocr_reading):
                    warnings.append(f"page {number}: text layer reads poorly as Vietnamese ({_describe(layer_reading)}); "
                                    f"kept, as its OCR reads no better ({_describe(ocr_reading)})")
                    continue
                warnings.append(f"page {number}: text layer does not read as Vietnamese ({_describe(layer_reading)}), "
                                f"OCRed instead ({_describe(ocr_reading)})")
            elif texts[number].strip():
                quality = pdf.text_layer_quality(texts[number])
                warnings.append(f"page {number}: text layer unusable (quality {quality:.2f}), OCRed instead")
            texts[number] = result.text
            infos[number] = _ocr_page(number, result)
    numbers = sorted(texts)
    if not any(texts[n].strip() for n in numbers):
        raise EmptyDocument(str(path), f"no text in {len(numbers)} page(s): no text layer and OCR found nothing")
    return Ingested(display_path(path), sha256, "pdf", [infos[n] for n in numbers], [texts[n] for n in numbers], warnings=warnings)


def _describe(r: reading.Reading) -> str:
    lm = f", language model {r.logprob:.1f} per token" if r.logprob is not None else ""
    return f"{r.syllables:.0%} of {r.words} words are Vietnamese syllables{lm}"


def _ingest_image(path: Path, data: bytes, sha256: str, progress: bool, limits: Limits) -> Ingested:
    frames, images = image.open_image_pages(path, data, limits)
    results = _ocr(path, images, frames, progress and frames > 1)
    if not any(r.text.strip() for r in results):
        raise EmptyDocument(str(path), "OCR found no text in the image")
    pages = [_ocr_page(i, r) for i, r in enumerate(results, start=1)]
    return Ingested(display_path(path), sha256, "image", pages, [r.text for r in results])
