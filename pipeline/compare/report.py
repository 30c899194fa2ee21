"""Reports of a comparison: Markdown for terminals and issues (the self-contained HTML page
is in report_html.py). Labels for users are Vietnamese and live in compare/data/report.json.
"""

from __future__ import annotations

from ..resources import data
from ..schema import Comparison
from .quotes import md_text

STATUSES = ("covered", "partial", "missing")


def labels() -> dict:
    return data("pipeline.compare", "report.json")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def _plan_name(result: Comparison) -> str:
    doc = result.plan_document
    parts = [doc.number, doc.title, doc.issued_date and f"({doc.issued_date})"]
    name = " ".join(p for p in parts if p)
    return name or result.plan.path or "văn bản nhập trực tiếp"


def _date_line(result: Comparison) -> tuple[str, str]:
    """(message, css class) about when the plan was issued relative to the reference."""
    summary, text = result.summary, labels()
    if summary.predates_reference is None:
        return text["undated"], "undated"
    css = "predates" if summary.predates_reference else "follows"
    key = css
    if summary.dating == "cites_reference":
        key = "follows_cites"
    elif summary.dating == "latest_date_in_plan":
        key = f"{css}_inferred"
    return text[key].format(plan_date=vn_date(summary.plan_date), reference_date=vn_date(summary.reference_date)), css


def vn_date(iso: str | None) -> str:
    """'2022-12-12' → '12/12/2022', the way Vietnamese documents write dates."""
    if not iso or len(iso.split("-")) != 3:
        return iso or ""
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def _one_line(text: str, limit: int = 220) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + " …"


# ------------------------------------------------------------------------ markdown
def render_markdown(result: Comparison) -> str:
    """The report as Markdown; every piece of document text goes through `_md_text`."""
    text = labels()
    out = [
        f"# {text['heading']}",
        "",
        f"- **{text['plan']}:** {md_text(_plan_name(result))}",
        f"- **{text['reference']}:** {md_text(result.reference_title or result.against)}",
        f"- **{text['overall']}:** {_percent(result.summary.overall)}",
        f"- {md_text(_date_line(result)[0])}",
        "",
        f"| {text['group']} | {text['status']['covered']} | {text['status']['partial']} | "
        f"{text['status']['missing']} | % |",
        "|---|---:|---:|---:|---:|",
    ]
    for g in result.summary.groups:
        out.append(f"| {md_text(g.group)}. {md_text(g.title)} | {g.covered} | {g.partial} | {g.missing} | "
                   f"{_percent(g.coverage)} |")
    out += ["", f"_{text['coverage_note']}_", "", f"## {text['provision']}", "",
            f"| ID | {text['provision']} | {text['status_column']} | {text['score']} | {text['evidence']} |",
            "|---|---|---|---:|---|"]
    for p in result.provisions:
        evidence = "<br>".join(
            f"\\[{md_text(e.section_id or f'{e.start}–{e.end}')}\\] {md_text(_one_line(e.quote, 160))}"
            for e in p.evidence[:2]
        ) or "—"
        out.append(f"| {md_text(p.id)} | {md_text(p.title)} | {text['status'][p.status]} | {p.score:.2f} | "
                   f"{evidence} |")
    out += ["", f"## {text['additions']}", ""]
    if not result.additions:
        out.append(text["no_additions"])
    for a in result.additions:
        extra = []
        if a.targets:
            extra.append(f"{text['targets']}: " + "; ".join(md_text(t) for t in a.targets))
        if a.markets:
            extra.append(f"{text['markets']}: " + ", ".join(md_text(m) for m in a.markets))
        where = md_text(a.section_id or f"{a.start}–{a.end}")
        out.append(f"- \\[{where}\\] {md_text(_one_line(a.quote))}" + (f" ({'; '.join(extra)})" if extra else ""))
    return "\n".join(out) + "\n"
