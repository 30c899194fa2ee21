"""Quantities: a number or a range followed by what it counts ("1.800 lao động", "30 - 40
người", "164 tỉ đồng", "80 %", "8 phiên", "253/2.685 lao động"), with the value scaled by
the unit ("nghìn", "tỷ").

Units and their factors are the `units` table of `extract/data/targets.json`. A number
followed by another lower-case noun ("44 nhóm nghề", "2.500 tờ rơi") is a quantity too, with
unit "other" and that noun; the words after which a number is no count ("tháng", "tuổi",
"và") are the table's `not_counted`. A number right after a word that makes it an
identifier ("số", "ngày", "điều", "khóa", "giai đoạn") is no quantity, nor is a year. In a
fraction "253/2.685 lao động" both numbers count what follows them (a result out of a
plan, or out of a total). The targets and funding stages read a document's quantities
through `Document.quantities`.
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
    r"(?:số|ngày|tháng|năm|điều|khoản|điểm|mục|phần|chương|lần|khóa|giai đoạn|đợt|quý|khu|tổ|ấp|thôn|xóm)\s*$",
    re.IGNORECASE,
)
_RANGE_TAIL = re.compile(rf"(?P<pct>[ ]*%)?(?:{RANGE_DASH})(?P<v2>{NUMBER})(?![\d/])")
_FRACTION = re.compile(rf"(?<![\d.,/])(?P<v1>{NUMBER})\s?/\s?(?P<v2>{NUMBER})(?![\d/]|[.,]\d)")
_COUNTED_NOUN = re.compile(r"[ \u00a0]+(?P<noun>[^\W\d_A-ZĐÂĂÊÔƠƯÀ-Ỹ][^\W\d_]+(?:[ ][^\W\d_A-ZĐÀ-Ỹ][^\W\d_]+)?)")
_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass
class Quantity:
    start: int
    end: int
    value: float
    value_max: float | None
    unit: str  # person, percent, VND, USD, household, course, event, enterprise … or "other"
    noun: str = ""  # what is counted, as written ("lao động", "hộ nghèo", "tờ rơi")
    fraction: int = 0  # 1: the number before "/" of a fraction, 2: the number after it


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


@cache
def _not_counted() -> frozenset[str]:
    return frozenset(lower(w) for w in cue_table()["not_counted"])


def _unit_after(text: str, end: int) -> tuple[str, str, float, int] | None:
    """(unit, noun, factor, end) of what follows a number at `end`: a known unit, or a counted noun."""
    unit_re, by_phrase = units()
    known = unit_re.match(text, end)
    if known:
        spec = by_phrase[lower(known.group("unit"))]
        noun = _COUNTED_NOUN.match(text, known.end())
        counted = known.group("unit").strip()
        if " " not in counted and spec["unit"] not in ("percent", "VND", "USD") and noun \
                and lower(noun.group("noun").split()[0]) not in _not_counted():
            counted = f"{counted} {noun.group('noun').split()[0]}"  # "hộ nghèo", "lượt doanh nghiệp"
        return spec["unit"], counted, spec["factor"], known.end()
    noun = _COUNTED_NOUN.match(text, end)
    if noun and lower(noun.group("noun").split()[0]) not in _not_counted():
        return "other", noun.group("noun"), 1.0, noun.end()
    return None


def find_quantities(text: str) -> list[Quantity]:
    """Numbers, ranges and fractions followed by what they count, values scaled by the unit."""
    found: list[Quantity] = []
    taken = 0
    starts = sorted([(m.start(), m) for m in NUMBER_RE.finditer(text)] + [(m.start(), m) for m in _FRACTION.finditer(text)],
                    key=lambda pair: pair[0])
    for start, m in starts:
        if start < taken or _NOT_QUANTITY_BEFORE.search(text[max(0, start - 20):start]):
            continue
        if m.re is _FRACTION:
            fraction = _fraction_quantities(text, m)
            found.extend(fraction)
            taken = fraction[-1].end if fraction else taken
            continue
        value, value_max, end = parse_number(m.group()), None, m.end()
        tail = _RANGE_TAIL.match(text, end)
        if tail and parse_number(tail.group("v2")) > value:
            value_max, end = parse_number(tail.group("v2")), tail.end()
        after = _unit_after(text, end)
        if after is None or (after[0] == "other" and value_max is None and _YEAR.fullmatch(m.group())):
            continue
        unit, noun, factor, unit_end = after
        found.append(Quantity(start=start, end=unit_end, value=value * factor, unit=unit, noun=noun,
                              value_max=value_max * factor if value_max is not None else None))
        taken = found[-1].end
    return found


def _fraction_quantities(text: str, m: re.Match) -> list[Quantity]:
    """Both numbers of "253/2.685 lao động", each with the unit after the second."""
    after = _unit_after(text, m.end())
    if after is None:
        return []
    unit, noun, factor, unit_end = after
    first, second = parse_number(m.group("v1")), parse_number(m.group("v2"))
    if _YEAR.fullmatch(m.group("v2")) and unit == "other":
        return []  # "5/2023 …": a month and a year
    return [
        Quantity(start=m.start("v1"), end=m.end("v1"), value=first * factor, value_max=None, unit=unit, noun=noun,
                 fraction=1),
        Quantity(start=m.start("v2"), end=unit_end, value=second * factor, value_max=None, unit=unit, noun=noun,
                 fraction=2),
    ]
