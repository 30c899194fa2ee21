"""Normalisation: Unicode form, invisible characters, line ends, PDF hyphenation, tone marks.

What `normalize` does, in order (each step one small function):

1. NFC, then compatibility oddities: no-break and other special spaces become a plain
   space, zero-width characters, BOM and soft hyphens at a line end are removed, full-width
   ASCII forms, Roman-numeral characters (Ⅱ → II) and the ligatures ﬁ/ﬂ become plain
   letters. Typographic quotes and dashes are kept: they are real characters of the
   source and other stages read them.
2. Line ends: CRLF and CR become LF, and so do the other line and page breaks (form feed,
   vertical tab, NEL, U+2028/U+2029); trailing spaces and tabs at the end of a line go.
   Runs of spaces inside a line are kept (header blocks use them as column gaps).
3. PDF hyphenation: a word broken across lines with a hyphen is joined only when the
   halves are not syllables themselves and the joined form is ("tuyê-\\nn" → "tuyên");
   a document code broken after its hyphen is re-joined ("20-\\nCT/TW" → "20-CT/TW").
4. Tone marks in one position (`pipeline.text.vietnamese.tone_normalize`), that of current government
   text: hòa, khỏe, thủy, quý (see pipeline/text/vietnamese.py for the rule).
5. Control characters (C0 but tab and line feed, DEL, C1: a NUL from a damaged file, a bell)
   and the bidirectional controls (the right-to-left override U+202E and its kin, which can
   make a line display other than it reads) are removed. Unlike the steps above, each removal
   is reported (`normalize_recorded`): the repair stage lists them in `repairs` with kind
   "normalize", so nothing leaves the text unseen.

Hard-wrapped lines are never joined: section markers at line starts and the header block
lines are structure that later stages read, so a line break stays a line break.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

from ..schema import Repair
from ..text.vietnamese import is_syllable, tone_normalize

_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # the soft hyphen too, once breaks at it are joined
_SOFT_HYPHEN_BREAK = re.compile(r"(\w)\u00ad[ \t]*\n[ \t]*(\w)")
_LIGATURES = {"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl"}
_COMPATIBILITY = [*range(0xFF01, 0xFF5F), *range(0x2160, 0x2180)]  # full-width ASCII, Ⅰ Ⅱ … ⅻ
# One table for every character replaced one by one: none maps to a character another
# entry replaces, so one pass gives what one pass per kind gives.
_CHARACTERS = str.maketrans({
    **{c: " " for c in _SPACES}, **{c: None for c in _INVISIBLE}, **_LIGATURES,
    **{chr(c): unicodedata.normalize("NFKC", chr(c)) for c in _COMPATIBILITY},
})
_ANY_REPLACED = re.compile("[" + re.escape("".join(chr(c) if isinstance(c, int) else c for c in _CHARACTERS)) + "]")
_WORD_BREAK = re.compile(r"([^\W\d_]+)-\n([^\W\d_]+)")
_CODE_BREAK = re.compile(r"(\d+)-\n([A-ZĐ]{1,10}[/-])")
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


class Removed(NamedTuple):
    """Control characters taken out of a text: they stood before `offset` of the result."""

    offset: int
    original: str


def normalize(text: str) -> str:
    """Return `text` in the project's canonical form (see the module docstring)."""
    return normalize_recorded(text)[0]


def normalize_recorded(text: str) -> tuple[str, list[Removed]]:
    """`normalize(text)`, and the control characters it removed (step 5)."""
    text = unicodedata.normalize("NFC", text)
    text = _clean_characters(text)
    text = _clean_line_ends(text)
    text = _join_hyphenated(text)
    return _remove_controls(tone_normalize(text))


def _remove_controls(text: str) -> tuple[str, list[Removed]]:
    if _CONTROLS.search(text) is None:  # most texts hold none: no copy
        return text, []
    pieces, removed, cursor, gone = [], [], 0, 0
    for m in _CONTROLS.finditer(text):
        pieces.append(text[cursor:m.start()])
        removed.append(Removed(m.start() - gone, m.group()))
        gone += len(m.group())
        cursor = m.end()
    pieces.append(text[cursor:])
    return "".join(pieces), removed


def removal_repairs(removed: list[Removed], edits: Sequence[tuple[int, int, str]]) -> list[Repair]:
    """`Repair`s (kind "normalize") for removed control characters, at their offsets in the
    text after `edits` ((start, end, replacement), sorted, in the coordinates of the
    normalised text) were applied; a removal inside an edited span goes to its start."""
    repairs, index, shift = [], 0, 0
    for r in removed:
        while index < len(edits) and edits[index][1] <= r.offset:
            start, end, replacement = edits[index]
            shift += len(replacement) - (end - start)
            index += 1
        offset = r.offset
        if index < len(edits) and edits[index][0] < offset:  # inside the next edit
            offset = edits[index][0]
        repairs.append(Repair(start=offset + shift, end=offset + shift, kind="normalize", repaired=True,
                              original=r.original, replacement="", confidence=1.0))
    return repairs


def _clean_characters(text: str) -> str:
    if "\u00ad" in text:
        text = _SOFT_HYPHEN_BREAK.sub(r"\1\2", text)
    if _ANY_REPLACED.search(text) is None:  # most texts hold none: no copy
        return text
    return text.translate(_CHARACTERS)


def _clean_line_ends(text: str) -> str:
    text = _LINE_BREAKS.sub("\n", text)
    return "\n".join(line.rstrip(" \t") for line in text.split("\n"))


def _join_hyphenated(text: str) -> str:
    if "-\n" not in text:  # both patterns need a hyphen at a line end
        return text
    text = _CODE_BREAK.sub(r"\1-\2", text)
    return _WORD_BREAK.sub(_join_word, text)


def _join_word(m: re.Match) -> str:
    left, right = m.group(1), m.group(2)
    halves_are_words = is_syllable(left) and is_syllable(right)
    if not halves_are_words and is_syllable(left + right):
        return left + right
    return m.group(0)
