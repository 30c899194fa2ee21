"""Time and peak memory of `chithi report` on a synthetic archive of N documents.

    .venv/bin/python scripts/bench_rollup.py --documents 100000

A batch's Parquet output over the samples and the gazette PDFs (with --compare) is made
once, then replicated with DuckDB until it holds N documents: each copy gets its own doc_id,
number and province (cycled through the 63 provinces), so the roll-up groups, joins and
writes as it would for a real archive of that size. The roll-up runs in a child process
whose peak RSS is read from the kernel (ru_maxrss of the children).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# `chithi report ARCHIVE` in a process that prints its own peak RSS (kB) when done
MEASURED = """
import resource, sys
from pipeline.cli import main
sys.argv = ["chithi", "-q", "report", sys.argv[1]]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
TABLES = ("documents", "markets", "targets", "figures", "references", "comparisons")


def base_archive(folder: Path) -> Path:
    out = folder / "base"
    subprocess.run([sys.executable, "-m", "pipeline.cli", "-q", "batch", str(ROOT / "corpus" / "samples"),
                    str(ROOT / "corpus" / "pdf"), "-o", str(out), "--workers", "2", "--compare", "directive-20"],
                   check=False, cwd=ROOT)
    return out


def replicate(base: Path, out: Path, documents: int) -> None:
    import duckdb

    sys.path.insert(0, str(ROOT))
    from pipeline.resources import data

    provinces = [p["name"] for p in data("pipeline.text", "admin_units.json")["provinces"]]
    out.mkdir(parents=True, exist_ok=True)
    db = duckdb.connect()
    ((count,),) = db.execute(f"SELECT count(*) FROM '{base}/documents.parquet'").fetchall()
    copies = -(-documents // count)
    db.execute(f"CREATE TABLE copies AS SELECT range AS copy FROM range({copies})")
    db.execute("CREATE TABLE provinces (i INTEGER, name VARCHAR)")
    db.executemany("INSERT INTO provinces VALUES (?, ?)", list(enumerate(provinces)))
    for table in TABLES:
        source = base / f"{table}.parquet"
        if not source.exists():
            continue
        columns = db.sql(f"SELECT * FROM '{source}' LIMIT 0").columns
        select = []
        for column in columns:
            if column == "doc_id":
                select.append("t.doc_id || '-' || c.copy AS doc_id")
            elif column == "province":
                select.append(f"(SELECT name FROM provinces WHERE i = c.copy % {len(provinces)}) AS province")
            elif column == "number" and table == "documents":
                select.append("CASE WHEN t.number IS NULL THEN NULL ELSE c.copy || '/' || t.number END AS number")
            else:
                select.append(f't."{column}"')
        limit = f"WHERE c.copy * {count} < {documents}" if table == "documents" else ""
        db.execute(f"COPY (SELECT {', '.join(select)} FROM '{source}' t, copies c {limit}) "
                   f"TO '{out}/{table}.parquet' (FORMAT parquet)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chithi-rollup-"))
    base = base_archive(work)
    archive = work / "archive"
    replicate(base, archive, args.documents)
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", MEASURED, str(archive)], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode:
        raise SystemExit(run.stderr[-2000:])
    peak_mb = int(run.stdout.split()[-1]) / 1024
    report = archive / "report"
    print(json.dumps({"documents": args.documents, "seconds": round(seconds, 1), "peak_rss_mb": round(peak_mb),
                      "plan_pages": len(list((report / "plans").glob("*.html"))),
                      "xlsx_mb": round((report / "chithi.xlsx").stat().st_size / 1e6, 1),
                      "index_kb": round((report / "index.html").stat().st_size / 1e3)}, indent=1))


if __name__ == "__main__":
    main()
