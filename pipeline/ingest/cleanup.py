"""Scan clean-up chosen by evidence: what is wrong with a page, and what to do about it.

`measure` reads a page's degradation signals, each cheap (on bands of rows, or a reduced
copy) and each in units a reader can picture:

| signal | how | clean 300-dpi page |
|---|---|---|
| `contrast` | paper grey − ink grey (medians of Otsu's two classes) | ~250 |
| `grain` | median abs. response of a Laplacian-like kernel (sensor noise, paper texture) | 0 |
| `specks` | small blots with no other ink near them, per megapixel (dust, salt-and-pepper) | < 5 |
| `uneven` | spread of the paper's grey across the page (stains, shadows, photocopy bands) | < 5 |
| `blur` | softness of the ink edges: contrast over the steepest gradients (pixels) | ~1 |
| `blocks` | JPEG 8×8 block edges: steps across block boundaries over steps inside blocks | ~1 |
| `skew` | degrees (`estimate_skew`) | 0 |

and the resolution comes with the page. `plan` turns them into steps, those the dev split
of the scan set (scripts/scan_set.py) showed to help and no others. Mean CER of the six dev
pages per family, the page as it is → with the step (read by tesserocr's bundled Tesseract
5.5 at the time, before the column layout of `pipeline.ingest.layout`, which takes about
1.5 points off every family):

- `flatten`: divide by the paper's own grey (a closing of a reduced copy), when the paper is
  uneven: banding 4.49 % → 2.49 %, stains 2.42 % → 2.22 %; on every other family it changed
  the CER by 0.05 point at most;
- `despeckle`: remove small blots with no letter within reach, when there are many: specks
  11.67 % → 3.05 % (a 3×3 median filter only reaches 7.00 %, a 5×5 one 4.52 % and costs
  clean pages 1.9 points);
- `denoise`: contrast stretch, median filter, binarisation, for heavy grain. Without it the
  heavy test scans (scripts/make_scans.py, grain 125) read as nothing and the medium ones
  (94) lose 2–6 % of their characters; on the grain family (50–66) it changed nothing
  (2.31 % → 2.48 % with a 3×3 median), so it is left out below NOISY and tried on a strip
  first between NOISY and VERY_NOISY (`pipeline.ingest.ocr`);
- `enlarge` below 120 dpi; a 150-dpi page reads as well at its own size (1.84 % raw, 1.98 %
  enlarged to 300 dpi) in half the time;
- `deskew` from 1°.

Blur, JPEG blocks and low contrast are measured but left to Tesseract: no filter tried
(3×3 median, binarisation, flattening) did better than the page as it is on those families.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

TARGET_DPI = 300
LOW_DPI = 120  # enlarged below this
NOISY = 70.0  # grain from which denoising is tried on a strip (the grain family, 50–66, reads as well without) …
VERY_NOISY = 90.0  # … and from which it is done without a trial (make_scans' medium scans: 94, heavy: 125)
UNEVEN = 20.0  # grey levels of spread of the paper above which it is flattened
SPECKS = 250.0  # isolated blots per megapixel above which they are removed …
MANY_SPECKS = 800.0  # … without a trial above this
SPECK_AREA = 30  # pixels at 300 dpi: a blot no larger than this, …
SPECK_REACH = 8  # … with no other ink this close (pixels at 300 dpi), is a speck
MIN_SKEW = 1.0  # degrees; smaller tilts are left to Tesseract
MAX_SKEW = 5.0
PAPER_SIGMAS = 4.0
_LAPLACE = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


@dataclass
class Signals:
    dpi: float | None = None
    contrast: float = 0.0
    grain: float = 0.0
    specks: float = 0.0
    uneven: float = 0.0
    blur: float = 0.0
    blocks: float = 0.0
    skew: float = 0.0

    def rounded(self) -> dict[str, float | None]:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass
class Plan:
    sure: list[str] = field(default_factory=list)  # steps to take
    trial: list[str] = field(default_factory=list)  # steps to try on a strip first


# ------------------------------------------------------------------------ signals
def bands(gray: np.ndarray, height: int = 32, every: int = 256) -> np.ndarray:
    """Bands of rows spread over the page: an eighth of it, enough for page-wide statistics."""
    if len(gray) <= 2 * every:
        return gray
    return np.concatenate([gray[top:top + height] for top in range(0, len(gray) - height, every)])


def estimate_noise(gray: np.ndarray) -> float:
    """Median |Laplacian| over the page: 0 for clean paper, grows with grain and specks.
    Measured on one band of 32 rows in eight, which gives the same figure eight times faster."""
    sample = np.concatenate([gray[top:top + 32] for top in range(0, max(len(gray) - 32, 1), 256)])
    response = cv2.filter2D(sample, cv2.CV_16S, _LAPLACE)
    return float(np.median(np.abs(response)))


def _median(histogram: np.ndarray) -> float | None:
    """The median grey of a histogram of grey levels (None when it is empty)."""
    total = histogram.sum()
    return float(np.searchsorted(np.cumsum(histogram), total / 2)) if total else None


def measure(gray: np.ndarray, dpi: float | None) -> Signals:
    sample = bands(gray)
    threshold, _ = cv2.threshold(sample, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    histogram = np.bincount(sample.ravel(), minlength=256)
    cut = int(threshold) + 1
    paper = _median(histogram[cut:])
    paper = 255.0 if paper is None else paper + cut
    ink = _median(histogram[:cut])
    ink = paper if ink is None else ink
    scale = (dpi or TARGET_DPI) / TARGET_DPI
    ink_mask = (sample <= threshold).astype(np.uint8)
    blots = len(isolated_blots(ink_mask, SPECK_AREA * scale ** 2, SPECK_REACH * scale)[1])
    return Signals(
        dpi=dpi,
        contrast=paper - ink,
        grain=estimate_noise(gray),
        specks=blots / (sample.size / 1e6),
        uneven=_uneven(gray, paper),
        blur=_blur(sample, paper - ink),
        blocks=_blocks(sample, threshold),
    )


def _background(gray: np.ndarray) -> np.ndarray:
    """The paper's grey under the text: an eighth-size copy closed (text removed), smoothed."""
    small = cv2.resize(gray, None, fx=0.125, fy=0.125, interpolation=cv2.INTER_AREA)
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7)))
    return cv2.GaussianBlur(closed, (0, 0), 2)


def _uneven(gray: np.ndarray, paper: float) -> float:
    background = _background(gray).astype(np.float32)
    low, high = np.percentile(background, (2, 98))
    return float(high - low)


def _blur(sample: np.ndarray, contrast: float) -> float:
    """Width in pixels of an ink edge: contrast over the steepest gradients (1 for a crisp edge)."""
    if contrast < 10:
        return 0.0
    gx = cv2.convertScaleAbs(cv2.Sobel(sample, cv2.CV_16S, 1, 0, ksize=3), alpha=0.25)  # Sobel's weights sum to 4
    counts = np.cumsum(np.bincount(gx.ravel(), minlength=256))
    steepest = float(np.searchsorted(counts, 0.997 * counts[-1]))
    return contrast / max(steepest, 1.0)


def _blocks(sample: np.ndarray, threshold: float) -> float:
    """Mean step across JPEG block boundaries (every 8th column) over the mean step elsewhere."""
    steps = np.abs(np.diff(sample.astype(np.int16), axis=1))[:, :(sample.shape[1] - 1) // 8 * 8]
    if steps.size == 0:
        return 0.0
    per_column = steps.reshape(len(steps), -1, 8).mean(axis=(0, 1))
    inside = float(np.mean(np.delete(per_column, 7)))
    return float(per_column[7]) / max(inside, 1e-6)


def isolated_blots(ink: np.ndarray, max_area: float, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Connected ink blots no larger than `max_area` with no larger ink (a letter, a rule)
    within `reach` pixels of their bounding box: (label image, labels of those blots).
    Other blots nearby do not count: specks come in crowds, diacritics sit by their letter."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] <= max_area
    small[0] = False
    if not small.any():
        return labels, np.empty(0, np.int64)
    large = (~small).astype(np.uint8)
    large[0] = 0
    big_ink = cv2.integral(large[labels], sdepth=cv2.CV_32S)  # sums over any box in O(1)
    height, width = ink.shape
    r = int(round(reach))
    ids = np.nonzero(small)[0]
    left, top = stats[ids, cv2.CC_STAT_LEFT], stats[ids, cv2.CC_STAT_TOP]
    right, bottom = left + stats[ids, cv2.CC_STAT_WIDTH], top + stats[ids, cv2.CC_STAT_HEIGHT]
    x0, y0 = np.clip(left - r, 0, width), np.clip(top - r, 0, height)
    x1, y1 = np.clip(right + r, 0, width), np.clip(bottom + r, 0, height)
    around = big_ink[y1, x1] - big_ink[y0, x1] - big_ink[y1, x0] + big_ink[y0, x0]
    return labels, ids[around == 0]


# ------------------------------------------------------------------------ the plan
def plan(signals: Signals) -> Plan:
    """The clean-up steps a page's signals call for (see the module docstring)."""
    steps = Plan()
    if signals.dpi is not None and signals.dpi < LOW_DPI:
        steps.sure.append("enlarge")
    if signals.uneven > UNEVEN:
        steps.sure.append("flatten")
    if signals.grain < NOISY:  # on a grainy page the grain itself counts as specks: denoising is for it
        if signals.specks > MANY_SPECKS:
            steps.sure.append("despeckle")
        elif signals.specks > SPECKS:
            steps.trial.append("despeckle")
    if signals.grain >= VERY_NOISY:
        steps.sure.append("denoise")
    elif signals.grain >= NOISY:
        steps.trial.append("denoise")
    return steps


def apply(gray: np.ndarray, steps: list[str], signals: Signals) -> np.ndarray:
    """The page after the given steps, in a fixed order (deskew is `ocr.prepare`'s)."""
    for step in ("enlarge", "flatten", "despeckle", "denoise"):
        if step in steps:
            gray = STEPS[step](gray, signals)
    return gray


def enlarge(gray: np.ndarray, signals: Signals) -> np.ndarray:
    scale = TARGET_DPI / (signals.dpi or TARGET_DPI)
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def flatten(gray: np.ndarray, signals: Signals) -> np.ndarray:
    background = cv2.resize(_background(gray), (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, background, scale=255)


def despeckle(gray: np.ndarray, signals: Signals) -> np.ndarray:
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = (gray <= threshold).astype(np.uint8)
    scale = (signals.dpi or TARGET_DPI) / TARGET_DPI
    labels, blots = isolated_blots(ink, SPECK_AREA * scale ** 2, SPECK_REACH * scale)
    if not len(blots):
        return gray
    drop = np.zeros(int(labels.max()) + 1, np.uint8)
    drop[blots] = 1
    out = gray.copy()
    out[drop[labels].view(bool)] = _percentiles(gray, 50)[0]
    return out


def _percentiles(gray: np.ndarray, *percents: float) -> list[int]:
    """Percentiles of a grey image from its histogram (np.percentile sorts the whole page)."""
    counts = np.cumsum(np.bincount(gray.ravel(), minlength=256))
    return [int(np.searchsorted(counts, p / 100 * counts[-1])) for p in percents]


def denoise(gray: np.ndarray, signals: Signals) -> np.ndarray:
    """Stretch contrast, median-filter and binarise a grainy page."""
    low, high = _percentiles(gray, 1, 99)
    stretched = cv2.convertScaleAbs(gray, alpha=255 / max(high - low, 1), beta=-low * 255 / max(high - low, 1))
    return binarise(cv2.medianBlur(stretched, 5 if signals.grain >= VERY_NOISY else 3))


def binarise(gray: np.ndarray) -> np.ndarray:
    """Otsu's threshold, capped at PAPER_SIGMAS noise deviations below the paper level.
    On a sparse page (a short table, a signature page) ink is too rare for Otsu, which
    then splits the paper's own grain into black and white; the cap keeps paper white."""
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    histogram = np.bincount(gray.ravel(), minlength=256)
    counts = np.cumsum(histogram)
    paper = int(np.searchsorted(counts, counts[-1] / 2))  # the median grey
    deviations = np.bincount(np.abs(np.arange(256) - paper), weights=histogram)  # of |grey - paper|
    spread = 1.4826 * float(np.searchsorted(np.cumsum(deviations), counts[-1] / 2))
    threshold = min(otsu, paper - PAPER_SIGMAS * spread)
    return cv2.threshold(gray, threshold, 255, cv2.THRESH_BINARY)[1]


STEPS = {"enlarge": enlarge, "flatten": flatten, "despeckle": despeckle, "denoise": denoise}


# ------------------------------------------------------------------------ skew
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
    return cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=paper)
