"""Time from upload to the Directive 20 page in the workbench, as a person sees it: headless
Chromium uploads a plan through the page and the clock stops when the Directive 20 page has
loaded (the job page follows the worker and opens it).

    .venv/bin/python scripts/bench_workbench.py                  # sample 003 as text and as a scan
    .venv/bin/python scripts/bench_workbench.py --repeat 3 --scan-level light

The scan is the same sample typeset on A4 pages and saved as an image-only PDF (300 dpi,
scripts/make_scans.py), so the worker OCRs every page. The first upload after the server
starts may wait for the worker to finish loading the models ("cold"); each run uploads
different bytes (a trailing newline, another noise seed) so that no result is reused.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_scans import degrade, render_pages, save_pdf  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from pipeline.workbench.local import LocalServer, launch_chromium  # noqa: E402

SAMPLE = ROOT / "corpus/samples/003_a67a80a96aa55b50.txt"


def make_inputs(folder: Path, repeat: int, level: str) -> list[tuple[str, Path, int]]:
    """(kind, file, pages) for each run: the sample as text, then as a scanned PDF."""
    text = SAMPLE.read_text("utf-8")
    out = []
    for run in range(repeat):
        plain = folder / f"plan-{run}.txt"
        plain.write_text(text + "\n" * run, "utf-8")
        out.append(("text (.txt)", plain, 1))
    pages = render_pages(text)
    for run in range(repeat):
        scan = folder / f"scan-{run}.pdf"
        save_pdf([degrade(p, level, seed=100 * run + i) for i, p in enumerate(pages)], scan)
        out.append((f"scan (image-only PDF, {level})", scan, len(pages)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--scan-level", default="light", choices=["clean", "light", "medium"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chithi-bench-") as folder:
        inputs = make_inputs(Path(folder), args.repeat, args.scan_level)
        # A noisy 9-page scan is about 28 MB as JPEG pages: more than the default 25 MB a file.
        with LocalServer(Path(folder) / "data", max_upload_mb=100) as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            page = browser.new_page(base_url=server.url)
            page.set_default_timeout(600_000)
            print(f"sample: {SAMPLE.name} ({len(SAMPLE.read_text('utf-8'))} characters)\n")
            print("| input | pages | run | upload → Directive 20 page (s) | OCR confidence | quality banner | coverage |")
            print("|---|---:|---:|---:|---:|---|---:|")
            seen: dict[str, int] = {}
            for kind, path, pages in inputs:
                seen[kind] = seen.get(kind, 0) + 1
                page.goto("/")
                page.set_input_files("input[type=file]", str(path))
                start = time.perf_counter()
                page.click("#upload-form button[type=submit]")
                page.wait_for_function("() => location.pathname.endsWith('/d20') || document.querySelector('#message') || "
                                       "(document.querySelector('#job') || {dataset: {}}).dataset.state === 'error'")
                if not page.url.endswith("/d20"):
                    failure = page.locator("#message, #job").first.inner_text()
                    print(f"| {kind} | {pages} | {seen[kind]} | failed: {' '.join(failure.split())} |")
                    print(server.log.read_text("utf-8", "replace")[-3000:])
                    continue
                page.wait_for_load_state("load")
                seconds = time.perf_counter() - start
                result = page.request.get(page.url.replace("/d20", "/comparison.json")).json()
                quality, overall = result["quality"], result["summary"]["overall"]
                confidence = f"{quality['ocr_confidence']:.0f}" if quality["ocr_confidence"] is not None else "–"
                note = " (first upload after start)" if kind == inputs[0][0] and seen[kind] == 1 else ""
                print(f"| {kind} | {pages} | {seen[kind]}{note} | {seconds:.1f} | {confidence} | {quality['level']} "
                      f"{', '.join(quality['reasons'])} | {round(100 * overall)}% |")
            browser.close()


if __name__ == "__main__":
    main()
