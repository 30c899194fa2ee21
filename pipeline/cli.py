"""The `chithi` command: a thin layer that parses arguments and calls the library.

Help and messages are in English: the command line serves researchers and engineers who
script chithi and search its messages; compliance staff use the Vietnamese reports (and
the web workbench). Every failure is one line on stderr naming the file and the problem,
and the exit code says what kind of failure it was (EXIT_CODES, also in `--help`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

import typer

from . import __version__
from .ingest.limits import DEFAULT_LIMITS

if TYPE_CHECKING:
    from .ingest.limits import Limits
    from .schema import DocumentRecord

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INPUT, EXIT_OUTPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 70, 130
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_CHECK_FAILED: "a check failed (`schema --check`: the files are out of date)",
    EXIT_USAGE: "usage error: bad options or arguments, or no input found",
    EXIT_INPUT: "one or more inputs could not be read or processed (each named on stderr; batch: errors.jsonl)",
    EXIT_OUTPUT: "the output could not be written",
    EXIT_INTERNAL: "internal error: a bug in chithi (please report it with the message)",
    EXIT_INTERRUPTED: "interrupted (batch: rerun with --resume)",
}
_EPILOG = "Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()) + "."

log = logging.getLogger("chithi")
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="chithi: Vietnamese directive and plan documents → structured JSON, every item grounded in the text.",
    epilog=_EPILOG,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chithi {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Only errors on stderr."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Also debugging details on stderr."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """chithi: Vietnamese directive and plan documents → structured JSON, every item grounded in the text."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("chithi: %(message)s"))
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO)


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """One clear line on stderr, no traceback."""
    log.error(message)
    raise typer.Exit(code)


# Limits on one input (pipeline.ingest.limits), the same options on every command that reads files.
_MAX_FILE_MB = typer.Option(DEFAULT_LIMITS.max_file_mb, "--max-file-mb", help="Refuse larger files (MB).")
_MAX_TEXT_MB = typer.Option(DEFAULT_LIMITS.max_text_mb, "--max-text-mb",
                            help="Refuse inputs whose text is larger (MB of UTF-8); time and memory grow with it.")
_MAX_PAGES = typer.Option(DEFAULT_LIMITS.max_pages, "--max-pages", help="Refuse PDFs (and TIFFs) with more pages.")
_MAX_PIXELS = typer.Option(DEFAULT_LIMITS.max_pixels, "--max-pixels",
                           help="Refuse images, and PDF pages to OCR, with more pixels (at 300 dpi for a page).")
_MAX_UNZIPPED_MB = typer.Option(DEFAULT_LIMITS.max_unzipped_mb, "--max-unzipped-mb",
                                help="Refuse .docx files whose XML unzips to more (MB).")


def _limits(max_file_mb: float, max_text_mb: float, max_pages: int, max_pixels: int, max_unzipped_mb: float) -> Limits:
    from .ingest.limits import Limits

    values = {"--max-file-mb": max_file_mb, "--max-text-mb": max_text_mb, "--max-pages": max_pages,
              "--max-pixels": max_pixels, "--max-unzipped-mb": max_unzipped_mb}
    for option, value in values.items():
        if value <= 0:
            fail(f"{option} must be positive, not {value}")
    return Limits(max_file_mb=max_file_mb, max_text_mb=max_text_mb, max_pages=max_pages, max_pixels=max_pixels,
                  max_unzipped_mb=max_unzipped_mb)


def _check_output(path: Path | None, inputs: Sequence[str] = ()) -> bool:
    """Fail now, before any work, when `path` cannot be written (exit 4) or is one of the
    inputs (exit 2). Makes its folder; returns whether the file exists already."""
    if path is None:
        return True
    if path.is_dir():
        fail(f"{path}: is a folder; -o takes the name of a file", EXIT_OUTPUT)
    for name in inputs:
        if name != "-" and Path(name).exists() and path.exists() and path.resolve() == Path(name).resolve():
            fail(f"{path}: is also an input; writing the output there would overwrite it")
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):  # can it be written? (nothing is truncated yet)
            pass
    except OSError as err:
        fail(f"{path}: cannot write the output ({err.strerror or err})", EXIT_OUTPUT)
    return existed


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    """Standard output, or the file `path` (checked writable by `_check_output` first)."""
    if path is None:
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8")
    except OSError as err:
        fail(f"{path}: cannot write the output ({err.strerror or err})", EXIT_OUTPUT)
        raise  # not reached: fail() exits
    with handle:
        yield handle


def _figures_text(name: str, index: int, count: int, record: DocumentRecord) -> str:
    from .extract.side_by_side import figures_table, planned_vs_achieved

    title = f"== {name}" + (f" (document {index} of {count})" if count > 1 else "") + " =="
    rows = planned_vs_achieved(record)
    return f"{title}\n" + (figures_table(rows) if rows else "no targets or achieved results\n") + "\n"


def _read_stdin(limits: Limits = DEFAULT_LIMITS) -> str:
    from .ingest.limits import MB, check_text, megabytes, over
    from .ingest.plaintext import decode_text

    data = sys.stdin.buffer.read(int(limits.max_file_mb * MB) + 1)
    if len(data) > limits.max_file_mb * MB:
        raise over("<stdin>", "standard input", f"over {megabytes(limits.max_file_mb * MB)}",
                   megabytes(limits.max_file_mb * MB), "--max-file-mb")
    text, _ = decode_text(data, "<stdin>")
    check_text("<stdin>", text, limits)
    return text


@app.command()
def extract(
    files: list[str] = typer.Argument(..., help="Input files (.txt .md .docx .pdf .png .jpg .tif …), or - for standard input."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write JSON Lines here instead of stdout."),
    no_repair: bool = typer.Option(False, "--no-repair", help="Skip the repair stage (normalisation only)."),
    no_model: bool = typer.Option(False, "--no-model", help="Rules only: leave out the NER model."),
    pretty: bool = typer.Option(False, "--pretty", help="Indented JSON (one object per document, not JSONL)."),
    figures: bool = typer.Option(False, "--figures",
                                 help="Instead of JSON, a table of planned targets beside achieved results."),
    max_file_mb: float = _MAX_FILE_MB,
    max_text_mb: float = _MAX_TEXT_MB,
    max_pages: int = _MAX_PAGES,
    max_pixels: int = _MAX_PIXELS,
    max_unzipped_mb: float = _MAX_UNZIPPED_MB,
) -> None:
    """Extract one JSON object per document (JSON Lines) from each file."""
    from .errors import ChithiError, display_path
    from .runner import extract as run_extract

    limits = _limits(max_file_mb, max_text_mb, max_pages, max_pixels, max_unzipped_mb)
    _check_output(output, files)
    failures = 0
    with _output(output) as out:
        for name in files:
            try:
                source = _read_stdin(limits) if name == "-" else Path(name)
                records = run_extract(source, repair=not no_repair, model=not no_model, progress=sys.stderr.isatty(),
                                      limits=limits)
            except ChithiError as err:
                log.error(str(err))
                failures += 1
                continue
            except Exception as err:  # a bug must still name the file, not dump a traceback
                log.error(f"{display_path(name)}: internal error ({type(err).__name__}: {err})")
                log.debug("traceback", exc_info=True)
                failures += 1
                continue
            for index, record in enumerate(records, 1):
                if figures:
                    out.write(_figures_text(name, index, len(records), record))
                else:
                    out.write(record.model_dump_json(indent=2 if pretty else None) + "\n")
            out.flush()
    if failures:
        raise typer.Exit(EXIT_INPUT)


@app.command()
def repair(
    file: str = typer.Argument(..., help="A file, or - for standard input."),
    report: bool = typer.Option(False, "--report", help="List each repair on stderr (original → replacement)."),
    max_file_mb: float = _MAX_FILE_MB,
    max_text_mb: float = _MAX_TEXT_MB,
    max_pages: int = _MAX_PAGES,
    max_pixels: int = _MAX_PIXELS,
    max_unzipped_mb: float = _MAX_UNZIPPED_MB,
) -> None:
    """Print the repaired text of a file (or of standard input)."""
    from .errors import ChithiError, display_path
    from .ingest import ingest_path
    from .repair import repair as run_repair

    limits = _limits(max_file_mb, max_text_mb, max_pages, max_pixels, max_unzipped_mb)
    try:
        ingested = None if file == "-" else ingest_path(Path(file), progress=sys.stderr.isatty(), limits=limits)
        text = _read_stdin(limits) if ingested is None else ingested.text
        ocred = ingested is not None and any(page.method == "ocr" for page in ingested.pages)
        fixed = run_repair(text, vie_ocr=ocred)
    except ChithiError as err:
        fail(str(err), EXIT_INPUT)
    except Exception as err:  # a bug must still name the file, not dump a traceback
        log.debug("traceback", exc_info=True)
        fail(f"{display_path(file)}: internal error while repairing ({type(err).__name__}: {err})", EXIT_INTERNAL)
    sys.stdout.write(fixed.text)
    if not fixed.text.endswith("\n"):
        sys.stdout.write("\n")
    if report:
        for r in fixed.repairs:
            typer.echo(f"{r.start}-{r.end}\t{r.kind}\t{r.original!r} → {r.replacement!r}\t{r.confidence:.2f}", err=True)


@app.command()
def schema(
    out_dir: Path = typer.Option(Path("schemas"), "-o", "--out-dir", help="Folder for the JSON Schema files."),
    check: bool = typer.Option(False, "--check", help="Only check that the files are up to date (exit 1 if not)."),
) -> None:
    """Write (or check) the published JSON Schema generated from the pydantic models."""
    from .schema import schema_files

    stale = []
    for name, content in schema_files().items():
        path = out_dir / name
        if check:
            if not path.exists() or path.read_text("utf-8") != content:
                stale.append(str(path))
            continue
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(content, "utf-8")
        except OSError as err:
            fail(f"{path}: cannot write ({err.strerror or err})", EXIT_OUTPUT)
        log.info(f"wrote {path}")
    if stale:
        fail("schema files out of date: " + ", ".join(stale) + " (run: chithi schema)", EXIT_CHECK_FAILED)


@app.command()
def compare(
    file: str = typer.Argument(..., help="The local plan to check, or - for standard input."),
    against: str = typer.Option("directive-20", "--against", help="A reference id (directive-20) or another plan's file."),
    fmt: str = typer.Option("json", "--format", help="json, md or html."),
    output: Path | None = typer.Option(None, "-o", "--output"),
    score_non_plans: bool = typer.Option(False, "--score-non-plans",
                                         help="Score a document that is not a plan for the reference (flagged, not scored by default)."),
    max_file_mb: float = _MAX_FILE_MB,
    max_text_mb: float = _MAX_TEXT_MB,
    max_pages: int = _MAX_PAGES,
    max_pixels: int = _MAX_PIXELS,
    max_unzipped_mb: float = _MAX_UNZIPPED_MB,
) -> None:
    """Compare a local plan with Directive 20-CT/TW (or with the plan it implements).

    The report says first whether the document is a plan for the reference at all (a Thông tư
    or a cover letter is flagged and not scored), then the scan quality of its text."""
    from .compare import render
    from .errors import ChithiError, display_path
    from .runner import compare as run_compare

    if fmt not in {"json", "md", "html"}:
        fail(f"--format must be json, md or html, not {fmt!r}")
    limits = _limits(max_file_mb, max_text_mb, max_pages, max_pixels, max_unzipped_mb)
    existed = _check_output(output, [file, against])
    try:
        plan = _read_stdin(limits) if file == "-" else Path(file)
        result = run_compare(plan, against=against, force=score_non_plans, limits=limits)
        report = render(result, fmt)
    except Exception as err:
        if output is not None and not existed:
            output.unlink(missing_ok=True)  # made empty by the check: leave nothing behind
        if isinstance(err, ChithiError):
            fail(str(err), EXIT_INPUT)
        log.debug("traceback", exc_info=True)  # a bug must still name the file, not dump a traceback
        fail(f"{display_path(file)}: internal error while comparing ({type(err).__name__}: {err})", EXIT_INTERNAL)
    with _output(output) as out:
        out.write(report)
    if result.relevance is not None and not result.relevance.scored:
        log.info(f"{file}: not a plan for {against} ({result.relevance.doc_type or 'unknown type'}, "
                 f"{result.relevance.relation}): not scored (--score-non-plans scores it)")
    if output is not None:
        log.info(f"wrote {output}")


@app.command()
def batch(
    inputs: list[str] = typer.Argument(..., help="Folders, files or glob patterns."),
    out_dir: Path = typer.Option(..., "-o", "--out-dir", help="Output folder (empty, new, or an earlier batch's)."),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes (local) or parallel tasks (ray)."),
    engine: str = typer.Option("local", "--engine", help="local or ray."),
    ray_address: str | None = typer.Option(None, "--ray-address", help="Ray cluster address (ray engine)."),
    resume: bool = typer.Option(False, "--resume", help="Skip files already done (same content and pipeline version)."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="With --resume: process the files that failed again."),
    compare_with: str | None = typer.Option(None, "--compare", help="Also compare each plan with this reference."),
    no_repair: bool = typer.Option(False, "--no-repair"),
    no_parquet: bool = typer.Option(False, "--no-parquet", help="Write JSON Lines only (and no report)."),
    no_report: bool = typer.Option(False, "--no-report", help="Do not build OUT_DIR/report/ (chithi report) at the end."),
    max_file_mb: float = typer.Option(25.0, "--max-file-mb", help="Larger files are reported as errors."),
    follow_links: bool = typer.Option(False, "--follow-links",
                                      help="Read symbolic links that lead outside the input folders."),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty folder that is not a chithi output "
                               "folder (its files are left alone)."),
    recycle_after: int | None = typer.Option(None, "--recycle-after", help="Replace each worker after this many "
                                             "files, for flat memory (0: never; default: see docs/batch.md)."),
) -> None:
    """Process an archive: progress, resume, per-file error isolation, JSONL and Parquet."""
    from .batch import run_batch

    code = run_batch(
        inputs, out_dir, workers=workers, engine=engine, ray_address=ray_address, resume=resume,
        retry_failed=retry_failed, compare_with=compare_with, repair=not no_repair, parquet=not no_parquet,
        report=not no_report,
        max_file_mb=max_file_mb, follow_links=follow_links, allow_other_files=force,
        recycle_after=recycle_after, show_progress=log.isEnabledFor(logging.INFO),
    )
    raise typer.Exit(code)


@app.command()
def report(
    out_dir: Path = typer.Argument(..., help="A batch's output folder (documents.parquet and the other tables)."),
    include_non_plans: bool = typer.Option(False, "--include-non-plans",
                                           help="Count cover letters, statutes and reports in the statistics too."),
) -> None:
    """Roll up a batch's output: OUT_DIR/report/index.html (offline dashboard), chithi.xlsx, CSV."""
    from .rollup import build, summary

    try:
        index = build(out_dir, include_non_plans=include_non_plans)
    except FileNotFoundError as err:
        fail(str(err), EXIT_INPUT)
    except OSError as err:
        fail(f"{out_dir}: cannot write the report ({err.strerror or err})", EXIT_OUTPUT)
    counts = summary(out_dir)
    log.info(f"wrote {index}, {counts['plan_pages']} plan pages and {len(counts['tables'])} tables (chithi.xlsx, csv/)")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (this machine only by default)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    data: Path = typer.Option(Path("chithi-data"), "--data", help="Folder for the database and the uploaded files."),
    token: str | None = typer.Option(None, "--token", envvar="CHITHI_TOKEN",
                                     help="Access token every request must carry (for a shared network)."),
    max_upload_mb: float = typer.Option(25.0, "--max-upload-mb", help="Largest file accepted, in MB."),
) -> None:
    """Run the compliance workbench: a Vietnamese web app to check plans against Directive 20."""
    try:
        from .workbench import serve as run_server
        from .workbench.security import warn_if_exposed
    except ImportError as err:
        fail(f"the workbench needs its web packages ({err.name} is missing): reinstall chithi (pip install .)")
    if not 1 <= port <= 65535:
        fail(f"--port must be between 1 and 65535, not {port}")
    if max_upload_mb <= 0:
        fail("--max-upload-mb must be positive")
    try:
        data.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        fail(f"{data}: cannot create the data folder ({err.strerror or err})", EXIT_OUTPUT)
    warning = warn_if_exposed(host, token)
    if warning:
        log.warning(f"warning: {warning}")
    shown = "[::1]" if host == "::1" else host
    log.info(f"workbench on http://{shown}:{port}/ (data in {data}); Ctrl+C stops it")
    run_server(host, port, data, token=token, max_upload_mb=max_upload_mb)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
