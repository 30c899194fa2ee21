"""Image files (.png, .jpg, .tif…): every frame, with its resolution, for OCR.

Frames are decoded one at a time as OCR asks for them (a multi-page TIFF is never held
whole), and each frame's pixel count is checked against `Limits.max_pixels` from its header,
before it is decoded. Pillow's own decompression-bomb guard is replaced by that check, so
that the limit is chithi's (one message, one option to raise it).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from ..errors import UnreadableFile
from .limits import DEFAULT_LIMITS, Limits, over
from .pages import PageImage

SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def _open(path: Path, data: bytes):
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # checked here against Limits.max_pixels instead
    try:
        return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise UnreadableFile(str(path), "not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise UnreadableFile(str(path), f"damaged image ({err})") from None


def check_pixels(path: Path | str, size: tuple[int, int], limits: Limits, what: str = "the image") -> None:
    width, height = size
    if width * height > limits.max_pixels:
        raise over(path, what, f"{width} × {height} pixels ({width * height / 1e6:.0f} M)",
                   f"{limits.max_pixels / 1e6:.0f} M pixels", "--max-pixels")


def open_image_pages(path: Path, data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[int, Iterator[PageImage]]:
    """How many frames the image has (a multi-page TIFF has several), and the frames with
    their DPI, decoded one by one."""
    image = _open(path, data)
    try:
        frames = getattr(image, "n_frames", 1)
    except (OSError, SyntaxError, ValueError) as err:
        raise UnreadableFile(str(path), f"damaged image ({err})") from None
    if frames > limits.max_pages:
        raise over(path, "the number of frames", str(frames), str(limits.max_pages), "--max-pages")
    check_pixels(path, image.size, limits)
    return frames, _frames(path, image, frames, limits)


def _frames(path: Path, image, frames: int, limits: Limits) -> Iterator[PageImage]:
    try:
        for index in range(frames):
            image.seek(index)
            what = "the image" if frames == 1 else f"frame {index + 1}"
            check_pixels(path, image.size, limits, what)
            dpi = image.info.get("dpi")
            frame = image.copy()  # decodes this frame only
            yield PageImage(frame, dpi=_usable_dpi(dpi, frame.width))
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise UnreadableFile(str(path), f"damaged image ({err})") from None
    finally:
        image.close()


def read_image_pages(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[PageImage]:
    """Every frame of an image file, decoded (for tests and small files)."""
    from .limits import read_file

    return list(open_image_pages(path, read_file(path, limits), limits)[1])


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
