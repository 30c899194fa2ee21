"""What a figure is attached to: its period, comparator, per-year or total, scope, metric,
what a percentage is a percent of, and inline allocations — read within the clause and
sentence the number belongs to.

* Period: the period named nearest before the number in its sentence, unless another
  number stands between them ("Năm 2023, chỉ tiêu … là 1.700 người, phấn đấu … giai đoạn
  2021-2025": 1.700 gets 2023); else the nearest one after it in its clause; else the
  sentence's; else the nearest heading's. "năm nay", "năm tới", "năm qua" resolve against
  the document's date when it has one.
* Per year: "mỗi năm", "hằng năm", "bình quân", "/năm" in the number's clause.
* Comparator: "trên", "ít nhất", "khoảng" … just before the number, or "trở lên" after it.
* Percent of: "đạt 41% kế hoạch" → "kế hoạch"; "tăng 3% so với cùng kỳ" → "cùng kỳ";
  "tỷ lệ lao động qua đào tạo đạt 69%" → "lao động qua đào tạo".

The cue words are the tables of `extract/data/targets.json`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..text.fold import fold, lower
from ..text.numbers import YEAR, find_period
from .context import preceding_headings
from .quantities import contains, cue_table

if TYPE_CHECKING:
    from ..document import Document
    from .mentions import Mention
    from .quantities import Quantity

_PERIOD = re.compile(
    rf"giai\s+đoạn\s+(?:từ\s+)?(?:năm\s+)?{YEAR}\s*(?:[-–—]|đến|tới)\s*(?:năm\s+)?{YEAR}"
    rf"|từ\s+năm\s+{YEAR}\s+(?:đến|tới)\s+(?:năm\s+)?{YEAR}"
    rf"|(?:đến|tới|trước|hết)\s+năm\s+{YEAR}"
    rf"|(?<![/\d])năm\s+{YEAR}(?!\d)"
    r"|năm\s+(?:nay|tới|sau|qua|trước)(?!\w)",
    re.IGNORECASE,
)
_COMPARED = re.compile(r"(?:so với|so|cùng kỳ|hơn|bằng)\s+(?:cùng kỳ\s+)?$", re.IGNORECASE)
_RELATIVE = {"nay": 0, "tới": 1, "sau": 1, "qua": -1, "trước": -1}
_PER_YEAR = re.compile(r"(?<!\w)(?:mỗi năm|hằng năm|hàng năm|bình quân|trung bình mỗi năm|/\s*năm)(?!\w)", re.IGNORECASE)
_PERCENT_OF_AFTER = re.compile(
    r"\s*(?:\)\s*)?(?:so với\s+|so\s+|của\s+)?(?P<of>kế hoạch(?: năm(?: \d{4})?)?|chỉ tiêu(?: năm(?: \d{4})?)?"
    r"|cùng kỳ(?: năm(?: \d{4})?)?|năm \d{4}|tổng số [^\W\d_]+(?: [^\W\d_]+){0,3})",
    re.IGNORECASE,
)
_PERCENT_OF_BEFORE = re.compile(
    r"tỷ lệ\s+(?P<of>[^,.;:()%\d]{3,60}?)\s+(?:ước\s+)?(?:đạt|là|chiếm|lên|tăng lên|còn|giảm xuống|ở mức)\s*(?:khoảng\s+|trên\s+|hơn\s+)?$",
    re.IGNORECASE,
)
_ALLOCATION_CUE = re.compile(r"(?<!\w)(?:giao|phân bổ|chỉ tiêu|lần lượt)(?!\w)", re.IGNORECASE)
_NAME = r"[A-ZĐÂĂÊÔƠƯÀ-Ỹ][^\W\d_]*(?:\s+[A-ZĐÂĂÊÔƠƯÀ-Ỹ][^\W\d_]*){0,3}"
_GIVEN = re.compile(r"\s+(?:được\s+)?(?:giao|phân bổ)(?!\w)", re.IGNORECASE)
_NEXT_GAP = re.compile(r"[\s,;]*(?:và\s+)?")
_ALLOCATION_ITEM = re.compile(rf"(?P<name>{_NAME})\s*(?:[:(]\s*)?(?P<value>\d{{1,3}}(?:\.\d{{3}})+|\d+)(?![\d/%]|[.,]\d)")


def document_year(doc: Document) -> int | None:
    issued = doc.record.document.issued_date
    return int(issued[:4]) if issued else None


def _period_of(match: re.Match, year: int | None) -> tuple[int | None, int | None]:
    words = match.group().lower().split()
    if words[-1] in _RELATIVE:
        return (year + _RELATIVE[words[-1]],) * 2 if year else (None, None)
    return find_period(match.group())


def _periods(text: str, start: int, end: int) -> list[re.Match]:
    """The period expressions of text[start:end], but for the years a figure is compared
    with ("tăng 3% so với cùng kỳ năm 2022", "so với năm trước")."""
    return [m for m in _PERIOD.finditer(text, start, end) if not _COMPARED.search(text, max(start, m.start() - 22), m.start())]


def period(doc: Document, quantity: Quantity, mention: Mention, year: int | None,
           reported: bool = False) -> tuple[int | None, int | None]:
    """The period a number belongs to (see the module docstring); a `reported` figure (a
    result or a statistic) with none named belongs to the year of the document's date."""
    text = doc.text
    s0, s1 = mention.sentence
    numbers_between = [q.start for q in doc.quantities if s0 <= q.start < quantity.start]
    before = _periods(text, s0, quantity.start)
    candidates = []
    if before and not any(before[-1].end() <= n for n in numbers_between):
        candidates.append(before[-1])
    candidates += _periods(text, quantity.end, mention.clause[1])[:1]
    candidates += before[::-1]  # the sentence's own period, said before other numbers
    candidates += _periods(text, quantity.end, s1)[:1]
    paragraph = text.rfind("\n\n", 0, s0) + 1
    candidates += _periods(text, paragraph, s0)[::-1]  # "Năm 2023, …" opening the paragraph
    for match in candidates:
        found = _period_of(match, year)
        if found != (None, None):
            return found
    headings = [s.heading for s in reversed(doc.section_path(s0))]
    headings += [line for _, line in preceding_headings(text, s0)]
    for heading in headings:
        found = find_period(heading)
        if found != (None, None):
            return found
    return (year, year) if reported and year else (None, None)


def comparator(text: str, sentence_start: int, quantity: Quantity) -> str:
    cues = cue_table()["comparators"]
    before = lower(text[sentence_start:quantity.start])
    for spec in cues:
        if spec["position"] == "pre" and re.search(rf"(?<![^\W_]){re.escape(spec['phrase'])}\s+(?:từ\s+)?$", before):
            return spec["comparator"]
    after = lower(text[quantity.end:quantity.end + 120])
    after = re.sub(r"^\s*\([^()]*\)", "", after)  # "30 – 40 lao động (mỗi xã …) trở lên"
    for spec in cues:
        if spec["position"] == "post" and re.match(rf"\s*{re.escape(spec['phrase'])}(?![^\W_])", after):
            return spec["comparator"]
    return "="


def per_unit_scope(text: str, sentence_start: int, offset: int) -> str | None:
    """'mỗi xã, thị trấn' between the quantity and the bracket or sentence start before it."""
    segment = text[sentence_start:offset]
    open_bracket = segment.rfind("(")
    if open_bracket > segment.rfind(")"):
        segment = segment[open_bracket:]
    folded = lower(segment)
    for spec in sorted(cue_table()["scopes"], key=lambda s: len(s["phrase"]), reverse=True):
        if contains(folded, spec["phrase"]):
            return spec["scope"]
    return None


def percent_of(text: str, quantity: Quantity, clause_start: int) -> str | None:
    if quantity.unit != "percent":
        return None
    after = _PERCENT_OF_AFTER.match(text, quantity.end)
    if after:
        return " ".join(after.group("of").split())
    before = _PERCENT_OF_BEFORE.search(text[clause_start:quantity.start])
    return " ".join(before.group("of").split()) if before else None


def metric_of(text: str, mention: Mention, quantity: Quantity, kind: str) -> str:
    """What is counted: the first metric of the cue table whose cue stands in the number's
    clause, else in its sentence before it, else anywhere in its sentence ('tỷ lệ lao động
    qua đào tạo đạt 65%, tỷ lệ hộ nghèo giảm 3.009 hộ': the households are not trained
    workers); 'budget' for money; else 'other'."""
    (s0, s1), (c0, c1) = mention.sentence, mention.clause
    for lo, hi in ((c0, c1), (s0, quantity.start), (s0, s1)):
        folded = lower(text[lo:hi])
        for spec in cue_table()["metrics"]:
            if quantity.unit in spec["units"] and any(contains(folded, cue) for cue in spec["cues"]):
                return str(spec["metric"])
    return "budget" if kind == "budget" else "other"


def _per_year(text: str, quantity: Quantity, mention: Mention) -> bool:
    """'mỗi năm', 'bình quân', '/năm' in the number's clause or right after it; for a number in
    brackets, also before the bracket ('mỗi năm đưa 30 lao động (mỗi xã 2 - 3 lao động)')."""
    if _PER_YEAR.search(text, mention.clause[0], mention.clause[1]) or _PER_YEAR.match(text, quantity.end):
        return True
    s0 = mention.sentence[0]
    bracket = text.rfind("(", s0, quantity.start)
    return bracket > text.rfind(")", s0, quantity.start) and _PER_YEAR.search(text, s0, bracket) is not None


def attributes(doc: Document, quantity: Quantity, mention: Mention, year: int | None,
               locality: str | None, kind: str) -> dict[str, Any]:
    """The fields a Target and a Figure share, for one number of the given kind."""
    text = doc.text
    s0 = mention.sentence[0]
    start, end = period(doc, quantity, mention, year, reported=kind in ("achieved", "statistic"))
    return dict(
        value=quantity.value, value_max=quantity.value_max, unit=quantity.unit, counted=quantity.noun or None,
        comparator=comparator(text, s0, quantity), percent_of=percent_of(text, quantity, mention.clause[0]),
        frequency="year" if _per_year(text, quantity, mention) else None,
        period_start=start, period_end=end,
        scope=per_unit_scope(text, s0, quantity.start) or locality,
        text=text[quantity.start:quantity.end], section_id=doc.section_id_at(quantity.start),
        start=quantity.start, end=quantity.end,
    )


def allocations(doc: Document, quantity: Quantity, mention: Mention, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Targets of an allocation written inline after a target: 'Quế Sơn được giao 270 chỉ
    tiêu, tiếp đến lần lượt là Thăng Bình 250, Đại Lộc 250, …' → one per place, with the
    place as scope, in the unit and period of the first."""
    text = doc.text
    s0, s1 = mention.sentence
    if not _ALLOCATION_CUE.search(fold(text[s0:s1])) and not _ALLOCATION_CUE.search(text[s0:s1]):
        return []
    numbers = {q.start for q in doc.quantities if s0 <= q.start < s1}
    out: list[dict[str, Any]] = []
    for item in _ALLOCATION_ITEM.finditer(text, quantity.end, s1):
        name_start = _capitalised_tail(text, item.start("name"), item.end("name"))
        gap = text[_previous_end(out, quantity):name_start]
        joined = _NEXT_GAP.fullmatch(gap) or (not out and _lead_in(gap))  # the first may follow "tiếp đến lần lượt là"
        if name_start == item.end("name") or item.start("value") in numbers or not joined:
            break  # the list has ended
        name = " ".join(text[name_start:item.end("name")].split())
        out.append({**fields, "value": float(item.group("value").replace(".", "")), "value_max": None,
                    "scope": name, "comparator": "=", "text": text[name_start:item.end()],
                    "start": name_start, "end": item.end(), "percent_of": None})
    return out


def head_scope(text: str, clause_start: int, offset: int) -> str | None:
    """The place named before 'được giao' in the clause of the first item of an allocation
    ('Quỳnh Lưu được giao cao nhất với 300 chỉ tiêu')."""
    match = _GIVEN.search(text, clause_start, offset)
    if match is None:
        return None
    start = _capitalised_tail(text, clause_start, match.start())
    name = " ".join(text[start:match.start()].split())
    return name or None


def _lead_in(gap: str) -> bool:
    """A few lower-case words after a comma ('…, tiếp đến lần lượt là'): what may lead into a list."""
    words = gap.strip(" \t,;").split()
    return len(words) <= 6 and all(w.isalpha() and w.islower() for w in words)


def _capitalised_tail(text: str, start: int, end: int) -> int:
    """Where the run of capitalised words that ends text[start:end] begins (`end` if none)."""
    begin = end
    for word in reversed(list(re.finditer(r"[^\W\d_]+", text[start:end]))):
        if not word.group()[0].isupper():
            break
        begin = start + word.start()
    return begin


def _previous_end(found: list[dict[str, Any]], quantity: Quantity) -> int:
    """Where the previous item of an allocation list ended (the first follows the target,
    after the words that name what is allocated)."""
    return found[-1]["end"] if found else quantity.end
