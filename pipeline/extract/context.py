"""Context shared by the rule extractors: the headings above a passage, the plan's locality.

These helpers only read the document; they never change it. Sentences and the sections
holding an offset are views of the Document (`Document.sentence_at`, `Document.section_path`).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from ..document import Document
from ..resources import data
from ..text.places import known_prefix

_HEADING = re.compile(r"^\s*(?:[IVXLC]+\.|\d+(?:\.\d+)*\.?|[a-zđ]\))\s*\S", re.IGNORECASE)


def preceding_headings(text: str, offset: int, limit: int = 30) -> list[tuple[int, str]]:
    """Short numbered lines (headings) before `offset`, nearest first, at most `limit` lines back."""
    lines: list[tuple[int, str]] = []
    end = text.rfind("\n", 0, offset)
    while end > 0 and len(lines) < limit:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if _HEADING.match(line) and len(line) < 160:
            lines.append((start, line))
        end = start - 1
    return lines


def document_locality(doc: Document) -> str | None:
    """The province or district the plan belongs to, e.g. 'tỉnh Thừa Thiên Huế'.

    Metadata wins when it names the province of a provincial issuer; otherwise the most
    frequent '<level word> <Proper Name>' in running text, ties going to the higher level.
    Enumerations of units ('các huyện, thị xã, thành phố Huế') and table cells do not count,
    nor names that the gazetteer does not know after 'tỉnh' (a person: 'Chủ tịch UBND tỉnh
    Trần Văn Tân'); after a lower level word an unknown name of one or two words is kept
    (communes are not in the gazetteer).
    """
    record = doc.record
    info = record.document
    if info.province and info.issuer.level == "province":
        return f"tỉnh {info.province}"
    levels = data("pipeline.extract", "targets.json")["localities"]
    not_localities = set(data("pipeline.extract", "targets.json").get("not_localities", []))
    enumeration = re.compile(rf"(?:{'|'.join(map(re.escape, levels))}|các)\s*(?:,|và)?\s*$")
    counts: Counter[str] = Counter()
    rank: dict[str, tuple[int, int]] = {}
    for m in _locality_pattern().finditer(record.text):
        before = record.text[max(0, m.start() - 16):m.start()]
        if enumeration.search(before) or before.endswith("\t"):
            continue
        if m.group(2) in not_localities:
            continue  # "Liên minh Hợp tác xã Việt Nam"
        place = known_prefix(m.group(2))
        if place is None and (m.group(1) == "tỉnh" or len(m.group(2).split()) > 2):
            continue  # "UBND tỉnh Trần Văn Tân": a person after the level word, not a place
        name = f"{m.group(1)} {place or m.group(2)}"
        counts[name] += 1
        rank.setdefault(name, (levels.index(m.group(1)), m.start()))
    if counts:
        return min(counts, key=lambda name: (-counts[name], *rank[name]))
    return f"tỉnh {info.province}" if info.province else None


@cache
def _locality_pattern() -> re.Pattern:
    words = sorted(data("pipeline.extract", "targets.json")["localities"], key=len, reverse=True)
    name = r"[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝỲỶỸỴ][^\W\d_]*"
    return re.compile(
        rf"(?<![^\W_])({'|'.join(map(re.escape, words))})[ ]+((?:{name})(?:[ ]+{name}){{0,3}})"
    )
