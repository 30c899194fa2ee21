"""OCR: scans the tests make themselves (a sample plan typeset and degraded) read back."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

import pipeline
from pipeline.errors import EmptyDocument
from pipeline.ingest import ingest_path
from pipeline.ingest.ocr import PageImage, estimate_noise, estimate_skew, ocr_page
from scripts.make_scans import degrade, page_texts, render_pages, save_pdf, save_tiff

from .conftest import sample

pytestmark = pytest.mark.slow


def cer(hypothesis: str, reference: str) -> float:
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())

    return Levenshtein.distance(norm(hypothesis), norm(reference)) / len(norm(reference))


@pytest.fixture(scope="module")
def plan() -> str:
    return sample("001").read_text("utf-8")


@pytest.fixture(scope="module")
def excerpt(plan) -> str:
    """The first 14 lines of the plan as typeset: a short page OCRs in a few seconds."""
    return "\n".join(page_texts(plan)[0].splitlines()[:14])


def test_image_only_pdf_is_ocred_back_through_extract(tmp_path, plan):
    path = save_pdf(render_pages(plan, max_pages=1), tmp_path / "scan.pdf")
    (record, *_) = pipeline.extract(path)
    assert record.source.format == "pdf"
    assert record.source.ocr_pages == [1]
    assert record.source.page_info[0].method == "ocr"
    assert record.source.ocr_confidence > 80
    assert cer(record.text, page_texts(plan)[0]) < 0.01


def test_multi_page_tiff_gives_one_ocr_page_per_frame(tmp_path, plan):
    texts = page_texts(plan)
    excerpts = ["\n".join(texts[i].splitlines()[:8]) for i in (0, 1)]
    pages = [render_pages(text)[0] for text in excerpts]
    got = ingest_path(save_tiff(pages, tmp_path / "fax.tif"))
    assert got.format == "image"
    assert [p.number for p in got.pages] == [1, 2]
    assert all(p.method == "ocr" and p.ocr_confidence > 80 for p in got.pages)
    for text, reference in zip(got.page_texts, excerpts):
        assert cer(text, reference) < 0.01


def test_heavily_degraded_scan_is_cleaned_before_ocr(excerpt):
    page = degrade(render_pages(excerpt)[0], "heavy", seed=7)
    result = ocr_page(PageImage(page, dpi=300))
    assert result.noise > 20  # measured as noisy, so filtered and binarised
    assert 1.5 < abs(result.skew) < 3.5  # degrade() tilts heavy pages by 2–3°
    assert cer(result.text, excerpt) < 0.03


def test_low_resolution_scan_is_enlarged(tmp_path, excerpt):
    page = render_pages(excerpt, dpi=150)[0]
    path = tmp_path / "scan.png"
    page.save(path, dpi=(150, 150))
    got = ingest_path(path)
    assert cer(got.text, excerpt) < 0.02


def test_noise_and_skew_estimates(excerpt):
    clean = render_pages(excerpt)[0]
    assert estimate_noise(np.asarray(clean)) == 0
    assert estimate_noise(np.asarray(degrade(clean, "light", seed=1))) < estimate_noise(
        np.asarray(degrade(clean, "heavy", seed=1))
    )
    tilted = clean.rotate(2.0, resample=Image.BICUBIC, fillcolor=255)
    assert abs(estimate_skew(np.asarray(tilted)) + 2.0) <= 0.2  # rotating back undoes it
    assert abs(estimate_skew(np.asarray(clean))) <= 0.1


def test_image_without_text_is_an_error(tmp_path):
    path = tmp_path / "blank.png"
    Image.new("L", (1200, 1600), 255).save(path, dpi=(300, 300))
    with pytest.raises(EmptyDocument, match="OCR found no text"):
        ingest_path(path)


def test_pdf_mixing_text_and_scanned_pages_is_read_page_by_page(tmp_path, excerpt):
    import pypdfium2 as pdfium

    from .conftest import PDFS

    scan = save_pdf(render_pages(excerpt), tmp_path / "scan.pdf")
    mixed = pdfium.PdfDocument.new()
    mixed.import_pages(pdfium.PdfDocument(PDFS / "thong-tu-so-01-2025-tt-bldtbxh-43956.pdf"), [0])
    mixed.import_pages(pdfium.PdfDocument(scan), [0])
    path = tmp_path / "mixed.pdf"
    mixed.save(path)

    got = ingest_path(path)
    assert [p.method for p in got.pages] == ["text", "ocr"]
    assert got.page_texts[0].startswith("CÔNG BÁO/Số 231 + 232")
    assert cer(got.page_texts[1], excerpt) < 0.01
