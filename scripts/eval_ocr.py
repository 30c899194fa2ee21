"""OCR accuracy and speed: chithi's ingestion against raw `tesseract` on the same scans.

The clean sample plans (001, 003, 004) are typeset at 300 dpi (scripts/make_scans.py),
degraded at three levels and saved as image-only PDFs. chithi reads each PDF through
`ingest_path` (page image extraction, per-page clean-up, parallel Tesseract); the baseline
runs `tesseract page.png - -l vie` on the very page images inside those PDFs. Both are timed
on the same pages, interleaved (alternating which goes first), so load from other jobs on a
shared machine falls on both; CPU seconds (this process and its children, i.e. the
tesseract processes) are reported beside wall-clock seconds because they depend much less
on what else the machine is doing. CER = Levenshtein distance / reference length on
whitespace-normalised NFC text, summed over pages.

    nice -n 10 .venv/bin/python scripts/eval_ocr.py --pages 2
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.ingest import ingest_path  # noqa: E402
from scripts.make_scans import LEVELS, degrade, page_texts, render_pages, save_pdf  # noqa: E402

SAMPLES = ("001", "003", "004")


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass
class Tally:
    errors: int = 0
    chars: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    pages: int = 0
    per_doc: list[float] = field(default_factory=list)

    def add(self, hypothesis: str, reference: str, seconds: float, cpu: float, pages: int) -> None:
        hyp, ref = normalise(hypothesis), normalise(reference)
        distance = Levenshtein.distance(hyp, ref)
        self.errors += distance
        self.chars += len(ref)
        self.seconds += seconds
        self.cpu += cpu
        self.pages += pages
        self.per_doc.append(distance / len(ref))

    @property
    def cer(self) -> float:
        return self.errors / self.chars

    @property
    def per_page(self) -> float:
        return self.seconds / self.pages

    @property
    def cpu_per_page(self) -> float:
        return self.cpu / self.pages


def cpu_seconds() -> float:
    """CPU time used so far by this process (all threads) and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def embedded_images(pdf: Path, out_dir: Path) -> list[Path]:
    """The page images inside an image-only PDF, saved losslessly for the CLI baseline."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    paths = []
    for index, page in enumerate(document):
        (image,) = list(page.get_objects())
        path = out_dir / f"{pdf.stem}.p{index + 1}.png"
        image.get_bitmap(render=False).to_pil().save(path)
        paths.append(path)
    document.close()
    return paths


def run_chithi(pdf: Path) -> tuple[str, float]:
    start = time.perf_counter()
    text = ingest_path(pdf).text
    return text, time.perf_counter() - start


def run_tesseract(images: list[Path]) -> tuple[str, float]:
    start = time.perf_counter()
    texts = [
        subprocess.run(["tesseract", str(p), "-", "-l", "vie"], capture_output=True, text=True, check=True).stdout
        for p in images
    ]
    return "\n\n".join(texts), time.perf_counter() - start


def warm_up() -> None:
    """Pay chithi's one-time costs (imports, Tesseract check) before any timing starts."""
    import pdfplumber  # noqa: F401
    import pypdfium2  # noqa: F401

    from pipeline.ingest.ocr import tesseract_ready

    tesseract_ready()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2, help="Pages per sample (from the start).")
    parser.add_argument("--levels", nargs="+", choices=LEVELS, default=list(LEVELS))
    args = parser.parse_args()

    warm_up()
    results = {(level, method): Tally() for level in args.levels for method in ("chithi", "tesseract")}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        turn = 0
        for prefix in SAMPLES:
            (source,) = (ROOT / "corpus" / "samples").glob(f"{prefix}_*.txt")
            plan = source.read_text("utf-8")
            reference = "\n\n".join(page_texts(plan, max_pages=args.pages))
            clean = render_pages(plan, max_pages=args.pages)
            for level in args.levels:
                pages = [degrade(p, level, seed=int(prefix) * 100 + i) for i, p in enumerate(clean)]
                pdf = save_pdf(pages, work / f"{prefix}.{level}.pdf")
                images = embedded_images(pdf, work)
                runs = [("chithi", lambda: run_chithi(pdf)), ("tesseract", lambda: run_tesseract(images))]
                for method, run in runs[::-1] if turn % 2 else runs:
                    cpu = cpu_seconds()
                    text, seconds = run()
                    cpu = cpu_seconds() - cpu
                    results[level, method].add(text, reference, seconds, cpu, len(pages))
                    print(f"{prefix} {level:5s} {method:9s} CER {results[level, method].per_doc[-1]:7.2%}  "
                          f"{seconds / len(pages):5.1f} s/page  {cpu / len(pages):5.1f} CPU s/page",
                          file=sys.stderr, flush=True)
                turn += 1

    print(f"\nOCR on typeset sample plans {', '.join(SAMPLES)} ({args.pages} pages each, 300 dpi, image-only PDF)\n")
    print("| level | pages | chithi CER | tesseract CER | chithi s/page | tesseract s/page | wall ratio "
          "| chithi CPU s/page | tesseract CPU s/page |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for level in args.levels:
        ours, raw = results[level, "chithi"], results[level, "tesseract"]
        print(f"| {level} | {ours.pages} | {ours.cer:.2%} | {raw.cer:.2%} | {ours.per_page:.1f} | "
              f"{raw.per_page:.1f} | {ours.per_page / raw.per_page:.2f} | {ours.cpu_per_page:.1f} | "
              f"{raw.cpu_per_page:.1f} |")


if __name__ == "__main__":
    main()
