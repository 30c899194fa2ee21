"""Write every output chithi gives on a fixed input set, or compare two such snapshots.

    .venv/bin/python scripts/snapshot_outputs.py write /tmp/before     # before a change
    .venv/bin/python scripts/snapshot_outputs.py write /tmp/after      # after it
    .venv/bin/python scripts/snapshot_outputs.py diff /tmp/before /tmp/after

The input set: the five samples and the 16 gazette PDFs (full records, `pipeline.extract`),
the repaired text and repairs of each sample (`pipeline.repair`), the Directive 20
comparison of each sample (`pipeline.compare`), and 200 distinct held-out pieces of the
legal corpora (scripts/bench_batch.py's `--distinct` set: every fifth one stripped of its
marks). Only the public API is called, so a snapshot taken before a restructuring compares
with one taken after it. `pipeline_version` is left out of the records.

`diff` prints, per input, the fields that differ (first difference of each field), and
exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


def _inputs(distinct: int) -> list[Path]:
    from bench_batch import make_distinct_inputs

    samples = sorted((ROOT / "corpus" / "samples").glob("*.txt"))
    pdfs = sorted((ROOT / "corpus" / "pdf").glob("*.pdf"))
    folder = Path(tempfile.mkdtemp(prefix="chithi-snapshot-"))
    return samples + pdfs + (make_distinct_inputs(folder, distinct) if distinct else [])


def _record(record) -> dict:
    data = json.loads(record.model_dump_json())
    data.pop("pipeline_version", None)
    data["source"]["path"] = Path(data["source"]["path"]).name if data["source"]["path"] else None
    return data


def write(out: Path, distinct: int) -> None:
    import pipeline

    out.mkdir(parents=True, exist_ok=True)
    samples = sorted((ROOT / "corpus" / "samples").glob("*.txt"))
    with (out / "records.jsonl").open("w", encoding="utf-8") as handle:
        for path in _inputs(distinct):
            try:
                records = [_record(r) for r in pipeline.extract(str(path))]
            except Exception as err:  # the snapshot records failures too
                records = [{"error": f"{type(err).__name__}: {err}"}]
            handle.write(json.dumps({"input": path.name, "records": records}, ensure_ascii=False) + "\n")
    with (out / "repairs.jsonl").open("w", encoding="utf-8") as handle:
        for path in samples:
            fixed = pipeline.repair(path.read_text("utf-8"))
            handle.write(json.dumps({"input": path.name, "text": fixed.text,
                                     "repairs": [json.loads(r.model_dump_json()) for r in fixed.repairs]},
                                    ensure_ascii=False) + "\n")
    with (out / "comparisons.jsonl").open("w", encoding="utf-8") as handle:
        for path in samples:
            data = json.loads(pipeline.compare(str(path)).model_dump_json())
            data["plan"]["path"] = path.name
            handle.write(json.dumps({"input": path.name, "comparison": data}, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


def _first_difference(a, b, where: str = "") -> str | None:
    if type(a) is not type(b):
        return f"{where}: {str(a)[:80]!r} → {str(b)[:80]!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            found = _first_difference(a.get(key), b.get(key), f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        for index, (x, y) in enumerate(zip(a, b)):
            found = _first_difference(x, y, f"{where}[{index}]")
            if found:
                return found
        return None if len(a) == len(b) else f"{where}: {len(a)} items → {len(b)}"
    return None if a == b else f"{where}: {str(a)[:80]!r} → {str(b)[:80]!r}"


def diff(before: Path, after: Path) -> int:
    differences = 0
    for name in ("records.jsonl", "repairs.jsonl", "comparisons.jsonl"):
        old = [json.loads(line) for line in (before / name).read_text("utf-8").splitlines()]
        new = [json.loads(line) for line in (after / name).read_text("utf-8").splitlines()]
        if len(old) != len(new):
            print(f"{name}: {len(old)} inputs → {len(new)}")
            differences += 1
        for a, b in zip(old, new):
            found = _first_difference(a, b)
            if found:
                differences += 1
                print(f"{name} {a['input']}: {found}")
        print(f"{name}: {len(old)} inputs compared")
    print("identical" if not differences else f"{differences} inputs differ")
    return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("out", type=Path)
    w.add_argument("--distinct", type=int, default=200, help="Held-out corpus pieces (0: none).")
    d = sub.add_parser("diff")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "write":
        write(args.out, args.distinct)
        return 0
    return diff(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
