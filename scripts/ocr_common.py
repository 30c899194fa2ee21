"""Shared helpers for the OCR-garble scripts: corpus split, page rendering, English OCR,
and character/token alignment of OCR output to its source.

Used by scripts/make_ocr_pairs.py, scripts/train_channel.py and scripts/eval_garble.py.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

CORPUS_DIR = Path("/work/shared/corpora/legal")
SAMPLES_DIR = Path(__file__).resolve().parents[1] / "corpus" / "samples"
CLEAN_SAMPLES = ("001_", "003_", "004_")
FONT_DIR = Path("/usr/share/fonts/truetype")
FONTS = (  # Debian's fonts-dejavu-core and fonts-liberation (Times/Arial metrics)
    "liberation/LiberationSerif-Regular.ttf",
    "liberation/LiberationSerif-Regular.ttf",
    "liberation/LiberationSerif-Bold.ttf",
    "liberation/LiberationSans-Regular.ttf",
    "dejavu/DejaVuSerif.ttf",
    "dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSerifCondensed.ttf",
    "dejavu/DejaVuSans-Bold.ttf",
)
# Degradations (Gaussian blur radius, resolution kept, binarise) a scanned page may suffer.
DEGRADATIONS = ((0.0, 1.0, False), (0.0, 0.8, True), (0.6, 0.67, False), (0.5, 0.75, True), (0.0, 0.6, True))
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 1700, 2200, 90
VIETNAMESE_LETTER = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ]", re.I)


def heldout(doc_id: str) -> bool:
    """The project's held-out rule (as scripts/train_lm.py): ids whose SHA-1 is 0 mod 50 (2 %)."""
    return int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 50 == 0


def corpus_documents(split: str):
    """Yield (id, NFC text) from the legal corpora; split is "train" or "heldout"."""
    for path in sorted(CORPUS_DIR.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if heldout(record["id"]) == (split == "heldout"):
                    yield record["id"], unicodedata.normalize("NFC", record["text"])


def sample_plans():
    """Yield (id, text) of the clean sample plans (never 000 or 002, which are OCR output)."""
    for path in sorted(SAMPLES_DIR.glob("*.txt")):
        if path.name.startswith(CLEAN_SAMPLES):
            yield path.name, unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))


def prose_lines(text: str) -> list[str]:
    """Lines worth rendering: Vietnamese prose without Markdown/table syntax."""
    lines = []
    for raw in text.splitlines():
        line = re.sub(r"[#|*_>`\[\]]+", " ", raw)
        line = re.sub(r"\s+", " ", line).strip()
        if len(line) >= 20 and VIETNAMESE_LETTER.search(line):
            lines.append(line)
    return lines


@dataclass
class Page:
    page_id: str
    source: str  # the rendered text, one rendered line per text line
    font: str
    size: int
    degradation: str


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    out, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and font.getlength(trial) > width:
            out.append(current)
            current = word
        else:
            current = trial
    if current:
        out.append(current)
    return out


def compose_page(page_id: str, lines: list[str], rng: random.Random, fonts: tuple[str, ...] = FONTS) -> tuple[Page, Image.Image]:
    """Lay lines out on a white page in a random font/size; a few lines in capitals like headings."""
    font_name = rng.choice(fonts)
    size = rng.choice((26, 28, 30, 32, 36))
    font = ImageFont.truetype(str(FONT_DIR / font_name), size)
    line_height = int(size * 1.45)
    rendered: list[str] = []
    for line in lines:
        if rng.random() < 0.08:
            line = line.upper()
        for piece in wrap(line, font, PAGE_WIDTH - 2 * MARGIN):
            if MARGIN + (len(rendered) + 1) * line_height > PAGE_HEIGHT - MARGIN:
                break
            rendered.append(piece)
    image = Image.new("L", (PAGE_WIDTH, PAGE_HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    for index, piece in enumerate(rendered):
        draw.text((MARGIN, MARGIN + index * line_height), piece, font=font, fill=0)
    blur, scale, binarise = rng.choice(DEGRADATIONS)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    if scale < 1:  # lose resolution like a fax or a cheap scan, then come back
        small = image.resize((int(PAGE_WIDTH * scale), int(PAGE_HEIGHT * scale)), Image.BILINEAR)
        image = small.resize((PAGE_WIDTH, PAGE_HEIGHT), Image.BILINEAR)
    if binarise:
        image = image.point(lambda p: 255 if p > 150 else 0)
    return Page(page_id, "\n".join(rendered), font_name, size, f"blur {blur}, scale {scale}, bin {binarise}"), image


def ocr_english(image: Image.Image) -> str:
    """OCR a page with the English model only (one thread), as a wrongly configured scanner would."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "page.png")
        image.save(path)
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        result = subprocess.run(
            ["tesseract", path, "stdout", "-l", "eng", "--psm", "6"],
            capture_output=True, text=True, env=env, check=True,
        )
    return unicodedata.normalize("NFC", result.stdout)


def char_map(source: str, observed: str) -> list[int]:
    """For every source position (and the end), the aligned position in observed."""
    mapping = [0] * (len(source) + 1)
    for tag, s1, s2, o1, o2 in Levenshtein.opcodes(source, observed):
        for k in range(s1, s2):
            if tag in ("equal", "replace"):
                mapping[k] = o1 + min(k - s1, max(o2 - o1 - 1, 0)) if o2 > o1 else o1
            else:  # delete
                mapping[k] = o1
        mapping[s2] = o2
    mapping[len(source)] = len(observed)
    return mapping


def token_pairs(source: str, observed: str) -> list[tuple[str, str]]:
    """Align OCR output to its source and cut it at the source's token boundaries.

    Returns (true token, observed string) pairs; the observed string may be empty (the token
    was lost), contain a space (OCR split it) or run into its neighbour (OCR merged them: the
    neighbour's observed string is then the part after the boundary).
    """
    boundaries = char_map(source, observed)
    pairs = []
    for match in re.finditer(r"\S+", source):
        start, end = boundaries[match.start()], boundaries[match.end()]
        pairs.append((match.group(), observed[start:end].strip()))
    return pairs


TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def tone_key(syllable: str) -> tuple[str, str]:
    """A syllable as (letters without tone, tone): equal keys mean equal up to tone placement."""
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    tone = "".join(c for c in decomposed if c in TONE_MARKS)
    base = "".join(c for c in decomposed if c not in TONE_MARKS)
    return unicodedata.normalize("NFC", base), tone


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def syllable_accuracy(reference: str, hypothesis: str) -> tuple[int, int]:
    """(correct, total) reference words after aligning the word sequences; tone placement ignored."""
    ref = [tone_key(w) for w in words(reference)]
    hyp = [tone_key(w) for w in words(hypothesis)]
    correct = sum(s2 - s1 for tag, s1, s2, _, _ in Levenshtein.opcodes(ref, hyp) if tag == "equal")
    return correct, len(ref)
