"""`chithi report`: the roll-up of a batch as an offline page, a workbook and CSV files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from .conftest import ROOT, sample

PROVINCE_PLAN = """UBND TỈNH NGHỆ AN
Số: 45/KH-UBND
Nghệ An, ngày 10 tháng 3 năm 2024
KẾ HOẠCH
Đưa người lao động đi làm việc ở nước ngoài năm 2024
Thực hiện Chỉ thị số 20-CT/TW ngày 12/12/2022 của Ban Bí thư.
I. CHỈ TIÊU
Năm 2024 phấn đấu đưa 3.000 lao động đi làm việc ở nước ngoài, tập trung thị trường Nhật Bản, Hàn Quốc.
"""
DISTRICT_PLAN = """UBND HUYỆN QUỲNH LƯU
Số: 12/KH-UBND
Quỳnh Lưu, ngày 2 tháng 4 năm 2024
KẾ HOẠCH
Đưa người lao động đi làm việc ở nước ngoài năm 2024
Thực hiện Kế hoạch số 45/KH-UBND ngày 10/3/2024 của UBND tỉnh Nghệ An và Kế hoạch số 99/KH-UBND ngày 01/02/2024 của UBND tỉnh.
I. CHỈ TIÊU
Năm 2024 phấn đấu đưa 300 lao động đi làm việc ở nước ngoài, chủ yếu sang Nhật Bản.
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    inputs = tmp_path_factory.mktemp("archive")
    shutil.copy(sample("001"), inputs)
    shutil.copy(sample("004"), inputs)
    (inputs / "tinh.txt").write_text(PROVINCE_PLAN, "utf-8")
    (inputs / "huyen.txt").write_text(DISTRICT_PLAN, "utf-8")
    out = tmp_path_factory.mktemp("out")
    chithi = [sys.executable, "-m", "pipeline.cli", "-q"]
    batch = subprocess.run([*chithi, "batch", str(inputs), "-o", str(out), "--no-repair", "--compare", "directive-20"],
                           capture_output=True, text=True, cwd=ROOT)
    assert batch.returncode == 0, batch.stderr
    run = subprocess.run([*chithi, "report", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return out / "report"


def test_the_workbook_has_a_sheet_per_table_with_vietnamese_headers(report):
    workbook = load_workbook(report / "chithi.xlsx")
    assert {"van_ban", "thi_truong", "chi_tieu", "bao_quat", "he_thong", "chat_luong"} <= set(workbook.sheetnames)
    markets = workbook["thi_truong"]
    assert [c.value for c in markets[1]] == ["Tỉnh", "Thị trường", "Mã", "Số kế hoạch"]
    assert markets.freeze_panes == "A2" and markets.auto_filter.ref.startswith("A1:")
    rows = {(r[0], r[2]) for r in markets.iter_rows(min_row=2, values_only=True)}
    assert ("Nghệ An", "JP") in rows and ("Nghệ An", "KR") in rows
    targets = list(workbook["chi_tieu"].iter_rows(min_row=2, values_only=True))
    assert ("Nghệ An", 2024, "workers_sent", "person", 3000.0) in {r[:5] for r in targets}
    assert (report / "csv" / "thi_truong.csv").read_text("utf-8-sig").startswith("Tỉnh,Thị trường")


def test_the_hierarchy_links_a_district_plan_to_its_province_plan_and_flags_a_missing_one(report):
    sheet = load_workbook(report / "chithi.xlsx")["he_thong"]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True)]
    linked = [r for r in rows if r[4] == "45/KH-UBND"]
    assert linked and linked[0][7] == "có trong kho" and linked[0][3].startswith("45/KH-UBND")
    missing = [r for r in rows if r[4] == "99/KH-UBND"]
    assert missing and missing[0][7] == "không có trong kho"
    index = (report / "index.html").read_text("utf-8")
    tree = index[index.index('id="he-thong"'):index.index('id="chat-luong"')]
    assert re.search(r"45/KH-UBND \(Nghệ An[^<]*</a><ul class=tree><li><a[^>]*>12/KH-UBND", tree)  # the district under the province
    assert "99/KH-UBND" in tree  # cited, not in the archive: flagged


def test_the_page_is_offline_and_every_chart_links_to_plans(report):
    index = (report / "index.html").read_text("utf-8")
    assert index.count("<svg") >= 5
    assert not re.search(r"""(?:src|href)=["']https?://""", index)  # nothing fetched from the network
    assert 'href="plans.html?province=' in index
    plans = (report / "plans.html").read_text("utf-8")
    pages = re.findall(r'href="(plans/[^"]+\.html)"', plans)
    assert len(pages) >= 3 and all((report / page).exists() for page in pages)
    compared = list((report / "plans").glob("*.directive-20.html"))
    assert compared  # the CLI's Directive 20 report beside the compared plans' pages


def test_the_dashboard_draws_its_charts_in_a_browser_and_a_click_filters_the_plans(report):
    """Headless Chromium opens the page from disk (no network: any other request fails the
    test), every chart is drawn at a readable size, and a heat-map cell leads to the plan
    list filtered to its province."""
    from pathlib import Path
    from urllib.parse import unquote_plus

    from pipeline.workbench.local import CHROMIUM, launch_chromium

    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (scripts/setup.sh)")
    outside, errors = [], []
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda r: None if r.url.startswith("file://") else outside.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto((report / "index.html").as_uri())
        charts = page.locator(".chart svg")
        assert charts.count() >= 4
        for i in range(charts.count()):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 50 and box["height"] > 40, (i, box)
            marks = charts.nth(i).locator("rect")
            assert any((marks.nth(j).bounding_box() or {}).get("height", 0) > 0 for j in range(marks.count())), i
        assert page.locator("#chi-tieu ~ .chart svg rect").count() >= 2  # planned (and achieved) bars
        cell = page.locator(".chart a[href^='plans.html?province=']").first
        province = re.search(r"province=([^&]+)", cell.get_attribute("href")).group(1)
        cell.click()
        page.wait_for_url(re.compile(r"plans\.html\?province="))
        shown = page.locator("#plans tr[data-province]:visible")
        assert shown.count() >= 1
        assert {shown.nth(i).get_attribute("data-province") for i in range(shown.count())} == {unquote_plus(province)}
        browser.close()
    assert outside == [] and errors == []


COVER_LETTER = """UBND TỈNH NGHỆ AN
Số: 301/UBND-VX
Nghệ An, ngày 15 tháng 3 năm 2024
V/v gửi Kế hoạch đưa người lao động đi làm việc ở nước ngoài năm 2024
Kính gửi: Ủy ban nhân dân các huyện, thành phố, thị xã.
Ủy ban nhân dân tỉnh gửi kèm Kế hoạch số 45/KH-UBND để các địa phương triển khai thực hiện.
"""


def test_a_batch_ends_with_its_report_which_a_rerun_replaces_and_leaves_out_non_plans(tmp_path):
    inputs, out = tmp_path / "archive", tmp_path / "out"
    inputs.mkdir()
    for name, text in (("tinh.txt", PROVINCE_PLAN), ("huyen.txt", DISTRICT_PLAN), ("cong-van.txt", COVER_LETTER)):
        (inputs / name).write_text(text, "utf-8")
    chithi = [sys.executable, "-m", "pipeline.cli", "-q", "batch", str(inputs), "-o", str(out), "--no-repair",
              "--compare", "directive-20"]
    first = subprocess.run(chithi, capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    records = [json.loads(line) for line in (out / "documents.jsonl").read_text("utf-8").splitlines()]
    assert len({r["doc_id"] for r in records}) == 3
    plans = (out / "report" / "plans.html").read_text("utf-8")
    assert "45/KH-UBND" in plans and "12/KH-UBND" in plans and "301/UBND-VX" not in plans  # the letter is no plan
    coverage = load_workbook(out / "report" / "chithi.xlsx")["thieu"]
    assert {row[3] for row in coverage.iter_rows(min_row=2, values_only=True)} == {2}  # two plans per provision
    assert len(list((out / "report" / "plans").glob("*.html"))) >= 2
    (inputs / "huyen.txt").unlink()
    again = subprocess.run([*chithi, "--resume"], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    plans = (out / "report" / "plans.html").read_text("utf-8")
    assert "45/KH-UBND" in plans and "12/KH-UBND" not in plans
    assert not any("12/KH-UBND" in p.read_text("utf-8") for p in (out / "report" / "plans").glob("*.html"))
    assert not (out / ".report.tmp").exists() and not (out / ".report.old").exists()
    bare = subprocess.run([*chithi[:6], "-o", str(tmp_path / "bare"), "--no-repair", "--no-report"],
                          capture_output=True, text=True, cwd=ROOT)
    assert bare.returncode == 0 and not (tmp_path / "bare" / "report").exists()
