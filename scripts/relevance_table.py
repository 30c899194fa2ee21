"""Which documents of the corpus are plans for Directive 20: the relevance check of
`chithi compare` on every document of every sample and gazette PDF.

    .venv/bin/python scripts/relevance_table.py            # corpus/samples and corpus/pdf
    .venv/bin/python scripts/relevance_table.py FILE …     # other files

Prints one row per document (a file may hold several: a cover letter, then its plan):
type, whether it is a plan, its relation to the directive, and whether it would be scored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.compare import load_reference, relevance_of  # noqa: E402
from pipeline.compare.notices import doc_type_name  # noqa: E402
from pipeline.errors import ChithiError  # noqa: E402
from pipeline.runner import extract  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    files = args.files or sorted((ROOT / "corpus/samples").glob("*.txt")) + sorted((ROOT / "corpus/pdf").glob("*.pdf"))
    reference = load_reference("directive-20")
    print("| file | doc | type | number | plan | relation | scored | flag |")
    print("|---|---:|---|---|---|---|---|---|")
    counts = {True: 0, False: 0}
    for path in files:
        try:
            records = extract(path)
        except ChithiError as err:
            print(f"| {path.name} | – | error: {err.message} | | | | | |")
            continue
        for record in records:
            r = relevance_of(record, reference)
            counts[r.scored] += 1
            flag = "" if r.scored else "not a plan for Directive 20"
            print(f"| {path.name[:48]} | {record.source.index + 1}/{record.source.count} | {doc_type_name(r.doc_type)} | "
                  f"{record.document.number or '–'} | {'yes' if r.is_plan else 'no' if r.is_plan is False else '?'} | "
                  f"{r.relation} | {'yes' if r.scored else 'no'} | {flag} |")
    print(f"\n{counts[True]} documents scored, {counts[False]} flagged as not plans for Directive 20")


if __name__ == "__main__":
    main()
