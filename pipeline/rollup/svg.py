"""Small SVG charts written by hand: heat maps and grouped bar charts, every mark a link.

The dashboard is one offline page; its charts are inline SVG (no script, no font or library
fetched), and each cell or bar links to the plans behind it. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#1f6feb", "#f0883e")  # planned, achieved
FONT = 'font-family="sans-serif" font-size="11"'


def _shade(value: float) -> str:
    """White (0) to deep blue (1)."""
    value = max(0.0, min(1.0, value))
    r, g, b = (int(255 - value * (255 - c)) for c in (13, 71, 161))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(rows: Sequence[str], columns: Sequence[str], values: dict[tuple[str, str], float],
            links: dict[tuple[str, str], str], *, title: str, scale: float | None = None,
            label: str = "{:g}") -> str:
    """A grid of rows × columns; a cell's shade is its value over `scale` (default: the largest)."""
    cell, left, top = 26, max(120, 7 * max((len(r) for r in rows), default=0)), 110
    width, height = left + cell * len(columns) + 10, top + cell * len(rows) + 10
    top_value = scale or max(values.values(), default=1.0) or 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="{escape(title)}" {FONT}>', f"<title>{escape(title)}</title>"]
    for j, column in enumerate(columns):
        x = left + j * cell + cell / 2
        out.append(f'<text x="{x}" y="{top - 6}" transform="rotate(-55 {x} {top - 6})">{escape(column)}</text>')
    for i, row in enumerate(rows):
        y = top + i * cell
        out.append(f'<text x="{left - 6}" y="{y + cell * 0.65}" text-anchor="end">{escape(row)}</text>')
        for j, column in enumerate(columns):
            value = values.get((row, column))
            if value is None:
                continue
            x = left + j * cell
            rect = (f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{_shade(value / top_value)}">'
                    f"<title>{escape(row)} · {escape(column)}: {escape(label.format(value))}</title></rect>")
            link = links.get((row, column))
            out.append(f'<a href="{escape(link)}">{rect}</a>' if link else rect)
    out.append("</svg>")
    return "".join(out)


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[float | None]],
                 links: dict[str, str], *, title: str, height: int = 140) -> str:
    """Bars side by side for each category (e.g. planned and achieved for each year)."""
    group = 14 * len(series) + 14
    width, base, top = 60 + group * len(categories), height - 24, 16
    largest = max((v for values in series.values() for v in values if v), default=1.0) or 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="{escape(title)}" {FONT}>', f"<title>{escape(title)}</title>",
           f'<line x1="40" y1="{base}" x2="{width}" y2="{base}" stroke="#888"/>',
           f'<text x="36" y="{top + 4}" text-anchor="end">{largest:,.0f}</text>']
    for i, category in enumerate(categories):
        x0 = 44 + i * group
        for k, (name, values) in enumerate(series.items()):
            value = values[i]
            if not value:
                continue
            bar = (base - top) * value / largest
            rect = (f'<rect x="{x0 + 14 * k}" y="{base - bar:.1f}" width="12" height="{bar:.1f}" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(category)} · {escape(name)}: '
                    f"{value:,.0f}</title></rect>")
            link = links.get(category)
            out.append(f'<a href="{escape(link)}">{rect}</a>' if link else rect)
        out.append(f'<text x="{x0 + group / 2 - 7}" y="{base + 14}" text-anchor="middle">{escape(category)}</text>')
    out.append("</svg>")
    return "".join(out)


def legend(names: Sequence[str]) -> str:
    items = "".join(f'<span class="key"><span style="background:{PALETTE[k % len(PALETTE)]}"></span>{escape(n)}</span>'
                    for k, n in enumerate(names))
    return f'<p class="legend">{items}</p>'
