"""Context shared by the rule extractors: sentences, the enclosing heading, the locality.

These helpers only read the record; they never change it.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from ..schema import DocumentRecord, Section
from .gazetteer import load_table

# a sentence ends at . ; ! ? followed by white space, or at a line break unless the next
# line goes on in lower case (a line wrapped by the layout or by OCR); "1.800" and
# "20/6/2021" do not end one
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n\s*")


def _ends_sentence(text: str, m: re.Match) -> bool:
    if text[m.start() - 1:m.start()] in (".", ";", "!", "?") or m.group().count("\n") > 1:
        return True
    following = text[m.end():m.end() + 1]
    return not following.islower()


def sentence_at(text: str, offset: int) -> tuple[int, int]:
    """[start, end) of the sentence holding `offset` (a list item or a heading counts as one)."""
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, offset):
        if _ends_sentence(text, m):
            start = m.end()
    end = len(text)
    for m in _SENTENCE_END.finditer(text, offset):
        if _ends_sentence(text, m):
            end = m.start()
            break
    return start, end


_HEADING = re.compile(r"^\s*(?:[IVXLC]+\.|\d+(?:\.\d+)*\.?|[a-zđ]\))\s*\S", re.IGNORECASE)


def preceding_headings(text: str, offset: int, limit: int = 30) -> list[tuple[int, str]]:
    """Short numbered lines (headings) before `offset`, nearest first, at most `limit` lines back."""
    lines, end = [], text.rfind("\n", 0, offset)
    while end > 0 and len(lines) < limit:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if _HEADING.match(line) and len(line) < 160:
            lines.append((start, line))
        end = start - 1
    return lines


def section_path(record: DocumentRecord, offset: int) -> list[Section]:
    """Sections holding `offset`, outermost first (empty before the structure stage runs)."""
    path, level = [], record.sections
    while True:
        inside = next((s for s in level if s.start <= offset < s.end), None)
        if inside is None:
            return path
        path.append(inside)
        level = inside.children


def section_id_at(record: DocumentRecord, offset: int) -> str | None:
    """Id of the innermost section holding `offset` (None before the structure stage runs)."""
    path = section_path(record, offset)
    return path[-1].id if path else None


def document_locality(record: DocumentRecord) -> str | None:
    """The province or district the plan belongs to, e.g. 'tỉnh Thừa Thiên Huế'.

    Metadata wins when it names the province of a provincial issuer; otherwise the most
    frequent '<level word> <Proper Name>' in running text, ties going to the higher level.
    Enumerations of units ('các huyện, thị xã, thành phố Huế') and table cells do not count.
    """
    info = record.document
    if info.province and info.issuer.level == "province":
        return f"tỉnh {info.province}"
    levels = load_table("targets")["localities"]
    not_localities = set(load_table("targets").get("not_localities", []))
    enumeration = re.compile(rf"(?:{'|'.join(map(re.escape, levels))}|các)\s*(?:,|và)?\s*$")
    counts: Counter[str] = Counter()
    rank: dict[str, tuple[int, int]] = {}
    for m in _locality_pattern().finditer(record.text):
        before = record.text[max(0, m.start() - 16):m.start()]
        if enumeration.search(before) or before.endswith("\t"):
            continue
        if m.group(2) in not_localities:
            continue  # "Liên minh Hợp tác xã Việt Nam"
        name = f"{m.group(1)} {m.group(2)}"
        counts[name] += 1
        rank.setdefault(name, (levels.index(m.group(1)), m.start()))
    if counts:
        return min(counts, key=lambda name: (-counts[name], *rank[name]))
    return f"tỉnh {info.province}" if info.province else None


@cache
def _locality_pattern() -> re.Pattern:
    words = sorted(load_table("targets")["localities"], key=len, reverse=True)
    name = r"[A-ZĐÂĂÊÔƠƯÁÀẢÃẠÉÈẺẼẸÍÌỈĨỊÓÒỎÕỌÚÙỦŨỤÝỲỶỸỴ][^\W\d_]*"
    return re.compile(
        rf"(?<![^\W_])({'|'.join(map(re.escape, words))})[ ]+((?:{name})(?:[ ]+{name}){{0,3}})"
    )
