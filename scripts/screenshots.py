"""Screenshots of each page of the workbench, for docs/workbench.md (small palette PNGs).

    .venv/bin/python scripts/screenshots.py              # writes docs/workbench/*.png

Starts `chithi serve` on a free port with an empty data folder, uploads sample plans (a
provincial government plan, a district Party plan, the file whose cover letter comes before
its plan, a Thông tư and a scanned plan), reviews two provisions as a person would, and
photographs each page in headless Chromium.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_scans import degrade, render_pages, save_pdf  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from pipeline.workbench.local import CHROMIUM, CHROMIUM_ARGS, LocalServer  # noqa: E402

SAMPLES = ROOT / "corpus/samples"
CIRCULAR = ROOT / "corpus/pdf/thong-tu-so-02-2023-tt-bldtbxh-39230.pdf"
WIDTH, HEIGHT = 1280, 860


def save(png: bytes, path: Path, colours: int = 96) -> None:
    """A palette PNG: the pages are flat colours and text, so 96 colours keep them readable and small."""
    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}\t{path.stat().st_size // 1024} KB")


def upload(page, *files: Path) -> None:
    page.goto("/")
    page.set_input_files("input[type=file]", [str(f) for f in files])
    page.click("#upload-form button[type=submit]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--out-dir", type=Path, default=ROOT / "docs/workbench")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir
    with tempfile.TemporaryDirectory(prefix="chithi-shots-") as folder, \
            LocalServer(Path(folder) / "data", max_upload_mb=5) as server, sync_playwright() as playwright:
        scan = Path(folder) / "ke-hoach-ban-quet.pdf"
        text = next(SAMPLES.glob("001_*.txt")).read_text("utf-8")
        save_pdf([degrade(p, "light", seed=i) for i, p in enumerate(render_pages(text, max_pages=3))], scan)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + ["--lang=vi"])
        page = browser.new_context(base_url=server.url, locale="vi-VN", viewport={"width": WIDTH, "height": HEIGHT},
                                   accept_downloads=True).new_page()
        page.set_default_timeout(600_000)

        # A provincial government plan: the Directive 20 page, reviewed.
        upload(page, next(SAMPLES.glob("003_*.txt")))
        page.wait_for_url(re.compile(r"/plans/\d+/d20$"))
        d20 = page.url
        for provision, status, comment in (("D20-2.3", "partial", "Có hỗ trợ vay vốn học nghề; chưa nêu đối tượng ưu tiên."),
                                           ("D20-3.4", None, "")):
            card = page.locator(f"article#{provision.replace('.', chr(92) + '.')}")
            card.locator("input[name=reviewer]").fill("Nguyễn Thị Lan")
            if status:
                card.locator("select[name=status]").select_option(status)
                card.locator("textarea[name=comment]").fill(comment)
                card.locator("button[value=change]").click()
            else:
                card.locator("button[value=accept]").click()
            page.wait_for_load_state()
        page.goto(d20)
        save(page.screenshot(), out / "d20.png")
        save(page.locator("article#D20-2\\.3").screenshot(), out / "d20-review.png")
        save(page.locator("article#D20-3\\.3").screenshot(), out / "d20-closest.png")
        page.goto(d20.replace("/d20", "/print"))
        save(page.screenshot(), out / "print.png")

        # Its text, with an agency's details open.
        page.goto(d20.replace("/d20", ""))
        page.locator(".hl.agency").nth(3).click()
        page.locator("#plan-text").scroll_into_view_if_needed()
        save(page.screenshot(), out / "plan.png")

        # A scanned plan while the worker reads it.
        upload(page, scan)
        page.wait_for_url(re.compile(r"/jobs/\d+$"))
        page.wait_for_timeout(1500)
        save(page.screenshot(), out / "progress.png")
        page.wait_for_url(re.compile(r"/plans/\d+/d20$"))
        save(page.screenshot(), out / "d20-scan.png")

        # A district plan; the file whose cover letter comes before a badly OCRed plan; a Thông tư.
        district = next(SAMPLES.glob("001_*.txt"))
        upload(page, district)
        page.wait_for_url(re.compile(r"/plans/\d+/d20$"))
        upload(page, next(SAMPLES.glob("002_*.txt")))
        page.wait_for_url(re.compile(r"/plans/\d+/d20$"))
        save(page.screenshot(), out / "d20-poor-quality.png")
        upload(page, CIRCULAR)
        page.wait_for_url(re.compile(r"/plans/\d+/d20$"))
        save(page.screenshot(), out / "not-a-plan.png")
        page.goto("/")
        save(page.screenshot(full_page=True), out / "plans.png")

        # Two plans side by side: the district plan against the provincial one.
        ids = {name: page.locator(f'#plans tr:has-text("{name}")').first.get_attribute("data-document")
               for name in (district.name, next(SAMPLES.glob("003_*.txt")).name)}
        left, right = ids.values()
        page.goto(f"/compare?left={left}&right={right}")
        save(page.screenshot(), out / "compare.png")

        # An upload over the limit.
        page.goto("/")
        page.set_input_files("input[type=file]", {"name": "ban-quet-rat-lon.pdf", "mimeType": "application/pdf",
                                                 "buffer": b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)})
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#message")
        save(page.screenshot(), out / "upload-refused.png")
        browser.close()


if __name__ == "__main__":
    main()
