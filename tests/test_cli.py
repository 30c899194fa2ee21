"""The command line's contract: version, logging levels, standard input, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pipeline
from pipeline.cli import EXIT_CODES

from .conftest import sample

CHITHI = [sys.executable, "-m", "pipeline.cli"]


def chithi(*arguments: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CHITHI, *arguments], input=stdin, capture_output=True, timeout=300)


def test_version():
    run = chithi("--version")
    assert run.returncode == 0 and run.stdout.decode().strip() == f"chithi {pipeline.__version__}"


def test_help_lists_every_exit_code():
    text = " ".join(chithi("--help").stdout.decode().split())
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {' '.join(meaning.split()[:3])}" in text


def test_extract_reads_standard_input():
    text = sample("001").read_bytes()
    run = chithi("extract", "-", stdin=text)
    assert run.returncode == 0, run.stderr.decode()
    (record,) = [json.loads(line) for line in run.stdout.decode().splitlines()]
    assert record["source"]["path"] is None and record["document"]["province"] == "Lai Châu"


def test_quiet_keeps_errors_and_verbose_adds_nothing_to_stdout(tmp_path):
    out = tmp_path / "schemas"
    loud = chithi("schema", "-o", str(out))
    quiet = chithi("-q", "schema", "-o", str(out))
    assert loud.returncode == quiet.returncode == 0
    assert b"wrote" in loud.stderr and quiet.stderr == b""
    missing = chithi("-q", "extract", str(tmp_path / "không có.txt"))
    assert missing.returncode == 3 and b"file not found" in missing.stderr


def test_exit_codes_say_what_failed(tmp_path):
    assert chithi("extract", "--no-such-option").returncode == 2  # usage
    assert chithi("extract", str(tmp_path / "none.txt")).returncode == 3  # input
    assert chithi("compare", str(sample("004")), "--format", "pdf").returncode == 2  # usage
    blocked = tmp_path / "file"
    blocked.write_text("x")
    run = chithi("extract", str(sample("001")), "-o", str(blocked / "out.jsonl"))  # a file where a folder must be
    assert run.returncode == 4 and run.stderr.decode().count("\n") == 1
    stale = chithi("schema", "--check", "-o", str(tmp_path / "empty"))
    assert stale.returncode == 1
