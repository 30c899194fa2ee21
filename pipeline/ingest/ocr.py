"""OCR of page images with Tesseract (`vie`), after the clean-up a scan needs.

Each page goes through, in order:

1. grayscale;
2. resolution: a scan below 200 dpi is enlarged to 300 dpi (Tesseract's models are trained
   on ~300-dpi text; enlarging an already adequate scan only blurs it, so ≥ 200 dpi stays);
3. a noise estimate (median absolute response of a Laplacian-like kernel: zero on clean
   paper and on crisp fax strokes, high on sensor noise and specks). A noisy page gets a
   contrast stretch, a median filter sized to the noise, then a binarisation (Otsu's
   threshold, capped a few noise deviations below the paper level for sparse pages); a
   clean page is left alone, because a median filter eats thin strokes and Tesseract's own
   binarisation is already good on clean pages;
4. deskew: the angle that maximises the sharpness of the horizontal projection profile
   (rows of text become peaks), searched on a reduced copy; a tilt of 1° or more is undone
   with the paper colour as border (below that Tesseract copes alone).

Tesseract runs once per page (text and word confidences from the same run) with
`OMP_THREAD_LIMIT=1`; pages run in parallel instead. On the shared 2-core machine one page
took 8.8 s (1.7 CPU s) that way against 20.3 s (4.3 CPU s) with Tesseract's own threads.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache

import cv2
import numpy as np
from PIL import Image

from .pages import OcrResult, PageImage

LANG = "vie"
TARGET_DPI = 300
LOW_DPI = 200
NOISY = 20.0  # noise estimate above which a page is filtered and binarised
VERY_NOISY = 80.0  # … and above which the median filter is 5×5 instead of 3×3
PAPER_SIGMAS = 4.0  # a pixel this many noise deviations darker than the paper is ink
MAX_SKEW = 5.0  # degrees searched either way
MIN_SKEW = 1.0  # degrees; smaller tilts are left alone (no measurable effect on Tesseract)
_LAPLACE = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


@cache
def tesseract_ready() -> str:
    """Check once that Tesseract and its Vietnamese model are installed; return the version."""
    import pytesseract

    from ..errors import ChithiError

    try:
        version = str(pytesseract.get_tesseract_version())
        languages = pytesseract.get_languages()
    except (pytesseract.TesseractNotFoundError, OSError) as err:
        raise ChithiError(None, f"Tesseract is not installed ({err}); run scripts/setup.sh") from None
    if LANG not in languages:
        raise ChithiError(None, f"Tesseract has no '{LANG}' model; install tesseract-ocr-vie")
    os.environ["OMP_THREAD_LIMIT"] = "1"  # inherited by every tesseract process
    return version


def to_gray(image: Image.Image) -> np.ndarray:
    if image.mode in {"RGBA", "LA", "P"}:  # transparent areas are paper, not ink
        background = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return np.asarray(image.convert("L"))


def normalise_resolution(gray: np.ndarray, dpi: float | None) -> np.ndarray:
    if dpi is None or dpi >= LOW_DPI:
        return gray
    scale = TARGET_DPI / dpi
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def effective_dpi(dpi: float | None) -> int | None:
    """The resolution of the page after `normalise_resolution` (None: let Tesseract guess)."""
    if dpi is None:
        return None
    return TARGET_DPI if dpi < LOW_DPI else round(dpi)


def estimate_noise(gray: np.ndarray) -> float:
    """Median |Laplacian| over the page: 0 for clean paper, grows with grain and specks.
    Measured on one band of 32 rows in eight, which gives the same figure eight times faster."""
    bands = np.concatenate([gray[top:top + 32] for top in range(0, max(len(gray) - 32, 1), 256)])
    response = cv2.filter2D(bands, cv2.CV_16S, _LAPLACE)
    return float(np.median(np.abs(response)))


def denoise(gray: np.ndarray, noise: float) -> np.ndarray:
    """Stretch contrast, median-filter and binarise a noisy page; leave a clean one alone."""
    if noise < NOISY:
        return gray
    low, high = np.percentile(gray, (1, 99))
    stretched = np.clip((gray.astype(np.float32) - low) * 255 / max(high - low, 1), 0, 255).astype(np.uint8)
    filtered = cv2.medianBlur(stretched, 5 if noise >= VERY_NOISY else 3)
    return binarise(filtered)


def binarise(gray: np.ndarray) -> np.ndarray:
    """Otsu's threshold, capped at PAPER_SIGMAS noise deviations below the paper level.
    On a sparse page (a short table, a signature page) ink is too rare for Otsu, which
    then splits the paper's own grain into black and white; the cap keeps paper white."""
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    paper = float(np.median(gray))
    spread = 1.4826 * float(np.median(np.abs(gray.astype(np.float32) - paper)))
    threshold = min(otsu, paper - PAPER_SIGMAS * spread)
    return np.where(gray > threshold, 255, 0).astype(np.uint8)


def estimate_skew(gray: np.ndarray) -> float:
    """Angle (degrees) that makes text rows horizontal: the rotation under which the ink's
    row histogram is sharpest (text lines become tall peaks, gaps empty). Ink pixels of a
    quarter-size copy are rotated as points, which is far cheaper than rotating images."""
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)[1]
    ys, xs = np.nonzero(ink)
    if len(ys) < 50:
        return 0.0
    step = max(1, len(ys) // 40_000)
    ys, xs = ys[::step].astype(np.float64), xs[::step].astype(np.float64)

    def sharpness(angle: float) -> float:
        theta = np.deg2rad(angle)  # same convention as cv2.getRotationMatrix2D
        rows = np.round(ys * np.cos(theta) - xs * np.sin(theta)).astype(np.int64)
        profile = np.bincount(rows - rows.min())
        return float(np.sum(np.diff(profile) ** 2))

    coarse = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5), key=sharpness)
    return float(max(np.arange(coarse - 0.5, coarse + 0.51, 0.1), key=sharpness))


def deskew(gray: np.ndarray, angle: float) -> np.ndarray:
    """Rotate by `angle`; below MIN_SKEW Tesseract copes alone, and rotating costs time."""
    if abs(angle) < MIN_SKEW:
        return gray
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1)
    paper = int(np.median(gray))
    return cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=paper)


def prepare(page: PageImage) -> tuple[np.ndarray, float, float]:
    """The page image Tesseract should see, with the measured noise and skew."""
    gray = normalise_resolution(to_gray(page.image), page.dpi)
    noise = estimate_noise(gray)
    clean = denoise(gray, noise)
    angle = estimate_skew(clean)
    return deskew(clean, angle), noise, angle


def words(tsv: str) -> list[dict[str, str]]:
    """The recognised words (level-5 rows) of Tesseract's TSV output, in reading order."""
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    return [r for r in rows if r["level"] == "5" and (r["text"] or "").strip()]


def text_from_words(found: list[dict[str, str]]) -> str:
    """Words → lines (one per line) → text blocks separated by a blank line. Tesseract's
    paragraphs are not kept apart: on 1.5-spaced pages it makes every line one, which
    would put a blank line between the lines of a sentence."""
    blocks: list[list[list[str]]] = []
    last_block = last_line = None
    for word in found:
        block = word["block_num"]
        line = (block, word["par_num"], word["line_num"])
        if block != last_block:
            blocks.append([])
        if line != last_line:
            blocks[-1].append([])
        blocks[-1][-1].append(word["text"])
        last_block, last_line = block, line
    return "\n\n".join("\n".join(" ".join(line) for line in block) for block in blocks)


def mean_confidence(found: list[dict[str, str]]) -> float | None:
    scores = [float(w["conf"]) for w in found if float(w["conf"]) >= 0]
    return round(sum(scores) / len(scores), 2) if scores else None


def ocr_page(page: PageImage) -> OcrResult:
    import pytesseract

    tesseract_ready()
    image, noise, angle = prepare(page)
    dpi = effective_dpi(page.dpi)
    with tempfile.TemporaryDirectory(prefix="chithi-ocr-") as folder:
        path = os.path.join(folder, "page.pgm")  # uncompressed: PNG encoding alone costs ~0.15 s a page
        cv2.imwrite(path, image)
        tsv = pytesseract.image_to_data(path, lang=LANG, config=f"--dpi {dpi}" if dpi else "")
    found = words(tsv)
    return OcrResult(text=text_from_words(found), confidence=mean_confidence(found), noise=noise, skew=angle)


def ocr_pages(pages: Iterable[PageImage], progress: bool = False, label: str = "OCR",
              total: int | None = None) -> list[OcrResult]:
    """OCR pages in parallel (one single-threaded Tesseract per core), in page order.

    `pages` is read lazily, a few pages ahead of the OCR (two per worker), so a scanned
    PDF of hundreds of pages never has more than a handful of page images in memory.
    `total`: the number of pages, for the progress bar."""
    tesseract_ready()
    workers = max(1, min(total or os.cpu_count() or 1, os.cpu_count() or 1))
    results: list[OcrResult] = []
    pending: deque[Future[OcrResult]] = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool, _progress(progress, label, total) as advance:
        try:
            for page in pages:
                pending.append(pool.submit(ocr_page, page))
                del page  # the pool holds it until it is read
                while len(pending) >= 2 * workers:
                    results.append(pending.popleft().result())
                    advance()
            while pending:
                results.append(pending.popleft().result())
                advance()
        finally:
            for future in pending:  # a page that could not be made: drop the queued ones
                future.cancel()
    return results


@contextmanager
def _progress(show: bool, label: str, total: int | None) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr while pages are OCRed (or nothing); gives `advance`."""
    if not show:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)
