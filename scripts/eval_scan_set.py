"""OCR of the scan set (scripts/scan_set.py): chithi against raw `tesseract -l vie`, per family.

    nice -n 10 .venv/bin/python scripts/eval_scan_set.py --split test

Each page image is written to a file (PNG, or JPEG for the jpeg family) and read by both:
raw Tesseract as `tesseract page.png stdout -l vie` (what a user would run), chithi as
`ingest_path(page.png)` (decoding, the clean-up it chooses, Tesseract). Both run with
OMP_THREAD_LIMIT=1, one page at a time, alternating which goes first, so that load from
other jobs falls on both; the time ratio is chithi's wall time over raw Tesseract's on the
same pages (CPU seconds, this process and its children, are given beside). CER: Levenshtein
distance over the reference length, on whitespace-collapsed NFC text, summed over pages;
"worse" counts pages where chithi's CER is more than 0.5 points above raw Tesseract's.
`--engine` adds the CER of the Tesseract chithi runs in-process (tesserocr) on the page as
it is, which tells the engine's share from the clean-up's and the layout's (untimed).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.scan_set import FAMILIES, SPLIT, scan_pages  # noqa: E402

WORSE = 0.005


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Side:
    errors: int = 0
    chars: int = 0
    seconds: float = 0.0
    cpu: float = 0.0

    def add(self, hypothesis: str, reference: str, seconds: float, cpu: float) -> float:
        distance = Levenshtein.distance(normalise(hypothesis), normalise(reference))
        self.errors += distance
        self.chars += len(normalise(reference))
        self.seconds += seconds
        self.cpu += cpu
        return distance / max(len(normalise(reference)), 1)

    @property
    def cer(self) -> float:
        return self.errors / max(self.chars, 1)


@dataclass
class Family:
    raw: Side = field(default_factory=Side)
    chithi: Side = field(default_factory=Side)
    engine: Side = field(default_factory=Side)
    pages: int = 0
    worse: list[str] = field(default_factory=list)


def raw_tesseract(path: Path) -> str:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    run = subprocess.run(["tesseract", str(path), "stdout", "-l", "vie"], capture_output=True, text=True, env=env, check=True)
    return run.stdout


STEPS: dict[str, list[str]] = {}  # page file → the clean-up steps chithi took


def chithi(path: Path) -> str:
    """What `ingest_path` does for an image, keeping the steps each page took."""
    from pipeline.ingest.image import open_image_pages
    from pipeline.ingest.limits import read_file
    from pipeline.ingest.ocr import ocr_pages

    frames, images = open_image_pages(path, read_file(path))
    results = ocr_pages(images, total=frames)
    STEPS[path.name] = [step for r in results for step in r.steps]
    return "\n\n".join(r.text for r in results)


def engine_as_is(path: Path) -> str:
    """The Tesseract that chithi runs (tesserocr's), on the page as it is: what the engine
    alone gives, apart from the clean-up and the layout."""
    from PIL import Image

    from pipeline.ingest.ocr import _api

    with _api() as api, Image.open(path) as image:
        api.SetImage(image.convert("L"))
        api.SetSourceResolution(round(image.info.get("dpi", (300, 300))[0]))
        return api.GetUTF8Text()


def timed(fn, path: Path) -> tuple[str, float, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    text = fn(path)
    return text, time.perf_counter() - wall, cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SPLIT), default="dev")
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--verbose", action="store_true", help="One line per page.")
    parser.add_argument("--engine", action="store_true", help="Also chithi's Tesseract on the page as it is.")
    args = parser.parse_args()
    from pipeline.ingest.ocr import tesseract_ready

    tesseract_ready()
    families: dict[str, Family] = defaultdict(Family)
    with tempfile.TemporaryDirectory(prefix="chithi-scans-") as tmp:
        for index, page in enumerate(scan_pages(args.split, tuple(args.families.split(",")))):
            path = page.save(Path(tmp))
            runs = [("raw", raw_tesseract), ("chithi", chithi)]
            if index % 2:
                runs.reverse()
            got = {name: timed(fn, path) for name, fn in runs}
            tally = families[page.family]
            if args.engine:
                tally.engine.add(*timed(engine_as_is, path)[:1], page.reference, 0.0, 0.0)
            tally.pages += 1
            raw_cer = tally.raw.add(got["raw"][0], page.reference, *got["raw"][1:])
            our_cer = tally.chithi.add(got["chithi"][0], page.reference, *got["chithi"][1:])
            if our_cer > raw_cer + WORSE:
                tally.worse.append(page.id)
            if args.verbose:
                print(f"{page.id:60s} raw {raw_cer:7.2%} {got['raw'][1]:5.1f}s  chithi {our_cer:7.2%} {got['chithi'][1]:5.1f}s"
                      f"  {'+'.join(STEPS[path.name]) or '-'}", flush=True)
            path.unlink()
    print(f"\nsplit {args.split}: {', '.join(SPLIT[args.split])}\n")
    import tesserocr

    version = tesserocr.tesseract_version().split()[1]
    engine = f" in-process Tesseract {version} as is |" if args.engine else ""
    print(f"| family | pages | chithi CER | tesseract CER |{engine} worse pages | chithi s/page | tesseract s/page "
          "| time ratio | CPU ratio |")
    print("|---|---:|---:|---:|" + ("---:|" if args.engine else "") + "---:|---:|---:|---:|---:|")
    total = Family()
    for name in FAMILIES:
        if name not in families:
            continue
        f = families[name]
        _row(name, f, args.engine)
        for side, into in ((f.raw, total.raw), (f.chithi, total.chithi), (f.engine, total.engine)):
            into.errors += side.errors
            into.chars += side.chars
            into.seconds += side.seconds
            into.cpu += side.cpu
        total.pages += f.pages
        total.worse += f.worse
    _row("all", total, args.engine)
    for f in families.values():
        for page_id in f.worse:
            print(f"worse: {page_id}")


def _row(name: str, f: Family, engine: bool) -> None:
    extra = f" {f.engine.cer:.2%} |" if engine else ""
    print(f"| {name} | {f.pages} | {f.chithi.cer:.2%} | {f.raw.cer:.2%} |{extra} {len(f.worse)} | "
          f"{f.chithi.seconds / f.pages:.2f} | {f.raw.seconds / f.pages:.2f} | {f.chithi.seconds / f.raw.seconds:.2f} | "
          f"{f.chithi.cpu / max(f.raw.cpu, 1e-9):.2f} |", flush=True)


if __name__ == "__main__":
    main()
