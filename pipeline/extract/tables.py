"""Quota tables: a row per district, a total row, read into one target per row and column.

Tables come in three layouts — one cell per tab-indented line, tab-separated cells on one
line (DOCX), cells separated by runs of spaces (OCR) — and are read into `Target`s with the
district as scope, plus a `Check` that the rows add up to the total row. Column meanings
come from the `columns` cue table of `extract/data/targets.json`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..document import Document
from ..schema import Check, Figure, Target
from ..text.fold import lower
from ..text.numbers import NUMBER, find_period, parse_number
from .quantities import contains, cue_table, units


@dataclass
class Cell:
    start: int
    end: int
    text: str

    @property
    def number(self) -> float | None:
        return parse_number(self.text) if re.fullmatch(NUMBER, self.text) else None


@dataclass
class Table:
    rows: list[list[Cell]]

    @property
    def start(self) -> int:
        return self.rows[0][0].start

    @property
    def end(self) -> int:
        return self.rows[-1][-1].end


_CELL = re.compile(r"(?:(?!\t|[ \u00a0]{2,}).)+")


def find_tables(text: str) -> list[Table]:
    """Tables in any of the layouts; a table needs three rows or more."""
    tables, rows, pending = [], [], []
    for start, line in _lines(text):
        kind, cells = _classify(line, start)
        if kind == "cell":
            pending.extend(cells)
            continue
        if pending:
            rows.append(pending)
            pending = []
        if kind == "row":
            rows.append(cells)
        elif kind == "text":
            if len(rows) >= 3:
                tables.append(Table(rows))
            rows = []
    if pending:
        rows.append(pending)
    if len(rows) >= 3:
        tables.append(Table(rows))
    return tables


def _lines(text: str):
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def _classify(line: str, start: int) -> tuple[str, list[Cell]]:
    """'blank', 'cell' (a tab-indented single cell), 'row' (several cells) or 'text'."""
    if not line.strip():
        return "blank", []
    cells = []
    for m in _CELL.finditer(line):
        value = m.group().strip()
        if value:
            offset = start + m.start() + m.group().index(value)
            cells.append(Cell(offset, offset + len(value), value))
    if line.startswith("\t") and len(cells) == 1:
        return "cell", cells
    if len(cells) >= 2 and any(c.number is not None for c in cells) or len(cells) >= 3:
        return "row", cells  # a data row, or a header row of three cells or more
    header = _header_by_cues(line, start)
    if header:
        return "row", header
    spaced = _SPACED_ROW.match(line)
    if spaced:
        return "row", _spaced_cells(spaced, start)
    return "text", []


# OCR output keeps single spaces between cells: "1 Huyện Kỳ Anh 40.100 120"
_SPACED_ROW = re.compile(
    rf"^[ \t]*(?:(?P<index>\d{{1,3}})\.?[ \t]+)?(?P<name>[^\W\d_][^\d;:!?]*?)(?P<numbers>(?:[ \t]+(?:{NUMBER}))+)[ \t]*$"
)


@cache
def _column_cue_patterns() -> tuple[re.Pattern, tuple[re.Pattern, ...]]:
    """One pattern per column cue (cues may overlap, so each is searched on its own), and
    their alternation, which finds nothing exactly when none of them does: most lines have no cue."""
    cues = [rf"(?<![^\W_]){re.escape(lower(cue))}(?![^\W_])" for spec in cue_table()["columns"] for cue in spec["cues"]]
    return re.compile("|".join(cues)), tuple(re.compile(cue) for cue in cues)


def _spaced_cells(m: re.Match, start: int) -> list[Cell]:
    cells = [Cell(start + m.start(g), start + m.end(g), m.group(g)) for g in ("index", "name") if m.group(g)]
    for number in re.finditer(NUMBER, m.group("numbers")):
        offset = start + m.start("numbers") + number.start()
        cells.append(Cell(offset, offset + len(number.group()), number.group()))
    return cells


def _header_by_cues(line: str, start: int) -> list[Cell]:
    """A one-space header line ("STT Huyện Lực lượng lao động Chỉ tiêu năm 2024") cut
    before each column cue; prose (ending in ':' or '.', or long) is no header."""
    stripped = line.strip()
    if len(stripped) > 160 or stripped.endswith((":", ".", ";")):
        return []
    folded = lower(line)
    any_cue, each_cue = _column_cue_patterns()
    if not any_cue.search(folded):
        return []
    cuts = sorted({m.start() for pattern in each_cue for m in pattern.finditer(folded)})
    if not cuts:
        return []
    bounds = ([0] if line[:cuts[0]].strip() else []) + cuts + [len(line)]
    cells = []
    for a, b in zip(bounds, bounds[1:]):
        value = line[a:b].strip()
        if value:
            offset = start + a + line[a:b].index(value)
            cells.append(Cell(offset, offset + len(value), value))
    return cells


def read_quota_table(doc: Document, table: Table, index: int) -> tuple[list[Target], list[Figure], list[Check]]:
    """A quota table's targets (one per row and quota column), its statistics (the labour
    force and other columns of figures the quota is set against) and its sum checks."""
    cues = cue_table()
    header, body = _split_header(table)
    if not header:
        return [], [], []
    columns = _column_metrics(header[-1])
    if "target" not in {kind for _, kind, _ in columns.values()}:
        return [], [], []
    unit = _table_unit(doc.text, table.start)
    totals = {lower(t) for t in cues["totals"]}
    targets: list[Target] = []
    figures: list[Figure] = []
    sums: dict[int, float] = {}
    total_row = None
    for row in body:
        name = _row_name(row)
        if name is None:
            continue
        if lower(name.text) in totals:
            total_row = row
            continue
        for position, (metric, kind, period) in columns.items():
            cell = _aligned(row, header[-1], position)
            if cell is None or cell.number is None:
                continue
            sums[position] = sums.get(position, 0) + cell.number
            fields = dict(metric=metric, value=cell.number, unit=unit, scope=name.text, table=index,
                          period_start=period[0], period_end=period[1],
                          text=doc.text[row[0].start:row[-1].end], section_id=doc.section_id_at(cell.start),
                          start=row[0].start, end=row[-1].end, confidence=0.9)
            if kind == "target":
                targets.append(Target(**fields))
            else:
                figures.append(Figure(kind="statistic", **fields))
    checks = [] if total_row is None else _sum_checks(columns, header[-1], total_row, sums)
    return targets, figures, checks


def _split_header(table: Table) -> tuple[list[list[Cell]], list[list[Cell]]]:
    for i, row in enumerate(table.rows):
        if any(c.number is not None for c in row) and _row_name(row) is not None:
            return table.rows[:i], table.rows[i:]
    return [], []


def _row_name(row: list[Cell]) -> Cell | None:
    return next((c for c in row if c.number is None and re.search(r"[^\W\d_]", c.text)), None)


def _column_metrics(header: list[Cell]) -> dict[int, tuple[str, str, tuple[int | None, int | None]]]:
    """Header position → (metric, kind, period) for the columns the cue table recognises."""
    columns = {}
    for position, cell in enumerate(header):
        folded = lower(cell.text)
        for spec in cue_table()["columns"]:
            if any(contains(folded, cue) for cue in spec["cues"]):
                columns[position] = (spec["metric"], spec["kind"], find_period(cell.text))
                break
    return columns


def _aligned(row: list[Cell], header: list[Cell], position: int) -> Cell | None:
    """The cell of `row` under header column `position`; short rows align on the right."""
    offset = len(header) - len(row)
    index = position - offset
    return row[index] if 0 <= index < len(row) else None


def _table_unit(text: str, table_start: int) -> str:
    """Unit from 'Đơn vị tính: Lao động' just above the table (person by default)."""
    above = text[max(0, text.rfind("\n", 0, max(0, table_start - 300))):table_start]
    m = re.search(r"đơn vị tính\s*:?\s*(.+)", above, re.IGNORECASE)
    if m:
        unit_re, by_phrase = units()
        unit = unit_re.match(" " + m.group(1).strip())
        if unit:
            return by_phrase[lower(unit.group("unit"))]["unit"]
    return "person"


def _sum_checks(columns, header, total_row, sums) -> list[Check]:
    checks = []
    for position, (metric, _, _) in columns.items():
        cell = _aligned(total_row, header, position)
        if cell is None or cell.number is None or position not in sums:
            continue
        expected, actual = cell.number, sums[position]
        difference = actual - expected
        passed = abs(difference) < 1e-6
        checks.append(Check(
            kind=f"{metric}_sum", passed=passed, expected=expected, actual=actual, difference=difference,
            start=total_row[0].start, end=total_row[-1].end,
            message=(
                f"Tổng các dòng {_fmt(actual)} "
                + ("khớp với" if passed else f"lệch {_fmt(difference)} so với")
                + f" dòng tổng cộng {_fmt(expected)}."
            ),
        ))
    return checks


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if value == int(value) else f"{value:,.2f}"
