"""The roles of agency mentions, from the words of their clause.

`phối hợp với X` → cooperate, `X chủ trì` → lead, `đề nghị X` → requested, `báo cáo X` →
report_to (the cue words are `extract/data/agency_roles.json`); a body that heads a
numbered assignment ("1. Sở Tư pháp:") or is the subject of an item in the tasks or
organisation sections is the lead.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from ..resources import data
from ..schema import Section
from ..text.match import any_of

if TYPE_CHECKING:
    from .agencies import Found

LEAD_SECTION_ROLES = {"tasks", "organisation"}


@cache
def role_words() -> tuple[re.Pattern, dict[str, str | None], re.Pattern, dict[str, str]]:
    spec = data("pipeline.extract", "agency_roles.json")
    before, after = spec["before"], spec["after"]

    def alternation(words) -> re.Pattern:
        return re.compile(rf"(?<!\w)(?:{any_of(words)})(?!\w)")

    return alternation(before), before, alternation(after), after



_CLAUSE_END = re.compile(r"[.;:\n!?]")
_MARKER = re.compile(r"\s*(?:#+\s*)?(?:\*\*)?(?:[0-9]+(?:\.[0-9]+)*[.)]|[IVXLC]+[.)]|[a-zđ][.)]|[-+•*])?\s*")
_NUMBERED = re.compile(r"\s*(?:#+\s*)?(?:\*\*)?(?:[0-9]+(?:\.[0-9]+)*[.)]|[IVXLC]+[.)]|[a-zđ][.)])")
_LIST_ONLY = re.compile(r"^(?:\s|X|,|và|các|cùng|đề nghị)*$")


def _masked(text: str, start: int, end: int, mentions: Sequence[Found], skip: Found | None = None) -> str:
    """text[start:end] case-folded, the mentions overlapping it (but `skip`) replaced by 'X'."""
    pieces, cursor = [], start
    for m in mentions:
        if m is skip or m.end <= start or m.start >= end:
            continue
        pieces.append(text[cursor:max(cursor, m.start)].casefold())
        pieces.append(" X ")
        cursor = max(cursor, m.end)
    pieces.append(text[cursor:end].casefold())
    return " ".join("".join(pieces).split())


class _Overlaps:
    """The mentions overlapping a span, found by bisection: mentions come left to right and
    never overlap one another, so both their starts and their ends are sorted. (A list that
    is not in that order is searched whole.)"""

    def __init__(self, mentions: list[Found]) -> None:
        self.mentions = mentions
        self.starts = [m.start for m in mentions]
        self.ends = [m.end for m in mentions]
        self.sorted = all(a <= b for a, b in zip(self.starts, self.starts[1:])) and \
            all(a <= b for a, b in zip(self.ends, self.ends[1:]))

    def within(self, start: int, end: int) -> Sequence[Found]:
        if not self.sorted:
            return self.mentions
        return self.mentions[bisect.bisect_right(self.ends, start):bisect.bisect_left(self.starts, end)]


class _Lines:
    """Where the line holding an offset starts, by bisection over the text's line breaks."""

    def __init__(self, text: str) -> None:
        self.breaks = [m.start() for m in re.finditer("\n", text)]

    def start(self, offset: int) -> int:
        """`text.rfind("\\n", 0, offset) + 1`."""
        index = bisect.bisect_left(self.breaks, offset)
        return self.breaks[index - 1] + 1 if index else 0


def _clause_bounds(text: str, start: int, end: int, lines: _Lines) -> tuple[int, int]:
    left = max((m.end() for m in _CLAUSE_END.finditer(text, max(0, start - 400), start)), default=0)
    # a list marker "1." or "a)" opens a clause rather than closing one
    line_start = lines.start(start)
    marker = _MARKER.match(text, line_start)
    if marker and left <= marker.end() <= start and line_start <= left:
        left = line_start
    right = _CLAUSE_END.search(text, end)
    return left, right.start() if right else len(text)


def _section_role_at(sections: list[Section], offset: int) -> str | None:
    role = None
    for section in sections:
        if section.start <= offset < section.end:
            inner = _section_role_at(section.children, offset)
            return inner or section.role or role
    return role


def _subject_list(opening: str) -> bool:
    """Whether the words before a mention are only other subjects of the same clause."""
    if _LIST_ONLY.match(opening):
        return True
    chunks = [c.strip() for c in re.split(r",| và ", opening) if c.strip()]
    return all(c == "X" or _starts_with_subject_word(c) and len(c.split()) <= 7 for c in chunks)


def _starts_with_subject_word(chunk: str) -> bool:
    return any(chunk == w or chunk.startswith(w + " ") for w in subject_words())


@cache
def subject_words() -> tuple[str, ...]:
    return tuple(data("pipeline.extract", "agency_roles.json")["subject_words"])


def _heading_tail(trailing: str) -> bool:
    """What may follow the bodies named in an assignment heading: nothing, or 'and others'."""
    return trailing == "" or re.fullmatch(r"(?:và )?các [\w\s,-]{0,60}", trailing) is not None


# Clauses run to a clause mark (. ; : ! ? or a line break), so in a text that has none for
# pages, reading whole clauses around every mention takes time quadratic in the length. What
# decides a role lies near the mention: a trigger within 100 characters before it, the first
# words after it. Clauses are therefore read in windows of WINDOW characters, and whole only
# when the window cannot tell (see `_before_text`, `_after_text`), which gives the same roles.
WINDOW = 2000
_ENOUGH_BEFORE = 400  # masked characters before a mention that settle its trigger (100 + the longest trigger + a margin)
_ENOUGH_AFTER = 150  # characters of `trailing` that settle every test on it (the longest is 68)
_LIST_TAIL = re.compile(r"^(?:\s|X|,|và|các|cùng|đề nghị|nghị)*$")


def _trailing(after_text: str) -> str:
    return re.sub(r"^(?:\s|X|,|và)*", "", after_text).strip("* ")


def _before_text(text: str, left: int, m: Found, overlaps: _Overlaps) -> tuple[str, bool]:
    """The masked clause before `m`, or its last WINDOW characters when those decide the
    same roles; and whether it was cut (then the words before `m` are no subject list)."""
    start = max(left, m.start - WINDOW)
    window = _masked(text, start, m.start, overlaps.within(start, m.start), skip=m)
    if start == left or len(window) >= _ENOUGH_BEFORE and not _may_be_subject_list(window):
        return window, start > left
    return _masked(text, left, m.start, overlaps.within(left, m.start), skip=m), False


def _may_be_subject_list(tail: str) -> bool:
    """Whether a clause ending in `tail` could open with only subjects (`_subject_list`):
    every chunk of the tail but the first (which may be cut) must pass, and the first must
    not hold more words than a subject may."""
    rest = tail.split(" ", 1)[1] if " " in tail else ""
    if _LIST_TAIL.match(rest):
        return True
    chunks = [c.strip() for c in re.split(r",| và ", tail)]
    first, others = chunks[0], [c for c in chunks[1:] if c]
    return len(first.split()) <= 7 and all(c == "X" or _starts_with_subject_word(c) and len(c.split()) <= 7 for c in others)


def _after_text(text: str, right: int, m: Found, overlaps: _Overlaps) -> str:
    """`trailing` of the masked clause after `m`, read in a window when that is long enough
    to give the same answers."""
    end = min(right, m.end + WINDOW)
    trailing = _trailing(_masked(text, m.end, end, overlaps.within(m.end, end), skip=m))
    if end == right or len(trailing) >= _ENOUGH_AFTER:
        return trailing
    return _trailing(_masked(text, m.end, right, overlaps.within(m.end, right), skip=m))


def assign_roles(text: str, mentions: list[Found], sections: list[Section]) -> None:
    """Give each mention its roles from the words of its clause (in place)."""
    before_re, before, after_re, after = role_words()
    overlaps, lines = _Overlaps(mentions), _Lines(text)
    for m in mentions:
        left, right = _clause_bounds(text, m.start, m.end, lines)
        before_text, cut = _before_text(text, left, m, overlaps)
        triggers = list(before_re.finditer(before_text))
        if triggers:
            last = max(triggers, key=lambda t: (t.end(), t.end() - t.start()))
            gap = before_text[last.end():]
            role = before[last.group()]
            if role and len(gap) <= 100:
                m.roles.add(role)
        trailing = _after_text(text, right, m, overlaps)
        for word, role in after.items():
            if trailing.startswith(word):
                m.roles.add(role)
        if cut or not _subject_list(_MARKER.sub("", before_text, count=1)):
            continue
        line_start = lines.start(m.start)
        heads_item = _NUMBERED.match(text, line_start) is not None
        if heads_item and text[right:right + 1] in {":", "\n", ""} and _heading_tail(trailing):
            m.roles.add("lead")
        elif trailing[:1].isalpha() and not trailing.startswith(("phối hợp", "của", "thuộc", "trên")):
            if _section_role_at(sections, m.start) in LEAD_SECTION_ROLES:
                m.roles.add("lead")
