"""PDF files: the text layer of each page (pdfplumber), and page images for those to OCR.

A page whose text layer is missing or unusable (glyph codes, private-use characters) is
OCRed: the embedded scan when the page is a single full-page image, else a 300-dpi rendering.
A text layer made of ordinary characters that still does not read as Vietnamese (a font
whose codes map to the wrong letters: "Káº¿ hoáº¡ch") is doubtful: the page is OCRed too, and
the reading that the language model prefers is kept (`pipeline.ingest.reading`).

Page images are made one at a time, as OCR asks for them, each checked against
`Limits.max_pixels` before it is rendered or decoded.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import EmptyDocument, EncryptedFile, UnreadableFile
from .image import check_pixels
from .limits import DEFAULT_LIMITS, Limits, over
from .pages import PageImage

SUFFIXES = {".pdf"}

_CID = re.compile(r"\(cid:\d+\)")
_BAD_CHARS = re.compile("[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_layer_quality(text: str) -> float:
    """0 (nothing usable) … 1 (clean text): the lower of the share of characters that are
    letters, digits or ordinary punctuation and the share of word-like tokens. Glyph codes
    such as (cid:12), private-use and replacement characters all count against it."""
    cids = len(_CID.findall(text))
    rest = _CID.sub("", text)
    chars = [c for c in rest if not c.isspace()]
    if len(chars) + cids == 0:
        return 0.0
    good = sum(1 for c in chars if (c.isalnum() or c in ".,;:!?()[]/-–—%\"'“”‘’…*+=<>&§°") and not _BAD_CHARS.match(c))
    char_share = good / (len(chars) + cids)
    tokens = text.split()
    wordlike = sum(1 for t in tokens if "(cid:" not in t and sum(c.isalnum() for c in t) >= 0.6 * len(t))
    return min(char_share, wordlike / len(tokens)) if tokens else 0.0


MIN_TEXT_CHARS = 20  # fewer non-space characters than this is "no text layer"
MIN_QUALITY = 0.6


def usable_text_layer(text: str) -> bool:
    return sum(not c.isspace() for c in text) >= MIN_TEXT_CHARS and text_layer_quality(text) >= MIN_QUALITY


@dataclass
class PdfPage:
    number: int
    text: str
    has_graphics: bool  # images or drawn shapes: worth OCRing when the text layer fails


def check_pdf(path: Path, data: bytes | None = None, limits: Limits = DEFAULT_LIMITS) -> int:
    """Open the PDF with pdfium to tell encrypted, damaged and fake PDFs apart; page count
    (no pages, or more than `limits.max_pages`, is an error). `data`: the file's bytes."""
    import pypdfium2 as pdfium

    data = path.read_bytes() if data is None else data
    if b"%PDF-" not in data[:1024]:
        raise UnreadableFile(str(path), "not a PDF (no %PDF header)")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower():
            raise EncryptedFile(str(path), "the PDF is password-protected") from None
        if _page_count(data) == 0:  # pdfium refuses a document without pages (and says "Success")
            raise EmptyDocument(str(path), "the PDF has no pages") from None
        raise UnreadableFile(str(path), f"damaged or truncated PDF ({err})") from None
    try:
        pages = len(document)
    finally:
        document.close()
    if pages == 0:
        raise EmptyDocument(str(path), "the PDF has no pages")
    if pages > limits.max_pages:
        raise over(path, "the number of pages", str(pages), str(limits.max_pages), "--max-pages")
    return pages


def _page_count(data: bytes) -> int | None:
    """The page count pdfplumber reads (None when it cannot open the file either)."""
    import pdfplumber

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages)
    except Exception:  # any failure here means: damaged, as pdfium said
        return None


def read_pdf_text(path: Path, data: bytes | None = None) -> list[PdfPage]:
    """The text layer of each page (pdfplumber, top-to-bottom reading order with line
    breaks; table rows stay on one line). Running headers are kept."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.psparser import PSException

    pages = []
    try:
        with pdfplumber.open(io.BytesIO(data) if data is not None else path) as pdf:
            for page in pdf.pages:
                text = page.extract_text() or ""
                graphics = bool(page.images or page.curves or page.rects)
                pages.append(PdfPage(page.page_number, text, graphics))
                page.close()
    except (PDFPasswordIncorrect, PDFEncryptionError) as err:
        raise EncryptedFile(str(path), f"the PDF is encrypted ({type(err).__name__})") from None
    except (PSException, ValueError, KeyError, TypeError, AssertionError) as err:
        raise UnreadableFile(str(path), f"damaged PDF ({type(err).__name__}: {err})") from None
    return pages


RENDER_DPI = 300
FULL_PAGE = 0.85  # an image covering this share of the page is the page


def pdf_page_images(path: Path, numbers: list[int], data: bytes | None = None,
                    limits: Limits = DEFAULT_LIMITS) -> Iterator[PageImage]:
    """Images of the given 1-based pages at native resolution, one at a time: the embedded
    scan when the page is a single full-page image, else a 300-dpi rendering."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data if data is not None else str(path))
    try:
        for number in numbers:
            page = document[number - 1]
            try:
                yield _page_image(path, number, page, limits)
            finally:
                page.close()
    finally:
        document.close()


def _page_image(path: Path, number: int, page, limits: Limits) -> PageImage:
    import pypdfium2.raw as pdfium_c

    images = list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)))
    width, height = page.get_size()
    if len(images) == 1 and page.get_rotation() == 0:
        left, bottom, right, top = images[0].get_bounds()
        if (right - left) * (top - bottom) >= FULL_PAGE * width * height:
            check_pixels(path, images[0].get_px_size(), limits, f"the image on page {number}")
            try:
                bitmap = images[0].get_bitmap(render=False).to_pil()
                return PageImage(bitmap, dpi=round(bitmap.width / ((right - left) / 72)))
            except Exception:  # an image pdfium cannot decode alone (e.g. JBIG2 globals): render
                pass
    size = (round(width / 72 * RENDER_DPI), round(height / 72 * RENDER_DPI))
    if size[0] * size[1] > limits.max_pixels:
        inches = f"{width / 72:.0f} × {height / 72:.0f} inches"
        raise over(path, f"page {number} ({inches}) rendered at {RENDER_DPI} dpi", f"{size[0]} × {size[1]} pixels",
                   f"{limits.max_pixels / 1e6:.0f} M pixels", "--max-pixels")
    rendered = page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
    return PageImage(rendered, dpi=RENDER_DPI)
