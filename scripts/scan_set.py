"""A varied scan set that nothing was tuned on: real pages, degraded in ten families.

    .venv/bin/python scripts/scan_set.py /tmp/scans --split dev      # write the page images
    .venv/bin/python scripts/eval_scan_set.py --split test           # OCR them (see there)

Sources: gazette PDFs of corpus/pdf rendered by pdfium at 300 dpi (grey), and the clean
sample plans typeset by scripts/make_scans.py; the first two pages of each. The reference
text of a gazette page is its text layer in the order it was written (pdfplumber's
`use_text_flow`: the two columns of the letterhead one after the other, as a reader takes
them); that of a typeset sample is the lines drawn.

The split is by source document and frozen below (drawn once with random.Random(19) from
the sorted names; the OCR clean-up was tuned on DEV only). Each page is degraded in every
family with a seed made from its id, so the set is the same on every run:

| family | what is done to the 300-dpi page |
|---|---|
| clean | nothing |
| specks | salt-and-pepper (0.3 % dark, 0.3 % white pixels) and dust (small dark blots) |
| grain | sensor noise, sigma 22–30, over a faint paper texture |
| stains | coffee-like stains and a shadow darkening one edge (a book's fold) |
| contrast | ink greyed to 110–140, paper to 185–210 |
| blur | Gaussian blur, sigma 1.2–1.8 pixels |
| jpeg | saved as JPEG at quality 8–15 |
| dpi150 | resampled to 150 dpi (the file says 150 dpi) |
| skew | rotated 2–5 degrees either way |
| banding | photocopy: bands of uneven toner across the page, faint vertical streaks |
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PDFS = ROOT / "corpus" / "pdf"
SAMPLES = ROOT / "corpus" / "samples"
PAGES_PER_SOURCE = 2
DPI = 300
# Frozen split by source document (gazette file names, or sample number).
SPLIT = {
    "dev": ["thong-tu-so-09-2021-tt-bldtbxh-34325.pdf", "nghi-quyet-so-17-2022-ubtvqh15-36956.pdf", "001"],
    "test": ["nghi-quyet-so-89-2025-ubtvqh15-45738.pdf", "thong-tu-so-06-2023-tt-bldtbxh-39796.pdf",
             "van-ban-hop-nhat-so-466-vbhn-bldtbxh-44194.pdf", "thong-tu-so-04-2023-tt-bldtbxh-39590.pdf", "004", "003"],
}
FAMILIES = ("clean", "specks", "grain", "stains", "contrast", "blur", "jpeg", "dpi150", "skew", "banding")


@dataclass
class ScanPage:
    id: str  # source:page:family
    source: str
    page: int
    family: str
    image: Image.Image  # grey, with info["dpi"]
    fmt: str  # "png" or "jpeg"
    reference: str

    def save(self, folder: Path) -> Path:
        path = folder / f"{self.id.replace(':', '_')}.{'jpg' if self.fmt == 'jpeg' else 'png'}"
        path.write_bytes(self.encoded())
        return path

    def encoded(self) -> bytes:
        buffer = io.BytesIO()
        dpi = self.image.info.get("dpi", (DPI, DPI))
        if self.fmt == "jpeg":
            self.image.save(buffer, "JPEG", quality=self.image.info["quality"], dpi=dpi)
        else:
            self.image.save(buffer, "PNG", dpi=dpi)
        return buffer.getvalue()


# ------------------------------------------------------------------------ sources
def source_pages(source: str) -> Iterator[tuple[int, Image.Image, str]]:
    """(page number, 300-dpi grey image, reference text) of the first pages of a source."""
    if source.endswith(".pdf"):
        yield from _gazette_pages(PDFS / source)
    else:
        yield from _sample_pages(source)


def _gazette_pages(path: Path) -> Iterator[tuple[int, Image.Image, str]]:
    import pdfplumber
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    with pdfplumber.open(path) as pdf:
        for number in range(1, min(PAGES_PER_SOURCE, len(document)) + 1):
            image = document[number - 1].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
            image.info["dpi"] = (DPI, DPI)
            yield number, image, pdf.pages[number - 1].extract_text(use_text_flow=True) or ""
    document.close()


def _sample_pages(number: str) -> Iterator[tuple[int, Image.Image, str]]:
    from scripts.make_scans import page_texts, render_pages

    text = next(SAMPLES.glob(f"{number}_*.txt")).read_text("utf-8")
    for page, (image, shown) in enumerate(zip(render_pages(text, max_pages=PAGES_PER_SOURCE),
                                              page_texts(text, max_pages=PAGES_PER_SOURCE)), start=1):
        yield page, image, shown


# ------------------------------------------------------------------------ families
def _rng(key: str) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16))


def _image(pixels: np.ndarray, dpi: int = DPI) -> Image.Image:
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    out.info["dpi"] = (dpi, dpi)
    return out


def _specks(g: np.ndarray, rng: np.random.Generator) -> Image.Image:
    out = g.astype(np.float32)
    draw = rng.random(g.shape)
    out[draw < 0.003] = rng.uniform(0, 70)
    out[draw > 0.997] = 255
    height, width = g.shape
    for _ in range(int(rng.integers(1500, 3000))):  # dust: blots of 2–4 pixels across
        y, x = int(rng.integers(0, height)), int(rng.integers(0, width))
        cv2.circle(out, (x, y), int(rng.integers(1, 3)), float(rng.uniform(20, 90)), -1)
    return _image(out)


def _grain(g: np.ndarray, rng: np.random.Generator) -> Image.Image:
    texture = cv2.resize(rng.normal(0, 6, (g.shape[0] // 16, g.shape[1] // 16)).astype(np.float32),
                         (g.shape[1], g.shape[0]), interpolation=cv2.INTER_CUBIC)
    return _image(g.astype(np.float32) + texture + rng.normal(0, rng.uniform(22, 30), g.shape))


def _stains(g: np.ndarray, rng: np.random.Generator) -> Image.Image:
    height, width = g.shape
    shade = np.zeros(g.shape, np.float32)
    for _ in range(int(rng.integers(3, 6))):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(width // 12, width // 5)), int(rng.integers(height // 14, height // 6)))
        cv2.ellipse(shade, centre, axes, float(rng.uniform(0, 180)), 0, 360, float(rng.uniform(35, 80)), -1)
    shade = cv2.GaussianBlur(shade, (0, 0), 25)
    edge = int(width * rng.uniform(0.12, 0.2))  # the fold's shadow along the left or right edge
    ramp = np.zeros(width, np.float32)
    ramp[:edge] = np.linspace(rng.uniform(70, 110), 0, edge)
    if rng.random() < 0.5:
        ramp = ramp[::-1]
    paper = g.astype(np.float32)
    return _image(paper - (shade + ramp[None, :]) * (paper / 255))


def _contrast(g: np.ndarray, rng: np.random.Generator) -> Image.Image:
    ink, paper = rng.uniform(110, 140), rng.uniform(185, 210)
    return _image(ink + g.astype(np.float32) * (paper - ink) / 255 + rng.normal(0, 3, g.shape))


def _blur(g: np.ndarray, rng: np.random.Generator) -> Image.Image:
    return _image(cv2.GaussianBlur(g.astype(np.float32), (0, 0), rng.uniform(1.2, 1.8)))


def _jpeg(g: np.ndarray, rng: np.random.Generator) -> Image.Image:
    image = _image(g)
    image.info["quality"] = int(rng.integers(8, 16))
    return image


def _dpi150(g: np.ndarray, rng: np.random.Generator) -> Image.Image:
    small = cv2.resize(g, (g.shape[1] // 2, g.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return _image(small, 150)


def _skew(g: np.ndarray, rng: np.random.Generator) -> Image.Image:
    angle = rng.uniform(2, 5) * rng.choice([-1, 1])
    return _image(g).rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)


def _banding(g: np.ndarray, rng: np.random.Generator) -> Image.Image:
    height, width = g.shape
    rows = np.arange(height, dtype=np.float32)
    bands = 28 * np.sin(rows / rng.uniform(40, 90) + rng.uniform(0, 6)) + 18 * np.sin(rows / rng.uniform(250, 500))
    steps = np.repeat(rng.uniform(-20, 20, height // 120 + 1), 120)[:height]
    out = g.astype(np.float32) - 25 + (bands + steps)[:, None] * (g.astype(np.float32) / 255)
    for _ in range(int(rng.integers(3, 7))):  # toner streaks
        x = int(rng.integers(0, width - 3))
        out[:, x:x + int(rng.integers(1, 4))] -= rng.uniform(40, 90)
    return _image(out + rng.normal(0, 5, g.shape))


DEGRADE = {"specks": _specks, "grain": _grain, "stains": _stains, "contrast": _contrast, "blur": _blur,
           "jpeg": _jpeg, "dpi150": _dpi150, "skew": _skew, "banding": _banding}


def scan_pages(split: str, families: tuple[str, ...] = FAMILIES) -> Iterator[ScanPage]:
    """Every page of the split in every family (made on the fly, the same every time)."""
    for source in SPLIT[split]:
        for number, image, reference in source_pages(source):
            grey = np.asarray(image.convert("L"))
            for family in families:
                key = f"{source}:{number}:{family}"
                page = image.copy() if family == "clean" else DEGRADE[family](grey, _rng(key))
                if family == "clean":
                    page.info["dpi"] = (DPI, DPI)
                yield ScanPage(key, source, number, family, page, "jpeg" if family == "jpeg" else "png", reference)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--split", choices=sorted(SPLIT), default="dev")
    parser.add_argument("--families", default=",".join(FAMILIES))
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for page in scan_pages(args.split, tuple(args.families.split(","))):
        path = page.save(args.folder)
        manifest.append({"id": page.id, "file": path.name, "family": page.family, "reference": page.reference})
        print(path)
    (args.folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
