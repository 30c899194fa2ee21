"""Render Vietnamese text to page images through two independent paths, degrade the pages
as scans are degraded, and read them with Tesseract: the data of the OCR channels
(English-OCR garble, Vietnamese-OCR confusions) and of their evaluation.

Render paths (independent code from the text to the pixels):
  pil   Pillow draws every line with a font file; line wrapping, centred headings and line
        spacing are done here.
  docx  python-docx writes a Word document (A4, margins 3/2/2/2 cm, justified or left
        paragraphs, centred headings); LibreOffice (headless) lays it out and writes a PDF,
        finding the font by its family name through fontconfig; pdftoppm rasterises it.

Families are split: the channel is trained on SEEN families drawn with Pillow only, and the
UNSEEN family (other fonts, drawn by LibreOffice) is kept for evaluation. Every font file is
checked to draw all 134 Vietnamese letters, except the "boxes" family: fonts-liberation 1.x
draws 92 of them as empty boxes, as a page shown without its embedded fonts looks (the
older scripts/ocr_common.py used that font as if it drew Vietnamese).

Text: the legal corpora split by scripts/train_lm.py's rule (sha1("source/id") % 50 == 0 is
held out): training pages from the training documents (lines that also occur in a held-out
document dropped), evaluation pages from the held-out documents. Never the sample plans.

Renders and OCR output are cached under .cache/ocr/ (git-ignored), keyed by the page's spec.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from ocr_common import VIETNAMESE_LETTER, prose_lines, wrap  # noqa: E402
from train_lm import CORPORA, SOURCES, is_held_out  # noqa: E402

CACHE = ROOT / ".cache" / "ocr"
FONT_ROOT = Path("/usr/share/fonts/truetype")
VIETNAMESE_LETTERS = "àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ"


@dataclass(frozen=True)
class Family:
    name: str  # fontconfig family name (what LibreOffice is given)
    kind: str  # serif or sans
    like: str  # a metric-compatible or look-alike of "Times" / "Arial", or ""
    package: str  # the Debian package
    regular: str  # files under FONT_ROOT
    bold: str
    italic: str
    draws_vietnamese: bool = True


FAMILIES = {f.name: f for f in (
    Family("DejaVu Serif", "serif", "", "fonts-dejavu-core",
           "dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Bold.ttf", "dejavu/DejaVuSerif-Italic.ttf"),
    Family("DejaVu Sans", "sans", "", "fonts-dejavu-core",
           "dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf", "dejavu/DejaVuSans-Oblique.ttf"),
    Family("Liberation Serif", "serif", "Times", "fonts-liberation2",
           "liberation2/LiberationSerif-Regular.ttf", "liberation2/LiberationSerif-Bold.ttf",
           "liberation2/LiberationSerif-Italic.ttf"),
    Family("Liberation Sans", "sans", "Arial", "fonts-liberation2",
           "liberation2/LiberationSans-Regular.ttf", "liberation2/LiberationSans-Bold.ttf",
           "liberation2/LiberationSans-Italic.ttf"),
    Family("Noto Sans", "sans", "", "fonts-noto-core",
           "noto/NotoSans-Regular.ttf", "noto/NotoSans-Bold.ttf", "noto/NotoSans-Italic.ttf"),
    Family("Roboto", "sans", "", "fonts-roboto-unhinted",
           "roboto/unhinted/RobotoTTF/Roboto-Regular.ttf", "roboto/unhinted/RobotoTTF/Roboto-Bold.ttf",
           "roboto/unhinted/RobotoTTF/Roboto-Italic.ttf"),
    Family("Roboto Condensed", "sans", "", "fonts-roboto-unhinted",
           "roboto/unhinted/RobotoCondensed-Regular.ttf", "roboto/unhinted/RobotoCondensed-Bold.ttf",
           "roboto/unhinted/RobotoCondensed-Italic.ttf"),
    Family("Open Sans", "sans", "", "fonts-open-sans",
           "open-sans/OpenSans-Regular.ttf", "open-sans/OpenSans-Bold.ttf", "open-sans/OpenSans-Italic.ttf"),
    # held out of training: a Times-like (URW Nimbus Roman design), a Helvetica/Arial-like, a serif
    Family("FreeSerif", "serif", "Times", "fonts-freefont-ttf",
           "freefont/FreeSerif.ttf", "freefont/FreeSerifBold.ttf", "freefont/FreeSerifItalic.ttf"),
    Family("FreeSans", "sans", "Arial", "fonts-freefont-ttf",
           "freefont/FreeSans.ttf", "freefont/FreeSansBold.ttf", "freefont/FreeSansOblique.ttf"),
    Family("Noto Serif", "serif", "", "fonts-noto-core",
           "noto/NotoSerif-Regular.ttf", "noto/NotoSerif-Bold.ttf", "noto/NotoSerif-Italic.ttf"),
    # no glyph for 92 of the 134 Vietnamese letters: what a page looks like when a PDF's fonts
    # are missing and the viewer substitutes one without Vietnamese (the letters become boxes)
    Family("Liberation Serif 1", "serif", "Times", "fonts-liberation",
           "liberation/LiberationSerif-Regular.ttf", "liberation/LiberationSerif-Bold.ttf",
           "liberation/LiberationSerif-Italic.ttf", draws_vietnamese=False),
    Family("Liberation Sans 1", "sans", "Arial", "fonts-liberation",
           "liberation/LiberationSans-Regular.ttf", "liberation/LiberationSans-Bold.ttf",
           "liberation/LiberationSans-Italic.ttf", draws_vietnamese=False),
)}
SEEN = ("DejaVu Serif", "DejaVu Sans", "Liberation Serif", "Liberation Sans", "Noto Sans", "Roboto",
        "Roboto Condensed", "Open Sans")
UNSEEN = ("FreeSerif", "FreeSans", "Noto Serif")
MISSING_GLYPHS = ("Liberation Serif 1", "Liberation Sans 1")
RENDER_FAMILIES = {"seen": ("pil", SEEN), "unseen": ("docx", UNSEEN), "boxes": ("pil", MISSING_GLYPHS)}  # (path, fonts)

SIZES_PT = (10, 11, 12, 13, 14)
DPIS = (150, 200, 240, 300)
# What a page may suffer between the printer and the OCR; one per page, parameters drawn per page.
DEGRADATIONS = ("clean", "blur", "noise", "jpeg", "skew", "scan", "fax")
PAGE_CHARS = (900, 1600)  # characters of source text per page


def check_fonts(names) -> None:
    """Refuse a family whose files are missing or draw a Vietnamese letter as the empty box
    (unless it is one of the families chosen for that)."""
    def drawn(font: ImageFont.FreeTypeFont, text: str) -> bytes:
        image = Image.new("L", (80, 80), 0)
        ImageDraw.Draw(image).text((10, 5), text, font=font, fill=255)
        return image.tobytes()

    for name in names:
        family = FAMILIES[name]
        for file in (family.regular, family.bold, family.italic):
            path = FONT_ROOT / file
            if not path.exists():
                raise SystemExit(f"{path}: missing (apt-get install {family.package})")
            font = ImageFont.truetype(str(path), 40)
            box = drawn(font, "\ue000")
            missing = [c for c in VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() if drawn(font, c) == box]
            if missing and family.draws_vietnamese:
                raise SystemExit(f"{path}: no glyph for {''.join(missing[:12])}… ({len(missing)} letters)")


# ---------------------------------------------------------------- text


def legal_documents(split: str):
    """(id, NFC text) of the legal corpora on one side of train_lm.py's held-out rule."""
    for source in SOURCES:
        with gzip.open(CORPORA / f"{source}.jsonl.gz", "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                doc_id = f"{source}/{record['id']}"
                if is_held_out(doc_id) == (split == "heldout"):
                    yield doc_id, unicodedata.normalize("NFC", record["text"])


def page_texts(split: str, pages: int, seed: int) -> list[tuple[str, list[str]]]:
    """(page id, lines) windows of about PAGE_CHARS characters, spread over the documents."""
    from pipeline.repair.normalize import normalize

    rng = random.Random(seed)
    documents = [(doc_id, prose_lines(text)) for doc_id, text in legal_documents(split)]
    if split == "train":  # the same law can sit in two corpora: drop lines of held-out documents
        held = {line for _, text in legal_documents("heldout") for line in prose_lines(text)}
        documents = [(doc_id, [x for x in lines if x not in held]) for doc_id, lines in documents]
    documents = [(doc_id, lines) for doc_id, lines in documents if len(lines) >= 8]
    documents.sort()
    rng.shuffle(documents)
    chosen: list[tuple[str, list[str]]] = []
    while len(chosen) < pages and documents:
        for doc_id, lines in documents:
            if len(chosen) >= pages:
                break
            start, budget, window = rng.randrange(max(1, len(lines) - 8)), rng.randint(*PAGE_CHARS), []
            for line in lines[start:]:
                if sum(map(len, window)) >= budget:
                    break
                window.append(normalize(_cut(line, 400)).strip())
            chosen.append((f"{doc_id}#{start}", [w for w in window if VIETNAMESE_LETTER.search(w)]))
    return chosen


def _cut(line: str, limit: int) -> str:
    """The line, or its words that fit in `limit` characters."""
    return line if len(line) <= limit else line[:line.rfind(" ", 0, limit) if " " in line[:limit] else limit]


# ---------------------------------------------------------------- page specs


@dataclass
class Spec:
    """Everything that decides a page image; its hash is the cache key."""

    page: str
    lines: list[tuple[str, str]]  # (text, style): style regular, heading (capitals, bold, centred) or italic
    path: str
    family: str
    pt: int
    dpi: int
    leading: float
    justify: bool
    degradation: str
    seed: int
    extra: dict = field(default_factory=dict)

    def key(self) -> str:
        return hashlib.sha1(json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:20]


def make_spec(page: str, lines: list[str], path: str, fonts: tuple[str, ...], seed: int,
              degradations: tuple[str, ...] = DEGRADATIONS) -> Spec:
    rng = random.Random(seed)
    styled = []
    for line in lines:
        draw = rng.random()
        if draw < 0.08 and len(line) <= 120:
            styled.append((line.upper(), "heading"))
        elif draw < 0.16:
            styled.append((line, "italic"))
        else:
            styled.append((line, "regular"))
    return Spec(page, styled, path, rng.choice(fonts), rng.choice(SIZES_PT), rng.choice(DPIS),
                rng.choice((1.15, 1.3, 1.5)), rng.random() < 0.6, rng.choice(degradations), seed)


def source_of(spec: Spec, pieces: list[str] | None = None) -> str:
    """The text on the page, one line per rendered line (pil) or per paragraph (docx)."""
    return "\n".join(pieces if pieces is not None else [text for text, _ in spec.lines])


# ---------------------------------------------------------------- path 1: Pillow


def render_pil(spec: Spec) -> tuple[Image.Image, str]:
    family = FAMILIES[spec.family]
    px = round(spec.pt * spec.dpi / 72)
    files = {"regular": family.regular, "heading": family.bold, "italic": family.italic}
    fonts = {style: ImageFont.truetype(str(FONT_ROOT / file), px) for style, file in files.items()}
    width = round(8.27 * spec.dpi)
    left, right, top = round(1.18 * spec.dpi), round(0.79 * spec.dpi), round(0.5 * spec.dpi)
    placed = []
    for text, style in spec.lines:
        font = fonts[style]
        for piece in wrap(text, font, width - left - right):
            x = left if style != "heading" else (width - font.getlength(piece)) / 2
            placed.append((x, piece, font))
    step = round(px * spec.leading)
    image = Image.new("L", (width, 2 * top + step * len(placed)), 255)
    draw = ImageDraw.Draw(image)
    for index, (x, piece, font) in enumerate(placed):
        draw.text((x, top + index * step), piece, font=font, fill=0)
    return image, source_of(spec, [piece for _, piece, _ in placed])


# ---------------------------------------------------------------- path 2: DOCX → LibreOffice → pdftoppm


def write_docx(spec: Spec, path: Path) -> None:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin, section.top_margin, section.bottom_margin = Cm(3), Cm(2), Cm(2), Cm(2)
    for text, style in spec.lines:
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        run.font.name, run.font.size = spec.family, Pt(spec.pt)
        run.bold, run.italic = style == "heading", style == "italic"
        paragraph.alignment = (WD_ALIGN_PARAGRAPH.CENTER if style == "heading"
                               else WD_ALIGN_PARAGRAPH.JUSTIFY if spec.justify else WD_ALIGN_PARAGRAPH.LEFT)
        paragraph.paragraph_format.line_spacing = spec.leading
        paragraph.paragraph_format.space_after = Pt(3)
    document.save(str(path))


def libreoffice_pdfs(specs: list[Spec], folder: Path) -> dict[str, Path]:
    """Write every spec as DOCX and let one LibreOffice process convert them all to PDF;
    check that the PDF holds the family asked for (LibreOffice substitutes silently)."""
    for spec in specs:
        write_docx(spec, folder / f"{spec.key()}.docx")
    profile = (CACHE / "lo-profile").resolve()
    for start in range(0, len(specs), 40):
        batch = [str(folder / f"{s.key()}.docx") for s in specs[start:start + 40]]
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(folder), *batch], check=True, capture_output=True)
    out = {}
    for spec in specs:
        pdf = folder / f"{spec.key()}.pdf"
        fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
        if spec.family.replace(" ", "") not in fonts.replace(" ", ""):
            raise SystemExit(f"{pdf}: LibreOffice did not use {spec.family}:\n{fonts}")
        out[spec.key()] = pdf
    return out


def render_pdf(spec: Spec, pdf: Path) -> tuple[Image.Image, str]:
    """Rasterise the PDF's pages at the spec's resolution, each cropped to its ink (plus a
    margin), stacked into one image."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(spec.dpi), "-gray", "-png", str(pdf), f"{tmp}/p"], check=True)
        pages = [Image.open(p).convert("L") for p in sorted(Path(tmp).glob("p*.png"))]
    margin = round(0.4 * spec.dpi)
    crops = []
    for page in pages:
        box = ImageOps.invert(page).getbbox()
        if box:
            crops.append(page.crop((0, max(0, box[1] - margin), page.width, min(page.height, box[3] + margin))))
    image = Image.new("L", (crops[0].width, sum(c.height for c in crops)), 255)
    y = 0
    for crop in crops:
        image.paste(crop, (0, y))
        y += crop.height
    return image, source_of(spec)


# ---------------------------------------------------------------- degradations


def degrade(image: Image.Image, spec: Spec) -> tuple[Image.Image, dict]:
    """Apply the spec's degradation; parameters drawn from its seed, scaled to its resolution."""
    rng = random.Random(spec.seed * 7919 + 1)
    noise_rng = np.random.default_rng(spec.seed)
    scale = spec.dpi / 200
    kind, params = spec.degradation, {}

    def blur(radius: float) -> None:
        nonlocal image
        params["blur"] = round(radius, 2)
        image = image.filter(ImageFilter.GaussianBlur(radius * scale))

    def noise(sigma: float, paper: int = 255) -> None:
        nonlocal image
        params["noise"] = round(sigma, 1)
        pixels = np.asarray(image, dtype=np.float32) * (paper / 255)
        pixels += noise_rng.normal(0, sigma, pixels.shape)
        specks = noise_rng.random(pixels.shape) < 0.0015
        pixels[specks] = noise_rng.uniform(0, 120, int(specks.sum()))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))

    def skew(degrees: float) -> None:
        nonlocal image
        params["skew"] = round(degrees, 2)
        image = image.rotate(degrees, resample=Image.BICUBIC, expand=True, fillcolor=255)

    def jpeg(quality: int) -> None:
        nonlocal image
        params["jpeg"] = quality
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")

    sign = rng.choice((-1, 1))
    if kind == "blur":
        blur(rng.uniform(0.8, 1.4))
    elif kind == "noise":
        noise(rng.uniform(14, 30))
    elif kind == "jpeg":
        jpeg(rng.randint(12, 35))
    elif kind == "skew":
        skew(sign * rng.uniform(0.4, 2.0))
    elif kind == "scan":  # grey paper, a little blur, sensor noise, a slight tilt, JPEG
        blur(rng.uniform(0.4, 0.8))
        noise(rng.uniform(6, 12), paper=rng.randint(225, 245))
        skew(sign * rng.uniform(0.2, 1.0))
        jpeg(rng.randint(50, 80))
    elif kind == "fax":  # lost resolution, then black and white
        factor = rng.uniform(0.5, 0.7)
        params["resolution"] = round(factor, 2)
        small = image.resize((int(image.width * factor), int(image.height * factor)), Image.BILINEAR)
        image = small.resize(image.size, Image.BILINEAR).point(lambda p: 255 if p > 150 else 0)
    return image, params


# ---------------------------------------------------------------- OCR


def tesseract(image_path: Path, dpi: int, lang: str, psm: int) -> str:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    result = subprocess.run(["tesseract", str(image_path), "stdout", "-l", lang, "--dpi", str(dpi), "--psm", str(psm)],
                            capture_output=True, text=True, env=env, check=True)
    return unicodedata.normalize("NFC", result.stdout)


def chithi_ocr(image: Image.Image, dpi: int) -> str:
    """The page read as chithi reads a scan: its clean-up (resolution, noise, deskew), then
    `tesseract -l vie` (pipeline.ingest.ocr)."""
    from pipeline.ingest.ocr import PageImage, ocr_page

    return unicodedata.normalize("NFC", ocr_page(PageImage(image, dpi)).text)


def page_image(spec: Spec, pdfs: dict[str, Path]) -> tuple[Path, str, dict]:
    """The degraded page image (cached), its source text and the degradation parameters."""
    key = spec.key()
    png, meta = CACHE / f"{key}.png", CACHE / f"{key}.json"
    if png.exists() and meta.exists():
        stored = json.loads(meta.read_text(encoding="utf-8"))
        return png, stored["source"], stored["params"]
    image, source = render_pil(spec) if spec.path == "pil" else render_pdf(spec, pdfs[key])
    image, params = degrade(image, spec)
    CACHE.mkdir(parents=True, exist_ok=True)
    image.save(png)
    meta.write_text(json.dumps({"source": source, "params": params, "spec": asdict(spec)}, ensure_ascii=False),
                    encoding="utf-8")
    return png, source, params


def read_page(png: Path, spec: Spec, ocr: str) -> str:
    """OCR output of a page image (cached): ocr = "eng-3", "eng-4", "eng-6" (Tesseract's English
    model with that page segmentation) or "chithi" (chithi's own scan reading, `vie`)."""
    out = CACHE / f"{png.stem}.{ocr}.txt"
    if out.exists():
        return out.read_text(encoding="utf-8")
    if ocr == "chithi":
        with Image.open(png) as image:
            text = chithi_ocr(image.convert("L"), spec.dpi)
    else:
        lang, psm = ocr.split("-")
        text = tesseract(png, spec.dpi, lang, int(psm))
    out.write_text(text, encoding="utf-8")
    return text
