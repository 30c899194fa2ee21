"""The roles of agency mentions, from the words of their clause.

`phối hợp với X` → cooperate, `X chủ trì` → lead, `đề nghị X` → requested, `báo cáo X` →
report_to (the cue words are `extract/data/agency_roles.json`); a body that heads a
numbered assignment ("1. Sở Tư pháp:") or is the subject of an item in the tasks or
organisation sections is the lead.
"""

from __future__ import annotations

import re
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


def _masked(text: str, start: int, end: int, mentions: list[Found]) -> str:
    """text[start:end] case-folded, other mentions replaced by 'X'."""
    pieces, cursor = [], start
    for m in mentions:
        if m.end <= start or m.start >= end:
            continue
        pieces.append(text[cursor:max(cursor, m.start)].casefold())
        pieces.append(" X ")
        cursor = max(cursor, m.end)
    pieces.append(text[cursor:end].casefold())
    return " ".join("".join(pieces).split())


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _CLAUSE_END.finditer(text, max(0, start - 400), start)), default=0)
    # a list marker "1." or "a)" opens a clause rather than closing one
    line_start = text.rfind("\n", 0, start) + 1
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


def assign_roles(text: str, mentions: list[Found], sections: list[Section]) -> None:
    """Give each mention its roles from the words of its clause (in place)."""
    before_re, before, after_re, after = role_words()
    for index, m in enumerate(mentions):
        left, right = _clause_bounds(text, m.start, m.end)
        others = mentions[:index] + mentions[index + 1:]
        before_text = _masked(text, left, m.start, others)
        after_text = _masked(text, m.end, right, others)
        triggers = list(before_re.finditer(before_text))
        if triggers:
            last = max(triggers, key=lambda t: (t.end(), t.end() - t.start()))
            gap = before_text[last.end():]
            role = before[last.group()]
            if role and len(gap) <= 100:
                m.roles.add(role)
        trailing = re.sub(r"^(?:\s|X|,|và)*", "", after_text).strip("* ")
        for word, role in after.items():
            if trailing.startswith(word):
                m.roles.add(role)
        opening = _MARKER.sub("", before_text, count=1)
        if not _subject_list(opening):
            continue
        line_start = text.rfind("\n", 0, m.start) + 1
        heads_item = _NUMBERED.match(text, line_start) is not None
        if heads_item and text[right:right + 1] in {":", "\n", ""} and _heading_tail(trailing):
            m.roles.add("lead")
        elif trailing[:1].isalpha() and not trailing.startswith(("phối hợp", "của", "thuộc", "trên")):
            if _section_role_at(sections, m.start) in LEAD_SECTION_ROLES:
                m.roles.add("lead")
