"""Render plain text as scanned pages, optionally degraded, and save image-only PDFs or TIFFs.

Used by tests/test_ocr.py and scripts/eval_ocr.py so both OCR the same kind of page:

    .venv/bin/python scripts/make_scans.py corpus/samples/001_*.txt -o /tmp/scans --level heavy

Levels: ``clean`` (a perfect 300-dpi page), ``light`` (sensor noise and a slight tilt, as
from a good office scanner), ``medium`` (noise, blur, a 1–2° skew, greyed ink and specks:
plain Tesseract loses about 6 % of the characters; a little more noise or less
contrast and it falls off a cliff to reading nothing, as on ``heavy``) and ``heavy`` (strong noise, blur,
a 2–3° skew and washed-out contrast, as from a photocopy of a fax: plain Tesseract reads
almost nothing).
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
A4_INCHES = (8.27, 11.69)
LEVELS = ("clean", "light", "medium", "heavy")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width_px: int) -> list[str]:
    """Break each source line into lines that fit `width_px`; blank lines stay blank."""
    average = font.getlength("abcdefghij ") / 11
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            lines.append("")
            continue
        chunk = textwrap.wrap(line, width=max(10, int(width_px / average)))
        while chunk:  # the estimate is rough: re-wrap until every line truly fits
            if all(font.getlength(c) <= width_px for c in chunk):
                break
            chunk = textwrap.wrap(line, width=max(10, len(max(chunk, key=len)) - 3))
        lines.extend(chunk)
    return lines


class Layout:
    """A4 pages at `dpi`: 2.5 cm margins, `font_pt` DejaVu Sans, 1.5 line spacing."""

    def __init__(self, dpi: int = 300, font_pt: float = 12):
        self.dpi = dpi
        self.font = ImageFont.truetype(str(FONT), round(font_pt * dpi / 72))
        self.size = tuple(round(side * dpi) for side in A4_INCHES)
        self.margin = round(dpi / 2.54 * 2.5)
        self.line_height = round(font_pt * 1.5 * dpi / 72)

    def paginate(self, text: str) -> list[list[str]]:
        """The lines each page shows."""
        width, height = self.size
        per_page = (height - 2 * self.margin) // self.line_height
        lines = _wrap(text.strip("\n"), self.font, width - 2 * self.margin)
        return [lines[i:i + per_page] for i in range(0, len(lines), per_page)]

    def draw(self, lines: list[str]) -> Image.Image:
        page = Image.new("L", self.size, 255)
        pen = ImageDraw.Draw(page)
        for row, line in enumerate(lines):
            pen.text((self.margin, self.margin + row * self.line_height), line, font=self.font, fill=0)
        page.info["dpi"] = (self.dpi, self.dpi)
        return page


def render_pages(text: str, dpi: int = 300, font_pt: float = 12, max_pages: int | None = None) -> list[Image.Image]:
    """Typeset `text` on grayscale A4 pages at `dpi`."""
    layout = Layout(dpi, font_pt)
    return [layout.draw(lines) for lines in layout.paginate(text)[:max_pages]]


def page_texts(text: str, dpi: int = 300, font_pt: float = 12, max_pages: int | None = None) -> list[str]:
    """The text each page of `render_pages` shows (its wrapped lines), for error rates."""
    return ["\n".join(lines) for lines in Layout(dpi, font_pt).paginate(text)[:max_pages]]


# Degradation of each level: skew range (degrees), Gaussian blur radius, contrast (ink and
# paper grey after washing out, or None), sensor noise sigma, share of salt-and-pepper specks.
DEGRADATION = {
    "light": dict(angle=(0.3, 0.6), blur=0.0, contrast=None, noise=12, specks=0.0),
    "medium": dict(angle=(1.0, 2.0), blur=0.9, contrast=(60, 225), noise=24, specks=0.004),
    "heavy": dict(angle=(2.0, 3.0), blur=1.2, contrast=(100, 210), noise=30, specks=0.01),
}


def degrade(page: Image.Image, level: str, seed: int = 0) -> Image.Image:
    """A scanned-looking copy of `page` at the given level (see the module docstring)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    if level == "clean":
        return page.copy()
    rng = np.random.default_rng(seed)
    d = DEGRADATION[level]
    angle = rng.uniform(*d["angle"])
    img = page.rotate(angle * rng.choice([-1, 1]), resample=Image.BICUBIC, expand=False, fillcolor=255)
    if d["blur"]:
        img = img.filter(ImageFilter.GaussianBlur(radius=d["blur"]))
    pixels = np.asarray(img, dtype=np.float32)
    if d["contrast"]:  # washed-out contrast: ink becomes grey, paper light grey
        ink, paper = d["contrast"]
        pixels = ink + pixels * (paper - ink) / 255
    pixels += rng.normal(0, d["noise"], pixels.shape)
    if d["specks"]:  # salt-and-pepper specks of a dirty glass
        specks = rng.random(pixels.shape)
        pixels[specks < d["specks"]] = 40
        pixels[specks > 1 - d["specks"]] = 250
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")
    out.info["dpi"] = page.info.get("dpi", (300, 300))
    return out


def save_pdf(pages: list[Image.Image], path: Path, dpi: int = 300) -> Path:
    """An image-only PDF, one page image per page (no text layer)."""
    first, *rest = pages
    first.save(path, "PDF", save_all=True, append_images=rest, resolution=dpi)
    return path


def save_tiff(pages: list[Image.Image], path: Path, dpi: int = 300) -> Path:
    """A multi-page TIFF (lossless), as a fax or document scanner writes."""
    first, *rest = pages
    first.save(path, "TIFF", save_all=True, append_images=rest, dpi=(dpi, dpi), compression="tiff_deflate")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("-o", "--out-dir", type=Path, required=True)
    parser.add_argument("--level", choices=LEVELS, default="clean")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--pages", type=int, default=None, help="At most this many pages per file.")
    parser.add_argument("--tiff", action="store_true", help="Write multi-page TIFF instead of PDF.")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for number, file in enumerate(args.files):
        pages = render_pages(file.read_text("utf-8"), dpi=args.dpi, max_pages=args.pages)
        pages = [degrade(p, args.level, seed=number * 100 + i) for i, p in enumerate(pages)]
        suffix = ".tif" if args.tiff else ".pdf"
        out = args.out_dir / f"{file.stem}.{args.level}{suffix}"
        (save_tiff if args.tiff else save_pdf)(pages, out, args.dpi)
        print(f"{out}\t{len(pages)} pages")


if __name__ == "__main__":
    main()
