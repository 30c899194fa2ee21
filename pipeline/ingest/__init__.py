"""Ingestion: a file (txt, md, docx, pdf, image) → pages of text, with what was OCRed.

The format comes from the extension and is then checked against the bytes, so a file
that is not what its name says fails with a clear `ChithiError` instead of garbage:

- .txt/.md: encoding detected (BOM, UTF-16, UTF-8, then cp1258/cp1252 scored as Vietnamese);
- .docx: paragraphs and tables in document order (python-docx);
- .pdf: the text layer per page (pdfplumber); a page without a usable one is OCRed;
- .png/.jpg/.tif…: every frame OCRed (see `pipeline.ingest.ocr`).

One reader module per format: `plaintext`, `word`, `pdf`, `image`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ChithiError, EmptyDocument, UnreadableFile, UnsupportedFormat, display_path
from ..schema import PageInfo
from . import image, pdf, plaintext, word
from .ocr import OcrResult, PageImage

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
    """Read any supported file into page texts; raise a `ChithiError` naming the file."""
    path = Path(path)
    data = _read_bytes(path)
    name = display_path(path)
    suffix = path.suffix.lower()
    sha256 = hashlib.sha256(data).hexdigest()
    if suffix in plaintext.SUFFIXES:
        text, encoding = plaintext.decode_text(data, str(path))
        if not text.strip():
            raise EmptyDocument(str(path), "the file holds only blank space")
        return Ingested(name, sha256, suffix.lstrip("."), [_text_page(1, text)], [text], encoding)
    if suffix in word.SUFFIXES:
        text = word.read_docx(path)
        if not text.strip():
            raise EmptyDocument(str(path), "the Word document holds no text")
        return Ingested(name, sha256, "docx", [_text_page(1, text)], [text])
    if suffix in pdf.SUFFIXES:
        return _ingest_pdf(path, sha256, progress)
    if suffix in image.SUFFIXES:
        return _ingest_image(path, sha256, progress)
    known = sorted(SUFFIXES)
    raise UnsupportedFormat(str(path), f"unsupported format {path.suffix or '(no extension)'!r}; expected one of {' '.join(known)}")


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ChithiError(str(path), "file not found")
    if path.is_dir():
        raise UnreadableFile(str(path), "is a folder, not a file")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UnreadableFile(str(path), f"cannot be read ({err.strerror})") from None
    if not data.strip():
        raise EmptyDocument(str(path), "the file is empty")
    return data


def _text_page(number: int, text: str) -> PageInfo:
    return PageInfo(number=number, method="text", chars=len(text))


def _ocr(path: Path, images: list[PageImage], progress: bool) -> list[OcrResult]:
    """OCR page images; a Tesseract failure becomes an error naming the file."""
    import cv2
    import pytesseract

    from .ocr import ocr_pages

    try:
        return ocr_pages(images, progress=progress, label=f"OCR {path.name}")
    except (pytesseract.TesseractError, cv2.error) as err:
        raise UnreadableFile(str(path), f"OCR failed ({type(err).__name__}: {err})") from None


def _ingest_pdf(path: Path, sha256: str, progress: bool) -> Ingested:
    pdf.check_pdf(path)
    layer = pdf.read_pdf_text(path)
    texts = {page.number: page.text for page in layer}
    infos = {page.number: _text_page(page.number, page.text) for page in layer}
    warnings = []
    to_ocr = [p.number for p in layer if not pdf.usable_text_layer(p.text) and (p.has_graphics or p.text.strip())]
    if to_ocr:
        images = pdf.pdf_page_images(path, to_ocr)
        results = _ocr(path, images, progress)
        for number, result in zip(to_ocr, results):
            if texts[number].strip():
                quality = pdf.text_layer_quality(texts[number])
                warnings.append(f"page {number}: text layer unusable (quality {quality:.2f}), OCRed instead")
            texts[number] = result.text
            infos[number] = PageInfo(number=number, method="ocr", ocr_confidence=result.confidence, chars=len(result.text))
    numbers = sorted(texts)
    if not any(texts[n].strip() for n in numbers):
        raise EmptyDocument(str(path), f"no text in {len(numbers)} page(s): no text layer and OCR found nothing")
    return Ingested(display_path(path), sha256, "pdf", [infos[n] for n in numbers], [texts[n] for n in numbers], warnings=warnings)


def _ingest_image(path: Path, sha256: str, progress: bool) -> Ingested:
    images = image.read_image_pages(path)
    results = _ocr(path, images, progress and len(images) > 1)
    if not any(r.text.strip() for r in results):
        raise EmptyDocument(str(path), "OCR found no text in the image")
    pages = [
        PageInfo(number=i, method="ocr", ocr_confidence=r.confidence, chars=len(r.text))
        for i, r in enumerate(results, start=1)
    ]
    return Ingested(display_path(path), sha256, "image", pages, [r.text for r in results])
