"""OCR of page images with Tesseract (`vie`), after the clean-up the page calls for.

Each page goes through, in order:

1. grayscale (transparent areas are paper);
2. its degradation signals and the steps they call for (`pipeline.ingest.cleanup`):
   enlarging a low-resolution scan, flattening uneven paper, removing specks, denoising;
3. where the signals are not sure (a few specks, moderate grain), a trial: a strip of the
   page rich in text is read as it is and with the step, and the step is kept only when
   Tesseract is more confident in what it read (by at least MIN_GAIN points of mean word
   confidence; within that, when the language model finds the text more probable). So a
   page that reads well as it is is never made worse by a filter;
4. deskew from 1° (the angle at which the row profile of the ink is sharpest);
5. Tesseract (`-l vie`, automatic page segmentation), words with their boxes and
   confidences, laid out as text by `pipeline.ingest.layout` (letterhead columns apart).

Tesseract runs in-process through tesserocr (the model stays loaded: no process start and
no model load per page, and a strip costs a tenth of a page), loaded APIs kept for the
next page, each single-threaded (`OMP_THREAD_LIMIT=1`); pages of a file run in parallel,
one per core (threads: Tesseract and OpenCV release the GIL).
Without tesserocr the `tesseract` command is used instead (pytesseract).
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from typing import Any

import cv2
import numpy as np
from PIL import Image

from . import cleanup
from .cleanup import TARGET_DPI, Signals, estimate_noise, estimate_skew  # noqa: F401  (kept importable here)
from .layout import text_from_words, words
from .pages import OcrResult, PageImage

LANG = "vie"
MIN_GAIN = 1.0  # points of mean word confidence a trial step must gain to be kept
STRIP_SHARE = 0.08  # height of the trial strip, as a share of the page (four or five lines of text)


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
    os.environ["OMP_THREAD_LIMIT"] = "1"  # inherited by every tesseract process (and read by tesserocr's)
    return version


@cache
def tessdata() -> str | None:
    """The folder of the installed Tesseract's models (where `vie.traineddata` is)."""
    if os.environ.get("TESSDATA_PREFIX"):
        return os.environ["TESSDATA_PREFIX"]
    try:
        listing = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'"([^"]+)"', listing)
    return found.group(1) if found else None


_idle_apis: queue.SimpleQueue = queue.SimpleQueue()  # loaded tesserocr APIs not in use


@contextmanager
def _api() -> Iterator[Any]:
    """A tesserocr API with the Vietnamese model loaded, for this thread while it reads a
    page (None without tesserocr). APIs are kept for the next page: loading costs 0.05 s."""
    try:
        import tesserocr
    except ImportError:
        yield None
        return
    try:
        api = _idle_apis.get_nowait()
    except queue.Empty:
        _quiet_leptonica(tesserocr.__file__)
        api = tesserocr.PyTessBaseAPI(path=tessdata() or "", lang=LANG)
    try:
        yield api
    finally:
        _idle_apis.put(api)


@cache
def _quiet_leptonica(module: str) -> None:
    """Silence Leptonica's messages ("Error in pixScanForForeground: invalid box" on a page
    with nothing to find): they would land on stderr between chithi's own lines. Best effort:
    the library tesserocr loaded is found beside it (a wheel) or by name."""
    import ctypes
    import ctypes.util
    import glob

    beside = glob.glob(os.path.join(os.path.dirname(module), "tesserocr.libs", "libleptonica*.so*"))
    for name in beside + [ctypes.util.find_library("leptonica") or "", ctypes.util.find_library("lept") or ""]:
        if not name:
            continue
        try:
            ctypes.CDLL(name).setMsgSeverity(6)  # L_SEVERITY_NONE
            return
        except (OSError, AttributeError):
            continue


_TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"


def recognise(gray: np.ndarray, dpi: float | None) -> list[dict[str, str]]:
    """Tesseract's words on a grey page (TSV rows)."""
    with _api() as api:
        if api is None:
            return words(_recognise_cli(gray, dpi))
        height, width = gray.shape
        api.SetImageBytes(np.ascontiguousarray(gray).tobytes(), width, height, 1, width)
        api.SetSourceResolution(round(dpi) if dpi else 0)
        api.Recognize()
        return words(_TSV_HEADER + api.GetTSVText(0))


def _recognise_cli(gray: np.ndarray, dpi: float | None) -> str:
    import pytesseract

    with tempfile.TemporaryDirectory(prefix="chithi-ocr-") as folder:
        path = os.path.join(folder, "page.bmp")  # written and read fastest (PGM reads slowly, PNG encodes slowly)
        cv2.imwrite(path, gray)
        return pytesseract.image_to_data(path, lang=LANG, config=f"--dpi {round(dpi)}" if dpi else "")


def to_gray(image: Image.Image) -> np.ndarray:
    if image.mode in {"RGBA", "LA", "P"}:  # transparent areas are paper, not ink
        background = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return np.asarray(image.convert("L"))


def effective_dpi(dpi: float | None) -> int | None:
    """The resolution of the page after clean-up (None: let Tesseract estimate it)."""
    if dpi is None:
        return None
    return TARGET_DPI if dpi < cleanup.LOW_DPI else round(dpi)


def mean_confidence(found: list[dict[str, str]]) -> float | None:
    scores = [float(w["conf"]) for w in found if float(w["conf"]) >= 0]
    return round(sum(scores) / len(scores), 2) if scores else None


# ------------------------------------------------------------------------ clean-up
def prepare(page: PageImage) -> tuple[np.ndarray, Signals, list[str]]:
    """The page image Tesseract should see, the page's signals and the steps taken."""
    gray = to_gray(page.image)
    signals = cleanup.measure(gray, page.dpi)
    plan = cleanup.plan(signals)
    steps = list(plan.sure)
    image = cleanup.apply(gray, steps, signals)
    signals.skew = estimate_skew(image)
    image = cleanup.deskew(image, signals.skew)
    dpi = effective_dpi(page.dpi)
    for step in plan.trial:
        if _trial_prefers(image, step, signals, dpi):
            image = cleanup.apply(image, [step], signals)
            steps.append(step)
    if abs(signals.skew) >= cleanup.MIN_SKEW:
        steps.append("deskew")
    return image, signals, steps


def text_strip(gray: np.ndarray) -> np.ndarray:
    """The horizontal strip (STRIP_SHARE of the page) with the most rows holding ink."""
    height = len(gray)
    span = max(1, int(height * STRIP_SHARE))
    if height <= span:
        return gray
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)[1]
    inked = (ink.mean(axis=1) > 2).astype(np.int32)  # rows with more than ~1 % ink
    window = max(1, span // 4)
    totals = np.convolve(inked, np.ones(window, np.int32), mode="valid")
    top = int(np.argmax(totals)) * 4
    return gray[top:top + span]


def _trial_prefers(image: np.ndarray, step: str, signals: Signals, dpi: int | None) -> bool:
    """Whether `step` makes a strip of the page read better (see the module docstring)."""
    strip = text_strip(image)
    as_is = recognise(strip, dpi)
    treated = recognise(cleanup.apply(strip, [step], signals), dpi)
    gain = (mean_confidence(treated) or 0.0) - (mean_confidence(as_is) or 0.0)
    if abs(gain) >= MIN_GAIN:
        return gain > 0
    return _lm_score(treated) > _lm_score(as_is)


def _lm_score(found: list[dict[str, str]]) -> float:
    from .reading import lm_logprob

    return lm_logprob(" ".join(w["text"] for w in found)) if found else float("-inf")


def ocr_page(page: PageImage) -> OcrResult:
    tesseract_ready()
    image, signals, steps = prepare(page)
    found = recognise(image, effective_dpi(page.dpi))
    return OcrResult(text=text_from_words(found, *image.shape), confidence=mean_confidence(found),
                     noise=signals.grain, skew=signals.skew, signals=signals.rounded(), steps=steps)


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
