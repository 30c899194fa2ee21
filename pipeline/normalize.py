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
4. Tone marks in one position (`vietnamese.tone_normalize`), that of current government
   text: hòa, khỏe, thủy, quý (see pipeline/vietnamese.py for the rule).

Hard-wrapped lines are never joined: section markers at line starts and the header block
lines are structure that later stages read, so a line break stays a line break.
"""

from __future__ import annotations

import re
import unicodedata

from .vietnamese import is_syllable, tone_normalize

_SPACES = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_SOFT_HYPHEN_BREAK = re.compile(r"(\w)\u00ad[ \t]*\n[ \t]*(\w)")
_LIGATURES = str.maketrans({"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl"})
_COMPATIBILITY = [*range(0xFF01, 0xFF5F), *range(0x2160, 0x2180)]  # full-width ASCII, Ⅰ Ⅱ … ⅻ
_COMPATIBILITY_TABLE = str.maketrans({chr(c): unicodedata.normalize("NFKC", chr(c)) for c in _COMPATIBILITY})
_TRAILING = re.compile(r"[ \t]+$", re.M)
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
    text = _SOFT_HYPHEN_BREAK.sub(r"\1\2", text)
    text = text.replace("\u00ad", "")
    text = _SPACES.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    return text.translate(_LIGATURES).translate(_COMPATIBILITY_TABLE)


def _clean_line_ends(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _TRAILING.sub("", text)


def _join_hyphenated(text: str) -> str:
    text = _CODE_BREAK.sub(r"\1-\2", text)
    return _WORD_BREAK.sub(_join_word, text)


def _join_word(m: re.Match) -> str:
    left, right = m.group(1), m.group(2)
    halves_are_words = is_syllable(left) and is_syllable(right)
    if not halves_are_words and is_syllable(left + right):
        return left + right
    return m.group(0)
