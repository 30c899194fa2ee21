"""The comparison as one self-contained HTML page (`chithi compare --format html`).

Read top to bottom as a reviewer works: is the document a plan for the reference at all
(relevance, first), can its text be trusted (scan quality), when was it issued, the
coverage per group, a legend of the statuses, the checklist of provisions (each linked to
its evidence below), the evidence with the matched words marked (for a provision without
evidence, the closest passage), the plan's additions, and where the result comes from
(provenance). No external assets or scripts: CSS is inline, and every piece of document
text goes through `html.escape`, so a plan that contains `<script>` shows it as text.
The layout is the string template compare/data/report.html; labels are in report.json.
"""

from __future__ import annotations

from functools import cache
from html import escape
from string import Template

from ..extract.side_by_side import metric_label, scope_label, value_text
from ..resources import data_text
from ..schema import Comparison, Evidence, FigureInContext, GroupCoverage, ProvisionResult, TargetInContext
from .notices import labels, provenance_rows, quality_notice, relevance_notice
from .quotes import cue_segments, plain
from .report import _date_line, _percent, _plan_name

STATUSES = ("covered", "partial", "missing", "not_applicable")


@cache
def _page() -> Template:
    return Template(data_text("pipeline.compare", "report.html"))


def marked_quote(quote: str, cues: list[str]) -> str:
    """The quote without Markdown, escaped, its matched cue words in <mark>."""
    return "".join(f"<mark>{escape(piece)}</mark>" if hit else escape(piece) for piece, hit in cue_segments(plain(quote), cues))


def _bar(counts: dict[str, int]) -> str:
    total = max(sum(counts.values()), 1)
    return '<div class="bar">' + "".join(
        f'<span class="{name}" style="width:{100 * counts[name] / total:.1f}%"></span>' for name in STATUSES
    ) + "</div>"


def _groups_html(groups: list[GroupCoverage]) -> str:
    text = labels()
    head = (f"<tr><th>{escape(text['group'])}</th><th></th>"
            + "".join(f"<th>{escape(text['status'][s])}</th>" for s in STATUSES) + "<th>%</th></tr>")
    rows = []
    for g in groups:
        counts = {"covered": g.covered, "partial": g.partial, "missing": g.missing, "not_applicable": g.not_applicable}
        rows.append(f"<tr><td>{escape(g.group)}. {escape(g.title)}</td><td style=\"width:26%\">{_bar(counts)}</td>"
                    + "".join(f'<td class="num">{counts[s]}</td>' for s in STATUSES)
                    + f'<td class="num">{_percent(g.coverage)}</td></tr>')
    return f'<table class="groups">{head}{"".join(rows)}</table>'


def badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(labels()["status"][status])}</span>'


def _legend() -> str:
    text = labels()
    items = "".join(f"<li>{badge(s)} {escape(text['status_help'][s])}</li>" for s in STATUSES)
    return f'<section class="legend"><h2>{escape(text["legend"])}</h2><ul>{items}</ul></section>'


def _checklist(result: Comparison) -> str:
    text = labels()
    rows = "".join(
        f'<tr><td><a href="#{escape(p.id)}">{escape(p.id)}</a></td><td><a href="#{escape(p.id)}">{escape(p.title)}</a></td>'
        f'<td>{badge(p.status)}</td><td class="num">{p.score:.2f}</td></tr>'
        for p in result.provisions
    )
    return (f'<section class="checklist"><h2>{escape(text["checklist"])}</h2><table><tr><th>ID</th>'
            f'<th>{escape(text["provision"])}</th><th>{escape(text["status_column"])}</th><th>{escape(text["score"])}</th>'
            f"</tr>{rows}</table></section>")


def _evidence_html(e: Evidence, closest: bool = False) -> str:
    text = labels()
    meta = [f"{text['section']} {escape(e.section_id)}" if e.section_id else f"{e.start}–{e.end}",
            f"{text['score']} {e.score:.2f}"]
    if e.repaired:
        meta.append(escape(text["repaired"]))
    if closest:
        meta.insert(0, escape(text["closest"]))
    cues = "".join(f'<span class="cue">{escape(c)}</span>' for c in e.cues)
    return (
        f'<div class="evidence{" closest" if closest else ""}"><div class="meta">{" · ".join(meta)}</div>'
        f'<div class="quote"><span class="context">{escape(e.before)}</span><span class="q">{marked_quote(e.quote, e.cues)}</span>'
        f'<span class="context">{escape(e.after)}</span></div>'
        + (f'<div class="meta">{escape(text["cues"])}: {cues}</div>' if cues else "")
        + "</div>"
    )


def _provision_html(p: ProvisionResult) -> str:
    text = labels()
    evidence = "".join(_evidence_html(e) for e in p.evidence)
    if not evidence:
        evidence = f'<p class="empty">{escape(text["no_evidence"])}</p>'
        if p.closest is not None:
            evidence += _evidence_html(p.closest, closest=True)
    addressed = ""
    if p.addressed_to:
        kinds = ", ".join(text["kinds"].get(k, k) for k in p.addressed_to)
        addressed = f'<p class="meta">{escape(text["addressed_to"])}: {escape(kinds)}</p>'
    return (
        f'<article class="provision" id="{escape(p.id)}"><div class="ref">'
        f'<h3>{escape(p.id)} · {escape(p.title)}</h3>'
        f'{badge(p.status)} <span class="meta">{escape(text["score"])} {p.score:.2f}</span>'
        + (f"<p>{escape(p.text)}</p>" if p.text else "") + addressed
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
                     f'<div class="quote">{escape(plain(a.quote))}</div></div>')
    return "".join(items)


def _figure_html(item: TargetInContext | FigureInContext) -> str:
    """The value, then its sentence with the number marked, then where it stands."""
    text = labels()
    meta = [f"{text['section']} {item.section_id}" if item.section_id else f"{item.start}–{item.end}"]
    if item.repaired:
        meta.append(text["repaired"])
    return (f'<div class="fig"><b>{escape(value_text(item))}</b>'
            f'<div class="quote">{escape(item.before)}<mark>{escape(item.text)}</mark>{escape(item.after)}</div>'
            f'<div class="meta">{escape(" · ".join(meta))}</div></div>')


def figures_html(result: Comparison) -> str:
    """Planned and achieved side by side: one row per metric, scope and year."""
    text = labels()["figures"]
    heading = f'<h2 id="figures">{escape(text["heading"])}</h2>'
    if not result.figures:
        return heading + f'<p class="empty">{escape(text["none"])}</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in text["columns"])
    rows = "".join(
        f"<tr><td>{escape(metric_label(r.metric, r.unit))}</td><td>{r.year or ''}</td><td>{escape(scope_label(r.scope))}</td>"
        f"<td>{''.join(map(_figure_html, r.planned))}</td><td>{''.join(map(_figure_html, r.achieved))}</td></tr>"
        for r in result.figures
    )
    widths = "".join(f'<col style="width:{w}%">' for w in (17, 6, 11, 33, 33))
    return (f'{heading}<table class="figures"><colgroup>{widths}</colgroup><tr>{head}</tr>{rows}</table>'
            f'<p class="note">{escape(text["note"])}</p>')


def notices_html(result: Comparison) -> str:
    """The relevance banner, then the scan-quality banner (when the text is not good)."""
    text = labels()
    message, css = relevance_notice(result)
    out = f'<div class="notice relevance {css}"><strong>{escape(text["relevance_heading"])}</strong> {escape(message)}'
    if result.relevance and result.relevance.mentions:
        cited = "; ".join(" ".join(m.text.split()) for m in result.relevance.mentions)
        out += f'<div class="meta">{escape(text["relevance"]["cited_at"])}: {escape(cited)}</div>'
    out += "</div>"
    level, reasons, quality_css = quality_notice(result)
    if reasons and quality_css != "good":
        out += (f'<div class="notice quality {quality_css}"><strong>{escape(text["quality"]["heading"])}: {escape(level)}.</strong> '
                f'{escape("; ".join(reasons))}. {escape(text["quality"]["advice"])}</div>')
    return out


def provenance_html(result: Comparison) -> str:
    rows = "".join(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in provenance_rows(result))
    return f'<section class="provenance"><h2>{escape(labels()["provenance"]["heading"])}</h2><table>{rows}</table></section>'


def render_html(result: Comparison) -> str:
    text = labels()
    date_message, date_class = _date_line(result)
    scored = result.relevance is None or result.relevance.scored
    return _page().substitute(
        title=escape(f"{text['heading']}: {_plan_name(result)}"),
        heading=escape(text["heading"]),
        plan_line=escape(f"{text['plan'] if scored else text['document']}: {_plan_name(result)}"),
        reference_line=escape(f"{text['reference']}: {result.reference_title or result.against}"),
        notices=notices_html(result),
        summary_hidden="" if scored else " hidden",
        overall=_percent(result.summary.overall),
        overall_label=escape(text["overall"]),
        groups=_groups_html(result.summary.groups),
        coverage_note=escape(text["coverage_note"]),
        date_line=f'<p class="date {date_class}">{escape(date_message)}</p>',
        legend=_legend() if scored else "",
        checklist=_checklist(result) if scored else "",
        provisions_heading=f'<h2>{escape(text["provision"])} ↔ {escape(text["evidence"])}</h2>' if scored else "",
        provisions="\n".join(_provision_html(p) for p in result.provisions),
        additions_heading=f'<h2>{escape(text["additions"])}</h2>' if scored else "",
        additions=_additions_html(result) if scored else "",
        figures=figures_html(result),
        provenance=provenance_html(result),
    )
