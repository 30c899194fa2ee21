"""Time of each document stage, in ms per document, over the five sample plans.

    nice -n 10 .venv/bin/python scripts/bench_stages.py --rounds 5
    nice -n 10 .venv/bin/python scripts/bench_stages.py --rounds 1 --distinct 40

Every sample is ingested, repaired and split once; then every stage listed in
`pipeline/data/stages.json` runs over every document, in order, `--rounds` times (models are
loaded by a first, untimed round; every round's texts differ by a last line, so nothing
is reused from an earlier round; the loaded models are then frozen out of the garbage
collector's walks, as in a batch worker, `pipeline.batch.settle_heap`). The table prints each stage's mean time per document and
the total, in CPU time of this process (the machine is shared: wall-clock time would also
count the other users' jobs); repair is not included (see scripts/bench_repair.py). With --distinct N the
documents are N held-out corpus pieces (`bench_batch.make_distinct_inputs`) instead of the samples.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def base_records(paths: list[Path]):
    """The records as they enter the document stages: repaired, split, nothing extracted."""
    from pipeline.ingest import ingest_path
    from pipeline.runner import process

    return [r for path in paths for r in process(ingest_path(path), stages=[])]


def time_stages(records, names: list[str], timings: dict[str, float], round_number: int) -> None:
    """One pass; each round's texts end in their own copy line, so that no stage can reuse
    what it computed for the same text in an earlier round (as in scripts/bench_batch.py)."""
    from pipeline.document import Document
    from pipeline.registry import get_stage

    for base in records:
        record = base.model_copy(deep=True)
        record.text += f"\n\nBản sao số {round_number}.\n"
        doc = Document(record)
        for name in names:
            began = time.process_time()
            get_stage(name).run(doc)
            timings[name] += time.process_time() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the samples")
    parser.add_argument("--distinct", type=int, default=0, help="held-out corpus pieces instead of the samples")
    args = parser.parse_args()

    from pipeline.batch.work import settle_heap
    from pipeline.runner import document_stages

    if args.distinct:
        sys.path.insert(0, str(ROOT / "scripts"))
        from bench_batch import make_distinct_inputs

        paths = make_distinct_inputs(Path(tempfile.mkdtemp(prefix="chithi-stages-")), args.distinct)
    else:
        paths = sorted((ROOT / "corpus" / "samples").glob("00[0-4]_*.txt"))
    records = base_records(paths)
    names = [stage.name for stage in document_stages()]
    time_stages(records, names, {name: 0.0 for name in names}, 0)  # loads the models
    settle_heap()  # as a batch worker does after its warm-up: the collector leaves the models alone
    timings = {name: 0.0 for name in names}
    for round_number in range(1, args.rounds + 1):
        time_stages(records, names, timings, round_number)

    runs = args.rounds * len(records)
    print(f"{len(records)} documents from {len(paths)} {'distinct' if args.distinct else 'sample'} files, "
          f"{args.rounds} rounds, models loaded\n")
    print("| stage | CPU ms / document |")
    print("|---|---:|")
    for name in names:
        print(f"| {name} | {1000 * timings[name] / runs:.1f} |")
    print(f"| **total** | **{1000 * sum(timings.values()) / runs:.1f}** |")


if __name__ == "__main__":
    main()
