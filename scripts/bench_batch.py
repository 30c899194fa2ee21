"""Throughput and peak memory of `chithi batch`, and OCR pages/minute next to raw Tesseract.

    nice -n 10 .venv/bin/python scripts/bench_batch.py --files 500 --no-repair
    nice -n 10 .venv/bin/python scripts/bench_batch.py --files 0 --distinct 150 --repair on,off
    nice -n 10 .venv/bin/python scripts/bench_batch.py --files 60 --configs local:1,local:2 --ocr-pages 4

Text, two input sets:

* replicated (--files N): the five samples copied to N files, each with a small variation (a
  copy number line) so that every file has its own hash;
* distinct (--distinct N): N different documents that no cache can profit from: the held-out
  documents of the legal corpora (those whose id hashes to 0 mod 50, the rule of
  scripts/train_lm.py, so the language model never saw them) cut at line breaks into pieces
  of the samples' mean length; every --garbled-every-th piece has its diacritics stripped
  (`vietnamese.strip_diacritics`, case kept, as OCR that loses marks leaves it), so that
  share goes through diacritic restoration. Statutes, not plans: fewer items per document.

docs/s and syllables/s (word tokens of the input files) are printed for each set. The baseline row runs `pipeline.extract`
in this process, one file after another, on the first 40 files: what one core does without
any batch machinery. Each batch row runs `chithi batch` as a subprocess and samples the RSS
and PSS of its whole process tree (parent, workers, Ray daemons) with psutil (see TreeMeter). docs/s is the batch's
own figure (from its start to its last commit, without Python start-up or Parquet).
CPU s is summed over the whole process tree, parent the batch's parent process alone (its
start-up, hashing, writing, commits and Parquet): the serial part of a run.

OCR: --ocr-pages pages of the gazette PDFs are rendered at 300 dpi to PNG; the same PNGs go
through raw `tesseract PAGE stdout -l vie` and through `chithi batch`.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BASELINE_FILES = 40
CORPORA = Path("/work/shared/corpora/legal")


def make_text_inputs(folder: Path, count: int) -> list[Path]:
    samples = _samples()
    texts = [p.read_text("utf-8") for p in samples]
    paths = []
    for n in range(count):
        path = folder / f"bản sao {n:04d} {samples[n % len(samples)].stem}.txt"
        path.write_text(texts[n % len(texts)].rstrip("\n") + f"\n\nBản sao số {n + 1}.\n", "utf-8")
        paths.append(path)
    return paths


def make_distinct_inputs(folder: Path, count: int, garbled_every: int = 5) -> list[Path]:
    """`count` distinct held-out corpus pieces as .txt; every `garbled_every`-th one stripped of marks."""
    from pipeline.text.vietnamese import strip_diacritics

    size = sum(len(p.read_text("utf-8")) for p in _samples()) // len(_samples())
    pieces = [piece for text in held_out_texts() for piece in cut_at_lines(text, size)]
    if len(pieces) < count:
        raise SystemExit(f"--distinct {count}: the held-out corpus documents give only {len(pieces)} pieces")
    paths = []
    for n, piece in enumerate(pieces[:count]):
        garbled = garbled_every and n % garbled_every == garbled_every - 1
        path = folder / f"văn bản {n:04d}{' không dấu' if garbled else ''}.txt"
        path.write_text(strip_diacritics(piece) if garbled else piece, "utf-8")
        paths.append(path)
    return paths


def held_out_texts() -> list[str]:
    """Texts of the corpus documents held out from language-model training (scripts/train_lm.py)."""
    texts = []
    for corpus in sorted(CORPORA.glob("*.jsonl.gz")):
        with gzip.open(corpus, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if int(hashlib.sha1(record["id"].encode()).hexdigest(), 16) % 50 == 0:
                    texts.append(unicodedata.normalize("NFC", record["text"]))
    return texts


def cut_at_lines(text: str, size: int) -> list[str]:
    """Pieces of about `size` characters, cut after a line break; a short tail joins the last piece."""
    pieces, start = [], 0
    while len(text) - start > 1.5 * size:
        cut = text.find("\n", start + size)
        if cut < 0:
            break
        pieces.append(text[start:cut + 1])
        start = cut + 1
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def syllable_count(paths: list[Path]) -> int:
    from pipeline.text.vietnamese import tokenize

    return sum(1 for path in paths for tok in tokenize(path.read_text("utf-8")) if tok.kind == "word")


def _samples() -> list[Path]:
    return sorted((ROOT / "corpus" / "samples").glob("00[0-4]_*.txt"))


def make_ocr_inputs(folder: Path, pages: int) -> list[Path]:
    import pypdfium2 as pdfium

    paths = []
    for pdf_path in sorted((ROOT / "corpus" / "pdf").glob("*.pdf")):
        pdf = pdfium.PdfDocument(pdf_path)
        image = pdf[0].render(scale=300 / 72).to_pil().convert("L")
        path = folder / f"trang {len(paths) + 1:02d}.png"
        image.save(path)
        paths.append(path)
        pdf.close()
        if len(paths) == pages:
            break
    return paths


class TreeMeter:
    """Samples a process and all its descendants every 0.2 s: summed RSS and PSS (peaks) and
    CPU seconds.

    RSS counts in full, in every worker, the pages of shared libraries and of files they all
    map (numba's LLVM library alone is about 110 MB); PSS divides each shared page among the
    processes that map it, so its sum is the memory the batch really holds.

    CPU seconds are the last sample of each process's user + system time, summed over every
    process seen; the machine is shared, so docs per CPU-second is the figure that does not
    depend on what the other users run at the same time.
    """

    def __init__(self, pid: int):
        self.root, self.peak, self.peak_pss, self.cpu = psutil.Process(pid), 0, 0, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                procs = []
            rss = pss = 0
            for proc in procs:
                try:
                    with proc.oneshot():
                        memory = proc.memory_full_info()
                        rss, pss = rss + memory.rss, pss + memory.pss
                        times = proc.cpu_times()
                        self.cpu[proc.pid] = times.user + times.system
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
            self._stop.wait(0.2)

    def stop(self) -> tuple[int, int, float, float]:
        """Peak summed RSS and PSS, CPU seconds of the whole tree, CPU seconds of the root process."""
        self._stop.set()
        self._thread.join()
        return self.peak, self.peak_pss, sum(self.cpu.values()), self.cpu.get(self.root.pid, 0.0)


def run_batch(inputs: Path, out: Path, engine: str, workers: int, repair: bool) -> dict:
    command = [sys.executable, "-m", "pipeline.cli", "batch", str(inputs), "-o", str(out),
               "--engine", engine, "--workers", str(workers), "--no-report"]  # the roll-up is timed by bench_rollup.py
    if not repair:
        command.append("--no-repair")
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    meter = TreeMeter(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - started
    peak, peak_pss, cpu, parent_cpu = meter.stop()
    if proc.returncode not in (0, 3):
        raise SystemExit(f"chithi batch failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    return {**summary, "wall": wall, "peak_mb": peak / 2**20, "peak_pss_mb": peak_pss / 2**20, "cpu": cpu,
            "parent_cpu": parent_cpu}


def baseline(paths: list[Path], repair: bool) -> dict:
    from pipeline import extract

    extract(paths[0], repair=repair)  # load the models first, as the batch warm-up does
    started, cpu_started, documents, failed = time.perf_counter(), time.process_time(), 0, 0
    for path in paths:
        try:
            documents += len(extract(path, repair=repair))
        except Exception:
            failed += 1
    seconds = time.perf_counter() - started
    return {"cpu": time.process_time() - cpu_started, "files": len(paths), "documents": documents, "failed": failed, "seconds": seconds,
            "docs_per_s": documents / seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def tesseract_pages_per_minute(pages: list[Path]) -> float:
    started = time.perf_counter()
    for page in pages:
        subprocess.run(["tesseract", str(page), "stdout", "-l", "vie"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return len(pages) / (time.perf_counter() - started) * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500, help="Replicated sample files; 0 skips that set.")
    parser.add_argument("--distinct", type=int, default=0, help="Distinct held-out corpus documents; 0 skips that set.")
    parser.add_argument("--garbled-every", type=int, default=5,
                        help="In the distinct set, every N-th document loses its diacritics (0: none).")
    parser.add_argument("--configs", default="local:1,local:2,ray:1,ray:2", help="engine:workers,…")
    parser.add_argument("--repair", default="on", help="on, off, or on,off: rows with and without the repair stage.")
    parser.add_argument("--no-repair", action="store_true", help="Same as --repair off.")
    parser.add_argument("--no-baseline", action="store_true", help="Skip the in-process sequential row.")
    parser.add_argument("--ocr-pages", type=int, default=0, help="Also measure OCR on this many rendered pages.")
    args = parser.parse_args()
    repairs = [False] if args.no_repair else [mode == "on" for mode in args.repair.split(",")]

    work = Path(tempfile.mkdtemp(prefix="chithi-bench-"))
    try:
        sets = []
        if args.files:
            folder = _folder(work, "bản sao")
            sets.append((f"replicated ({args.files} copies of the 5 samples)", folder, make_text_inputs(folder, args.files)))
        if args.distinct:
            folder = _folder(work, "khác nhau")
            paths = make_distinct_inputs(folder, args.distinct, args.garbled_every)
            sets.append((f"distinct ({args.distinct} held-out corpus pieces, 1 in {args.garbled_every} stripped)",
                         folder, paths))
        for name, folder, paths in sets:
            for repair in repairs:
                bench_text(work, name, folder, paths, args.configs, repair, not args.no_baseline)
        if args.ocr_pages:
            bench_ocr(work, args.ocr_pages, repairs[0])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _folder(work: Path, name: str) -> Path:
    folder = work / name
    folder.mkdir()
    return folder


def bench_text(work: Path, name: str, folder: Path, paths: list[Path], configs: str, repair: bool,
               with_baseline: bool) -> None:
    syllables = syllable_count(paths)
    print(f"\ntext, {name}: {len(paths)} files, {syllables:,} syllables; repair {'on' if repair else 'off'}; "
          f"{psutil.cpu_count()} CPUs, load average {psutil.getloadavg()[0]:.1f}")
    print(f"{'run':<24}{'files':>6}{'docs':>6}{'failed':>7}{'batch s':>9}{'wall s':>8}{'docs/s':>8}{'syll/s':>8}"
          f"{'CPU s':>8}{'parent':>8}{'docs/CPU-s':>11}{'peak RSS MB':>13}{'peak PSS MB':>13}")
    if with_baseline:
        base = baseline(paths[:BASELINE_FILES], repair)
        base_syllables = syllable_count(paths[:BASELINE_FILES])
        print(f"{'in-process, sequential':<24}{base['files']:>6}{base['documents']:>6}{base['failed']:>7}"
              f"{base['seconds']:>9.1f}{'':>8}{base['docs_per_s']:>8.1f}{base_syllables / base['seconds']:>8.0f}"
              f"{base['cpu']:>8.1f}{'':>8}{base['documents'] / base['cpu']:>11.1f}{base['peak_mb']:>13.0f}", flush=True)
    for config in filter(None, configs.split(",")):
        engine, workers = config.split(":")
        out = work / f"out-{folder.name}-{engine}-{workers}-{repair}"
        row = run_batch(folder, out, engine, int(workers), repair)
        shutil.rmtree(out, ignore_errors=True)
        print(f"{f'batch {engine}, {workers} worker(s)':<24}{row['files']:>6}{row['documents']:>6}"
              f"{row['failed']:>7}{row['seconds']:>9.1f}{row['wall']:>8.1f}{row['docs_per_s']:>8.1f}"
              f"{syllables / row['seconds']:>8.0f}{row['cpu']:>8.1f}{row['parent_cpu']:>8.1f}"
              f"{row['documents'] / row['cpu']:>11.1f}"
              f"{row['peak_mb']:>13.0f}{row['peak_pss_mb']:>13.0f}", flush=True)
    print(f"load average at the end: {psutil.getloadavg()[0]:.1f}")


def bench_ocr(work: Path, ocr_pages: int, repair: bool) -> None:
    ocr_dir = work / "trang quét"
    ocr_dir.mkdir()
    pages = make_ocr_inputs(ocr_dir, ocr_pages)
    print(f"\nOCR: {len(pages)} gazette pages rendered at 300 dpi, load average {psutil.getloadavg()[0]:.1f}")
    print(f"{'run':<34}{'pages':>7}{'failed':>8}{'pages/min':>11}")
    print(f"{'raw tesseract -l vie, sequential':<34}{len(pages):>7}{0:>8}"
          f"{tesseract_pages_per_minute(pages):>11.1f}", flush=True)
    for workers in (1, 2):
        row = run_batch(ocr_dir, work / f"ocr-{workers}", "local", workers, repair)
        rate = row["pages"] / row["seconds"] * 60 if row["seconds"] else 0.0
        print(f"{f'chithi batch, {workers} worker(s)':<34}{row['pages']:>7}{row['failed']:>8}{rate:>11.1f}",
              flush=True)

if __name__ == "__main__":
    main()
