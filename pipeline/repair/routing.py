"""Routing: each line of a text classified clean, stripped or OCR-garbled, from its words,
and within a line the words that each repairer may touch.

A line is classified from its word tokens: the share that carry Vietnamese marks, the
share that are well-formed syllables, and words mixing letters with digits or letters
Vietnamese does not use (f j w z). Short lines (fewer than MIN_WORDS words) take the
class the document as a whole would get, so a stripped header "KE HOACH" is restored
like the body around it.

Two kinds of words decide more than shares of marks (`classify_lines`). A word written with
a Vietnamese letter that Latin-1 lacks (ư ơ ă đ ạ ả ấ ệ …) and that is a syllable comes from
a Vietnamese text layer or OCR: a line with at least VN_CLEAN of its words so written is
clean, and such a word is never changed in any line (`vietnamese_spans`). An English OCR
model writes none of those letters, only Latin-1 marks (é) and garble; so a line without
them, among neighbouring lines that mostly lack them too and hold enough garble evidence
(words that are no syllable even stripped, letters mixed with digits, marks that make no
syllable, Latin-1 marks), is read whole by the garble repairer, every word a candidate,
whatever share of its words happens to look like a syllable ("dong sé phan b6 chi tiéu cho
cac huyén, thi xa" is such a line).

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
from ..text.vietnamese import Token, is_stripped_syllable, is_syllable, strip_diacritics, token_kinds, tokenize

MIN_WORDS = 4
STRIPPED_MAX_MARKED = 0.25  # share of words with marks below which a line is stripped
GARBLE_MIN_INVALID = 0.2  # share of ill-formed words above which a line is OCR garble
CLEAN_MIN_MARKED = 0.5  # … unless at least this share carries marks (a clean line with names)
VN_CLEAN = 0.15  # share of words written with a Vietnamese letter outside Latin-1 that makes a line clean
OCR_WINDOW = 8  # lines on either side whose words say whether a line sits in English-OCR text
OCR_WINDOW_POOR = 0.7  # … when this share of the window's words are in lines below VN_CLEAN …
OCR_MIN_EVIDENCE = 0.12  # … and this share of those are garble evidence or carry Latin-1 marks only
_LATIN1_VOWELS = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
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
    vietnamese: int = 0  # syllables written with a Vietnamese letter outside Latin-1 (ư ơ ă đ ạ ả …)
    evidence: int = 0  # words that are garble evidence (invalid, or marked but no syllable) or carry Latin-1 marks only
    foreign: bool = False  # English or code, no Vietnamese (then the counts are all 0)

    def classify(self) -> str:
        if self.words == 0:
            return "clean"
        if self.invalid / self.words > GARBLE_MIN_INVALID and self.marked / self.words < CLEAN_MIN_MARKED:
            return "ocr_garble"
        if self.marked / self.words < STRIPPED_MAX_MARKED:
            return "stripped"
        return "clean"

    @property
    def vietnamese_poor(self) -> bool:
        """Too few words written with Vietnamese letters outside Latin-1 to call it clean."""
        return self.vietnamese < VN_CLEAN * self.words

    def __add__(self, other: LineStats) -> LineStats:
        return LineStats(self.words + other.words, self.marked + other.marked,
                         self.invalid + other.invalid, self.suspect + other.suspect,
                         self.vietnamese + other.vietnamese, self.evidence + other.evidence)


def line_stats(line: str) -> LineStats:
    words = marked = invalid = suspect = vietnamese = evidence = 0
    english = 0  # English function words
    for text, kind in token_kinds(line):
        if kind == "word" or kind == "mixed":
            w, m, i, s, v, e = _word_stats(text, kind)
            words, marked, invalid, suspect = words + w, marked + m, invalid + i, suspect + s
            vietnamese, evidence = vietnamese + v, evidence + e
            english += kind == "word" and text.lower() in english_function_words()
    if not marked and line.isascii() and _foreign(line, words, english):
        return _FOREIGN
    return LineStats(words, marked, invalid, suspect, vietnamese, evidence)


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
def _word_stats(text: str, kind: str) -> tuple[int, int, int, int, int, int]:
    """One token's share of its line's stats (words, marked, invalid, suspect, vietnamese,
    evidence); a document repeats a few thousand words."""
    tok = Token(0, len(text), text, kind)
    suspect = int(kind == "word" and not _is_well_marked(text.lower()))
    if not _counts_as_word(tok):
        return 0, 0, 0, suspect, 0, 0
    marked, invalid = not text.isascii(), _is_invalid(tok)
    vietnamese = kind == "word" and _vietnamese_letters(text)
    evidence = invalid or (marked and not vietnamese)  # Latin-1 marks only, or marks that make no syllable
    return 1, int(marked), int(invalid), suspect, int(vietnamese), int(evidence)


def _vietnamese_letters(word: str) -> bool:
    """A syllable written with a Vietnamese letter outside Latin-1 (ư ơ ă đ ạ ả ấ …), which no
    English OCR model writes."""
    return any(c not in _LATIN1_VOWELS and not c.isascii() for c in word) and is_syllable(word)


def vietnamese_spans(line: str) -> list[tuple[int, int]]:
    """The words of a line written with Vietnamese letters outside Latin-1 that are syllables:
    intact words, never changed by the garble repairer."""
    return [(t.start, t.end) for t in tokenize(line) if t.kind == "word" and not t.text.isascii() and _vietnamese_letters(t.text)]


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


_DIGIT_INSIDE = re.compile(r"[^\W\d_]\d+[^\W\d_]")


def garbled_spans_in_clean(line: str) -> list[tuple[int, int]]:
    """Words of a clean line for the garble repairer, shapes no Vietnamese text has: a digit
    between small letters ("m6i", "ho4ch"; not "m2", "H5N1", "COVID-19"), or a small word
    whose marks make no syllable and whose letters no syllable of the language model has
    ("nuéc"; restoration reads "hién" itself; a name such as "Nestlé" is capitalised, and the
    list letter "đ" is one letter)."""
    out = []
    for t in tokenize(line):
        if line[t.end:t.end + 1].isalnum() or line[t.start - 1:t.start].isalnum():
            continue  # part of a longer run: "phiế" + "u13" of a footnote mark ("phiếu13")
        if t.kind == "mixed" and _DIGIT_INSIDE.search(t.text) and any(c.islower() for c in t.text) and not _is_code_like(t.text):
            out.append((t.start, t.end))
        elif (t.kind == "word" and len(t.text) > 1 and t.text[:1].islower() and not t.text.isascii() and not is_syllable(t.text)
              and _unknown_to_lm(strip_diacritics(t.text))):
            out.append((t.start, t.end))
    return out


def _is_code_like(text: str) -> bool:
    """Letters and digits in a pattern codes use: capitals around the digits ("1A2b" is not)."""
    return sum(c.isupper() for c in text) >= 2


def _unknown_to_lm(word: str) -> bool:
    from .lm import get_lm

    low = word.lower()
    return low.isascii() and not get_lm().candidates(low)


def _is_abbreviation(word: str) -> bool:
    """UBND, HĐND, TW, TT: capitals that are not one syllable say nothing about garble."""
    return word.isupper() and len(word) > 1 and not is_syllable(word)


def total_stats(stats: list[LineStats]) -> LineStats:
    return sum(stats, _NO_WORDS)


def classify_lines(stats: list[LineStats]) -> list[str]:
    """Each line's class: clean, stripped or ocr_garble. A line with enough words written with
    Vietnamese letters outside Latin-1 is clean; a line without them that sits in English-OCR
    text (`_in_english_ocr`) is ocr_garble; the others are judged by their shares of marks and
    invalid words (`line_class`, and `short_line_class` for short lines)."""
    doc_class = total_stats(stats).classify()
    english_ocr = _in_english_ocr(stats)
    kinds = []
    for st, ocr in zip(stats, english_ocr):
        if st.foreign or st.words and not st.vietnamese_poor:
            kinds.append("clean")
        elif ocr:
            kinds.append("ocr_garble")
        else:
            kinds.append(line_class(st, doc_class) if st.words >= MIN_WORDS else short_line_class(st, doc_class))
    return kinds


def _in_english_ocr(stats: list[LineStats]) -> list[bool]:
    """For each line, whether the lines around it (OCR_WINDOW either side) read as English-OCR
    output: most of their words in lines short of Vietnamese letters outside Latin-1, and
    enough of those words garble evidence. Computed with running sums."""
    poor = [st if st.vietnamese_poor else _NO_WORDS for st in stats]
    all_words = _running([st.words for st in stats])
    poor_words = _running([st.words for st in poor])
    poor_evidence = _running([st.evidence for st in poor])
    out = []
    for i in range(len(stats)):
        a, b = max(0, i - OCR_WINDOW), min(len(stats), i + OCR_WINDOW + 1)
        words, poor_n, evidence = all_words[b] - all_words[a], poor_words[b] - poor_words[a], poor_evidence[b] - poor_evidence[a]
        out.append(poor_n > 0 and poor_n >= OCR_WINDOW_POOR * words and evidence >= OCR_MIN_EVIDENCE * poor_n)
    return out


def _running(values: list[int]) -> list[int]:
    out = [0]
    for v in values:
        out.append(out[-1] + v)
    return out


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
