"""Roll-ups of an archive for researchers: `chithi report OUT_DIR`.

From a batch's Parquet output (queried with DuckDB, `queries`) it writes, under
OUT_DIR/report/:

    index.html      one offline page in Vietnamese: documents by type, level and year; markets
                    by province (heat map); targets by province and year with the results
                    reported beside them; Directive 20 coverage as a province × provision heat
                    map; the plan hierarchy; OCR and repair quality. Charts are inline SVG
                    (`svg`); each links to the plans behind it.
    plans.html      every plan, filterable by the province, market or year a chart links with
    plans/*.html    a page per plan (its targets and results, markets, place in the hierarchy,
                    and its Directive 20 report when the batch compared it)
    chithi.xlsx     one sheet per table, Vietnamese headers, frozen and filtered header row
    csv/*.csv       the same tables as CSV
"""

from __future__ import annotations

import html
import re
import shutil
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..resources import data_text
from . import hierarchy, svg
from .queries import Archive, Table
from .sheets import write_csv, write_workbook

KINDS_VI = {"target": "chỉ tiêu", "achieved": "kết quả", "statistic": "số liệu", "budget": "kinh phí"}
TOP_MARKETS = 15
CHART_METRIC = "workers_sent"


def build(out_dir: Path, *, include_non_plans: bool = False) -> Path:
    """Write OUT_DIR/report/ (see the module docstring); returns the path of index.html.

    The report is built in OUT_DIR/.report.tmp and then put in place of the old one, so a
    reader never sees half a report, and no page of a document gone from the batch stays."""
    archive = Archive(out_dir, include_non_plans)
    final, report, old = out_dir / "report", out_dir / ".report.tmp", out_dir / ".report.old"
    for leftover in (report, old):
        shutil.rmtree(leftover, ignore_errors=True)
    _build_into(report, archive, out_dir, include_non_plans)
    if final.is_dir() and not final.is_symlink():
        final.rename(old)
    report.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return final / "index.html"


def _build_into(report: Path, archive: Archive, out_dir: Path, include_non_plans: bool) -> None:
    (report / "plans").mkdir(parents=True, exist_ok=True)
    (report / "csv").mkdir(exist_ok=True)
    plans = archive.plans()
    pages = {p["doc_id"]: f"plans/{_slug(p['doc_id'])}.html" for p in plans}
    titles = {p["doc_id"]: _label(p) for p in plans}
    links = hierarchy.resolve(archive)
    tables = [archive.documents_by_type(), archive.markets_by_province(), archive.targets_by_year(),
              archive.coverage(), archive.missing_provisions(), hierarchy.table(links, titles), archive.quality()]
    write_workbook(tables, report / "chithi.xlsx")
    csv = [write_csv(t, report / "csv").name for t in tables]
    by_name = {t.name: t for t in tables}
    markets_of, years_of = _plan_facets(archive)
    comparisons = _comparison_pages(out_dir, report, pages)
    _write_plan_pages(archive, report, plans, pages, links, titles, comparisons)
    environment = _templates()
    (report / "style.css").write_text(data_text("pipeline.rollup", "style.css"), "utf-8")
    (report / "plans.html").write_text(environment.get_template("plans.html").render(plans=[
        {**p, "page": pages[p["doc_id"]], "markets": markets_of.get(p["doc_id"], []),
         "years": years_of.get(p["doc_id"], [])} for p in plans]), "utf-8")
    index = environment.get_template("index.html").render(
        version=__version__, out_dir=out_dir, generated=datetime.now().strftime("%d/%m/%Y %H:%M"),
        include_non_plans=include_non_plans, totals=_totals(archive), csv=csv,
        charts={"documents": _documents_chart(by_name["van_ban"]), "markets": _markets_chart(by_name["thi_truong"]),
                "targets": _targets_charts(by_name["chi_tieu"]), "coverage": _coverage_chart(by_name["bao_quat"]),
                "quality": _quality_chart(archive), "repairs": _repairs_chart(archive)},
        legend_documents=svg.legend(["kế hoạch, chương trình", "văn bản khác"]),
        legend_targets=svg.legend(["chỉ tiêu", "kết quả"]), missing=by_name["thieu"],
        tree=_tree_html(links, titles, pages),
        missing_cited=_missing_cited(links, titles, pages))
    (report / "index.html").write_text(index, "utf-8")


def _missing_cited(links: list[hierarchy.Link], titles: dict[str, str],
                   pages: dict[str, str]) -> list[tuple[dict[str, Any], str]]:
    """Each (plan, cited number) whose cited plan is not in the archive, once."""
    seen, out = set(), []
    for link in links:
        if link.parent is None and (link.child, link.number) not in seen:
            seen.add((link.child, link.number))
            out.append(({"page": pages.get(link.child, "#"), "number": link.number, "date": link.date,
                         "issuer": link.issuer}, titles.get(link.child, link.child)))
    return out


def _templates() -> Any:
    from jinja2 import DictLoader, Environment, select_autoescape

    names = ("index.html", "plans.html", "plan.html")
    return Environment(loader=DictLoader({n: data_text("pipeline.rollup", n) for n in names}),
                       autoescape=select_autoescape(default=True))


def _slug(doc_id: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "-", doc_id)


def _label(plan: dict[str, Any]) -> str:
    """'12/KH-UBND (Lai Châu, 2023-04-15)', or the title when the plan has no number."""
    where = ", ".join(str(x) for x in (plan.get("province"), plan.get("issued_date")) if x)
    name = plan.get("number") or (plan.get("title") or "")[:60] or plan["doc_id"]
    return f"{name} ({where})" if where else name


def _totals(archive: Archive) -> dict[str, int]:
    ((documents, ocr, provinces),) = archive.rows(
        "SELECT count(*), count(*) FILTER (WHERE ocr_page_count > 0), count(DISTINCT province) FROM documents")
    ((plans,),) = archive.rows("SELECT count(*) FROM plans")
    return {"documents": documents, "plans": plans, "provinces": provinces, "ocr": ocr}


def _plan_facets(archive: Archive) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    markets: dict[str, list[str]] = defaultdict(list)
    for doc_id, code in archive.rows("SELECT DISTINCT m.doc_id, m.code FROM markets m JOIN plans USING (doc_id) "
                                     "WHERE m.code IS NOT NULL ORDER BY 2"):
        markets[doc_id].append(code)
    years: dict[str, list[str]] = defaultdict(list)
    for doc_id, year in archive.rows("SELECT DISTINCT t.doc_id, t.period_end FROM targets t JOIN plans USING (doc_id) "
                                     "WHERE t.period_end IS NOT NULL ORDER BY 2"):
        years[doc_id].append(str(year))
    return markets, years


def _filter_link(**facets: Any) -> str:
    from urllib.parse import urlencode

    return "plans.html?" + urlencode({k: v for k, v in facets.items() if v is not None})


def _documents_chart(table: Table) -> str:
    by_year: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for _, _, year, count, plans in table.rows:
        by_year[year][0] += plans
        by_year[year][1] += count - plans
    years = sorted(by_year)
    return svg.grouped_bars(years, {"kế hoạch, chương trình": [by_year[y][0] for y in years],
                                    "văn bản khác": [by_year[y][1] for y in years]},
                            {}, title="Văn bản theo năm ban hành")


def _markets_chart(table: Table) -> str:
    totals: dict[str, float] = defaultdict(float)
    for _, name, _, plans in table.rows:
        totals[name] += plans
    columns = sorted(totals, key=lambda name: -totals[name])[:TOP_MARKETS]
    provinces = sorted({province for province, *_ in table.rows})
    values = {(province, name): plans for province, name, _, plans in table.rows if name in columns}
    codes = {name: code for _, name, code, _ in table.rows}
    links = {(p, n): _filter_link(province=p, market=codes[n]) for p, n in values}
    return svg.heatmap(provinces, columns, values, links, title="Thị trường theo tỉnh (số kế hoạch)")


def _targets_charts(table: Table) -> list[tuple[str, str]]:
    series: dict[str, dict[int, list[float | None]]] = defaultdict(dict)
    for province, year, metric, unit, planned, _, achieved, _ in table.rows:
        if metric == CHART_METRIC and unit == "person" and year:
            series[province][year] = [planned, achieved]
    charts = []
    for province in sorted(series):
        years = sorted(series[province])
        links = {str(y): _filter_link(province=province, year=y) for y in years}
        charts.append((province, svg.grouped_bars(
            [str(y) for y in years],
            {"chỉ tiêu": [series[province][y][0] for y in years], "kết quả": [series[province][y][1] for y in years]},
            links, title=f"{province}: chỉ tiêu và kết quả")))
    return charts


def _coverage_chart(table: Table) -> str:
    if not table.rows:
        return ""
    provinces = sorted({row[0] for row in table.rows})
    provisions = sorted({row[1] for row in table.rows}, key=_provision_order)
    values = {(province, provision): coverage for province, provision, coverage, _ in table.rows}
    links = {(p, q): _filter_link(province=p) for p, q in values}
    return svg.heatmap(provinces, provisions, values, links, title="Mức bao quát Chỉ thị 20 theo tỉnh", scale=1.0)


def _provision_order(provision_id: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", provision_id))


def _histogram(archive: Archive, sql: str, title: str) -> str:
    rows = archive.rows(sql)
    if not rows:
        return f'<p class="muted">{html.escape(title)}: không có văn bản nào.</p>'
    return svg.grouped_bars([str(b) for b, _ in rows], {"số văn bản": [float(n) for _, n in rows]}, {}, title=title)


def _quality_chart(archive: Archive) -> str:
    return _histogram(archive, "SELECT 10 * floor(ocr_confidence / 10)::INT AS bin, count(*) FROM documents "
                               "WHERE ocr_confidence IS NOT NULL GROUP BY 1 ORDER BY 1", "Độ tin cậy OCR")


def _repairs_chart(archive: Archive) -> str:
    return _histogram(archive, "SELECT least(floor(1000.0 * n_repairs / greatest(text_chars, 1))::INT, 50) AS bin, "
                               "count(*) FROM documents GROUP BY 1 ORDER BY 1", "Chỗ sửa trên 1000 ký tự")


def _tree_html(links: list[hierarchy.Link], titles: dict[str, str], pages: dict[str, str]) -> str:
    children = hierarchy.tree(links)
    cited = {c for kids in children.values() for c in kids}
    roots = [parent for parent in children if parent is not None and parent not in cited]

    def branch(doc_id: str, seen: frozenset[str]) -> str:
        label = html.escape(titles.get(doc_id, doc_id))
        link = f'<a href="{html.escape(pages[doc_id])}">{label}</a>' if doc_id in pages else label
        kids = [k for k in children.get(doc_id, []) if k not in seen]
        inner = "".join(branch(k, seen | {k}) for k in kids)
        return f"<li>{link}{f'<ul class=tree>{inner}</ul>' if inner else ''}</li>"

    if not roots:
        return "<p>Không có kế hoạch nào dẫn chiếu một kế hoạch khác trong kho.</p>"
    return '<ul class="tree">' + "".join(branch(root, frozenset({root})) for root in roots) + "</ul>"


def _comparison_pages(out_dir: Path, report: Path, pages: dict[str, str]) -> dict[str, str]:
    """The CLI's Directive 20 report of each compared plan, next to its page."""
    path = out_dir / "comparisons.jsonl"
    if not path.exists():
        return {}
    from ..batch.export import iter_jsonl
    from ..compare import render
    from ..schema import Comparison, doc_key

    written = {}
    for raw in iter_jsonl(path):
        key = doc_key(raw["plan"])
        if key in pages:
            name = f"plans/{_slug(key)}.directive-20.html"
            (report / name).write_text(render(Comparison.model_validate(raw), "html"), "utf-8")
            written[key] = name.split("/", 1)[1]
    return written


def _write_plan_pages(archive: Archive, report: Path, plans: list[dict[str, Any]], pages: dict[str, str],
                      links: list[hierarchy.Link], titles: dict[str, str], comparisons: dict[str, str]) -> None:
    items: dict[str, list[dict[str, Any]]] = defaultdict(list)
    figures = " UNION ALL SELECT doc_id, kind, metric, value, unit, period_start, period_end, scope, text, start " \
              "FROM figures" if archive.has_figures else ""
    for doc_id, kind, metric, value, unit, start, end, scope, text, _ in archive.rows(
            "SELECT doc_id, 'target', metric, value, unit, period_start, period_end, scope, text, start FROM targets"
            f"{figures} ORDER BY doc_id, 10"):
        period = f"{start}–{end}" if start and end and start != end else str(end or start or "")
        items[doc_id].append({"kind": KINDS_VI.get(kind, kind), "metric": metric, "value": f"{value:,.10g}".replace(",", "."),
                              "unit": unit, "period": period, "scope": scope, "text": text})
    markets: dict[str, list[str]] = defaultdict(list)
    for doc_id, name in archive.rows("SELECT DISTINCT doc_id, name FROM markets WHERE code IS NOT NULL ORDER BY 2"):
        markets[doc_id].append(name)
    parents: dict[str, list[dict[str, str]]] = defaultdict(list)
    children: dict[str, list[dict[str, str]]] = defaultdict(list)
    for link in links:
        if link.parent is not None and link.parent in pages:
            parents[link.child].append({"page": "../" + pages[link.parent], "label": titles[link.parent]})
            children[link.parent].append({"page": "../" + pages[link.child], "label": titles[link.child]})
    template = _templates().get_template("plan.html")
    for plan in plans:
        key = plan["doc_id"]
        (report / pages[key]).write_text(template.render(
            plan=plan, items=items.get(key, []), markets=markets.get(key, []), parents=parents.get(key, []),
            children=children.get(key, []), comparison=comparisons.get(key)), "utf-8")


def summary(out_dir: Path) -> dict[str, Any]:
    """Counts written, for the command line's closing line."""
    report = out_dir / "report"
    return {"index": str(report / "index.html"), "plan_pages": len(list((report / "plans").glob("*.html"))),
            "tables": [p.name for p in sorted((report / "csv").glob("*.csv"))]}
