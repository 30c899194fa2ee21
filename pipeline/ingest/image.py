"""Image files (.png, .jpg, .tif…): every frame, with its resolution, for OCR."""

from __future__ import annotations

from pathlib import Path

from ..errors import UnreadableFile
from .ocr import PageImage

SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


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
