"""Readers for each input format: bytes on disk → page texts, or page images to OCR.

Each reader raises a `ChithiError` subclass naming the file when the input is not what
its extension says, is encrypted, or is damaged. Nothing here OCRs; `ingest` decides that.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import EncryptedFile, UnreadableFile
from .ocr import PageImage

TEXT_SUFFIXES = {".txt", ".md"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
PDF_SUFFIXES = {".pdf"}
DOCX_SUFFIXES = {".docx"}

_BOMS = (  # longest first: a UTF-32 LE BOM starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Single-byte encodings Vietnamese text files are found in, best guess first.
_LEGACY_CANDIDATES = ("cp1258", "cp1252", "latin-1")
_COMBINING_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, or an encrypted .docx


# ---------------------------------------------------------------- plain text


@cache
def vietnamese_letters() -> frozenset[str]:
    """Every letter of the Vietnamese alphabet, both cases, precomposed (NFC)."""
    bases = "aăâeêioôơuưy"
    letters = set("abcdefghijklmnopqrstuvwxyzđ")
    for base in bases:
        letters.add(base)
        for tone in _COMBINING_TONES:
            letters.add(unicodedata.normalize("NFC", base + tone))
    return frozenset(letters | {c.upper() for c in letters})


def vietnamese_score(text: str) -> float:
    """Share of letters (after NFC) that belong to the Vietnamese alphabet."""
    letters = [c for c in unicodedata.normalize("NFC", text) if c.isalpha()]
    if not letters:
        return 0.0
    alphabet = vietnamese_letters()
    return sum(c in alphabet for c in letters) / len(letters)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL bytes on one side of most byte pairs."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode_text(data: bytes, path: str) -> tuple[str, str]:
    """Decode a text file: BOM, then BOM-less UTF-16, strict UTF-8, then the best-scoring
    single-byte encoding (charset-normalizer's guess among the candidates)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom):], encoding.replace("-sig", ""), path), encoding
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _decode(data, utf16, path), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = list(_LEGACY_CANDIDATES)
    guess = _charset_normalizer_guess(data)
    if guess and guess not in candidates:
        candidates.append(guess)
    decoded = {}
    for encoding in candidates:
        try:
            decoded[encoding] = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    # max() keeps the first of equal scores, so the candidate order breaks ties
    best = max(decoded, key=lambda enc: vietnamese_score(decoded[enc]))
    return decoded[best], best


def _decode(data: bytes, encoding: str, path: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise UnreadableFile(path, f"not valid {encoding} text despite its byte-order mark ({err.reason} at byte {err.start})") from None


def _charset_normalizer_guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return best.encoding if best else None


# ---------------------------------------------------------------- docx


def read_docx(path: Path) -> str:
    """Paragraphs and tables in document order; a table row is its cells joined by a tab."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    head = path.read_bytes()[:8]
    if head == _OLE_MAGIC:
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in path.read_bytes():
            raise EncryptedFile(str(path), "the Word document is password-protected")
        raise UnreadableFile(str(path), "this is an old binary Word (.doc) file, not .docx; save it as .docx")
    if not head.startswith(b"PK"):
        raise UnreadableFile(str(path), "not a Word .docx file (no ZIP container)")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as err:
        raise UnreadableFile(str(path), f"damaged .docx ({err})") from None
    except Exception as err:  # zipfile.BadZipFile, lxml errors: all mean a damaged package
        raise UnreadableFile(str(path), f"damaged .docx ({type(err).__name__}: {err})") from None
    blocks = []
    for block in document.iter_inner_content():
        blocks.append(_table_text(block) if isinstance(block, Table) else block.text)
    return "\n".join(blocks)


def _table_text(table) -> str:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell repeats; keep it once
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        rows.append("\t".join(cells))
    return "\n".join(rows)


# ---------------------------------------------------------------- pdf

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


# ---------------------------------------------------------------- images


def read_image_pages(path: Path) -> list[PageImage]:
    """Every frame of an image file (a multi-page TIFF has several), with its DPI."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            pages = []
            for frame in ImageSequence.Iterator(image):
                dpi = frame.info.get("dpi", image.info.get("dpi"))
                pages.append(PageImage(frame.copy(), dpi=_usable_dpi(dpi, frame.width)))
            return pages
    except UnidentifiedImageError:
        raise UnreadableFile(str(path), "not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise UnreadableFile(str(path), f"damaged image ({err})") from None


MAX_PAGE_INCHES = 17  # wider than A3 landscape: the stated DPI is a default, not a scan's


def _usable_dpi(dpi, width_px: int) -> float | None:
    """The horizontal DPI when the file states a plausible one. Cameras write 72 dpi
    whatever the photo; that would make a 4000-pixel photo a 55-inch page, so such a
    value is ignored (Tesseract then estimates the resolution from the text)."""
    if not dpi:
        return None
    value = float(dpi[0] if isinstance(dpi, tuple) else dpi)
    if not 50 <= value <= 2400 or width_px / value > MAX_PAGE_INCHES:
        return None
    return value
