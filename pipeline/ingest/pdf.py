"""PDF files: the text layer of each page (pdfplumber), and page images for those to OCR.

A page whose text layer is missing or unusable (glyph codes, private-use characters) is
OCRed: the embedded scan when the page is a single full-page image, else a 300-dpi rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import EncryptedFile, UnreadableFile
from .ocr import PageImage

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


def check_pdf(path: Path) -> int:
    """Open the PDF with pdfium to tell encrypted, damaged and fake PDFs apart; page count."""
    import pypdfium2 as pdfium

    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise UnreadableFile(str(path), "not a PDF (no %PDF header)")
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as err:
        if "password" in str(err).lower():
            raise EncryptedFile(str(path), "the PDF is password-protected") from None
        raise UnreadableFile(str(path), f"damaged or truncated PDF ({err})") from None
    try:
        return len(document)
    finally:
        document.close()


def read_pdf_text(path: Path) -> list[PdfPage]:
    """The text layer of each page (pdfplumber, top-to-bottom reading order with line
    breaks; table rows stay on one line). Running headers are kept."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.psparser import PSException

    pages = []
    try:
        with pdfplumber.open(path) as pdf:
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


def pdf_page_images(path: Path, numbers: list[int]) -> list[PageImage]:
    """Images of the given 1-based pages at native resolution: the embedded scan when
    the page is a single full-page image, else a 300-dpi rendering."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return [_page_image(document[n - 1]) for n in numbers]
    finally:
        document.close()


def _page_image(page) -> PageImage:
    import pypdfium2.raw as pdfium_c

    images = list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)))
    width, height = page.get_size()
    if len(images) == 1 and page.get_rotation() == 0:
        left, bottom, right, top = images[0].get_bounds()
        if (right - left) * (top - bottom) >= FULL_PAGE * width * height:
            try:
                bitmap = images[0].get_bitmap(render=False).to_pil()
                return PageImage(bitmap, dpi=round(bitmap.width / ((right - left) / 72)))
            except Exception:  # an image pdfium cannot decode alone (e.g. JBIG2 globals): render
                pass
    rendered = page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
    return PageImage(rendered, dpi=RENDER_DPI)
