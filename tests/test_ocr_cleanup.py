"""OCR clean-up chosen by evidence (signals → steps, trials on a strip) and the letterhead
columns of `pipeline.ingest.layout`; fast (no Tesseract, except where marked slow)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.ingest import cleanup, layout, ocr
from scripts.make_scans import page_texts, render_pages
from scripts.scan_set import DEGRADE, _rng

from .conftest import sample


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    text = "\n".join(page_texts(sample("001").read_text("utf-8"))[0].splitlines()[:20])
    return np.asarray(render_pages(text)[0].convert("L"))


def degraded(page: np.ndarray, family: str) -> np.ndarray:
    return np.asarray(DEGRADE[family](page, _rng(f"test:{family}")).convert("L"))


def test_a_clean_page_calls_for_nothing(page):
    signals = cleanup.measure(page, 300)
    plan = cleanup.plan(signals)
    assert plan.sure == [] and plan.trial == []
    assert signals.grain == 0 and signals.uneven < 5 and signals.contrast > 200


@pytest.mark.parametrize(("family", "step"), [("specks", "despeckle"), ("banding", "flatten"), ("stains", "flatten")])
def test_each_degradation_calls_for_its_step(page, family, step):
    plan = cleanup.plan(cleanup.measure(degraded(page, family), 300))
    assert step in plan.sure + plan.trial


def test_blur_jpeg_and_contrast_are_measured_and_left_to_tesseract(page):
    blurred = cleanup.measure(degraded(page, "blur"), 300)
    assert blurred.blur > cleanup.measure(page, 300).blur
    assert cleanup.plan(blurred).sure == []
    grey = cleanup.measure(degraded(page, "contrast"), 300)
    assert grey.contrast < 100 and cleanup.plan(grey).sure == []


def test_despeckling_removes_specks_but_not_diacritics(page):
    speckled = degraded(page, "specks")
    signals = cleanup.measure(speckled, 300)
    cleaned = cleanup.despeckle(speckled, signals)
    assert cleanup.measure(cleaned, 300).specks < signals.specks / 5
    # On the clean page the dots of i, the tone marks and the periods all sit by a letter.
    untouched = cleanup.despeckle(page, cleanup.measure(page, 300))
    assert np.count_nonzero(untouched != page) < 0.0005 * page.size


def test_a_low_resolution_page_is_enlarged_only_below_120_dpi():
    assert "enlarge" in cleanup.plan(cleanup.Signals(dpi=100)).sure
    assert "enlarge" not in cleanup.plan(cleanup.Signals(dpi=150)).sure


def test_trial_keeps_a_step_only_when_tesseract_is_surer(monkeypatch, page):
    """Confidences decide; within MIN_GAIN the language model does."""
    signals = cleanup.Signals(dpi=300, grain=40)

    def fake(conf_as_is: float, conf_treated: float):
        def recognise(gray, dpi):
            treated = not np.array_equal(gray, strip)
            return [{"conf": str(conf_treated if treated else conf_as_is), "text": "ok" if treated else "ko"}]
        return recognise

    strip = ocr.text_strip(page)
    monkeypatch.setattr(ocr, "recognise", fake(80, 90))
    assert ocr._trial_prefers(page, "denoise", signals, 300)
    monkeypatch.setattr(ocr, "recognise", fake(90, 80))
    assert not ocr._trial_prefers(page, "denoise", signals, 300)
    monkeypatch.setattr(ocr, "recognise", fake(90, 90.5))
    monkeypatch.setattr(ocr, "_lm_score", lambda found: 1.0 if found[0]["text"] == "ko" else 0.0)
    assert not ocr._trial_prefers(page, "denoise", signals, 300)  # a tie: the LM prefers the page as it is


def test_text_strip_holds_text(page):
    strip = ocr.text_strip(page)
    assert len(strip) == int(len(page) * ocr.STRIP_SHARE)
    assert (strip < 128).mean() > 0.01


# ------------------------------------------------------------------ letterhead columns
def row(block: int, line: int, left: int, top: int, text: str, height: int = 40) -> dict[str, str]:
    return {"level": "5", "block_num": str(block), "par_num": "1", "line_num": str(line), "left": str(left),
            "top": str(top), "width": str(22 * len(text)), "height": str(height), "conf": "95", "text": text}


def words_of(line: str, block: int, number: int, left: int, top: int) -> list[dict[str, str]]:
    found, x = [], left
    for word in line.split():
        found.append(row(block, number, x, top, word))
        x += 22 * len(word) + 18
    return found


def test_letterhead_read_across_is_read_column_by_column():
    found = [
        *words_of("BỘ LAO ĐỘNG", 1, 1, 100, 100), *words_of("CỘNG HÒA XÃ HỘI CHỦ NGHĨA", 1, 1, 1100, 100),
        *words_of("BINH VÀ XÃ HỘI", 1, 2, 120, 150), *words_of("Độc lập - Tự do", 1, 2, 1200, 150),
        *words_of("Số: 09/2021/TT-BLĐTBXH", 1, 3, 100, 200),
        *words_of("THÔNG TƯ", 2, 1, 1150, 260),  # a title just below, in the middle of the page
        *words_of("Căn cứ Luật Tố cáo ngày 12 tháng 6 năm 2018;", 3, 1, 100, 500),
    ]
    text = layout.text_from_words(found, page_height=3500, page_width=2480)
    assert text.split("\n\n") == [
        "BỘ LAO ĐỘNG\nBINH VÀ XÃ HỘI\nSố: 09/2021/TT-BLĐTBXH",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA\nĐộc lập - Tự do",
        "THÔNG TƯ",
        "Căn cứ Luật Tố cáo ngày 12 tháng 6 năm 2018;",
    ]


def test_lines_low_on_the_page_and_page_numbers_are_not_columns():
    running_header = [*words_of("CÔNG BÁO/Số 761 + 762/Ngày 17-9-2021", 1, 1, 300, 80), row(1, 1, 2300, 80, "3")]
    table = [*words_of("Nhật Bản 120", 2, 1, 100, 3000), *words_of("Hàn Quốc 80", 2, 1, 1500, 3000),
             *words_of("Đài Loan 60", 2, 2, 100, 3050), *words_of("Ma-lai-xi-a 10", 2, 2, 1500, 3050)]
    text = layout.text_from_words(running_header + table, page_height=3500, page_width=2480)
    assert text == "CÔNG BÁO/Số 761 + 762/Ngày 17-9-2021 3\n\nNhật Bản 120 Hàn Quốc 80\nĐài Loan 60 Ma-lai-xi-a 10"
