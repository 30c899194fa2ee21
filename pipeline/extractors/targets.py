"""Stage `targets`: numeric targets in running text and quota tables, with sum checks.

A number becomes a target only when a unit follows it ("lao động", "%", "tỉ đồng" …, see
`data/targets.json`) and the sentence names what is counted (the metric cue table), so
dates, years, document and section numbers never become targets. Around the quantity the
stage reads the comparator ("trên", "ít nhất", "trở lên"), the frequency ("mỗi năm"), a
per-unit scope ("mỗi xã, thị trấn"), and the period ("đến năm 2025", "giai đoạn
2021 - 2025") from the sentence or, failing that, from the nearest heading above it.

Quota tables (a row per district, a total row) are read in three layouts — one cell per
tab-indented line, tab-separated cells on one line (DOCX), cells separated by runs of spaces
(OCR) — into one `Target` per row and column, plus a `Check` that the rows add up to the
total row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..registry import stage
from ..schema import Check, DocumentRecord, Target
from .context import document_locality, preceding_headings, section_id_at, section_path, sentence_at
from .gazetteer import fold, load_table
from .numbers import NUMBER, NUMBER_RE, RANGE_DASH, find_period, parse_number

GOLD_KEY: tuple[str, ...] = ("metric", "value", "value_max", "scope", "period_end")
CHECKS_GOLD_KEY: tuple[str, ...] = ("kind", "passed", "expected")

# words that make the number after them an identifier, not a quantity
_NOT_QUANTITY_BEFORE = re.compile(
    r"(?:số|ngày|tháng|năm|điều|khoản|điểm|mục|phần|chương|lần|khóa|giai đoạn|đợt)\s*$", re.IGNORECASE
)
_RANGE_TAIL = re.compile(rf"(?P<pct>[ ]*%)?(?:{RANGE_DASH})(?P<v2>{NUMBER})(?![\d/])")


@cache
def _cues() -> dict:
    table = load_table("targets")
    units = sorted(table["units"], key=lambda u: len(u["phrase"]), reverse=True)
    unit_alternatives = "|".join(re.escape(u["phrase"]) for u in units)
    return {
        **table,
        "unit_re": re.compile(rf"[ \u00a0]*(?P<unit>{unit_alternatives})(?![^\W_])", re.IGNORECASE),
        "units_by_phrase": {fold(u["phrase"]): u for u in units},
    }


@stage("targets")
def targets(record: DocumentRecord) -> DocumentRecord:
    text = record.text
    locality = document_locality(record)
    tables = find_tables(text)
    table_spans = [(t.start, t.end) for t in tables]
    found = [
        target for target in _text_targets(record, locality)
        if not any(s <= target.start < e for s, e in table_spans)
    ]
    checks: list[Check] = []
    for index, table in enumerate(tables):
        rows, table_checks = _read_quota_table(record, table, index)
        found.extend(rows)
        checks.extend(table_checks)
    record.targets = sorted(found, key=lambda t: (t.start, t.metric))
    record.checks = checks
    return record


# --------------------------------------------------------------------- running text
@dataclass
class Quantity:
    start: int
    end: int
    value: float
    value_max: float | None
    unit: str


def find_quantities(text: str) -> list[Quantity]:
    """Numbers and ranges followed by a unit, with values scaled by the unit's factor."""
    cues = _cues()
    found, resume = [], 0
    for m in NUMBER_RE.finditer(text):
        if m.start() < resume or _NOT_QUANTITY_BEFORE.search(text[max(0, m.start() - 20):m.start()]):
            continue
        value, value_max, end = parse_number(m.group()), None, m.end()
        tail = _RANGE_TAIL.match(text, end)
        if tail and parse_number(tail.group("v2")) > value:
            value_max, end = parse_number(tail.group("v2")), tail.end()
        unit = cues["unit_re"].match(text, end)
        if unit is None:
            continue
        spec = cues["units_by_phrase"][fold(unit.group("unit"))]
        factor = spec["factor"]
        found.append(Quantity(
            start=m.start(), end=unit.end(), value=value * factor,
            value_max=value_max * factor if value_max is not None else None, unit=spec["unit"],
        ))
        resume = unit.end()
    return found


def _text_targets(record: DocumentRecord, locality: str | None) -> list[Target]:
    text = record.text
    found = []
    for q in find_quantities(text):
        s_start, s_end = sentence_at(text, q.start)
        sentence = text[s_start:s_end]
        metric = _metric(sentence, q.unit)
        if metric is None:
            continue
        period_start, period_end = _period(record, s_start, sentence)
        scope = _per_unit_scope(text, s_start, q.start) or locality
        found.append(Target(
            metric=metric, value=q.value, value_max=q.value_max,
            comparator=_comparator(text, s_start, q), unit=q.unit,
            frequency=_frequency(text[s_start:q.start] + text[q.end:q.end + 8]),
            period_start=period_start, period_end=period_end, scope=scope,
            text=text[q.start:q.end], section_id=section_id_at(record, q.start),
            start=q.start, end=q.end, confidence=0.85 if period_end else 0.7,
        ))
    return found


def _contains(haystack: str, phrase: str) -> bool:
    return re.search(rf"(?<![^\W_]){re.escape(fold(phrase))}(?![^\W_])", haystack) is not None


def _metric(sentence: str, unit: str) -> str | None:
    folded = fold(sentence)
    for spec in _cues()["metrics"]:
        if unit in spec["units"] and any(_contains(folded, cue) for cue in spec["cues"]):
            return spec["metric"]
    return None


def _comparator(text: str, sentence_start: int, q: Quantity) -> str:
    cues = _cues()["comparators"]
    before = fold(text[sentence_start:q.start])
    for spec in cues:
        if spec["position"] == "pre" and re.search(rf"(?<![^\W_]){re.escape(spec['phrase'])}\s+(?:từ\s+)?$", before):
            return spec["comparator"]
    after = fold(text[q.end:q.end + 120])
    after = re.sub(r"^\s*\([^()]*\)", "", after)  # "30 – 40 lao động (mỗi xã …) trở lên"
    for spec in cues:
        if spec["position"] == "post" and re.match(rf"\s*{re.escape(spec['phrase'])}(?![^\W_])", after):
            return spec["comparator"]
    return "="


def _frequency(context: str) -> str | None:
    folded = fold(context)
    for spec in _cues()["frequencies"]:
        phrase = re.escape(spec["phrase"])
        pattern = rf"/\s*{phrase}(?![^\W_])" if spec.get("after_slash") else rf"(?<![^\W_]){phrase}(?![^\W_])"
        if re.search(pattern, folded):
            return spec["frequency"]
    return None


def _per_unit_scope(text: str, sentence_start: int, offset: int) -> str | None:
    """'mỗi xã, thị trấn' between the quantity and the bracket or sentence start before it."""
    segment = text[sentence_start:offset]
    open_bracket = segment.rfind("(")
    if open_bracket > segment.rfind(")"):
        segment = segment[open_bracket:]
    folded = fold(segment)
    for spec in sorted(_cues()["scopes"], key=lambda s: len(s["phrase"]), reverse=True):
        if _contains(folded, spec["phrase"]):
            return spec["scope"]
    return None


def _period(record: DocumentRecord, sentence_start: int, sentence: str) -> tuple[int | None, int | None]:
    """The period named in the sentence, else in the nearest enclosing heading that names one."""
    period = find_period(sentence)
    if period != (None, None):
        return period
    headings = [s.heading for s in reversed(section_path(record, sentence_start))]
    headings += [line for _, line in preceding_headings(record.text, sentence_start)]
    for heading in headings:
        period = find_period(heading)
        if period != (None, None):
            return period
    return None, None


# ------------------------------------------------------------------------- tables
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
    cues = [rf"(?<![^\W_]){re.escape(fold(cue))}(?![^\W_])" for spec in _cues()["columns"] for cue in spec["cues"]]
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
    folded = fold(line)
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


def _read_quota_table(record: DocumentRecord, table: Table, index: int) -> tuple[list[Target], list[Check]]:
    cues = _cues()
    header, body = _split_header(table)
    if not header:
        return [], []
    columns = _column_metrics(header[-1])
    if "quota" not in {metric for metric, _ in columns.values()}:
        return [], []
    unit = _table_unit(record.text, table.start)
    totals = {fold(t) for t in cues["totals"]}
    found, sums, total_row = [], {}, None
    for row in body:
        name = _row_name(row)
        if name is None:
            continue
        if fold(name.text) in totals:
            total_row = row
            continue
        for position, (metric, period) in columns.items():
            cell = _aligned(row, header[-1], position)
            if cell is None or cell.number is None:
                continue
            sums[position] = sums.get(position, 0) + cell.number
            found.append(Target(
                metric=metric, value=cell.number, unit=unit, scope=name.text,
                period_start=period[0], period_end=period[1], table=index,
                text=record.text[row[0].start:row[-1].end], section_id=section_id_at(record, cell.start),
                start=row[0].start, end=row[-1].end, confidence=0.9,
            ))
    checks = [] if total_row is None else _sum_checks(record, columns, header[-1], total_row, sums)
    return found, checks


def _split_header(table: Table) -> tuple[list[list[Cell]], list[list[Cell]]]:
    for i, row in enumerate(table.rows):
        if any(c.number is not None for c in row) and _row_name(row) is not None:
            return table.rows[:i], table.rows[i:]
    return [], []


def _row_name(row: list[Cell]) -> Cell | None:
    return next((c for c in row if c.number is None and re.search(r"[^\W\d_]", c.text)), None)


def _column_metrics(header: list[Cell]) -> dict[int, tuple[str, tuple[int | None, int | None]]]:
    """Header position → (metric, period) for the columns the cue table recognises."""
    columns = {}
    for position, cell in enumerate(header):
        folded = fold(cell.text)
        for spec in _cues()["columns"]:
            if any(_contains(folded, cue) for cue in spec["cues"]):
                columns[position] = (spec["metric"], find_period(cell.text))
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
        unit = _cues()["unit_re"].match(" " + m.group(1).strip())
        if unit:
            return _cues()["units_by_phrase"][fold(unit.group("unit"))]["unit"]
    return "person"


def _sum_checks(record, columns, header, total_row, sums) -> list[Check]:
    checks = []
    for position, (metric, _) in columns.items():
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
