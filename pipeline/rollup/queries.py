"""The roll-up's tables, as DuckDB queries over a batch's Parquet output.

Every table is a `Table`: Vietnamese column headers and rows, ready for a sheet, a CSV or a
chart. Plans are the documents typed Kế hoạch or Chương trình (or, when the comparison
says so, any document that implements Directive 20); other documents — cover letters,
statutes, reports — are counted in the document table but left out of the market, target
and coverage statistics unless `include_non_plans` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLAN_TYPES = ("ke_hoach", "chuong_trinh")
STATUS_SCORE = {"covered": 1.0, "partial": 0.5, "missing": 0.0}  # "not_applicable" is left out


@dataclass
class Table:
    name: str  # file and sheet name
    title: str  # Vietnamese title
    columns: list[str]  # Vietnamese headers
    rows: list[tuple[Any, ...]]
    links: list[str | None] = field(default_factory=list)  # per row: the plan page it comes from, when one


class Archive:
    """A batch's output folder, queried with DuckDB."""

    def __init__(self, out_dir: Path, include_non_plans: bool = False) -> None:
        import duckdb

        self.out_dir = out_dir
        self.db = duckdb.connect()
        for name in ("documents", "markets", "targets", "figures", "references", "comparisons"):
            path = out_dir / f"{name}.parquet"
            if path.exists():
                self.db.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_parquet('{_sql_path(path)}')")
        if not (out_dir / "documents.parquet").exists():
            raise FileNotFoundError(f"{out_dir}: no documents.parquet (run chithi batch without --no-parquet)")
        self.has_comparisons = (out_dir / "comparisons.parquet").exists()
        self.has_figures = (out_dir / "figures.parquet").exists()
        plan_filter = "TRUE" if include_non_plans else f"doc_type IN {PLAN_TYPES}"
        self.db.execute(f"CREATE VIEW plans AS SELECT * FROM documents WHERE {plan_filter}")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.db.execute(sql).fetchall()

    # ------------------------------------------------------------------ tables
    def documents_by_type(self) -> Table:
        rows = self.rows("""
            SELECT coalesce(doc_type, 'không rõ'), coalesce(issuer_level, 'không rõ'),
                   coalesce(substr(issued_date, 1, 4), 'không rõ') AS year, count(*) AS n,
                   count(*) FILTER (WHERE doc_type IN ('ke_hoach', 'chuong_trinh')) AS plans
            FROM documents GROUP BY ALL ORDER BY 1, 2, 3""")
        return Table("van_ban", "Văn bản theo loại, cấp và năm",
                     ["Loại văn bản", "Cấp ban hành", "Năm", "Số văn bản", "Trong đó kế hoạch, chương trình"], rows)

    def markets_by_province(self) -> Table:
        rows = self.rows("""
            SELECT p.province, m.name, m.code, count(DISTINCT m.doc_id) AS plans
            FROM markets m JOIN plans p USING (doc_id)
            WHERE m.kind IN ('country', 'region') AND p.province IS NOT NULL
            GROUP BY ALL ORDER BY 1, 4 DESC, 2""")
        return Table("thi_truong", "Thị trường theo tỉnh", ["Tỉnh", "Thị trường", "Mã", "Số kế hoạch"], rows)

    def targets_by_year(self) -> Table:
        """Per province, year and metric: the largest planned figure and the largest result
        reported, with how many documents give each (the largest, so that a province plan and
        its district plans are not added up)."""
        achieved = ("""
            SELECT d.province, f.period_end AS year, f.metric, f.unit, max(f.value) AS achieved,
                   count(DISTINCT f.doc_id) AS reports
            FROM figures f JOIN documents d USING (doc_id)
            WHERE f.kind = 'achieved' AND f.period_end IS NOT NULL AND d.province IS NOT NULL
            GROUP BY ALL""" if self.has_figures else
                    "SELECT NULL::VARCHAR province, NULL::BIGINT year, NULL::VARCHAR metric, NULL::VARCHAR unit, "
                    "NULL::DOUBLE achieved, 0::BIGINT reports WHERE FALSE")
        rows = self.rows(f"""
            WITH planned AS (
                SELECT p.province, t.period_end AS year, t.metric, t.unit, max(t.value) AS planned,
                       count(DISTINCT t.doc_id) AS plans
                FROM targets t JOIN plans p USING (doc_id)
                WHERE t.period_end IS NOT NULL AND t.table_index IS NULL AND t.scope IS DISTINCT FROM 'per commune'
                      AND p.province IS NOT NULL
                GROUP BY ALL),
            achieved AS ({achieved})
            SELECT province, year, metric, unit, planned, plans, achieved, reports
            FROM planned FULL JOIN achieved USING (province, year, metric, unit)
            ORDER BY 1, 2, 3""")
        return Table("chi_tieu", "Chỉ tiêu và kết quả theo tỉnh, năm",
                     ["Tỉnh", "Năm", "Chỉ số", "Đơn vị", "Chỉ tiêu (lớn nhất)", "Số kế hoạch",
                      "Kết quả (lớn nhất)", "Số báo cáo"], rows)

    def coverage(self) -> Table:
        if not self.has_comparisons:
            return Table("bao_quat", "Mức bao quát Chỉ thị 20 theo tỉnh", ["Tỉnh", "Điều khoản", "Mức bao quát",
                                                                           "Số kế hoạch"], [])
        scores = " ".join(f"WHEN '{status}' THEN {score}" for status, score in STATUS_SCORE.items())
        rows = self.rows(f"""
            SELECT p.province, c.provision_id, round(avg(CASE c.status {scores} END), 3) AS coverage,
                   count(DISTINCT c.doc_id) AS plans
            FROM comparisons c JOIN plans p USING (doc_id)
            WHERE c.status IN ('covered', 'partial', 'missing') AND p.province IS NOT NULL
            GROUP BY ALL ORDER BY 1, 2""")
        return Table("bao_quat", "Mức bao quát Chỉ thị 20 theo tỉnh (1 = đủ, 0,5 = một phần, 0 = thiếu)",
                     ["Tỉnh", "Điều khoản", "Mức bao quát", "Số kế hoạch"], rows)

    def missing_provisions(self) -> Table:
        if not self.has_comparisons:
            return Table("thieu", "Điều khoản thường bị thiếu", ["Điều khoản", "Nội dung", "Số kế hoạch thiếu",
                                                                 "Số kế hoạch"], [])
        rows = self.rows("""
            SELECT c.provision_id, any_value(c.provision_title),
                   count(*) FILTER (WHERE c.status = 'missing') AS missing, count(*) AS plans
            FROM comparisons c JOIN plans p USING (doc_id)
            WHERE c.status IN ('covered', 'partial', 'missing')
            GROUP BY 1 ORDER BY 3 DESC, 1""")
        return Table("thieu", "Điều khoản thường bị thiếu", ["Điều khoản", "Nội dung", "Số kế hoạch thiếu",
                                                             "Số kế hoạch"], rows)

    def quality(self) -> Table:
        rows = self.rows("""
            SELECT doc_id, path, coalesce(doc_type, ''), format, pages, ocr_page_count, ocr_confidence,
                   round(1000.0 * n_repairs / greatest(text_chars, 1), 2) AS repairs_per_1000, n_warnings
            FROM documents ORDER BY ocr_confidence NULLS LAST, repairs_per_1000 DESC""")
        return Table("chat_luong", "Chất lượng nhận dạng và sửa lỗi",
                     ["Mã văn bản", "Tệp", "Loại", "Định dạng", "Số trang", "Trang OCR", "Độ tin cậy OCR",
                      "Chỗ sửa / 1000 ký tự", "Cảnh báo"], rows)

    def plans(self) -> list[dict[str, Any]]:
        columns = ["doc_id", "path", "doc_type", "number", "issued_date", "province", "issuer", "issuer_level", "title"]
        return [dict(zip(columns, row)) for row in self.rows(f"SELECT {', '.join(columns)} FROM plans ORDER BY province, issued_date")]

    def references(self) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
        """(doc_id, cited type, cited number, cited date, cited issuer) of every citation of a plan."""
        return self.rows("SELECT r.doc_id, r.doc_type, r.number, r.date, r.issuer FROM \"references\" r "
                         "JOIN plans p USING (doc_id)") if (self.out_dir / "references.parquet").exists() else []

    def numbers(self) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
        """(doc_id, number, issued date, doc_type, province) of every document of the archive."""
        return self.rows("SELECT doc_id, number, issued_date, doc_type, province FROM documents")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
