"""Planned against achieved: a document's targets beside the results it reports.

A report of results ("đã đưa 1.250 lao động, đạt 104 % kế hoạch") and a plan ("phấn đấu
đưa 1.200 lao động") are read with the same extractor; this view lines them up by metric,
unit, scope and year, so a reader sees at once what was planned and what was done. It is a
view of `targets` and `figures` (no new extraction): every item keeps its offsets.
"""
from __future__ import annotations

from ..document import Document
from ..resources import data
from ..schema import DocumentRecord, FigureInContext, PlannedAchieved, Quantified, TargetInContext
from ..text.fold import fold

CONTEXT = 80  # characters of the sentence kept each side of a number

__all__ = ["figures_table", "metric_label", "planned_vs_achieved", "scope_label", "value_text"]


def _names() -> dict:
    return data("pipeline.extract", "metrics.json")


def metric_label(metric: str, unit: str | None = None) -> str:
    """The Vietnamese name of a metric ('workers_sent' → 'Lao động đi làm việc ở nước ngoài'),
    with '(%)' for a percentage of a count ('workers_sent', 'percent': of the plan, of a year)."""
    name = _names()["metrics"].get(metric, metric)
    return f"{name} (%)" if _share_of_a_count(metric, unit) else name


def _share_of_a_count(metric: str, unit: str | None) -> bool:
    """A percentage of a metric that counts (workers sent: '100,3 % of the plan'), not a share metric."""
    return unit == "percent" and not metric.startswith("share_")


def scope_label(scope: str | None) -> str:
    """A scope as written in the reports: 'per commune' → 'mỗi xã'; a place name as it is."""
    return _names()["scopes"].get(scope or "", scope or "")


def value_text(item: Quantified) -> str:
    """A quantity as a Vietnamese reader writes it: 'ít nhất 1.800–2.000 người mỗi năm'."""
    names = _names()
    number = _number(item.value)
    if item.value_max is not None and item.value_max != item.value:
        number += f"–{_number(item.value_max)}"
    unit = names["units"].get(item.unit or "", "") or (item.counted or "")
    words = [names["comparators"].get(item.comparator, item.comparator), number + ("%" if unit == "%" else ""),
             "" if unit == "%" else unit, item.percent_of or "", names["frequencies"].get(item.frequency or "", "")]
    return " ".join(w for w in words if w)


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    whole, _, decimals = f"{value:,.6f}".rstrip("0").rstrip(".").partition(".")
    return whole.replace(",", ".") + ("," + decimals if decimals else "")


def _clip(text: str, limit: int, keep: str) -> str:
    """At most `limit` characters of `text`, cut at a space, from its end or its start, with '…'."""
    text = text.replace("\n", " ")
    if len(text) <= limit:
        return text.lstrip() if keep == "end" else text.rstrip()
    if keep == "end":
        return "… " + text[-limit:].split(" ", 1)[-1]
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _year(item: Quantified) -> int | None:
    return item.period_end or item.period_start


def _key(item: Quantified) -> tuple[str, str | None, str, int | None]:
    return item.metric, item.unit, fold(item.scope or "").strip(), _year(item)


def planned_vs_achieved(record: DocumentRecord) -> list[PlannedAchieved]:
    """Rows of a record's targets and achieved figures that share metric, unit, scope and year,
    each number with its sentence; named metrics first, then by year. Statistics and budgets
    are not results, so they stay out."""
    doc = Document(record)
    rows: dict[tuple, PlannedAchieved] = {}

    def row(item: Quantified) -> PlannedAchieved:
        key = _key(item)
        if key not in rows:
            rows[key] = PlannedAchieved(metric=item.metric, unit=item.unit, scope=item.scope, year=_year(item))
        return rows[key]

    def context(item: Quantified) -> dict[str, str]:
        start, end = doc.sentence_at(item.start)
        return {"before": _clip(record.text[start:item.start], CONTEXT, keep="end"),
                "after": _clip(record.text[item.end:max(end, item.end)], CONTEXT, keep="start")}

    for target in record.targets:
        row(target).planned.append(TargetInContext(**target.model_dump(), **context(target)))
    for figure in record.figures:
        if figure.kind == "achieved":
            row(figure).achieved.append(FigureInContext(**figure.model_dump(), **context(figure)))
    return sorted(rows.values(), key=lambda r: (r.metric == "other", r.metric, r.unit == "percent", r.unit or "", r.year or 0,
                                                fold(r.scope or "")))


def figures_table(rows: list[PlannedAchieved]) -> str:
    """The rows as an aligned plain-text table (`chithi extract --figures`); each number is
    followed by its offsets in the text, '@start-end'."""
    def cell(items: list) -> str:
        return "; ".join(f"{value_text(i)} @{i.start}-{i.end}" for i in items) or "-"

    lines = [("metric", "year", "scope", "planned", "achieved")]
    lines += [(r.metric + (" (%)" if _share_of_a_count(r.metric, r.unit) else ""),
               str(r.year or "-"), r.scope or "-", cell(r.planned), cell(r.achieved)) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line[:4], widths)) + "  " + line[4] for line in lines) + "\n"
