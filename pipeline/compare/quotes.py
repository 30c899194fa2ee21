"""Quotes as a reader sees them: passages trimmed of the Markdown marks at their ends (the
quote stays `text[start:end]`), Markdown removed for display, and the section headings
that are titles rather than sentences of content (never reported as additions); document
text escaped for the Markdown report (`md_text`)."""

from __future__ import annotations

import re

from ..schema import DocumentRecord
from ..text.fold import fold, plain_words
from .passages import flatten

_LEADING = re.compile(r"(?:\s+|#{1,6}(?=[\s*_])|\*+|_{2,})+")
_TRAILING = re.compile(r"(?:\s+|\*+|_{2,})+$")
_HEADING_MARKS = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+")
_EMPHASIS = re.compile(r"\*\*|__|(?<=\w)\*(?=[\s.,;:!?)]|$)|(?<=[\s(])\*(?=\w)|^\*(?=\w)", re.M)
_HARD_BREAK = re.compile(r"[ \t]{2,}\n")
_CLOSING = re.compile(r"[*_ \t]*:?[*_]*")
_SENTENCE_END = ".;!?"
_MARKS_ONLY = re.compile(r"[ \t]*[#*_][#*_ \t]*")
_NUMBERED = frozenset({"roman", "arabic", "decimal"})
_CONTINUED = re.compile(r"[ \t]*\S|\s*[a-zđà-ỹ](?![).])")  # more on the same line, or a lower-case next line


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without the white space and Markdown marks ('### **', '**') at its ends."""
    lead = _LEADING.match(text, start, end)
    if lead:
        start = lead.end()
    trail = _TRAILING.search(text, start, end)
    if trail:
        end = trail.start()
    return start, max(start, end)


def plain(text: str) -> str:
    """`text` without Markdown: heading marks at line starts, bold and italic marks, hard breaks."""
    text = _HEADING_MARKS.sub("", text)
    text = _EMPHASIS.sub("", text)
    return _HARD_BREAK.sub("\n", text)


def heading_spans(record: DocumentRecord) -> list[tuple[int, int]]:
    """[start, end) of the section headings that are titles ('1. Sở Tài chính', '### **3. Nâng cao
    hiệu quả …**'): a numbered or Markdown heading, followed by more of its section, not ended by
    a sentence's punctuation nor continued in lower case on the next line. A lettered or dashed
    list item is content, even when its first sentence is its heading."""
    text = record.text
    spans = []
    for section in flatten(record.sections):
        if section.heading_end is None or not section.heading:
            continue
        line_start = text.rfind("\n", 0, section.start) + 1
        markdown = bool(_MARKS_ONLY.fullmatch(text, line_start, section.start))  # '### **' before the number
        if section.style not in _NUMBERED and not markdown:
            continue
        if text[section.heading_end:section.heading_end + 1] in tuple(_SENTENCE_END):
            continue
        closing = _CLOSING.match(text, section.heading_end)
        end = closing.end() if closing else section.heading_end
        rest = text[end:section.end]
        if not section.children and len(re.findall(r"\w{2,}", rest)) < 3:
            continue  # the heading is all the item says
        if not text[end - 1:end] == ":" and _CONTINUED.match(rest):
            continue  # the sentence goes on: a wrapped line, not a title
        spans.append((line_start if markdown else section.start, end))
    return spans


def after_headings(start: int, end: int, headings: list[tuple[int, int]], text: str) -> int:
    """Where the content of the passage [start, end) begins once the titles at its start are skipped
    (`end` when it is a title only)."""
    moved = True
    while moved:
        moved = False
        for h_start, h_end in headings:
            if h_start <= start < h_end:
                start, moved = min(h_end, end), True
        while start < end and (text[start].isspace() or text[start] in "*_#"):
            start += 1
    return start


def cue_segments(text: str, cues: list[str]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_cue) where the cue phrases occur, matched on folded words
    (what the scorer matched on), for highlighting the matched words of a quote."""
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    for cue in cues:
        words = plain_words(cue).split()
        if not words:
            continue
        pattern = re.compile(r"(?<![^\W_])" + r"[\W_]+".join(re.escape(w) for w in words) + r"(?![^\W_])")
        spans.extend((m.start(), m.end()) for m in pattern.finditer(folded))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, at = [], 0
    for start, end in merged:
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text) or not out:
        out.append((text[at:], False))
    return out


# Document text is inline content in the Markdown report (a list item, a table cell), never
# the start of a line. What can make markup there: HTML and entities (`<`, `&`, written as
# entities here), the inline syntax of CommonMark and its common extensions (code, emphasis,
# links and images, tables, strikethrough, math, superscript, marks, GitHub references and
# mentions: backslash-escaped), and links that renderers make from bare addresses (linkify:
# `www.`, `http://`, `name@host`, `host.vn`: the `.` before a letter and the `:` of `://` are
# escaped). Every escape renders as the character itself; the rest (Vietnamese letters,
# digits, `-`, `/`, `,`, `(`, …) is left as it is, so the file stays readable in a terminal.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_SYNTAX = re.compile(r"[\\`*_\[\]!|~$^=+#@{}]|\.(?=[A-Za-z])|:(?=//)")


def md_text(text: str) -> str:
    """Document text as inline Markdown that renders as exactly this text: one line, no markup."""
    flat = " ".join(text.split())
    flat = "".join(_MD_ENTITIES.get(char, char) for char in flat)
    return _MD_SYNTAX.sub(lambda match: "\\" + match.group(), flat)
