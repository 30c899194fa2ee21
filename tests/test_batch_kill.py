"""SIGKILL `chithi batch` at random moments, resume, and get exactly one record per document."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from .conftest import SAMPLES

FILES = 40
KILLS = 3


def _make_inputs(folder: Path) -> None:
    """40 small plans cut from the samples (each one different), plus two files that must fail."""
    folder.mkdir()
    texts = [p.read_text("utf-8") for p in sorted(SAMPLES.glob("*.txt"))]
    for n in range(FILES):
        text = texts[n % len(texts)]
        start = (n * 397) % max(1, len(text) - 2500)
        (folder / f"kế hoạch {n:02d}.txt").write_text(text[:600] + text[start:start + 1900], "utf-8")
    (folder / "rỗng.txt").write_bytes(b"")
    (folder / "bảng tính.xlsx").write_bytes(b"PK\x03\x04 not a plan")


def _batch(inputs: Path, out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipeline.cli", "batch", str(inputs), "-o", str(out),
               "--workers", "2", "--no-repair", "--no-parquet", *extra]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=Path(__file__).parents[1])


def _outputs(out: Path) -> tuple[Counter, dict, Counter]:
    keys, texts = Counter(), {}
    for line in (out / "documents.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)
        key = (record["source"]["sha256"], record["source"]["index"])
        keys[key] += 1
        texts[key] = record["text"]
    errors = Counter(
        (e["path"], e["error"]) for e in map(json.loads, (out / "errors.jsonl").read_text("utf-8").splitlines())
    )
    return keys, texts, errors


def test_sigkill_and_resume_give_exactly_one_record_per_document(tmp_path):
    inputs = tmp_path / "lưu trữ"
    _make_inputs(inputs)

    started = time.monotonic()
    clean = _batch(inputs, tmp_path / "clean")
    assert clean.wait(timeout=300) == 3, clean.stderr.read().decode()
    clean_seconds = time.monotonic() - started
    want_keys, want_texts, want_errors = _outputs(tmp_path / "clean")
    assert len({sha for sha, _ in want_keys}) == FILES and set(want_keys.values()) == {1}

    seed = int(os.environ.get("CHITHI_KILL_SEED", time.time_ns()))
    rng, why = random.Random(seed), f"(rerun with CHITHI_KILL_SEED={seed})"
    out, killed_mid_run = tmp_path / "killed", 0
    for attempt in range(KILLS):
        proc = _batch(inputs, out, *(["--resume"] if attempt else []))
        if attempt == 0:  # once when some records are written: a kill that is surely mid-run
            _wait_for_lines(proc, out / "documents.jsonl", rng.randint(1, FILES // 2))
        else:  # then at any moment, start-up and the last commit included
            time.sleep(rng.uniform(0.2, 0.9) * clean_seconds)
        killed_mid_run += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    final = _batch(inputs, out, "--resume")
    assert final.wait(timeout=300) == 3, final.stderr.read().decode()

    got_keys, got_texts, got_errors = _outputs(out)
    assert killed_mid_run >= 1, f"every kill came too late to test anything {why}"
    assert [k for k, n in got_keys.items() if n > 1] == [], f"documents written twice {why}"
    assert set(got_keys) == set(want_keys), f"documents lost or invented {why}"
    assert got_texts == want_texts, why
    assert got_errors == want_errors and set(got_errors.values()) == {1}, f"{got_errors} {why}"


def _wait_for_lines(proc: subprocess.Popen, path: Path, lines: int, timeout: float = 120.0) -> None:
    """Return once `path` holds `lines` lines (committed or not) or the process has ended."""
    ends = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < ends:
        if path.exists() and path.read_bytes().count(b"\n") >= lines:
            return
        time.sleep(0.005)
