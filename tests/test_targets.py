from __future__ import annotations

import shutil
from functools import cache

import pytest

from pipeline import extract
from pipeline.runner import run_stages
from pipeline.text.numbers import find_dates, find_period, parse_number

from .conftest import sample

DISTRICTS = {
    "Thị xã Hương Trà": 213, "Huyện Phú Vang": 301, "Huyện A Lưới": 96, "Huyện Phú Lộc": 268,
    "Huyện Nam Đông": 54, "Huyện Phong Điền": 195, "Thị xã Hương Thủy": 186, "Thành phố Huế": 337,
    "Huyện Quảng Điền": 150,
}


@cache
def record(prefix: str):
    return extract(sample(prefix))[0]


def targets_of(text: str):
    (rec,) = run_stages(text, stages=["targets"])
    return rec


@pytest.mark.parametrize("token, value", [("1.800", 1800), ("514.295", 514295), ("2,5", 2.5), ("02", 2), ("80", 80)])
def test_vietnamese_numbers(token, value):
    assert parse_number(token) == value


def test_dates_and_periods():
    assert [d for *_, d in find_dates("trước ngày 20/6/2021 và ngày 05 tháng 12 năm 2021")] == ["2021-06-20", "2021-12-05"]
    assert find_period("giai đoạn 2021 - 2025") == (2021, 2025)
    assert find_period("Một số chỉ tiêu cụ thể đến năm 2030") == (None, 2030)
    assert find_period("CHỈ TIÊU GIAO NĂM 2021") == (2021, 2021)


def test_004_quota_table_rows_scopes_and_sum_check():
    rec = record("004")
    quotas = {t.scope: t.value for t in rec.targets if t.metric == "quota"}
    assert quotas == DISTRICTS
    assert all(t.table == 0 and t.period_end == 2021 for t in rec.targets if t.metric == "quota")
    assert not [t for t in rec.targets if t.metric == "labour_force"]  # the labour force is no target …
    labour = {f.scope: f.value for f in rec.figures if f.metric == "labour_force" and f.kind == "statistic"}
    assert labour["Thành phố Huế"] == 132122 and len(labour) == 9  # … but a statistic of the table
    (check,) = [c for c in rec.checks if c.kind == "quota_sum"]
    assert check.passed and check.expected == 1800 and check.actual == 1800


def test_004_provincial_range():
    (target,) = [t for t in record("004").targets if t.metric == "workers_sent"]
    assert (target.value, target.value_max, target.unit) == (1800, 2000, "person")
    assert (target.period_start, target.period_end) == (2021, 2021)
    assert target.scope == "tỉnh Thừa Thiên Huế"
    assert record("004").text[target.start:target.end] == "1.800 - 2.000 lao động"


def test_001_ranges_per_year_and_per_commune_and_share():
    rec = record("001")
    sent = {(t.value, t.value_max, t.scope, t.period_end, t.frequency) for t in rec.targets if t.metric == "workers_sent"}
    assert sent == {
        (30, 40, "huyện Tam Đường", 2025, "year"), (2, 3, "per commune", 2025, "year"),
        (50, 60, "huyện Tam Đường", 2030, "year"), (5, 6, "per commune", 2030, "year"),
    }
    (share,) = [t for t in rec.targets if t.metric == "share_high_income_markets"]
    assert (share.value, share.comparator, share.unit, share.period_end) == (80, ">", "percent", 2030)


def test_dates_years_and_document_numbers_are_not_targets():
    rec = targets_of(
        "Căn cứ Quyết định số 01/QĐ-UBND ngày 01/01/2021 của Ủy ban nhân dân tỉnh; Chỉ thị số 20-CT/TW "
        "ngày 12/12/2022; kế hoạch 05 năm, định kỳ 06 tháng báo cáo; Điều 3 Luật năm 2020.\n"
    )
    assert rec.targets == []


def test_budget_amount_and_comparator():
    rec = targets_of("Tổng kinh phí thực hiện khoảng 164 tỉ đồng; phấn đấu ít nhất 500 lao động được đào tạo nghề.\n")
    (budget,) = rec.figures  # money is a budget, in the figures, not a target
    assert (budget.kind, budget.value, budget.unit, budget.comparator) == ("budget", 164e9, "VND", "≈")
    (trained,) = rec.targets
    assert (trained.metric, trained.value, trained.comparator) == ("trained_workers", 500, ">=")


HEADER = ["STT", "Huyện, thị xã", "Lực lượng lao động", "Chỉ tiêu năm 2024"]
ROWS = [["1", "Huyện Kỳ Anh", "40.100", "120"], ["2", "Huyện Can Lộc", "35.200", "95"], ["3", "Thị xã Hồng Lĩnh", "12.000", "40"]]


def table_text(join: str, total: str) -> str:
    lines = [join.join(HEADER)] + [join.join(r) for r in ROWS] + [join.join(["", "Tổng cộng", "87.300", total])]
    return "II. CHỈ TIÊU\nPhân bổ chỉ tiêu như sau:\n" + "\n".join(lines) + "\nIII. NHIỆM VỤ\n"


@pytest.mark.parametrize("join", ["\t", "    "], ids=["docx-tabs", "ocr-spaces"])
def test_quota_tables_in_docx_and_ocr_layouts(join):
    rec = targets_of(table_text(join, "255"))
    quotas = {t.scope: (t.value, t.period_end) for t in rec.targets if t.metric == "quota"}
    assert quotas == {"Huyện Kỳ Anh": (120, 2024), "Huyện Can Lộc": (95, 2024), "Thị xã Hồng Lĩnh": (40, 2024)}
    assert {c.kind: c.passed for c in rec.checks} == {"quota_sum": True, "labour_force_sum": True}


def test_quota_sum_check_reports_the_difference():
    rec = targets_of(table_text("\t", "260"))
    (check,) = [c for c in rec.checks if c.kind == "quota_sum"]
    assert not check.passed and check.expected == 260 and check.actual == 255 and check.difference == -5
    assert "lệch" in check.message


def test_quota_table_from_a_docx_file(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("II. CHỈ TIÊU GIAO NĂM 2024")
    document.add_paragraph("Phân bổ chỉ tiêu cho các huyện, thị xã như sau:")
    rows = [HEADER, *ROWS, ["", "Tổng cộng", "87.300", "250"]]
    table = document.add_table(rows=len(rows), cols=len(HEADER))
    for cells, values in zip(table.rows, rows):
        for cell, value in zip(cells.cells, values):
            cell.text = value
    document.add_paragraph("III. NHIỆM VỤ VÀ GIẢI PHÁP")
    path = tmp_path / "chi_tieu.docx"
    document.save(path)
    (rec,) = extract(path)
    assert {t.scope: t.value for t in rec.targets if t.metric == "quota"} == {
        "Huyện Kỳ Anh": 120, "Huyện Can Lộc": 95, "Thị xã Hồng Lĩnh": 40,
    }
    (check,) = [c for c in rec.checks if c.kind == "quota_sum"]
    assert not check.passed and check.difference == 5
    for target in rec.targets:
        assert rec.text[target.start:target.end] == target.text


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs the tesseract binary")
def test_quota_table_from_a_scanned_page(tmp_path):
    """A typeset page read back by OCR: cells come out separated by single spaces."""
    from scripts.make_scans import render_pages

    page = render_pages(table_text("    ", "255"), max_pages=1)[0]
    path = tmp_path / "chi_tieu.png"
    page.save(path)
    (rec,) = extract(path)
    quotas = {t.scope: t.value for t in rec.targets if t.metric == "quota"}
    assert quotas == {"Huyện Kỳ Anh": 120, "Huyện Can Lộc": 95, "Thị xã Hồng Lĩnh": 40}
    assert {c.kind: c.passed for c in rec.checks}["quota_sum"]


def test_words_for_ranges_per_year_units_and_decimal_commas():
    rec = targets_of(
        "Giai đoạn 2021 - 2025, phấn đấu đưa từ 500 đến 600 lao động đi làm việc ở nước ngoài, "
        "bình quân 120 người/năm; khoảng 2,5% lao động qua đào tạo.\n"
    )
    got = [(t.metric, t.value, t.value_max, t.frequency, t.period_start, t.period_end) for t in rec.targets]
    assert got == [
        ("workers_sent", 500, 600, None, 2021, 2025),
        ("workers_sent", 120, None, "year", 2021, 2025),
        ("share_trained", 2.5, None, None, 2021, 2025),  # the next item of the list: the sentence's period
    ]


def test_sentences_wrapped_over_lines_keep_their_cues():
    rec = targets_of(
        "1. Mục tiêu\nPhấn đấu mỗi năm đưa khoảng 200 người lao động của tỉnh đi làm\n"
        "việc ở nước ngoài; trong đó trên 60% đi làm việc\ntại các thị trường có thu nhập cao.\n"
    )
    assert [(t.metric, t.value, t.comparator, t.frequency) for t in rec.targets] == [
        ("workers_sent", 200, "≈", "year"), ("share_high_income_markets", 60, ">", None),
    ]


def test_a_clause_ending_in_a_semicolon_ends_even_when_the_next_line_is_lower_case():
    rec = targets_of(
        "Ngân hàng cho vay theo quy định;\nmức chênh lệch từ 20 tỷ đồng đến dưới 30 tỷ đồng thì hệ số bằng 0,5.\n"
    )
    assert rec.targets == []
