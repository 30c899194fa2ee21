"""Run time of one comparison with Directive 20 (target: ≤ 2 s for a 20-page plan, models loaded).

    .venv/bin/python scripts/bench_compare.py [--pages 20] [--repeat 5]

The long plan is made by concatenating the clean sample plans until it reaches the page
count (2,800 characters a page, about one A4 page of a Vietnamese plan). The first run
loads every model; the table reports the median of the following runs, for the
comparison alone (passages, scoring, evidence, additions) and for extract + compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.compare import compare_record, load_reference, render  # noqa: E402
from pipeline.runner import compare, extract  # noqa: E402

CHARS_PER_PAGE = 2800
CLEAN_SAMPLES = ("001", "003", "004")


def long_plan(pages: int) -> str:
    texts = [next((ROOT / "corpus/samples").glob(f"{prefix}_*.txt")).read_text("utf-8") for prefix in CLEAN_SAMPLES]
    out, i = [], 0
    while sum(map(len, out)) < pages * CHARS_PER_PAGE:
        out.append(texts[i % len(texts)])
        i += 1
    return "\n\n".join(out)[: pages * CHARS_PER_PAGE]


def timed(fn, repeat: int) -> tuple[float, float]:
    """(first run, median of the next `repeat` runs) in seconds."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return first, statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    text = long_plan(args.pages)
    reference = load_reference("directive-20")
    (record,) = extract(text)[:1]
    rows = [
        ("compare (record already extracted)", *timed(lambda: compare_record(record, reference, "directive-20"), args.repeat)),
        ("compare + HTML report", *timed(lambda: render(compare_record(record, reference, "directive-20"), "html"), args.repeat)),
        ("extract + compare (text in, with repair)", *timed(lambda: compare(text), max(1, args.repeat // 2))),
    ]
    print(f"plan: {args.pages} pages, {len(text):,} characters, {len(record.text):,} after repair")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (shared machines inflate times)\n")
    print("| step | first run (s) | median (s) |")
    print("|---|---:|---:|")
    for name, first, median in rows:
        print(f"| {name} | {first:.2f} | {median:.2f} |")


if __name__ == "__main__":
    main()
