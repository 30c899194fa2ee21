"""Vietnamese-OCR post-correction: confident changes only, recorded as repairs; clean text untouched."""

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.repair.normalize import normalize
from pipeline.repair.vie_ocr import KIND, MIN_CONFIDENCE, correct_vie_ocr, letters_and_tone, vie_channel

ROOT = Path(__file__).resolve().parent.parent

# Sentences written for this test in the style of a provincial plan (not from the samples),
# each with confusions of the kind `tesseract -l vie` makes: a tone added or dropped, ư read u.
MISREAD = [
    ("Sở Tài chính hướng dẫn các đơn vị chỉ trả kinh phí theo quy định chỉ tiết của Bộ.",
     "Sở Tài chính hướng dẫn các đơn vị chi trả kinh phí theo quy định chi tiết của Bộ."),
    ("Ủy ban nhân dân tỉnh chỉ đạo các cơ quan bảo đảm quyên lợi của nguời lao động.",
     "Ủy ban nhân dân tỉnh chỉ đạo các cơ quan bảo đảm quyền lợi của người lao động."),
]


def test_letters_and_tone():
    assert letters_and_tone("người") == (("n", "g", "ư", "ơ", "i"), 1)
    assert letters_and_tone("đa") == (("đ", "a"), 0)
    assert letters_and_tone("quyết") == (("q", "u", "y", "ê", "t"), 2)
    assert letters_and_tone("hóà")[1] is None  # two tone marks


def test_the_channel_prefers_reading_a_word_right():
    channel = vie_channel()
    assert channel.logprob("người", "người") > channel.logprob("người", "nguời") > channel.logprob("người", "ngưỡi")


def test_misread_marks_are_corrected_with_confident_repairs():
    for observed, truth in MISREAD:
        fixed = correct_vie_ocr(observed)
        assert fixed.text == truth
        assert fixed.repairs and all(r.kind == KIND and r.confidence >= MIN_CONFIDENCE for r in fixed.repairs)
        for r in fixed.repairs:
            assert fixed.text[r.start:r.end] == r.replacement
            assert normalize(observed)[r.start:r.end] == r.original  # same length: marks only


@pytest.mark.parametrize("prefix", ["001", "003", "004"])
def test_clean_samples_are_left_alone(prefix):
    text = next((ROOT / "corpus" / "samples").glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")
    fixed = correct_vie_ocr(text)
    assert fixed.text == normalize(text)
    assert fixed.repairs == []


@pytest.mark.slow
def test_a_page_read_with_tesseract_vie_is_not_made_worse():
    """Render the test sentences, read them with `tesseract -l vie`, correct: no more wrong
    characters than before (the render is clean; Tesseract reads most of it right)."""
    from rapidfuzz.distance import Levenshtein

    truth = "\n".join(t for _, t in MISREAD)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 30)
    image = Image.new("L", (1900, 60 * len(MISREAD) + 80), 255)
    for i, (_, line) in enumerate(MISREAD):
        ImageDraw.Draw(image).text((40, 40 + 60 * i), line, font=font, fill=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "page.png")
        image.save(path)
        read = subprocess.run(["tesseract", path, "stdout", "-l", "vie", "--psm", "6"], capture_output=True, text=True,
                              env=dict(os.environ, OMP_THREAD_LIMIT="1"), check=True).stdout.strip()
    fixed = correct_vie_ocr(read).text
    assert Levenshtein.distance(normalize(truth), fixed) <= Levenshtein.distance(normalize(truth), normalize(read))


def test_repair_applies_the_correction_to_ocred_text_only_when_told():
    from pipeline.repair import repair

    observed, truth = MISREAD[1]
    plain = repair(observed)  # a clean line: only "nguời", no syllable, is restored
    assert "quyên lợi" in plain.text and KIND not in {r.kind for r in plain.repairs}
    fixed = repair(observed, vie_ocr=True)
    assert fixed.text == truth
    assert KIND in {r.kind for r in fixed.repairs}
    for r in fixed.repairs:
        assert fixed.text[r.start:r.end] == r.replacement


def test_the_pipeline_corrects_pages_tesseract_read_and_leaves_text_layers_alone():
    from pipeline.ingest import Ingested
    from pipeline.runner import process
    from pipeline.schema import PageInfo

    observed, truth = MISREAD[1]

    def ingested(method: str) -> Ingested:
        return Ingested(path="page", sha256="0" * 64, format="image" if method == "ocr" else "pdf",
                        pages=[PageInfo(number=1, method=method, chars=len(observed))], page_texts=[observed])

    (scanned,) = process(ingested("ocr"), model=False)
    assert truth in scanned.text and KIND in {r.kind for r in scanned.repairs}
    (typed,) = process(ingested("text"), model=False)
    assert KIND not in {r.kind for r in typed.repairs}
