"""Time of each document stage, in ms per document, over the five sample plans.

    nice -n 10 .venv/bin/python scripts/bench_stages.py --rounds 5

Every sample is ingested, repaired and split once; then every stage listed in
`pipeline/data/stages.json` runs over every document, in order, `--rounds` times (models are
loaded by a first, untimed round; every round's texts differ by a last line, so nothing
is reused from an earlier round). The table prints each stage's mean time per document and
the total; repair is not included (see scripts/bench_repair.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def base_records(paths: list[Path]):
    """The records as they enter the document stages: repaired, split, nothing extracted."""
    from pipeline.core import process
    from pipeline.ingest import ingest_path

    return [r for path in paths for r in process(ingest_path(path), stages=[])]


def run_stages(records, names: list[str], timings: dict[str, float], round_number: int) -> None:
    """One pass; each round's texts end in their own copy line, so that no stage can reuse
    what it computed for the same text in an earlier round (as in scripts/bench_batch.py)."""
    from pipeline.registry import get_stage

    for base in records:
        record = base.model_copy(deep=True)
        record.text += f"\n\nBản sao số {round_number}.\n"
        for name in names:
            began = time.perf_counter()
            record = get_stage(name)(record)
            timings[name] += time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the samples")
    args = parser.parse_args()

    from pipeline.core import document_stages

    paths = sorted((ROOT / "corpus" / "samples").glob("00[0-4]_*.txt"))
    records = base_records(paths)
    names = list(document_stages())
    run_stages(records, names, {name: 0.0 for name in names}, 0)  # loads the models
    timings = {name: 0.0 for name in names}
    for round_number in range(1, args.rounds + 1):
        run_stages(records, names, timings, round_number)

    runs = args.rounds * len(records)
    print(f"{len(records)} documents from {len(paths)} sample files, {args.rounds} rounds, models loaded\n")
    print("| stage | ms / document |")
    print("|---|---:|")
    for name in names:
        print(f"| {name} | {1000 * timings[name] / runs:.1f} |")
    print(f"| **total** | **{1000 * sum(timings.values()) / runs:.1f}** |")


if __name__ == "__main__":
    main()
