"""Score the metadata stage against the hand-read gold (corpus/gold/metadata.json).

Runs the whole pipeline (ingest → repair → split → sections → metadata) on every file of
the gold and prints, per field, how many documents are right out of how many, separately
for the clean seed samples, the gazette PDFs and the noisy samples (000, 002). A document
the split did not find counts as wrong on every field.

    .venv/bin/python scripts/eval_metadata.py            # the table
    .venv/bin/python scripts/eval_metadata.py --errors   # and every wrong value
    .venv/bin/python scripts/eval_metadata.py --no-repair
    .venv/bin/python scripts/eval_metadata.py --congbao   # also the held-out gazette check

--congbao scores the metadata reader (on normalised text, without repair) on the gazette
texts of /work/shared/corpora/legal/congbao.jsonl.gz, none of which was looked at while
writing the rules: their file names ('thong-tu-so-05-2022-tt-bldtbxh-36995.txt') give the
document type and number, and every gazette document is issued at central level. Texts
that are also among corpus/pdf are left out. Consolidated texts (van-ban-hop-nhat) are
scored on the number only: their type is that of the text they consolidate.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.errors import UnsupportedFormat  # noqa: E402
from pipeline.ingest import ingest_text  # noqa: E402
from pipeline.repair.normalize import normalize  # noqa: E402
from pipeline.runner import process, run_stages  # noqa: E402
from pipeline.structure.metadata import read_metadata  # noqa: E402
from pipeline.text.fold import fold  # noqa: E402

FIELDS = ("number", "issued_date", "doc_type", "province", "issuer.level", "issuer.kind")
SETS = ("clean", "pdf", "noisy")
STAGES = ["sections", "metadata"]


def records_of(path: Path, repair: bool):
    """The pipeline's records for a file; PDFs go through pdfplumber while ingest lacks them."""
    try:
        return run_stages(path, repair=repair, stages=STAGES)
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
    parser.add_argument("--congbao", action="store_true", help="also score the held-out gazette texts")
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
    if args.congbao:
        print()
        congbao(args.errors)


CONGBAO = Path("/work/shared/corpora/legal/congbao.jsonl.gz")
ID = re.compile(r"(?:.*__)?(?P<type>[a-z-]+?)-so-(?P<number>.+)-\d+\.txt")
ID_TYPES = {"thong-tu": "thong_tu", "thong-tu-lien-tich": "thong_tu", "nghi-dinh": "nghi_dinh",
            "nghi-quyet": "nghi_quyet", "quyet-dinh": "quyet_dinh", "luat": "luat", "chi-thi": "chi_thi",
            "thong-bao": "thong_bao", "van-ban-hop-nhat": None}


def number_key(number: str | None) -> str:
    """'07/2022/TT-BLĐTBXH' and the file-name form '07-2022-tt-bldtbxh' compare equal."""
    key = re.sub(r"[^0-9a-z]+", "-", fold(number or "")).strip("-")
    return re.sub(r"^0+(?=\d)", "", key)  # '07-2026-tt-bnv' is named '7-2026-tt-bnv'



def congbao(show_errors: bool) -> None:
    known = {p.stem for p in (ROOT / "corpus/pdf").glob("*.pdf")}
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    with gzip.open(CONGBAO, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            match = ID.fullmatch(record["id"])
            if not match or record["id"].split("__")[-1][:-4] in known or match["type"] not in ID_TYPES:
                continue
            info = read_metadata(normalize(record["text"]))
            checks = {"number": number_key(info.number) == number_key(match["number"]), "issuer.level": info.issuer.level == "central"}
            if ID_TYPES[match["type"]]:
                checks["doc_type"] = info.doc_type == ID_TYPES[match["type"]]
            for field, ok in checks.items():
                total[field] += 1
                right[field] += ok
                if show_errors and not ok:
                    print(f"  {record['id']} {field}: got {info.number if field == 'number' else info.doc_type if field == 'doc_type' else info.issuer.level!r}")
    print("| field (held-out gazette texts) | right / total |")
    print("|--------------------------------|---------------|")
    for field in ("number", "doc_type", "issuer.level"):
        print(f"| {field:<30} | {right[field]}/{total[field]} ({100 * right[field] / max(total[field], 1):.1f}%) |")


def print_table(right, total) -> None:
    header = "| field        | " + " | ".join(f"{s} ({total[s]} docs)" for s in SETS) + " |"
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for field in FIELDS:
        cells = [f"{right[(s, field)]}/{total[s]}".ljust(len(f"{s} ({total[s]} docs)")) for s in SETS]
        print(f"| {field:<12} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
