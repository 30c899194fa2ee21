"""Stage `sections`: the outline of a document as a tree of `Section`s.

Markers, read at the start of a line (after Markdown '#'/'**' decoration):

    Chương I / Chương 1    chapter   id segment 'Chuong-I'
    Điều 5.                article   id segment 'Dieu-5'
    I.  II.                roman     'I', 'II'
    1.  2)                 arabic    '1', '2'
    1.1.  2.3.1            decimal   '1.1' → segment '1' under '1' (the last number)
    a)  b)                 letter    'a', 'b'
    -  –  •                dash      '-1', '-2' (counted among the dash siblings)
    +                      plus      '+1', '+2'

A section's id is the path of segments from the root joined by '.', e.g. 'II.3.b' or
'II.3.b.-2' (the second dash item under II.3.b); ids are unique within a record (a
repeated path gets a '~2' suffix). Nesting follows the order markers appear in, as in
a word processor's outline: a marker style already open on the stack closes everything
below it and becomes a sibling; a new style opens a child. Dash and plus items outside
any numbered section (a 'Kính gửi' list, a preamble) are not sections. The outline ends at
'Nơi nhận:' (the distribution list). A section's span runs from its marker to the start
of its next sibling or ancestor (trailing blank lines excluded).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from ..document import Document
from ..registry import stage
from ..resources import data
from ..schema import Section
from ..text.fold import fold

_DECORATION = re.compile(r"[ \t]*(?:#{1,6}[ \t]+)?(?:\*\*|__)?[ \t]*")
_MARKERS: list[tuple[str, re.Pattern]] = [
    ("chapter", re.compile(r"chuong\s+([ivxlc]+|\d+)\b\.?", re.I)),
    ("article", re.compile(r"dieu\s+(\d+)\s*[.:]", re.I)),
    ("decimal", re.compile(r"(\d{1,2}(?:\.\d{1,2})+)\.?(?=[ \t]+\S)")),
    ("roman", re.compile(r"([IVX][IVX1l]{0,4}|[1l][IVX][IVX1l]{0,3})[.)](?=[ \t]+\S)")),
    ("arabic", re.compile(r"(\d{1,2})[.)](?=[ \t]+[^\W\d_\"“(])")),
    ("letter", re.compile(r"([a-zđ])\)(?=[ \t]+\S)")),
    ("dash", re.compile(r"[-–—•](?=[ \t]+\S)")),
    ("plus", re.compile(r"\+(?=[ \t]+\S)")),
]
_END_OF_OUTLINE = re.compile(r"[ \t]*(?:\*\*)?noi nhan\s*:", re.I)
_SENTENCE_END = re.compile(r"[.:;](?=\s)|[.:;]$|\n[ \t]*\n")
_HEADING_MAX = 300
_SHORT_HEADING_WORDS = 10


@dataclass
class _Open:
    """A section being built: its marker, where it starts, its children."""

    key: str
    section: Section
    children: list[_Open] = field(default_factory=list)
    dash_count: int = 0
    plus_count: int = 0


# --------------------------------------------------------------------------- public
@stage("sections", requires=("text",), assigns=("sections",))
def sections(doc: Document) -> None:
    doc.record.sections = parse_sections(doc.text, doc.folded)


def parse_sections(text: str, folded: str | None = None) -> list[Section]:
    """The section tree of `text` (see the module docstring for the markers and ids);
    `folded` is `fold(text)` when the caller has it."""
    folded = fold(text) if folded is None else folded
    end_of_outline = _outline_end(folded)
    root = _Open(key="root", section=Section(start=0, end=len(text), id="", number="", level=1))
    stack: list[_Open] = [root]
    for line_start, line_end in _lines(text, end_of_outline):
        found = _marker(text, folded, line_start, line_end)
        if found is None:
            continue
        style, key, number, marker_start, marker_end = found
        position = next((i for i, o in enumerate(stack) if o.key == key), None)
        if position is not None:
            for closed in stack[position:]:
                closed.section.end = _trim_end(text, marker_start)
            del stack[position:]
        parent = stack[-1]
        if style in ("dash", "plus") and parent is root:
            continue
        node = _new_section(text, parent, style, key, number, marker_start, marker_end, line_end)
        parent.children.append(node)
        stack.append(node)
    for still_open in stack[1:]:
        still_open.section.end = _trim_end(text, end_of_outline)
    return [_build(child) for child in root.children]


def walk(sections: list[Section]) -> Iterator[Section]:
    """Every section of a tree, depth first, parents before their children."""
    for section in sections:
        yield section
        yield from walk(section.children)


def find_section(sections: list[Section], section_id: str) -> Section | None:
    """The section of the tree `sections` with id `section_id`, or None."""
    return next((s for s in walk(sections) if s.id == section_id), None)


# ------------------------------------------------------------------------- markers
def _lines(text: str, stop: int) -> Iterator[tuple[int, int]]:
    start = 0
    while start < stop:
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        yield start, min(end, stop)
        start = end + 1


def _outline_end(folded: str) -> int:
    """Offset of the 'Nơi nhận:' line that closes the outline, or the end of the text."""
    for match in re.finditer(r"(?m)^.*$", folded):
        if _END_OF_OUTLINE.match(match.group()):
            return match.start()
    return len(folded)


def _marker(text: str, folded: str, line_start: int, line_end: int):
    """(style, stack key, number, marker start, marker end) for a line opening a section."""
    decoration = _DECORATION.match(text, line_start, line_end)  # it matches the empty string too
    offset = decoration.end() if decoration else line_start
    for style, pattern in _MARKERS:
        source = folded if style in ("chapter", "article") else text
        match = pattern.match(source, offset, line_end)
        if match is None:
            continue
        number = match.group(1) if match.groups() else "-" if style == "dash" else "+"
        if style == "roman":
            number = number.replace("1", "I").replace("l", "I")  # OCR reads 'II.' as 'I1.'
            if not _is_roman(number):
                continue
        if style == "chapter":
            number = text[match.start(1):match.end(1)]
        key = f"decimal{number.count('.')}" if style == "decimal" else style
        if style == "article":
            style, key = "arabic", "article"
        elif style == "chapter":
            style, key = ("roman" if number.isalpha() else "arabic"), "chapter"
        return style, key, number, offset, match.end()
    return None


def _is_roman(token: str) -> bool:
    return re.fullmatch(r"X{0,3}(?:IX|IV|V?I{0,3})", token) is not None and token != ""


# ------------------------------------------------------------------------ building
def _new_section(text, parent: _Open, style, key, number, start, marker_end, line_end) -> _Open:
    segment = _segment(parent, key, number)
    section_id = f"{parent.section.id}.{segment}" if parent.section.id else segment
    heading_start, heading_end = _heading(text, marker_end, line_end)
    heading = " ".join(text[heading_start:heading_end].replace("**", " ").split())
    if key == "chapter" and not heading:  # 'Chương I' with its title on the next line
        heading_start, heading_end = _next_line(text, line_end)
        heading = " ".join(text[heading_start:heading_end].replace("**", " ").split())
    section = Section(
        start=start,
        end=len(text),
        id=section_id,
        number=_display_number(key, number),
        style=style,
        level=parent.section.level + 1 if parent.key != "root" else 1,
        heading=heading,
        heading_start=heading_start if heading else None,
        heading_end=heading_end if heading else None,
        role=section_role(heading) if style not in ("letter", "dash", "plus") else None,
    )
    return _Open(key=key, section=section)


def _segment(parent: _Open, key: str, number: str) -> str:
    if key == "dash":
        parent.dash_count += 1
        return f"-{parent.dash_count}"
    if key == "plus":
        parent.plus_count += 1
        return f"+{parent.plus_count}"
    if key == "chapter":
        return f"Chuong-{number}"
    if key == "article":
        return f"Dieu-{number}"
    segment = number.split(".")[-1]
    taken = {c.section.id.rsplit(".", 1)[-1].split("~")[0] for c in parent.children}
    if segment in taken:  # a repeated number under one parent keeps ids unique
        count = sum(1 for c in parent.children if c.section.id.rsplit(".", 1)[-1].split("~")[0] == segment)
        segment = f"{segment}~{count + 1}"
    return segment


def _display_number(key: str, number: str) -> str:
    if key == "chapter":
        return f"Chương {number}"
    if key == "article":
        return f"Điều {number}"
    return number


def _heading(text: str, start: int, line_end: int) -> tuple[int, int]:
    """The first sentence after a marker, trimmed; it runs on to the next line only when
    that line continues it (starts in lower case, or both lines are upper-case titles)."""
    end = line_end
    while True:
        match = _SENTENCE_END.search(text, start, end)
        if match:
            end = match.start()
            break
        following = _following_line(text, end)
        if following is None or end - start > _HEADING_MAX or not _continues(text[start:end], following[2]):
            break
        end = following[1]
    while start < end and text[start] in " \t*":
        start += 1
    while end > start and text[end - 1] in " \t*\n":
        end -= 1
    return start, end


def _following_line(text: str, line_end: int) -> tuple[int, int, str] | None:
    if line_end >= len(text):
        return None
    start = line_end + 1
    end = text.find("\n", start)
    end = len(text) if end == -1 else end
    return start, end, text[start:end]


_LIST_MARKER = re.compile(r"\s*(?:\d{1,2}[.)]|[a-zđ]\)|[-+•–])\s")


def _continues(line: str, following: str) -> bool:
    stripped = following.strip(" \t*")
    if not stripped or _LIST_MARKER.match(following):
        return False
    if stripped[0].islower() or stripped[0].isdigit():
        return True
    letters = [ch for ch in line + stripped if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def _next_line(text: str, line_end: int) -> tuple[int, int]:
    start = line_end + 1
    while start < len(text) and text[start] in " \t\n":
        start += 1
    end = text.find("\n", start)
    end = len(text) if end == -1 else end
    while end > start and text[end - 1] in " \t*":
        end -= 1
    return start, end


def _trim_end(text: str, end: int) -> int:
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


def _build(node: _Open) -> Section:
    node.section.children = [_build(child) for child in node.children]
    return node.section


# ---------------------------------------------------------------------------- roles
@cache
def _role_patterns() -> list[tuple[str, re.Pattern]]:
    roles = data("pipeline.structure", "section_roles.json")["roles"]
    return [(role, re.compile(r"(?:" + "|".join(re.escape(c) for c in cues) + r")\b")) for role, cues in roles]


def section_role(heading: str) -> str | None:
    """purpose / targets / tasks / organisation / funding / reporting, from a cue word opening
    the heading, or anywhere in a short heading ('Một số chỉ tiêu cụ thể đến năm 2025')."""
    folded = fold(heading).strip(" *:.")
    short = len(folded.split()) <= _SHORT_HEADING_WORDS
    for role, pattern in _role_patterns():
        if pattern.match(folded) or (short and pattern.search(folded)):
            return role
    return None
