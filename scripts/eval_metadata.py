"""Score the metadata stage against the hand-read gold (corpus/gold/metadata.json).

Runs the whole pipeline (ingest → repair → split → sections → metadata) on every file of
the gold and prints, per field, how many documents are right out of how many, separately
for the clean seed samples, the gazette PDFs and the noisy samples (000, 002). A document
the split did not find counts as wrong on every field.

    .venv/bin/python scripts/eval_metadata.py            # the table
    .venv/bin/python scripts/eval_metadata.py --errors   # and every wrong value
    .venv/bin/python scripts/eval_metadata.py --no-repair
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.core import extract, process  # noqa: E402
from pipeline.errors import UnsupportedFormat  # noqa: E402
from pipeline.ingest import ingest_text  # noqa: E402
import pipeline.metadata  # noqa: E402,F401  (registers the stages run here)
import pipeline.structure  # noqa: E402,F401

FIELDS = ("number", "issued_date", "doc_type", "province", "issuer.level", "issuer.kind")
SETS = ("clean", "pdf", "noisy")
STAGES = ["sections", "metadata"]


def records_of(path: Path, repair: bool):
    """The pipeline's records for a file; PDFs go through pdfplumber while ingest lacks them."""
    try:
        return extract(path, repair=repair, stages=STAGES)
    except UnsupportedFormat:
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            text = "\n\n".join(page.extract_text() or "" for page in pdf.pages)
        return process(ingest_text(text), repair=repair, stages=STAGES)


def value(document: dict, field: str):
    for part in field.split("."):
        document = (document or {}).get(part)
    return document


def same(field: str, gold, got) -> bool:
    if field == "number" and gold and got:
        return "".join(gold.split()).casefold() == "".join(got.split()).casefold()
    return gold == got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="print every wrong value")
    parser.add_argument("--no-repair", action="store_true", help="skip the repair stage")
    args = parser.parse_args()
    gold = json.loads((ROOT / "corpus/gold/metadata.json").read_text("utf-8"))["documents"]
    right: dict[tuple[str, str], int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    cache: dict[str, list] = {}
    for doc in gold:
        if doc["file"] not in cache:
            cache[doc["file"]] = records_of(ROOT / doc["file"], repair=not args.no_repair)
        records = cache[doc["file"]]
        got = records[doc["index"]].document.model_dump() if doc["index"] < len(records) else {}
        total[doc["set"]] += 1
        for field in FIELDS:
            if same(field, value(doc, field), value(got, field)):
                right[(doc["set"], field)] += 1
            elif args.errors:
                print(f"  {Path(doc['file']).name}#{doc['index']} {field}: gold {value(doc, field)!r} got {value(got, field)!r}")
    print_table(right, total)


def print_table(right, total) -> None:
    header = f"| field        | " + " | ".join(f"{s} ({total[s]} docs)" for s in SETS) + " |"
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for field in FIELDS:
        cells = [f"{right[(s, field)]}/{total[s]}".ljust(len(f"{s} ({total[s]} docs)")) for s in SETS]
        print(f"| {field:<12} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
