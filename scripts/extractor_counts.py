"""How many markets, targets, checks, deadlines and funding items each file yields.

    .venv/bin/python scripts/extractor_counts.py corpus/pdf/*.pdf
    .venv/bin/python scripts/extractor_counts.py --show corpus/pdf/thong-tu-so-06-2023-tt-bldtbxh-39796.pdf

A sanity check on documents without gold: on laws and circulars (not plans) every
market or target printed here is a false positive worth reading with --show.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.errors import ChithiError  # noqa: E402
from pipeline.runner import extract  # noqa: E402

FIELDS = ("markets", "targets", "checks", "deadlines", "funding")


def describe(field: str, item) -> str:
    text = " ".join(getattr(item, "text", "").split())[:90]
    if field == "markets":
        return f"{item.code or item.name} ({len(item.mentions)} mentions)"
    if field == "targets":
        return f"{item.metric} {item.value} {item.value_max} {item.unit} {item.scope}: {text}"
    if field == "checks":
        return f"{item.kind} passed={item.passed} {item.message}"
    if field == "deadlines":
        return f"{item.date} {item.recurrence}: {text}"
    return f"{item.kind} {item.amount} {item.unit}: {text}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--show", action="store_true", help="Print every item, not only counts.")
    args = parser.parse_args(argv)

    print(f"{'file':<48} {'doc':>3} " + " ".join(f"{f:>9}" for f in FIELDS))
    totals = dict.fromkeys(FIELDS, 0)
    for path in args.files:
        try:
            records = extract(path)
        except ChithiError as err:
            print(f"{path.name[:48]:<48} error: {err}")
            continue
        for record in records:
            counts = {f: len(getattr(record, f)) for f in FIELDS}
            for f in FIELDS:
                totals[f] += counts[f]
            print(f"{path.name[:48]:<48} {record.source.index:>3} " + " ".join(f"{counts[f]:>9}" for f in FIELDS))
            if args.show:
                for f in FIELDS:
                    for item in getattr(record, f):
                        print(f"    {f}: {describe(f, item)}")
    print(f"{'total':<48} {'':>3} " + " ".join(f"{totals[f]:>9}" for f in FIELDS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
