"""The fault suite of `chithi batch`: concurrency, change, foreign files, links, special files,
a full disk, retries, names that are not UTF-8, crashes in the compaction, Markdown injection.

Each test's docstring says what is expected; each records what it observed
(`record_property("observed", …)`); `scripts/fault_table.py` prints the table of both.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.batch import EXIT_OK, EXIT_OUTPUT, EXIT_SOME_FAILED, EXIT_USAGE, run_batch
from pipeline.batch import manifest as manifest_module
from pipeline.batch.work import process_file

from .conftest import ROOT, SAMPLES


def _plans(folder: Path, count: int, prefix: str = "kế hoạch") -> list[Path]:
    """`count` small distinct plans cut from the samples (fast: these tests are about the batch)."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = [p.read_text("utf-8") for p in sorted(SAMPLES.glob("00[0-4]_*.txt"))]
    paths = []
    for n in range(count):
        text = texts[n % len(texts)]
        start = (n * 397) % max(1, len(text) - 2500)
        path = folder / f"{prefix} {n:02d}.txt"
        path.write_text(text[:600] + text[start:start + 1900] + f"\nSố {n}.\n", "utf-8")
        paths.append(path)
    return paths


def _run(inputs, out, **options) -> tuple[int, str]:
    options.setdefault("repair", False)
    options.setdefault("parquet", False)
    stream = io.StringIO()
    code = run_batch([str(i) for i in inputs], out, stream=stream, **options)
    return code, stream.getvalue()


def _documents(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "documents.jsonl").read_text("utf-8").splitlines()]


def _errors(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "errors.jsonl").read_text("utf-8").splitlines()]


def _same_as_clean(out: Path, inputs: Path, tmp_path: Path, **options) -> None:
    """The outputs equal a clean run's on the files as they are now: every line, once."""
    clean = tmp_path / f"clean {time.monotonic_ns()}"
    _run([inputs], clean, **options)
    key = lambda line: json.dumps(line, sort_keys=True, ensure_ascii=False)  # noqa: E731
    assert sorted(map(key, _documents(out))) == sorted(map(key, _documents(clean)))
    assert sorted(map(key, _errors(out))) == sorted(map(key, _errors(clean)))
    ids = [f"{d['source']['sha256'][:16]}:{d['source']['index']}" for d in _documents(out)]
    assert len(ids) == len(set(ids)), "a doc_id twice"


def _batch(inputs: Path, out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipeline.cli", "batch", str(inputs), "-o", str(out), "--no-repair",
               "--no-parquet", *extra]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


# ----------------------------------------------------------------------------- concurrency
def test_concurrent_batches_on_one_folder(tmp_path, record_property):
    """Two `--resume` batches started at once on one folder: one writes, the other stops at once
    with exit code 4 and one line naming the first (pid); one record per document."""
    inputs = tmp_path / "in"
    _plans(inputs, 30)
    out = tmp_path / "out"
    first, second = _batch(inputs, out, "--resume"), _batch(inputs, out, "--resume")
    codes = [first.wait(timeout=300), second.wait(timeout=300)]
    messages = [first.stderr.read().decode(), second.stderr.read().decode()]
    assert sorted(codes) == [EXIT_OK, EXIT_OUTPUT], messages
    refused = messages[codes.index(EXIT_OUTPUT)].strip()
    winner = (first, second)[codes.index(EXIT_OK)]
    assert len(refused.splitlines()) == 1 and f"pid {winner.pid}" in refused, refused
    _same_as_clean(out, inputs, tmp_path)
    record_property("observed", f"exit codes {sorted(codes)}; refused with: {refused!r}; 30 records, none twice")


# ----------------------------------------------------------------------------- change
def test_change_between_runs_replaces_records_and_errors(tmp_path, record_property):
    """A file edited, a failed (empty) file fixed, a file deleted and one whose first name
    vanished while a copy stays, between a run and its resume: the old records and error
    lines go, the new ones come, paths as a clean run names them."""
    inputs = tmp_path / "in"
    plans = _plans(inputs, 6)
    (inputs / "rỗng.txt").write_bytes(b"")
    shutil.copy(plans[5], inputs / "z bản sao.txt")
    out = tmp_path / "out"
    assert _run([inputs], out)[0] == EXIT_SOME_FAILED
    before = {d["source"]["path"] for d in _documents(out)}
    plans[0].write_text(plans[0].read_text("utf-8") + "Sửa đổi.\n", "utf-8")
    (inputs / "rỗng.txt").write_text("KẾ HOẠCH\nThực hiện Chỉ thị số 20-CT/TW.\n", "utf-8")
    plans[1].unlink()
    plans[5].unlink()  # its content stays in "z bản sao.txt": the record now names that file
    code, log = _run([inputs], out, resume=True)
    assert code == EXIT_OK, log
    _same_as_clean(out, inputs, tmp_path)
    paths = sorted(Path(d["source"]["path"]).name for d in _documents(out))
    assert "z bản sao.txt" in paths and plans[5].name not in paths and _errors(out) == []
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    record_property("observed", f"{len(before)} records before, {len(paths)} after; error lines 1 → 0; "
                                f"stale contents removed {summary['stale_contents_removed']}; equal to a clean run")


def change_when_read(job):
    """A work function that changes some files just before the worker reads them: 'p …' takes
    the content of 'q …' (a content another file has), 'r …' gets a new line."""
    path = Path(job.path)
    if path.name.startswith("p "):
        twin = path.with_name("q" + path.name[1:])
        if path.read_bytes() != twin.read_bytes():
            path.write_bytes(twin.read_bytes())
    elif path.name.startswith("r ") and "Sửa khi đọc" not in path.read_text("utf-8"):
        path.write_text(path.read_text("utf-8") + "Sửa khi đọc.\n", "utf-8")
    return process_file(job)


def test_change_after_hashing(tmp_path, record_property):
    """Files changed after the parent hashed them, before a worker read them: the records carry
    the content read, no doc_id twice, the duplicates of the old content are planned again;
    a resume changes nothing."""
    inputs = tmp_path / "in"
    a, b, c = _plans(inputs / "x", 3)
    shutil.copy(a, inputs / "p 1.txt")  # content A: changes to B when read
    shutil.copy(a, inputs / "s 1.txt")  # content A too: skipped as p's duplicate, planned again
    shutil.copy(b, inputs / "q 1.txt")  # content B
    shutil.copy(c, inputs / "r 1.txt")  # content C: gains a line when read
    shutil.rmtree(inputs / "x")
    out = tmp_path / "out"
    code, log = _run([inputs], out, workers=2, work=change_when_read)
    assert code == EXIT_OK, log
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["changed_while_read"] == 2, summary
    _same_as_clean(out, inputs, tmp_path)
    first = (out / "documents.jsonl").read_bytes()
    assert _run([inputs], out, resume=True)[0] == EXIT_OK
    assert (out / "documents.jsonl").read_bytes() == first
    names = sorted(Path(d["source"]["path"]).name for d in _documents(out))
    record_property("observed", f"changed while read: {summary['changed_while_read']}; records {names}; "
                                "doc_ids unique; equal to a clean run; resume unchanged")


# ----------------------------------------------------------------------------- foreign files
def test_foreign_files_in_the_output_folder(tmp_path, record_property):
    """A non-empty folder that is not chithi's is refused (exit 2, nothing created); with
    --force chithi writes beside the files, refuses one named like its own, and starting
    afresh removes only its own files."""
    inputs = tmp_path / "in"
    _plans(inputs, 2)
    out = tmp_path / "out"
    out.mkdir()
    (out / "ghi chú.txt").write_text("của tôi", "utf-8")
    (out / "của tôi.parquet").write_bytes(b"PAR1 mine")
    code, log = _run([inputs], out)
    assert code == EXIT_USAGE and "not a chithi output folder" in log and "--force" in log
    assert sorted(p.name for p in out.iterdir()) == sorted(["ghi chú.txt", "của tôi.parquet"])  # nothing created
    (out / "documents.jsonl").write_text("my own lines\n", "utf-8")
    code, clash = _run([inputs], out, allow_other_files=True)
    assert code == EXIT_USAGE and "documents.jsonl" in clash and "not written by chithi" in clash
    assert (out / "documents.jsonl").read_text("utf-8") == "my own lines\n"
    (out / "documents.jsonl").unlink()
    assert _run([inputs], out, allow_other_files=True, parquet=True)[0] == EXIT_OK
    code, again = _run([inputs], out)  # starting afresh in what is now a chithi folder
    assert code == EXIT_OK and "afresh" in again
    assert (out / "ghi chú.txt").read_text("utf-8") == "của tôi" and (out / "của tôi.parquet").read_bytes() == b"PAR1 mine"
    assert len(_documents(out)) == 2
    record_property("observed", f"refused: {log.strip()!r}; with --force: {clash.strip()!r}; "
                                "afresh: the user's 2 files untouched")


# ----------------------------------------------------------------------------- links and special files
def test_links_out_of_the_tree(tmp_path, record_property):
    """A link to a file or folder outside the inputs is refused with an error line (read with
    --follow-links); broken links and link loops get a line each; a link inside the inputs
    adds nothing (its target is read under its own name)."""
    inputs, outside = tmp_path / "in", tmp_path / "ngoài"
    plans = _plans(inputs, 2)
    _plans(outside, 1, prefix="bí mật")
    os.symlink(outside / "bí mật 00.txt", inputs / "p.txt")
    os.symlink("/etc/passwd", inputs / "passwd.txt")
    os.symlink(outside, inputs / "thư mục ngoài")
    os.symlink(plans[0], inputs / "bí danh.txt")
    os.symlink("không có.txt", inputs / "gãy.txt")
    os.symlink("vòng 2", inputs / "vòng 1")
    os.symlink("vòng 1", inputs / "vòng 2")
    os.symlink("..", inputs / "lên")
    out = tmp_path / "out"
    assert _run([inputs], out)[0] == EXIT_SOME_FAILED
    errors = {Path(e["path"]).name: e["error"] for e in _errors(out)}
    assert errors == {"p.txt": "LinkOutsideInputs", "passwd.txt": "LinkOutsideInputs",
                      "thư mục ngoài": "LinkOutsideInputs", "gãy.txt": "BrokenLink",
                      "vòng 1": "SymlinkLoop", "vòng 2": "SymlinkLoop", "lên": "SymlinkLoop"}
    assert sorted(Path(d["source"]["path"]).name for d in _documents(out)) == [p.name for p in plans]
    assert "root:" not in (out / "documents.jsonl").read_text("utf-8")
    followed = tmp_path / "followed"
    _run([inputs], followed, follow_links=True)
    secret = hashlib.sha256((outside / "bí mật 00.txt").read_bytes()).hexdigest()
    assert sum(d["source"]["sha256"] == secret for d in _documents(followed)) == 1
    followed_errors = {Path(e["path"]).name: e["error"] for e in _errors(followed)}
    assert {"gãy.txt", "vòng 1", "vòng 2", "lên"} <= set(followed_errors)
    assert not {"p.txt", "thư mục ngoài"} & set(followed_errors)
    record_property("observed", f"errors.jsonl: {errors}; records: the 2 plans only; --follow-links: "
                                f"the outside plan read once, errors {sorted(followed_errors)}")


def test_fifo_socket_and_device(tmp_path, record_property):
    """A named pipe, a socket and a device in the inputs (and a file swapped for a FIFO after
    the listing) each get an error line; the batch never blocks on them."""
    inputs = tmp_path / "in"
    plans = _plans(inputs, 2)
    os.mkfifo(inputs / "ống.txt")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(inputs / "ổ cắm.txt"))
    os.symlink("/dev/null", inputs / "thiết bị.txt")
    import pipeline.batch.run as run_module

    listed = run_module.expand_inputs

    def list_then_swap(*args, **options):
        found = listed(*args, **options)
        plans[1].unlink()
        os.mkfifo(plans[1])
        return found

    run_module.expand_inputs = list_then_swap
    try:
        started = time.monotonic()
        code, log = _run([inputs], tmp_path / "out", follow_links=True)
    finally:
        run_module.expand_inputs = listed
        server.close()
    assert code == EXIT_SOME_FAILED, log
    errors = {Path(e["path"]).name: e["message"] for e in _errors(tmp_path / "out")}
    assert set(errors) == {"ống.txt", "ổ cắm.txt", "thiết bị.txt", plans[1].name}
    assert "named pipe" in errors["ống.txt"] and "socket" in errors["ổ cắm.txt"]
    assert "device" in errors["thiết bị.txt"] and "named pipe" in errors[plans[1].name]
    record_property("observed", f"{len(errors)} error lines: {sorted(errors.values())}; "
                                f"done in {time.monotonic() - started:.1f} s")


def test_names_that_are_not_utf8(tmp_path, record_property):
    """File names with bytes that are not UTF-8 (a plan, an empty file, a FIFO) never stop the
    batch: records and error lines name them with \\xNN escapes, a resume skips them."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    raw = os.fsencode(inputs)
    text = _plans(tmp_path / "x", 1)[0].read_bytes()
    with open(raw + b"/k\xe9 ho\xe1ch.txt", "wb") as handle:
        handle.write(text)
    open(raw + b"/r\xf4ng.txt", "wb").close()
    os.mkfifo(raw + b"/\xff\xfe.txt")
    out = tmp_path / "out"
    code, log = _run([inputs], out)
    assert code == EXIT_SOME_FAILED, log
    (record,) = _documents(out)
    assert record["source"]["path"].endswith("k\\xe9 ho\\xe1ch.txt")
    assert sorted(Path(e["path"]).name for e in _errors(out)) == sorted(["r\\xf4ng.txt", "\\xff\\xfe.txt"])
    json.loads((out / "summary.json").read_text("utf-8"))
    before = (out / "documents.jsonl").read_bytes()
    code, again = _run([inputs], out, resume=True)
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert code == EXIT_SOME_FAILED and summary["skipped_done_before"] == 3
    assert (out / "documents.jsonl").read_bytes() == before
    record_property("observed", f"record path {record['source']['path'].split('/')[-1]!r}; "
                                f"2 error lines; resume skipped {summary['skipped_done_before']}")


# ----------------------------------------------------------------------------- disk full, unwritable
def _mount_tmpfs(folder: Path, size: str) -> None:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'mount failed'}; needs root): "
                    "the disk-full case is not tested")


def test_disk_full_and_unwritable_output(tmp_path, record_property):
    """A full disk ends the batch with one line and exit code 4 (no traceback); after room is
    made, --resume gives exactly a clean run's records; a read-only output is one line, exit 4."""
    inputs = tmp_path / "in"
    _plans(inputs, 40)
    out = tmp_path / "small disk"
    _mount_tmpfs(out, "300k")
    try:
        code, log = _run([inputs], out, workers=2)
        lines = [line for line in log.splitlines() if line.strip()]
        assert code == EXIT_OUTPUT and "No space left on device" in log and "Traceback" not in log, log
        assert len(lines) == 1 and "--resume" in lines[0], log
        subprocess.run(["mount", "-o", "remount,size=50m", str(out)], check=True)
        resumed, resume_log = _run([inputs], out, resume=True, parquet=True)
        assert resumed == EXIT_OK, resume_log
        _same_as_clean(out, inputs, tmp_path)
        subprocess.run(["mount", "-o", "remount,ro", str(out)], check=True)
        ro_code, ro_log = _run([inputs], out, resume=True)
        assert ro_code == EXIT_OUTPUT and "Read-only file system" in ro_log and len(ro_log.splitlines()) == 1
    finally:
        subprocess.run(["umount", str(out)], check=False)
    record_property("observed", f"full: exit {code}, {lines[0]!r}; resume: exit {resumed}, equal to a clean run; "
                                f"read-only: exit {ro_code}, {ro_log.strip()!r}")


# ----------------------------------------------------------------------------- retries
def test_retry_failed_files(tmp_path, record_property):
    """A file that failed (too large) stays failed on a plain --resume, even with a larger
    limit; `--resume --retry-failed` processes it again and its error line goes."""
    inputs = tmp_path / "in"
    plans = _plans(inputs, 3)
    plans[2].write_text(plans[2].read_text("utf-8") * 12, "utf-8")  # ≈ 30 kB
    out = tmp_path / "out"
    assert _run([inputs], out, max_file_mb=0.02)[0] == EXIT_SOME_FAILED
    (error,) = _errors(out)
    assert error["error"] == "FileTooLarge" and "--retry-failed" in error["message"]
    assert _run([inputs], out, resume=True, max_file_mb=1)[0] == EXIT_SOME_FAILED
    assert len(_errors(out)) == 1
    assert _run([inputs], out, retry_failed=True, max_file_mb=1)[0] == EXIT_USAGE  # needs --resume
    code, log = _run([inputs], out, resume=True, retry_failed=True, max_file_mb=1)
    assert code == EXIT_OK, log
    _same_as_clean(out, inputs, tmp_path, max_file_mb=1)
    record_property("observed", f"resume: still 1 FileTooLarge line; --retry-failed: exit {code}, 0 error lines, "
                                f"{len(_documents(out))} records as a clean run")


# ----------------------------------------------------------------------------- compaction crashes
def _marker(out: Path) -> str | None:
    import sqlite3

    with sqlite3.connect(out / "manifest.sqlite") as db:
        row = db.execute("SELECT value FROM meta WHERE key='compaction'").fetchone()
    return row[0] if row else None


def test_crash_inside_the_compaction(tmp_path, monkeypatch, record_property):
    """A crash before the compaction's commit keeps the old outputs (its temporary files go);
    a crash after it is finished by the next start; either way the end equals a clean run."""
    inputs = tmp_path / "in"
    plans = _plans(inputs, 4)
    out = tmp_path / "out"
    _run([inputs], out)
    plans[0].write_text("KẾ HOẠCH\nMột kế hoạch khác hẳn.\n", "utf-8")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    temporary = out / ".documents.jsonl.compact"
    monkeypatch.setattr(manifest_module.Manifest, "compacted", crash)
    assert _run([inputs], out, resume=True)[0] == 130
    assert temporary.exists() and _marker(out) is None  # written, not recorded: the next start removes it
    monkeypatch.undo()
    monkeypatch.setattr(manifest_module, "finish_compaction", crash)
    assert _run([inputs], out, resume=True)[0] == 130
    assert temporary.exists() and _marker(out) == '["documents.jsonl"]'  # recorded, not yet renamed
    monkeypatch.undo()
    code, log = _run([inputs], out, resume=True)
    assert code == EXIT_OK and not (out / ".documents.jsonl.compact").exists(), log
    _same_as_clean(out, inputs, tmp_path)
    record_property("observed", "crash before the commit: old outputs kept; after it: finished on the next "
                                "start; equal to a clean run")


# ----------------------------------------------------------------------------- kill -9 with change
def test_kill_resume_with_concurrent_starts_and_changes(tmp_path, record_property):
    """SIGKILL at random moments with concurrent starts and file changes mixed in (a small
    scripts/chaos_batch.py): the final records equal a clean run's, none lost, none twice."""
    spec = importlib.util.spec_from_file_location("chaos_batch", ROOT / "scripts" / "chaos_batch.py")
    chaos = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(chaos)
    seed = int(os.environ.get("CHITHI_CHAOS_SEED", time.time_ns() % 10**6))
    result = chaos.run_chaos(tmp_path, files=30, cycles=3, seed=seed, say=lambda line: None)
    assert result["equal"], f"{result} (rerun with CHITHI_CHAOS_SEED={seed})"
    record_property("observed", f"seed {seed}: {result['processes killed']} kills "
                                f"({result['cycles killed after writing']} after writing), "
                                f"{result['refused (exit 4)']} refused; lost "
                                f"{result['lost']}, twice {result['twice']}, stale {result['invented or stale']}")


# ----------------------------------------------------------------------------- Markdown injection
HOSTILE = ("<script>alert(1)</script> <img src=x onerror=alert(2)> <b>đậm</b> &lt;i&gt; &amp; "
           "[bấm](javascript:alert(3)) ![ảnh](http://evil.example/x.png) **đậm** _nghiêng_ `mã` ~~gạch~~ "
           "| cột | \\ $x^2$ ==dấu== ++thêm++ #12 @người www.evil.vn http://evil.vn/a a@b.vn chinhphu.vn "
           "<http://evil.vn> [^1] {.lớp} :smile:\n# Tiêu đề\n- mục\n<div>khối</div>\n| a | b |\n|---|---|\n")


def _fill(model, text: str):
    """A copy of a comparison with every free-text field (str, list of str) set to `text`."""
    from typing import get_args

    from pydantic import BaseModel

    updates = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            updates[name] = _fill(value, text)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            updates[name] = [_fill(v, text) for v in value]
        elif isinstance(value, list) and value and isinstance(value[0], str):
            updates[name] = [text, text]
        elif isinstance(value, str) and str in (info.annotation, *get_args(info.annotation)):
            updates[name] = text
    return model.model_copy(update=updates)


def _elements(markdown: str) -> list[tuple[str, str]]:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"])
    tokens, out = parser.parse(markdown), []
    while tokens:
        token = tokens.pop(0)
        if token.type not in ("text", "softbreak"):
            out.append((token.type, token.tag))
        tokens[:0] = token.children or []
    return out


def test_markdown_report_carries_no_markup_from_documents(record_property):
    """Markup in every piece of document text of a comparison (HTML, links, images, emphasis,
    code, tables, headings, autolinks) renders as text: a CommonMark renderer (markdown-it,
    with tables, strikethrough and linkify) finds exactly the elements of the same report
    made from plain words, and shows the hostile text as it was."""
    from markdown_it import MarkdownIt

    from pipeline import compare
    from pipeline.compare import render

    result = compare(SAMPLES.glob("003_*.txt").__next__(), repair=False)
    hostile, plain = _fill(result, HOSTILE), _fill(result, "chữ")
    hostile_md, plain_md = render(hostile, "md"), render(plain, "md")
    assert _elements(hostile_md) == _elements(plain_md)
    html = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"]).render(hostile_md)
    assert "<script" not in html and "<img" not in html and "<a " not in html and "<div" not in html
    from html import escape

    assert escape(" ".join(HOSTILE.split()), quote=True).replace("&#x27;", "'") in html
    record_property("observed", f"{len(_elements(hostile_md))} elements, the same as with plain words; "
                                "no script, img, a or div; the hostile text shown verbatim")
