"""Routing: each line of a text classified clean, stripped or OCR-garbled, from its words.

A line is classified from its word tokens: the share that carry Vietnamese marks, the
share that are well-formed syllables, and words mixing letters with digits or letters
Vietnamese does not use (f j w z). Short lines (fewer than MIN_WORDS words) take the
class the document as a whole would get, so a stripped header "KE HOACH" is restored
like the body around it.

A line without any Vietnamese mark that reads as English (several English function words
that are no Vietnamese syllable: "of", "with", "will") or as code (`root:x:0:0:/bin/bash`,
a URL, an e-mail address) is foreign: it is left as it is and does not count towards the
document's class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from ..resources import data
from ..text.vietnamese import Token, is_stripped_syllable, is_syllable, token_kinds, tokenize

MIN_WORDS = 4
STRIPPED_MAX_MARKED = 0.25  # share of words with marks below which a line is stripped
GARBLE_MIN_INVALID = 0.2  # share of ill-formed words above which a line is OCR garble
CLEAN_MIN_MARKED = 0.5  # … unless at least this share carries marks (a clean line with names)
_FOREIGN_LETTERS = re.compile(r"[fjwzFJWZ]")
_DIGIT_IN_WORD = re.compile(r"[^\W\d_]\d|\d[^\W\d_]")
FOREIGN_MIN_ENGLISH = 2  # English function words that make an unmarked line English …
FOREIGN_MIN_SHARE = 0.15  # … when they are at least this share of its words
# Runs of characters without a space that are code: "a:b" between lower-case letters
# (root:x:0:0), a URL, an e-mail address, a backslash, or a path of lower-case names between
# slashes (/usr/sbin/); document codes (01/2019/TT-BLĐTBXH) are none of these.
_CODE = re.compile(r"\S*(?:[a-z]:[a-z/]|://|\w@\w|\\|/[a-z][a-z0-9._-]*/)\S*")
FOREIGN_MIN_CODE = 0.8  # share of a line's non-space characters in code that makes it code


@dataclass(frozen=True)
class LineStats:
    words: int
    marked: int  # words with Vietnamese marks
    invalid: int  # words that are neither syllables nor plausible stripped syllables
    suspect: int = 0  # word tokens (any) whose marks do not make a syllable: all a clean line's restoration reads
    foreign: bool = False  # English or code, no Vietnamese (then the counts are all 0)

    def classify(self) -> str:
        if self.words == 0:
            return "clean"
        if self.invalid / self.words > GARBLE_MIN_INVALID and self.marked / self.words < CLEAN_MIN_MARKED:
            return "ocr_garble"
        if self.marked / self.words < STRIPPED_MAX_MARKED:
            return "stripped"
        return "clean"

    def __add__(self, other: LineStats) -> LineStats:
        return LineStats(self.words + other.words, self.marked + other.marked,
                         self.invalid + other.invalid, self.suspect + other.suspect)


def line_stats(line: str) -> LineStats:
    words = marked = invalid = suspect = 0
    english = 0  # English function words
    for text, kind in token_kinds(line):
        if kind == "word" or kind == "mixed":
            w, m, i, s = _word_stats(text, kind)
            words, marked, invalid, suspect = words + w, marked + m, invalid + i, suspect + s
            english += kind == "word" and text.lower() in english_function_words()
    if not marked and line.isascii() and _foreign(line, words, english):
        return _FOREIGN
    return LineStats(words, marked, invalid, suspect)


def _foreign(line: str, words: int, english: int) -> bool:
    """An unmarked line that is English, or code with no Vietnamese words around it (a
    Markdown link's text is not code: "[Thu Vien Phap Luat](https://…)")."""
    if english >= FOREIGN_MIN_ENGLISH and english >= FOREIGN_MIN_SHARE * words:
        return True
    code = list(_CODE.finditer(line))
    if not code or sum(m.end() - m.start() for m in code) < FOREIGN_MIN_CODE * sum(not c.isspace() for c in line):
        return False
    rest = _CODE.sub(" ", line)
    return sum(1 for word, kind in token_kinds(rest) if kind == "word" and len(word) > 1 and is_stripped_syllable(word)) < 2


@cache
def english_function_words() -> frozenset[str]:
    return frozenset(data("pipeline.repair", "foreign_words.json")["english_function_words"])


_NO_WORDS = LineStats(0, 0, 0, 0)
_FOREIGN = LineStats(0, 0, 0, 0, foreign=True)


@lru_cache(maxsize=1 << 16)
def _word_stats(text: str, kind: str) -> tuple[int, int, int, int]:
    """One token's share of its line's stats (words, marked, invalid, suspect); a document
    repeats a few thousand words."""
    tok = Token(0, len(text), text, kind)
    suspect = int(kind == "word" and not _is_well_marked(text.lower()))
    if not _counts_as_word(tok):
        return 0, 0, 0, suspect
    return 1, int(not text.isascii()), int(_is_invalid(tok)), suspect


def _is_well_marked(low: str) -> bool:
    """A word that restoration in "clean" mode leaves alone: no marks, or marks that make a
    syllable (the test of `diacritics.restore` for clean lines; tests/test_batch_speed.py
    checks the two agree on the samples)."""
    return low.isascii() or is_syllable(low)


def _counts_as_word(tok: Token) -> bool:
    """Words that say something about the line: not single letters (list markers a, b),
    not abbreviations, and letter-digit mixes only with a lower-case letter (s6, 1am; not
    the codes T02, Q1)."""
    if tok.kind == "mixed":
        return bool(_DIGIT_IN_WORD.search(tok.text)) and not tok.text.upper() == tok.text
    return tok.kind == "word" and len(tok.text) > 1 and not _is_abbreviation(tok.text)


def _is_invalid(tok: Token) -> bool:
    """OCR-garble evidence: letters mixed with digits (s6, 1am), letters Vietnamese does not
    use (f j w z), or a word that is not a syllable even with its marks stripped (ciia)."""
    if tok.kind == "mixed":
        return True
    return not is_stripped_syllable(tok.text) or bool(_FOREIGN_LETTERS.search(tok.text))


def invalid_spans(line: str) -> list[tuple[int, int]]:
    """Words of a stripped line for the garble repairer: the invalid ones, and syllables no
    word of the language model is spelled like ("PANG", "PICH": Đ read as P), which
    restoration could only leave as they are."""
    return [(t.start, t.end) for t in tokenize(line) if _counts_as_word(t) and (_is_invalid(t) or _unknown_to_lm(t.text))]


def _unknown_to_lm(word: str) -> bool:
    from .lm import get_lm

    low = word.lower()
    return low.isascii() and not get_lm().candidates(low)


def _is_abbreviation(word: str) -> bool:
    """UBND, HĐND, TW, TT: capitals that are not one syllable say nothing about garble."""
    return word.isupper() and len(word) > 1 and not is_syllable(word)


def total_stats(stats: list[LineStats]) -> LineStats:
    return sum(stats, _NO_WORDS)


def line_class(st: LineStats, doc_class: str) -> str:
    """A line's class; in a stripped document, a line with marks on fewer than half of its
    words is stripped too: the OCR that lost most marks put stray ones on some words
    ("phan phét trién kinh té - xa hoi"), and stripped-mode restoration keeps a mark that
    makes a syllable unless the context says otherwise."""
    kind = st.classify()
    if kind == "clean" and doc_class == "stripped" and st.marked < st.words * CLEAN_MIN_MARKED:
        return "stripped"
    return kind


def short_line_class(st: LineStats, doc_class: str) -> str:
    """A line with too few words to judge takes the document's class ("DANG CQNG SAN VIDT
    NAM" in an English-OCR scan counts three words: capitals that are no syllable are not
    counted), unless all its words carry marks."""
    if st.foreign or st.words and st.marked == st.words:
        return "clean"
    return doc_class if doc_class in ("clean", "ocr_garble") else "stripped"
