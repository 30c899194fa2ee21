"""Make parallel (English-OCR output, true text) data for the garble channel.

Renders Vietnamese text to page images (DejaVu fonts, sizes, blur, resolution loss), OCRs
them with `tesseract -l eng` and aligns the output to its source. Pages come from the
TRAINING part of /work/shared/corpora/legal (never the held-out 2 %, see ocr_common.heldout)
plus the clean sample plans 001/003/004; `--split heldout` makes evaluation pages from the
held-out documents only.

    nice -n 10 .venv/bin/python scripts/make_ocr_pairs.py --pages 160 --out /tmp/chithi-ocr/train.jsonl
    nice -n 10 .venv/bin/python scripts/make_ocr_pairs.py --split heldout --pages 30 --out /tmp/chithi-ocr/heldout.jsonl

Each output line: {"page", "font", "size", "degradation", "source", "ocr", "pairs": [[true, observed], ...]}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr_common import (  # noqa: E402
    FONTS,
    compose_page,
    corpus_documents,
    ocr_english,
    prose_lines,
    sample_plans,
    token_pairs,
)

LINES_PER_PAGE = 22


def page_texts(split: str, pages: int, seed: int) -> list[tuple[str, list[str]]]:
    """Choose (page id, source lines) windows spread over the documents of the split."""
    rng = random.Random(seed)
    documents = [(doc_id, prose_lines(text)) for doc_id, text in corpus_documents(split)]
    if split == "train":  # the same law can sit in two corpora: drop lines of held-out documents
        held = {line for _, text in corpus_documents("heldout") for line in prose_lines(text)}
        documents = [(doc_id, [x for x in lines if x not in held]) for doc_id, lines in documents]
        documents += [(doc_id, prose_lines(text)) for doc_id, text in sample_plans()]
    documents = [(doc_id, lines) for doc_id, lines in documents if len(lines) >= 5]
    rng.shuffle(documents)
    chosen = []
    while len(chosen) < pages and documents:
        for doc_id, lines in documents:
            if len(chosen) >= pages:
                break
            start = rng.randrange(max(1, len(lines) - LINES_PER_PAGE))
            chosen.append((f"{doc_id}#{start}", lines[start:start + LINES_PER_PAGE]))
    return chosen


def render_and_read(job: tuple[str, list[str], int, tuple[str, ...]]) -> dict:
    os.nice(10)
    page_id, lines, seed, fonts = job
    page, image = compose_page(page_id, lines, random.Random(seed), fonts)
    observed = ocr_english(image)
    return {
        "page": page.page_id, "font": page.font, "size": page.size, "degradation": page.degradation,
        "source": page.source, "ocr": observed,
        "pairs": token_pairs(page.source, observed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("train", "heldout"), default="train")
    parser.add_argument("--pages", type=int, default=160)
    parser.add_argument("--seed", type=int, default=20221212)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fonts", default="", help="only fonts whose file path contains this (e.g. liberation)")
    args = parser.parse_args()

    texts = page_texts(args.split, args.pages, args.seed)
    fonts = tuple(f for f in FONTS if args.fonts.lower() in f.lower())
    jobs = [(page_id, lines, args.seed + index, fonts) for index, (page_id, lines) in enumerate(texts)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    began = time.time()
    with Pool(args.workers) as pool, args.out.open("w", encoding="utf-8") as handle:
        for done, record in enumerate(pool.imap(render_and_read, jobs), 1):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            if done % 20 == 0:
                print(f"{done}/{len(jobs)} pages, {time.time() - began:.0f} s", file=sys.stderr)
    print(f"{len(jobs)} pages → {args.out} in {time.time() - began:.0f} s")


if __name__ == "__main__":
    main()
