"""Make (OCR output, true text) pages from a wide render distribution (scripts/render_common.py).

    # English-OCR channel: training pages (seen families, Pillow), evaluation pages on held-out text
    nice -n 10 .venv/bin/python scripts/render_ocr_pairs.py --split train --family seen --pages 240 --seed 1 \\
        --ocr eng-3,eng-4,eng-6 --out /tmp/chithi-ocr/wide-train.jsonl
    nice -n 10 .venv/bin/python scripts/render_ocr_pairs.py --split heldout --family seen --pages 32 --seed 7 \\
        --ocr eng-3,eng-4,eng-6 --out /tmp/chithi-ocr/wide-seen.jsonl
    nice -n 10 .venv/bin/python scripts/render_ocr_pairs.py --split heldout --family unseen --pages 30 --seed 7 \\
        --ocr eng-3,eng-4,eng-6 --out /tmp/chithi-ocr/wide-unseen.jsonl
    # Vietnamese OCR as chithi reads a scan (pipeline.ingest.ocr, tesseract -l vie)
    nice -n 10 .venv/bin/python scripts/render_ocr_pairs.py --split train --family seen --pages 120 --seed 2 \\
        --ocr chithi --out /tmp/chithi-ocr/vie-train.jsonl

--family seen: the SEEN fonts drawn by Pillow; unseen: the UNSEEN fonts laid out by LibreOffice;
boxes: Liberation 1.x drawn by Pillow, which has no glyph for most Vietnamese letters (a PDF
shown without its fonts) (render_common.py). Every page gets one font, size (10–14 pt), resolution (150–300 dpi), line
spacing, alignment, degradation (clean, blur, noise, jpeg, skew, scan, fax) and OCR setting
(one of --ocr: eng-3 is Tesseract's default page segmentation, eng-4 / eng-6 single-column)
drawn from its seed; a few lines are headings (capitals, bold, centred) or italic.

Each output line: {"page", "split", "path", "font", "size", "dpi", "degradation", "params",
"ocr_setting", "source", "ocr", "pairs": [[true, observed], ...]} — the fields
scripts/train_channel.py and scripts/eval_garble.py read.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr_common import token_pairs  # noqa: E402
from render_common import (  # noqa: E402
    CACHE,
    DEGRADATIONS,
    FAMILIES,
    RENDER_FAMILIES,
    Spec,
    check_fonts,
    libreoffice_pdfs,
    make_spec,
    page_image,
    page_texts,
    read_page,
)


def process(job: tuple[Spec, Path | None, str, str]) -> dict:
    os.nice(5)
    spec, pdf, ocr_setting, split = job
    png, source, params = page_image(spec, {spec.key(): pdf} if pdf else {})
    observed = read_page(png, spec, ocr_setting)
    return {
        "page": spec.page, "split": split, "path": spec.path, "font": spec.family,
        "like": FAMILIES[spec.family].like, "size": spec.pt, "dpi": spec.dpi, "degradation": spec.degradation,
        "params": params, "ocr_setting": ocr_setting, "source": source, "ocr": observed,
        "pairs": token_pairs(source, observed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("train", "heldout"), default="train")
    parser.add_argument("--family", choices=tuple(RENDER_FAMILIES), default="seen")
    parser.add_argument("--path", choices=("pil", "docx"), help="override the family's render path")
    parser.add_argument("--fonts", default="", help="comma-separated family names (override the family's fonts)")
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ocr", default="eng-3,eng-4,eng-6", help="OCR settings drawn per page: eng-N (psm N) or chithi")
    parser.add_argument("--degradations", default=",".join(DEGRADATIONS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    path, fonts = RENDER_FAMILIES[args.family]
    path = args.path or path
    fonts = tuple(f.strip() for f in args.fonts.split(",") if f.strip()) or fonts
    check_fonts(fonts)
    settings = tuple(s.strip() for s in args.ocr.split(","))
    degradations = tuple(d.strip() for d in args.degradations.split(","))
    began = time.time()
    texts = page_texts(args.split, args.pages, args.seed)
    print(f"{len(texts)} page texts in {time.time() - began:.0f} s", file=sys.stderr)
    specs = [make_spec(page, lines, path, fonts, args.seed * 100_003 + index, degradations)
             for index, (page, lines) in enumerate(texts)]
    draw = random.Random(args.seed)
    chosen = [draw.choice(settings) for _ in specs]
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chithi-render-") as tmp:
        pdfs: dict[str, Path] = {}
        if path == "docx":
            todo = [s for s in specs if not (CACHE / f"{s.key()}.png").exists()]
            if todo:
                pdfs = libreoffice_pdfs(todo, Path(tmp))
                print(f"{len(todo)} documents laid out by LibreOffice in {time.time() - began:.0f} s", file=sys.stderr)
        jobs = [(spec, pdfs.get(spec.key()), setting, args.split) for spec, setting in zip(specs, chosen)]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with Pool(args.workers) as pool, args.out.open("w", encoding="utf-8") as handle:
            for done, record in enumerate(pool.imap(process, jobs), 1):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                if done % 20 == 0:
                    print(f"{done}/{len(jobs)} pages, {time.time() - began:.0f} s", file=sys.stderr)
    print(f"{len(jobs)} pages → {args.out} in {time.time() - began:.0f} s")


if __name__ == "__main__":
    main()
