"""Repair: legacy encodings, normalisation, then per-line routing to the right repairer.

    text ─ legacy.decode_legacy (TCVN3/VNI) ─ normalize ─ for each line: classify
        clean       → left as it is, except words with marks that are not syllables
        stripped    → diacritics restored with the language model (`diacritics.restore`)
        ocr_garble  → `garble.repair_line` when that module is present, else restoration

A line is classified from its word tokens: the share that carry Vietnamese marks, the
share that are well-formed syllables, and words mixing letters with digits or letters
Vietnamese does not use (f j w z). Short lines (fewer than MIN_WORDS words) take the
class the document as a whole would get, so a stripped header "KE HOACH" is restored
like the body around it. A legacy-font decoding is kept only when it turns clearly more
words into syllables (OCR text full of "é" is not TCVN3). Token edits next to each other are merged into one readable
`Repair` span whose offsets point into the final text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .diacritics import Edit, restore_lines
from .errors import ChithiError
from .normalize import normalize
from .schema import Repair
from .vietnamese import Token, is_stripped_syllable, is_syllable, token_kinds, tokenize

MIN_WORDS = 4
STRIPPED_MAX_MARKED = 0.25  # share of words with marks below which a line is stripped
GARBLE_MIN_INVALID = 0.2  # share of ill-formed words above which a line is OCR garble
CLEAN_MIN_MARKED = 0.5  # … unless at least this share carries marks (a clean line with names)
LEGACY_MIN_GAIN = 3  # a legacy decoding must turn this many more words into syllables
LEGACY_MIN_SHARE = 0.05  # … and at least this share of all words
_FOREIGN_LETTERS = re.compile(r"[fjwzFJWZ]")
_DIGIT_IN_WORD = re.compile(r"[^\W\d_]\d|\d[^\W\d_]")


@dataclass
class Repaired:
    text: str
    repairs: list[Repair] = field(default_factory=list)
    legacy_encoding: str | None = None


@dataclass(frozen=True)
class LineStats:
    words: int
    marked: int  # words with Vietnamese marks
    invalid: int  # words that are neither syllables nor plausible stripped syllables
    suspect: int = 0  # word tokens (any) whose marks do not make a syllable: all a clean line's restoration reads

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


def repair(text: str) -> Repaired:
    """Repair `text`: every edit is reported as a `Repair` with offsets into the result."""
    text, legacy = _decode_legacy(text)
    text = normalize(text)
    lines = text.split("\n")
    stats = [line_stats(line) for line in lines]
    doc_class = _total(stats).classify()
    kinds = [_line_class(st, doc_class) if st.words >= MIN_WORDS else _short_line_class(st, doc_class) for st in stats]
    edits: list[Edit] = []
    for start, line_edits in zip(_line_starts(lines), _repair_lines(lines, kinds, stats)):
        edits.extend(_shift(e, start) for e in line_edits)
    fixed, repairs = apply_edits(text, merge_adjacent(text, edits))
    return Repaired(text=fixed, repairs=repairs, legacy_encoding=legacy)


def line_stats(line: str) -> LineStats:
    words = marked = invalid = suspect = 0
    for text, kind in token_kinds(line):
        if kind == "word" or kind == "mixed":
            w, m, i, s = _word_stats(text, kind)
            words, marked, invalid, suspect = words + w, marked + m, invalid + i, suspect + s
    return LineStats(words, marked, invalid, suspect)


_NO_WORDS = LineStats(0, 0, 0, 0)


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


def _invalid_spans(line: str) -> list[tuple[int, int]]:
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


def _total(stats: list[LineStats]) -> LineStats:
    return sum(stats, _NO_WORDS)


def _line_class(st: LineStats, doc_class: str) -> str:
    """A line's class; in a stripped document, a line with marks on fewer than half of its
    words is stripped too: the OCR that lost most marks put stray ones on some words
    ("phan phét trién kinh té - xa hoi"), and stripped-mode restoration keeps a mark that
    makes a syllable unless the context says otherwise."""
    kind = st.classify()
    if kind == "clean" and doc_class == "stripped" and st.marked < st.words * CLEAN_MIN_MARKED:
        return "stripped"
    return kind


def _short_line_class(st: LineStats, doc_class: str) -> str:
    """A line with too few words to judge takes the document's class ("DANG CQNG SAN VIDT
    NAM" in an English-OCR scan counts three words: capitals that are no syllable are not
    counted), unless all its words carry marks."""
    if st.words and st.marked == st.words:
        return "clean"
    return doc_class if doc_class in ("clean", "ocr_garble") else "stripped"


def _line_starts(lines: list[str]) -> list[int]:
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    return starts


def _repair_lines(lines: list[str], kinds: list[str], stats: list[LineStats]) -> list[list[Edit]]:
    """Edits per line: garbled lines go to the OCR-garble repairer, the rest are restored
    together in one batched decode; in stripped lines, the few garbled tokens (s6, cta)
    take the garble repairer's edit while restoration handles the other words. A clean line
    with no suspect word has nothing restoration would change and is not decoded."""
    out: list[list[Edit] | None] = [None] * len(lines)
    for i, (kind, st) in enumerate(zip(kinds, stats)):
        if kind == "clean" and not st.suspect:
            out[i] = []
    garbled = [i for i, kind in enumerate(kinds) if kind == "ocr_garble"]
    for i, edits in zip(garbled, _garble_edits_many([lines[i] for i in garbled])):
        out[i] = edits
    todo = [i for i, edits in enumerate(out) if edits is None]
    modes = [(lines[i], "clean" if kinds[i] == "clean" else "stripped") for i in todo]
    for i, edits in zip(todo, restore_lines(modes)):
        out[i] = edits
    # In stripped lines, the few garbled words are read by the garble repairer, all lines at
    # once, with the restored words around them as context.
    spans = {i: _invalid_spans(lines[i]) for i in todo if kinds[i] == "stripped"}
    spans = {i: s for i, s in spans.items() if s}
    found = _garble_edits_many([_restored_in_place(lines[i], out[i]) for i in spans], list(spans.values()))
    for (i, line_spans), garble in zip(spans.items(), found):
        out[i] = _with_garbled_tokens(out[i], line_spans, garble)
    return out


def _restored_in_place(line: str, edits: list[Edit]) -> str:
    """The line with its restoration edits applied where they keep the length (a restored
    syllable is as long as its stripped form in NFC), so that offsets still hold."""
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        if len(e.replacement) == e.end - e.start:
            line = line[:e.start] + e.replacement + line[e.end:]
    return line


def _with_garbled_tokens(edits: list[Edit], spans: list[tuple[int, int]], garble: list[Edit] | None) -> list[Edit]:
    """Add the garble repairer's edits that touch garbled tokens of a stripped line; they
    win over restoration edits they overlap."""
    garble = [g for g in garble or [] if any(g.start < e and s < g.end for s, e in spans)]
    kept = [e for e in edits if not any(g.start < e.end and e.start < g.end for g in garble)]
    return sorted(kept + garble, key=lambda e: e.start)


def _garble_edits_many(lines: list[str], spans: list[list[tuple[int, int]]] | None = None) -> list[list[Edit] | None]:
    """Edits from `garble.repair_lines` for many lines, decoded together, reading only the
    words in `spans` when given (None for each line when that repairer is not available)."""
    garble = _garble_batch_repairer() if lines else None
    if garble is None:
        return [None] * len(lines)
    try:
        return [[Edit(s, e, rep, conf, k) for s, e, rep, conf, k in edits] for edits in garble(lines, spans)]
    except ChithiError:
        return [None] * len(lines)  # its model is not trained here: restoration still fixes the syllables


def _garble_batch_repairer():
    try:
        from .garble import repair_lines
    except ImportError:
        return None
    return repair_lines


def _decode_legacy(text: str) -> tuple[str, str | None]:
    """TCVN3/VNI conversion, kept only when it makes clearly more words syllables."""
    try:
        from .legacy import decode_legacy
    except ImportError:
        return text, None
    decoded, encoding = decode_legacy(text)
    if encoding is None or decoded == text:
        return text, None
    # Counted on the lines that changed (decode_legacy keeps the lines; no token spans two).
    changed = [(old, new) for old, new in zip(text.split("\n"), decoded.split("\n")) if old != new]
    gain = sum(_syllable_count(new) - _syllable_count(old) for old, new in changed)
    if gain < LEGACY_MIN_GAIN or gain < LEGACY_MIN_SHARE * _word_count(text):
        return text, None
    return decoded, encoding


def _syllable_count(text: str) -> int:
    return sum(1 for word, kind in token_kinds(text) if kind == "word" and is_syllable(word))


def _word_count(text: str) -> int:
    return sum(1 for _, kind in token_kinds(text) if kind == "word")


def _shift(e: Edit, offset: int) -> Edit:
    return Edit(e.start + offset, e.end + offset, e.replacement, e.confidence, e.kind)


def merge_adjacent(text: str, edits: list[Edit]) -> list[Edit]:
    """Merge edits of the same kind separated only by spaces into one phrase edit."""
    merged: list[Edit] = []
    for e in sorted(edits, key=lambda x: x.start):
        if merged:
            prev = merged[-1]
            gap = text[prev.end:e.start]
            if prev.kind == e.kind and prev.end <= e.start and gap.strip(" ") == "" and "\n" not in gap:
                merged[-1] = Edit(prev.start, e.end, prev.replacement + gap + e.replacement,
                                  min(prev.confidence, e.confidence), e.kind)
                continue
            if e.start < prev.end:
                continue  # overlapping edit: the earlier one wins
        merged.append(e)
    return merged


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, list[Repair]]:
    """Apply sorted, non-overlapping edits; report each with offsets into the new text."""
    out, repairs, cursor, shift = [], [], 0, 0
    for e in edits:
        out.append(text[cursor:e.start])
        start = e.start + shift
        out.append(e.replacement)
        repairs.append(Repair(start=start, end=start + len(e.replacement), kind=e.kind, repaired=True,
                              original=text[e.start:e.end], replacement=e.replacement,
                              confidence=max(0.0, min(1.0, e.confidence))))
        shift += len(e.replacement) - (e.end - e.start)
        cursor = e.end
    out.append(text[cursor:])
    return "".join(out), repairs
