"""Reports of a comparison: Markdown for terminals and issues, one self-contained HTML page.

The HTML page has no external assets or scripts: CSS is inline, and every piece of
document text goes through `html.escape`, so a plan that contains `<script>` shows it as
text. Labels for users are Vietnamese and live in compare/data/report.json; the page layout is
the string template compare/data/report.html.
"""

from __future__ import annotations

import re
from functools import cache
from html import escape
from string import Template

from ..resources import data, data_text
from ..schema import Comparison, Evidence, GroupCoverage, ProvisionResult

STATUSES = ("covered", "partial", "missing")


def labels() -> dict:
    return data("pipeline.compare", "report.json")


@cache
def _page() -> Template:
    return Template(data_text("pipeline.compare", "report.html"))


def _percent(value: float) -> str:
    return f"{round(100 * value)}%"


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
    return text[key].format(plan_date=_vn_date(summary.plan_date), reference_date=_vn_date(summary.reference_date)), css


def _vn_date(iso: str | None) -> str:
    """'2022-12-12' → '12/12/2022', the way Vietnamese documents write dates."""
    if not iso or len(iso.split("-")) != 3:
        return iso or ""
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def _one_line(text: str, limit: int = 220) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + " …"


# ------------------------------------------------------------------------ markdown
# Document text is inline content in the Markdown report (a list item, a table cell), never
# the start of a line. What can make markup there: HTML and entities (`<`, `&`, written as
# entities here), the inline syntax of CommonMark and its common extensions (code, emphasis,
# links and images, tables, strikethrough, math, superscript, marks, GitHub references and
# mentions: backslash-escaped), and links that renderers make from bare addresses (linkify:
# `www.`, `http://`, `name@host`, `host.vn`: the `.` before a letter and the `:` of `://` are
# escaped). Every escape renders as the character itself; the rest (Vietnamese letters,
# digits, `-`, `/`, `,`, `(`, …) is left as it is, so the file stays readable in a terminal.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_SYNTAX = re.compile(r"[\\`*_\[\]!|~$^=+#@{}]|\.(?=[A-Za-z])|:(?=//)")


def _md_text(text: str) -> str:
    """Document text as inline Markdown that renders as exactly this text: one line, no markup."""
    flat = " ".join(text.split())
    flat = "".join(_MD_ENTITIES.get(char, char) for char in flat)
    return _MD_SYNTAX.sub(lambda match: "\\" + match.group(), flat)


def render_markdown(result: Comparison) -> str:
    """The report as Markdown; every piece of document text goes through `_md_text`."""
    text = labels()
    out = [
        f"# {text['heading']}",
        "",
        f"- **{text['plan']}:** {_md_text(_plan_name(result))}",
        f"- **{text['reference']}:** {_md_text(result.reference_title or result.against)}",
        f"- **{text['overall']}:** {_percent(result.summary.overall)}",
        f"- {_md_text(_date_line(result)[0])}",
        "",
        f"| {text['group']} | {text['status']['covered']} | {text['status']['partial']} | "
        f"{text['status']['missing']} | % |",
        "|---|---:|---:|---:|---:|",
    ]
    for g in result.summary.groups:
        out.append(f"| {_md_text(g.group)}. {_md_text(g.title)} | {g.covered} | {g.partial} | {g.missing} | "
                   f"{_percent(g.coverage)} |")
    out += ["", f"_{text['coverage_note']}_", "", f"## {text['provision']}", "",
            f"| ID | {text['provision']} | {text['status_column']} | {text['score']} | {text['evidence']} |",
            "|---|---|---|---:|---|"]
    for p in result.provisions:
        evidence = "<br>".join(
            f"\\[{_md_text(e.section_id or f'{e.start}–{e.end}')}\\] {_md_text(_one_line(e.quote, 160))}"
            for e in p.evidence[:2]
        ) or "—"
        out.append(f"| {_md_text(p.id)} | {_md_text(p.title)} | {text['status'][p.status]} | {p.score:.2f} | "
                   f"{evidence} |")
    out += ["", f"## {text['additions']}", ""]
    if not result.additions:
        out.append(text["no_additions"])
    for a in result.additions:
        extra = []
        if a.targets:
            extra.append(f"{text['targets']}: " + "; ".join(_md_text(t) for t in a.targets))
        if a.markets:
            extra.append(f"{text['markets']}: " + ", ".join(_md_text(m) for m in a.markets))
        where = _md_text(a.section_id or f"{a.start}–{a.end}")
        out.append(f"- \\[{where}\\] {_md_text(_one_line(a.quote))}" + (f" ({'; '.join(extra)})" if extra else ""))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- html
def _bar(covered: int, partial: int, missing: int) -> str:
    total = max(covered + partial + missing, 1)
    return '<div class="bar">' + "".join(
        f'<span class="{name}" style="width:{100 * count / total:.1f}%"></span>'
        for name, count in zip(STATUSES, (covered, partial, missing))
    ) + "</div>"


def _groups_html(groups: list[GroupCoverage]) -> str:
    text = labels()
    head = (f"<tr><th>{escape(text['group'])}</th><th></th>"
            + "".join(f"<th>{escape(text['status'][s])}</th>" for s in STATUSES) + "<th>%</th></tr>")
    rows = [
        f"<tr><td>{escape(g.group)}. {escape(g.title)}</td><td style=\"width:30%\">{_bar(g.covered, g.partial, g.missing)}</td>"
        f'<td class="num">{g.covered}</td><td class="num">{g.partial}</td><td class="num">{g.missing}</td>'
        f'<td class="num">{_percent(g.coverage)}</td></tr>'
        for g in groups
    ]
    return f'<table class="groups">{head}{"".join(rows)}</table>'


def _evidence_html(e: Evidence) -> str:
    text = labels()
    meta = [f"{text['section']} {escape(e.section_id)}" if e.section_id else f"{e.start}–{e.end}",
            f"{text['score']} {e.score:.2f}"]
    if e.repaired:
        meta.append(escape(text["repaired"]))
    cues = "".join(f'<span class="cue">{escape(c)}</span>' for c in e.cues)
    return (
        f'<div class="evidence"><div class="meta">{" · ".join(meta)}</div>'
        f'<div class="quote"><span class="context">{escape(e.before)}</span><mark>{escape(e.quote)}</mark>'
        f'<span class="context">{escape(e.after)}</span></div>'
        + (f'<div class="meta">{escape(text["cues"])}: {cues}</div>' if cues else "")
        + "</div>"
    )


def _provision_html(p: ProvisionResult) -> str:
    text = labels()
    evidence = "".join(_evidence_html(e) for e in p.evidence) or f'<p class="empty">{escape(text["no_evidence"])}</p>'
    return (
        f'<article class="provision" id="{escape(p.id)}"><div class="ref">'
        f'<h3>{escape(p.id)} · {escape(p.title)}</h3>'
        f'<span class="badge {p.status}">{escape(text["status"][p.status])}</span> '
        f'<span class="meta">{escape(text["score"])} {p.score:.2f}</span>'
        + (f"<p>{escape(p.text)}</p>" if p.text else "")
        + f"</div><div>{evidence}</div></article>"
    )


def _additions_html(result: Comparison) -> str:
    text = labels()
    if not result.additions:
        return f'<p class="empty">{escape(text["no_additions"])}</p>'
    items = []
    for a in result.additions:
        meta = [f"{text['section']} {a.section_id}" if a.section_id else f"{a.start}–{a.end}"]
        if a.targets:
            meta.append(f"{text['targets']}: " + "; ".join(a.targets))
        if a.markets:
            meta.append(f"{text['markets']}: " + ", ".join(a.markets))
        items.append(f'<div class="addition"><div class="meta">{escape(" · ".join(meta))}</div>'
                     f'<div class="quote">{escape(a.quote)}</div></div>')
    return "".join(items)


def render_html(result: Comparison) -> str:
    text = labels()
    date_message, date_class = _date_line(result)
    return _page().substitute(
        title=escape(f"{text['heading']}: {_plan_name(result)}"),
        heading=escape(text["heading"]),
        plan_line=escape(f"{text['plan']}: {_plan_name(result)}"),
        reference_line=escape(f"{text['reference']}: {result.reference_title or result.against}"),
        overall=_percent(result.summary.overall),
        overall_label=escape(text["overall"]),
        groups=_groups_html(result.summary.groups),
        coverage_note=escape(text["coverage_note"]),
        date_line=f'<p class="date {date_class}">{escape(date_message)}</p>',
        provisions_heading=escape(text["provision"]) + " ↔ " + escape(text["evidence"]),
        provisions="\n".join(_provision_html(p) for p in result.provisions),
        additions_heading=escape(text["additions"]),
        additions=_additions_html(result),
    )
