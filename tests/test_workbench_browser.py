"""The workbench as a person uses it, in headless Chromium driven by Playwright: the tests
start `chithi serve` themselves on a free port, upload plans through the page, wait for the
result, review verdicts, reload, download the Excel file and read it back.

Skipped only when the system Chromium or the playwright package is missing (scripts/setup.sh
installs both; Playwright never downloads a browser here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.workbench.local import CHROMIUM, LocalServer, launch_chromium

from .conftest import PDFS, sample

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed (scripts/setup.sh)")]
LIMIT_MB = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with LocalServer(tmp_path_factory.mktemp("workbench") / "data", max_upload_mb=LIMIT_MB) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server.url, accept_downloads=True, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(90_000)  # a first upload waits for the worker to load the models
    yield page
    context.close()


def upload(page, *files) -> None:
    page.goto("/")
    page.set_input_files("input[type=file]", list(files))
    page.click("#upload-form button[type=submit]")


def test_upload_review_reload_and_export(page, tmp_path):
    upload(page, str(sample("003")))
    page.wait_for_url(re.compile(r"/plans/\d+/d20$"))  # the job page follows the worker, then opens the result
    assert page.locator("#relevance").inner_text().count("Kế hoạch thực hiện Chỉ thị số 20-CT/TW") == 1
    assert page.locator("#checklist tr[data-provision]").count() == 25

    card = page.locator("article#D20-2\\.3")
    computed = card.locator(".ref .badge").first.inner_text()
    card.locator("input[name=reviewer]").fill("Nguyễn Thị Lan")
    card.locator("select[name=status]").select_option("partial")
    card.locator("textarea[name=comment]").fill("Có hỗ trợ vay vốn học nghề; chưa nêu đối tượng ưu tiên.")
    card.locator("button[value=change]").click()
    page.wait_for_load_state()
    page.reload()
    card = page.locator("article#D20-2\\.3")
    assert "Đề cập một phần" in card.locator(".reviewed").inner_text()
    assert "chưa nêu đối tượng ưu tiên" in card.locator(".reviewed").inner_text()
    assert "Nguyễn Thị Lan" in card.locator(".reviewed").inner_text()
    row = page.locator('#checklist tr[data-provision="D20-2.3"]')
    assert computed in row.inner_text() and "Đề cập một phần" in row.locator(".reviewed-status").inner_text()

    accept = page.locator("article#D20-3\\.4")
    assert accept.locator("input[name=reviewer]").input_value() == "Nguyễn Thị Lan"  # remembered
    accept.locator("button[value=accept]").click()
    page.wait_for_load_state()
    agreement = page.locator("#plan-agreement").inner_text()
    expected = "50%" if computed != "Đề cập một phần" else "100%"
    assert expected in agreement and "/2" in agreement

    with page.expect_download() as info:
        page.click("#export-xlsx")
    path = tmp_path / "export.xlsx"
    info.value.save_as(path)
    rows = {r[0]: r for r in load_workbook(path)["Chỉ thị 20"].iter_rows(min_row=2, values_only=True)}
    assert rows["D20-2.3"][3] == computed and rows["D20-2.3"][5] == "Đề cập một phần"
    assert rows["D20-2.3"][8] == "Có hỗ trợ vay vốn học nghề; chưa nêu đối tượng ưu tiên." and rows["D20-2.3"][9] == "Nguyễn Thị Lan"
    assert rows["D20-3.4"][5] == rows["D20-3.4"][3]


def test_a_script_in_a_plan_stays_text(page, tmp_path):
    plan = tmp_path / "ke-hoach-doc-hai.txt"
    plan.write_text(
        "KẾ HOẠCH\nThực hiện Chỉ thị số 20-CT/TW ngày 12/12/2022 của Ban Bí thư\n\nI. NHIỆM VỤ\n\n"
        "1. Đẩy mạnh tuyên truyền <script>window.__pwned = 1</script> về thị trường Nhật Bản "
        "<img src=x onerror=\"window.__pwned = 2\"> cho người lao động đi làm việc ở nước ngoài.\n", "utf-8")
    upload(page, str(plan))
    page.wait_for_url(re.compile(r"/plans/\d+/d20$"))
    page.click("#to-text")
    text = page.locator("#plan-text").inner_text()
    assert "<script>window.__pwned = 1</script>" in text and '<img src=x onerror="window.__pwned = 2">' in text
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#plan-text script, #plan-text img").count() == 0


def test_an_oversized_upload_is_refused_with_a_message(page):
    page.goto("/")
    page.set_input_files("input[type=file]", {"name": "ban-quet-lon.pdf", "mimeType": "application/pdf",
                                             "buffer": b"%PDF-1.4\n" + b"0" * (2 * LIMIT_MB * 1024 * 1024)})
    page.click("#upload-form button[type=submit]")
    message = page.locator("#message")
    assert "Tệp tải lên quá lớn" in message.inner_text() and f"{LIMIT_MB} MB" in message.inner_text()


def test_a_circular_is_flagged_not_a_plan(page):
    upload(page, str(PDFS / "thong-tu-so-02-2023-tt-bldtbxh-39230.pdf"))
    page.wait_for_url(re.compile(r"/plans/\d+/d20$"))
    assert "Không phải kế hoạch thực hiện Chỉ thị số 20-CT/TW" in page.locator("#relevance").inner_text()
    assert page.locator("#checklist").count() == 0 and page.locator("#not-scored").count() == 1


def test_a_highlighted_mention_shows_its_details(page):
    upload(page, str(sample("001")))
    page.wait_for_url(re.compile(r"/plans/\d+/d20$"))
    page.click("#to-text")
    market = page.locator(".hl.market").first
    key = market.get_attribute("data-item")
    market.click()
    assert "current" in page.locator(f"#item-{key}").get_attribute("class")
    assert page.locator(".hl.agency").count() > 0 and page.locator(".hl.target").count() > 0


def test_two_uploads_at_once_then_side_by_side(page):
    district, province = sample("001"), sample("003")
    upload(page, str(district), str(province))
    page.wait_for_url(re.compile(r"/$"))
    for _ in range(180):  # the list shows both once their jobs are done
        names = page.locator("#plans").inner_text()
        if district.name in names and province.name in names:
            break
        page.wait_for_timeout(500)
        page.reload()
    ids = {name: page.locator(f'#plans tr:has-text("{name}")').first.get_attribute("data-document")
           for name in (district.name, province.name)}
    page.goto("/compare")
    page.locator("select[name=left]").select_option(ids[district.name])
    page.locator("select[name=right]").select_option(ids[province.name])
    page.click("#pick button")
    assert page.locator("#side-by-side tr").count() == 26
    assert page.locator("#against tr").count() > 1
