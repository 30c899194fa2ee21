"""Run `chithi extract` (the installed command) on files and validate every output line
against the published JSON Schema; print one row per document.

    .venv/bin/python scripts/check_outputs.py corpus/samples/*.txt corpus/pdf/*.pdf
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[1]
CHITHI = ROOT / ".venv" / "bin" / "chithi"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    schema = json.loads((ROOT / "schemas" / "document.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)

    print("| file | doc | valid | doc_type | number | issued | province | pages (OCR) | items |")
    print("|---|---:|---|---|---|---|---|---|---:|")
    failures = documents = 0
    for path in args.files:
        proc = subprocess.run([str(CHITHI), "extract", str(path)], capture_output=True, text=True)
        if proc.returncode != 0:
            failures += 1
            print(f"| {path.name} | – | exit {proc.returncode}: {proc.stderr.strip()} | | | | | | |")
            continue
        for line in proc.stdout.splitlines():
            record = json.loads(line)
            errors = list(validator.iter_errors(record))
            failures += bool(errors)
            documents += 1
            doc, src = record["document"], record["source"]
            items = sum(len(record[k]) for k in ("references", "markets", "targets", "agencies", "tasks", "deadlines", "funding"))
            print(f"| {path.name[:40]} | {src['index']} | {'yes' if not errors else errors[0].message[:60]} | "
                  f"{doc['doc_type']} | {doc['number']} | {doc['issued_date']} | {doc['province']} | "
                  f"{src['pages']} ({len(src['ocr_pages'])}) | {items} |")
    print(f"\n{documents} documents from {len(args.files)} files; {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
