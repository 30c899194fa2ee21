"""Run the hostile-input suite (scripts/make_hostile_inputs.py) through the CLI and print its table.

    .venv/bin/python scripts/hostile_table.py /tmp/hostile            # small sizes (as the tests)
    .venv/bin/python scripts/hostile_table.py /tmp/hostile --full     # the issue's sizes (minutes)

Per case: the exit code, the first line on stderr (or the check of the result), the wall
time and the peak memory of the chithi process (its maximum resident set size, as GNU time
reports it: a child forked straight from this script would count this script's own memory
too). Exit status 1 when a case did not end as expected.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.make_hostile_inputs import Case, make_cases  # noqa: E402


@dataclass
class Outcome:
    case: Case
    code: int
    stderr: str
    note: str
    seconds: float
    peak_mb: float

    @property
    def ok(self) -> bool:
        return self.code in self.case.expect and not self.note.startswith("WRONG")


def run_case(case: Case, timeout: float = 900) -> Outcome:
    """Run chithi on one case; its exit code, first stderr line, check, time and peak memory
    (the child's maximum resident set size, from os.wait4)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_THREAD_LIMIT="1")
    peak_file = tempfile.NamedTemporaryFile(prefix="chithi-peak-", delete=False)
    peak_file.close()
    timer = ["/usr/bin/time", "-o", peak_file.name, "-f", "%M"] if os.path.exists("/usr/bin/time") else []
    started = time.perf_counter()
    process = subprocess.Popen([*timer, sys.executable, "-m", "pipeline.cli", *case.args],
                               stdin=subprocess.PIPE if case.stdin is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    streams: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda name=name, pipe=pipe: streams.__setitem__(name, pipe.read()))
               for name, pipe in (("stdout", process.stdout), ("stderr", process.stderr))]
    for reader in readers:
        reader.start()
    if case.stdin is not None:
        assert process.stdin is not None
        try:
            process.stdin.write(case.stdin)
            process.stdin.close()
        except BrokenPipeError:  # chithi stopped reading: what it said is in stderr
            pass
    killer = threading.Timer(timeout, lambda: os.killpg(process.pid, 9))  # time and chithi both
    killer.start()
    _, status, usage = os.wait4(process.pid, 0)
    killer.cancel()
    process.returncode = code = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    seconds = time.perf_counter() - started
    lines = [line for line in streams["stderr"].decode("utf-8", "replace").splitlines() if line.strip()]
    first = lines[0] if lines else ""
    note = ""
    if code == 0 and case.verify:
        try:
            note = "ok: " + case.verify(streams["stdout"])
        except Exception as err:  # a wrong result is a failure of the case, shown in the table
            note = f"WRONG: {type(err).__name__}: {err}"[:200]
    elif case.message and case.message not in first:
        note = f"WRONG: expected {case.message!r} in the message"
    peak_kb = Path(peak_file.name).read_text().strip().splitlines()[-1:] if timer else []
    os.unlink(peak_file.name)
    peak_mb = int(peak_kb[0]) / 1024 if peak_kb and peak_kb[0].isdigit() else usage.ru_maxrss / 1024
    return Outcome(case, code, first, note, seconds, peak_mb)


def print_table(outcomes: list[Outcome]) -> None:
    print("| case | exit | message or result | time s | peak MB |")
    print("|---|---:|---|---:|---:|")
    for o in outcomes:
        text = o.note if o.code == 0 or o.note.startswith("WRONG") else o.stderr
        text = text.replace("|", "\\|")
        if len(text) > 160:
            text = text[:157] + "…"
        flag = "" if o.ok else " ✗"
        print(f"| {o.case.name} | {o.code}{flag} | {text} | {o.seconds:.1f} | {o.peak_mb:.0f} |")
    bad = [o.case.name for o in outcomes if not o.ok]
    print(f"\n{len(outcomes) - len(bad)} of {len(outcomes)} cases as expected" + (f"; not: {', '.join(bad)}" if bad else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--full", action="store_true", help="The issue's sizes (50 MB text, 120 pages, …).")
    parser.add_argument("--only", default="", help="Run only the cases whose name holds this text.")
    args = parser.parse_args()
    outcomes = [run_case(case) for case in make_cases(args.folder, full=args.full) if args.only in case.name]
    print_table(outcomes)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
