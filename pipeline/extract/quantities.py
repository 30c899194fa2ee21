"""Quantities: a number or a range followed by a unit ("1.800 lao động", "30 - 40 người",
"164 tỉ đồng", "80 %"), with the value scaled by the unit ("nghìn", "tỷ").

Units and their factors are the `units` table of `extract/data/targets.json`. A number
right after a word that makes it an identifier ("số", "ngày", "điều", "khóa", "giai đoạn")
is no quantity. The targets and funding stages read a document's quantities through
`Document.quantities`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..resources import data
from ..text.fold import lower
from ..text.numbers import NUMBER, NUMBER_RE, RANGE_DASH, parse_number

# words that make the number after them an identifier, not a quantity
_NOT_QUANTITY_BEFORE = re.compile(
    r"(?:số|ngày|tháng|năm|điều|khoản|điểm|mục|phần|chương|lần|khóa|giai đoạn|đợt)\s*$", re.IGNORECASE
)
_RANGE_TAIL = re.compile(rf"(?P<pct>[ ]*%)?(?:{RANGE_DASH})(?P<v2>{NUMBER})(?![\d/])")


@dataclass
class Quantity:
    start: int
    end: int
    value: float
    value_max: float | None
    unit: str


def cue_table() -> dict:
    """The cue tables of the targets stage (extract/data/targets.json)."""
    return data("pipeline.extract", "targets.json")


def contains(haystack: str, phrase: str) -> bool:
    """Whether `phrase` occurs in `haystack` (lower-cased) as whole syllables."""
    return re.search(rf"(?<![^\W_]){re.escape(lower(phrase))}(?![^\W_])", haystack) is not None


@cache
def units() -> tuple[re.Pattern, dict[str, dict]]:
    """The unit regex (longest phrase first) and each unit's spec by its `lower` phrase."""
    table = sorted(cue_table()["units"], key=lambda u: len(u["phrase"]), reverse=True)
    alternatives = "|".join(re.escape(u["phrase"]) for u in table)
    pattern = re.compile(rf"[ \u00a0]*(?P<unit>{alternatives})(?![^\W_])", re.IGNORECASE)
    return pattern, {lower(u["phrase"]): u for u in table}


def find_quantities(text: str) -> list[Quantity]:
    """Numbers and ranges followed by a unit, with values scaled by the unit's factor."""
    unit_re, by_phrase = units()
    found, resume = [], 0
    for m in NUMBER_RE.finditer(text):
        if m.start() < resume or _NOT_QUANTITY_BEFORE.search(text[max(0, m.start() - 20):m.start()]):
            continue
        value, value_max, end = parse_number(m.group()), None, m.end()
        tail = _RANGE_TAIL.match(text, end)
        if tail and parse_number(tail.group("v2")) > value:
            value_max, end = parse_number(tail.group("v2")), tail.end()
        unit = unit_re.match(text, end)
        if unit is None:
            continue
        spec = by_phrase[lower(unit.group("unit"))]
        factor = spec["factor"]
        found.append(Quantity(
            start=m.start(), end=unit.end(), value=value * factor,
            value_max=value_max * factor if value_max is not None else None, unit=spec["unit"],
        ))
        resume = unit.end()
    return found
