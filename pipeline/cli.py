"""The `chithi` command: a thin layer that parses arguments and calls the library."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="chithi: văn bản chỉ đạo, kế hoạch tiếng Việt → JSON có cấu trúc, gắn vị trí trong văn bản.",
)

EXIT_INPUT_ERROR = 2


def fail(message: str, code: int = EXIT_INPUT_ERROR) -> None:
    """One clear line on stderr, no traceback."""
    typer.echo(f"chithi: {message}", err=True)
    raise typer.Exit(code)


def _open_out(output: Optional[Path]):
    if output is None:
        return sys.stdout
    output.parent.mkdir(parents=True, exist_ok=True)
    return output.open("w", encoding="utf-8")


@app.command()
def extract(
    files: list[Path] = typer.Argument(..., help="Input files: .txt .md .docx .pdf .png .jpg .tif …"),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write JSON Lines here instead of stdout."),
    no_repair: bool = typer.Option(False, "--no-repair", help="Skip the repair stage (normalisation only)."),
    pretty: bool = typer.Option(False, "--pretty", help="Indented JSON (one object per document, not JSONL)."),
) -> None:
    """Extract one JSON object per document (JSON Lines) from each file."""
    from .core import extract as run_extract
    from .errors import ChithiError

    failures = 0
    out = _open_out(output)
    try:
        for path in files:
            try:
                records = run_extract(path, repair=not no_repair, progress=sys.stderr.isatty())
            except ChithiError as err:
                typer.echo(f"chithi: {err}", err=True)
                failures += 1
                continue
            except Exception as err:  # a bug must still name the file, not dump a traceback
                typer.echo(f"chithi: {path}: internal error ({type(err).__name__}: {err})", err=True)
                failures += 1
                continue
            for record in records:
                out.write(record.model_dump_json(indent=2 if pretty else None) + "\n")
            out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    if failures:
        raise typer.Exit(EXIT_INPUT_ERROR)


@app.command()
def repair(
    file: str = typer.Argument(..., help="A file, or - for standard input."),
    report: bool = typer.Option(False, "--report", help="List each repair on stderr (original → replacement)."),
) -> None:
    """Print the repaired text of a file (or of standard input)."""
    from .errors import ChithiError
    from .ingest import ingest_path, ingest_text
    from .repair import repair as run_repair

    try:
        ingested = ingest_text(sys.stdin.read()) if file == "-" else ingest_path(Path(file))
    except ChithiError as err:
        fail(str(err))
    fixed = run_repair(ingested.text)
    sys.stdout.write(fixed.text)
    if not fixed.text.endswith("\n"):
        sys.stdout.write("\n")
    if report:
        for r in fixed.repairs:
            typer.echo(f"{r.start}-{r.end}\t{r.kind}\t{r.original!r} → {r.replacement!r}\t{r.confidence:.2f}", err=True)


@app.command()
def schema(
    out_dir: Path = typer.Option(Path("schemas"), "-o", "--out-dir", help="Folder for the JSON Schema files."),
    check: bool = typer.Option(False, "--check", help="Only check that the files are up to date."),
) -> None:
    """Write (or check) the published JSON Schema generated from the pydantic models."""
    from .export import schema_files

    stale = []
    for name, content in schema_files().items():
        path = out_dir / name
        if check:
            if not path.exists() or path.read_text("utf-8") != content:
                stale.append(str(path))
        else:
            out_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(content, "utf-8")
            typer.echo(f"wrote {path}", err=True)
    if stale:
        fail("schema files out of date: " + ", ".join(stale) + " (run: chithi schema)", 1)


@app.command()
def compare(
    file: Path = typer.Argument(..., help="The local plan to check."),
    against: str = typer.Option("directive-20", "--against", help="A reference id (directive-20) or another plan's file."),
    fmt: str = typer.Option("json", "--format", help="json, md or html."),
    output: Optional[Path] = typer.Option(None, "-o", "--output"),
) -> None:
    """Compare a local plan with Directive 20-CT/TW (or with the plan it implements)."""
    from .compare import compare as run_compare, render
    from .errors import ChithiError

    if fmt not in {"json", "md", "html"}:
        fail(f"--format must be json, md or html, not {fmt!r}")
    try:
        report = render(run_compare(file, against=against), fmt)
    except ChithiError as err:
        fail(str(err))
    except Exception as err:  # a bug must still name the file, not dump a traceback
        fail(f"{file}: internal error while comparing ({type(err).__name__}: {err})")
    out = _open_out(output)
    out.write(report)
    if out is not sys.stdout:
        out.close()
        typer.echo(f"wrote {output}", err=True)


@app.command()
def batch(
    inputs: list[str] = typer.Argument(..., help="Folders, files or glob patterns."),
    out_dir: Path = typer.Option(..., "-o", "--out-dir", help="Output folder."),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes (local) or parallel tasks (ray)."),
    engine: str = typer.Option("local", "--engine", help="local or ray."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster address (ray engine)."),
    resume: bool = typer.Option(False, "--resume", help="Skip files already done (same content and pipeline version)."),
    compare_with: Optional[str] = typer.Option(None, "--compare", help="Also compare each plan with this reference."),
    no_repair: bool = typer.Option(False, "--no-repair"),
    no_parquet: bool = typer.Option(False, "--no-parquet", help="Write JSON Lines only."),
    max_file_mb: float = typer.Option(25.0, "--max-file-mb", help="Larger files are reported as errors."),
) -> None:
    """Process an archive: progress, resume, per-file error isolation, JSONL and Parquet.

    Exit code: 0 all files succeeded, 3 some failed (see OUT_DIR/errors.jsonl), 2 usage error,
    130 interrupted (rerun with --resume).
    """
    from .batch import run_batch

    code = run_batch(
        inputs, out_dir, workers=workers, engine=engine, ray_address=ray_address, resume=resume,
        compare_with=compare_with, repair=not no_repair, parquet=not no_parquet, max_file_mb=max_file_mb,
    )
    raise typer.Exit(code)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
