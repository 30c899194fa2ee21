"""The plan's repaired text as a reader sees it in the workbench: cut into segments, each
knowing which extracted items (markets, targets, figures, agencies, deadlines) and which repair cover
it, and the items' details for the side panel. Offsets are the record's; the template
escapes every segment (Jinja autoescape)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..compare.report import vn_date
from ..extract.side_by_side import metric_label, planned_vs_achieved, scope_label, value_text
from ..resources import data
from ..schema import DocumentRecord, Figure, Target


def ui() -> dict:
    return data("pipeline.workbench", "ui.json")


@dataclass
class Item:
    key: str  # "market-3": the id of its details in the page
    kind: str  # market, target, figure, agency, deadline
    label: str
    details: list[tuple[str, str]] = field(default_factory=list)
    repaired: bool = False


@dataclass
class Segment:
    text: str
    kinds: tuple[str, ...] = ()
    item: str | None = None  # the innermost item covering the segment
    original: str | None = None  # the text before repair, when the segment was repaired
    markup: bool = False  # Markdown marks of a converted document ('### ', '**'), shown dimmed


def items_of(record: DocumentRecord) -> tuple[list[Item], list[tuple[int, int, str]]]:
    """The items and their spans (start, end, item key) in the text."""
    labels = ui()
    items: list[Item] = []
    spans: list[tuple[int, int, str]] = []
    for i, m in enumerate(record.markets):
        key = f"market-{i}"
        items.append(Item(key, "market", m.name, [("Loại", {"country": "quốc gia", "region": "khu vực"}.get(m.kind, "tiêu chí")),
                                                  ("Mã", m.code or "—"), ("Số lần nhắc đến", str(max(1, len(m.mentions))))],
                          m.repaired))
        spans += [(x.start, x.end, key) for x in m.mentions] or [(m.start, m.end, key)]
    numbers: list[tuple[str, Target | Figure]] = [("target", t) for t in record.targets]
    numbers += [("figure", f) for f in record.figures]
    for i, (kind, t) in enumerate(numbers):
        key = f"{kind}-{i}"
        period = "–".join(str(y) for y in dict.fromkeys((t.period_start, t.period_end)) if y)
        details = [("Chỉ số", metric_label(t.metric, t.unit)), ("Giá trị", value_text(t))]
        if isinstance(t, Figure):
            details.insert(0, ("Loại", labels["figure_kinds"].get(t.kind, t.kind)))
        details += [(k, v) for k, v in (("Giai đoạn", period), ("Phạm vi", scope_label(t.scope)), ("Mục", t.section_id or "")) if v]
        items.append(Item(key, kind, t.text or metric_label(t.metric), details, t.repaired))
        spans.append((t.start, t.end, key))
    for i, a in enumerate(record.agencies):
        key = f"agency-{i}"
        roles = ", ".join(labels["roles"].get(r, r) for r in a.roles) or "—"
        details = [("Cấp", labels["levels"].get(a.level or "", "—")), ("Vai trò", roles),
                   ("Số lần nhắc đến", str(max(1, len(a.mentions))))]
        items.append(Item(key, "agency", a.name, details, a.repaired))
        spans += [(x.start, x.end, key) for x in a.mentions] or [(a.start, a.end, key)]
    for i, d in enumerate(record.deadlines):
        key = f"deadline-{i}"
        details = [(k, v) for k, v in (("Ngày", vn_date(d.date)), ("Định kỳ", d.recurrence or ""), ("Việc", d.what or ""),
                                       ("Cơ quan", d.agency or ""), ("Báo cáo về", d.report_to or "")) if v]
        items.append(Item(key, "deadline", d.text or vn_date(d.date), details, d.repaired))
        spans.append((d.start, d.end, key))
    return items, [s for s in spans if s[1] > s[0]]


@dataclass
class FigureCell:
    key: str  # the item it highlights in the text
    value: str
    quote: str


@dataclass
class FigureRow:
    label: str
    year: int | None
    scope: str
    planned: list[FigureCell]
    achieved: list[FigureCell]


def figure_rows(record: DocumentRecord, spans: list[tuple[int, int, str]]) -> list[FigureRow]:
    """The planned-against-achieved table of the plan page, each number linked to its item."""
    key_at = {(start, end): key for start, end, key in spans if key.startswith(("target-", "figure-"))}

    def cells(numbers: list) -> list[FigureCell]:
        return [FigureCell(key_at.get((n.start, n.end), ""), value_text(n), n.text) for n in numbers]

    return [FigureRow(metric_label(r.metric, r.unit), r.year, scope_label(r.scope), cells(r.planned), cells(r.achieved))
            for r in planned_vs_achieved(record)]


_MARKUP = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+|\*\*|__")


def segments_of(record: DocumentRecord, spans: list[tuple[int, int, str]]) -> list[Segment]:
    """The text cut at every span, repair and Markdown mark; each piece with the kinds covering it."""
    text = record.text
    repairs = sorted((r.start, r.end, r.original) for r in record.repairs if r.kind != "normalize" and r.end > r.start)
    marks = [(m.start(), m.end()) for m in _MARKUP.finditer(text)]
    mark_at = {start: end for start, end in marks}
    cuts = sorted({0, len(text), *(x for s in spans for x in s[:2]), *(x for r in repairs for x in r[:2]),
                   *(x for m in marks for x in m)})
    by_start = sorted(spans)
    starts = [s[0] for s in by_start]
    repair_starts = [r[0] for r in repairs]
    out: list[Segment] = []
    for a, b in zip(cuts, cuts[1:]):
        if b <= a:
            continue
        covering = [s for s in by_start[:bisect.bisect_right(starts, a)] if s[1] >= b]
        kinds = tuple(sorted({s[2].split("-")[0] for s in covering}))
        inner = min(covering, key=lambda s: s[1] - s[0])[2] if covering else None
        r = bisect.bisect_right(repair_starts, a) - 1
        original = repairs[r][2] if r >= 0 and repairs[r][1] >= b else None
        out.append(Segment(text[a:b], kinds, inner, original, mark_at.get(a) == b))
    return out
