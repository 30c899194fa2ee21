"""Normalisation: Unicode form, invisible characters, line ends, PDF hyphenation, tone marks.

What `normalize` does, in order (each step one small function):

1. NFC, then compatibility oddities: no-break and other special spaces become a plain
   space, zero-width characters, BOM and soft hyphens at a line end are removed, full-width
   ASCII forms, Roman-numeral characters (Ⅱ → II) and the ligatures ﬁ/ﬂ become plain
   letters. Typographic quotes and dashes are kept: they are real characters of the
   source and other stages read them.
2. Line ends: CRLF and CR become LF; trailing spaces and tabs at the end of a line go.
   Runs of spaces inside a line are kept (header blocks use them as column gaps).
3. PDF hyphenation: a word broken across lines with a hyphen is joined only when the
   halves are not syllables themselves and the joined form is ("tuyê-\\nn" → "tuyên");
   a document code broken after its hyphen is re-joined ("20-\\nCT/TW" → "20-CT/TW").
4. Tone marks in one position (`pipeline.text.vietnamese.tone_normalize`), that of current government
   text: hòa, khỏe, thủy, quý (see pipeline/text/vietnamese.py for the rule).

Hard-wrapped lines are never joined: section markers at line starts and the header block
lines are structure that later stages read, so a line break stays a line break.
"""

from __future__ import annotations

import re
import unicodedata

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


def normalize(text: str) -> str:
    """Return `text` in the project's canonical form (see the module docstring)."""
    text = unicodedata.normalize("NFC", text)
    text = _clean_characters(text)
    text = _clean_line_ends(text)
    text = _join_hyphenated(text)
    return tone_normalize(text)


def _clean_characters(text: str) -> str:
    if "\u00ad" in text:
        text = _SOFT_HYPHEN_BREAK.sub(r"\1\2", text)
    if _ANY_REPLACED.search(text) is None:  # most texts hold none: no copy
        return text
    return text.translate(_CHARACTERS)


def _clean_line_ends(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
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
