"""Repair: legacy encodings, normalisation, then per-line routing to the right repairer.

    text ─ legacy.decode_legacy (TCVN3/VNI) ─ normalize ─ for each line: routing.classify
        clean       → left as it is, except words with marks that are not syllables
        stripped    → diacritics restored with the language model (`diacritics.restore_lines`)
        ocr_garble  → `garble.repair_lines` (English-OCR garble: a noisy channel and the same LM)

A legacy-font decoding is kept only when it turns clearly more words into syllables (OCR
text full of "é" is not TCVN3). Token edits next to each other are merged into one
readable `Repair` span whose offsets point into the final text (`edits`).

`pipeline.repair("Thuc hien")` calls `repair` below.
"""

from __future__ import annotations

from .._callable import make_callable
from ..schema import Repaired
from ..text.vietnamese import is_syllable, token_kinds
from .diacritics import restore_lines
from .edits import Edit, apply_edits, merge_adjacent
from .garble import repair_lines
from .legacy import decode_legacy
from .normalize import normalize_recorded, removal_repairs
from .routing import LineStats, classify_lines, garbled_spans_in_clean, invalid_spans, line_stats, vietnamese_spans
from .vie_ocr import vie_ocr_edits

LEGACY_MIN_GAIN = 3  # a legacy decoding must turn this many more words into syllables
LEGACY_MIN_SHARE = 0.05  # … and at least this share of all words
LEGACY_MIN_LETTERS = 3  # … and give this many different Vietnamese letters outside Latin-1 (fewer words: one each)
_LATIN1_LETTERS = frozenset("àáâãèéêìíòóôõùúý")


def repair(text: str, vie_ocr: bool = False) -> Repaired:
    """Repair `text`: every edit is reported as a `Repair` with offsets into the result.

    `vie_ocr=True` says the text was read by `tesseract -l vie` (an OCRed scan): its clean
    lines also get the Vietnamese-OCR post-correction (`vie_ocr.vie_ocr_edits`, kind "ocr_vie")."""
    text, legacy = _decode_legacy(text)
    text, removed = normalize_recorded(text)
    lines = text.split("\n")
    stats = [line_stats(line) for line in lines]
    kinds = classify_lines(stats)
    per_line = _repair_lines(lines, kinds, stats)
    if vie_ocr:
        clean = [i for i, kind in enumerate(kinds) if kind == "clean"]
        for i, corrections in zip(clean, vie_ocr_edits([lines[i] for i in clean])):
            per_line[i] = _beside(per_line[i], corrections)
    edits: list[Edit] = []
    for start, line_edits in zip(_line_starts(lines), per_line):
        edits.extend(e.shifted(start) for e in line_edits)
    merged = merge_adjacent(text, edits)
    fixed, repairs = apply_edits(text, merged)
    if removed:  # control characters normalisation took out, at their places in `fixed`
        repairs = sorted(repairs + removal_repairs(removed, [(e.start, e.end, e.replacement) for e in merged]),
                         key=lambda r: (r.start, r.end))
    return Repaired(text=fixed, repairs=repairs, legacy_encoding=legacy)


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
        if kind == "clean" and not st.suspect and not st.invalid:
            out[i] = []
    garbled = [i for i, kind in enumerate(kinds) if kind == "ocr_garble"]
    keep = [vietnamese_spans(lines[i]) if stats[i].vietnamese else [] for i in garbled]
    for i, edits in zip(garbled, _garble_edits_many([lines[i] for i in garbled], keep=keep)):
        out[i] = edits
    todo = [i for i, edits in enumerate(out) if edits is None]
    modes = [(lines[i], "clean" if kinds[i] == "clean" else "stripped") for i in todo]
    for i, edits in zip(todo, restore_lines(modes)):
        out[i] = edits
    # In stripped lines, the few garbled words are read by the garble repairer, all lines at
    # once, with the restored words around them as context; so are the words of clean lines
    # that no Vietnamese text is spelled like ("m6i", "nuéc").
    spans = {i: invalid_spans(lines[i]) if kinds[i] == "stripped" else garbled_spans_in_clean(lines[i]) for i in todo}
    spans = {i: s for i, s in spans.items() if s}
    found = _garble_edits_many([_restored_in_place(lines[i], out[i] or []) for i in spans], list(spans.values()))
    for (i, line_spans), garble in zip(spans.items(), found):
        out[i] = _with_garbled_tokens(out[i] or [], line_spans, garble)
    return [edits or [] for edits in out]  # every line has its edits by now


def _restored_in_place(line: str, edits: list[Edit]) -> str:
    """The line with its restoration edits applied where they keep the length (a restored
    syllable is as long as its stripped form in NFC), so that offsets still hold."""
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        if len(e.replacement) == e.end - e.start:
            line = line[:e.start] + e.replacement + line[e.end:]
    return line


def _with_garbled_tokens(edits: list[Edit], spans: list[tuple[int, int]], garble: list[Edit]) -> list[Edit]:
    """Add the garble repairer's edits that touch garbled tokens of a stripped line; they
    win over restoration edits they overlap."""
    garble = [g for g in garble if any(g.start < e and s < g.end for s, e in spans)]
    kept = [e for e in edits if not any(g.start < e.end and e.start < g.end for g in garble)]
    return sorted(kept + garble, key=lambda e: e.start)


def _beside(edits: list[Edit], more: list[Edit]) -> list[Edit]:
    """`edits` and those of `more` that overlap none of them, in order."""
    return sorted(edits + [m for m in more if not any(m.start < e.end and e.start < m.end for e in edits)],
                  key=lambda e: e.start)


def _garble_edits_many(lines: list[str], spans: list[list[tuple[int, int]]] | None = None,
                       keep: list[list[tuple[int, int]]] | None = None) -> list[list[Edit]]:
    """Edits from `garble.repair_lines` for many lines, decoded together, reading only the
    words in `spans` when given and never those in `keep`."""
    return repair_lines(lines, spans, keep) if lines else []


def _decode_legacy(text: str) -> tuple[str, str | None]:
    """TCVN3/VNI conversion, kept only when it makes clearly more words syllables."""
    decoded, encoding = decode_legacy(text)
    if encoding is None or decoded == text:
        return text, None
    # Counted on the lines that changed (decode_legacy keeps the lines; no token spans two).
    changed = [(old, new) for old, new in zip(text.split("\n"), decoded.split("\n")) if old != new]
    gain = sum(_syllable_count(new) - _syllable_count(old) for old, new in changed)
    if gain < LEGACY_MIN_GAIN or gain < LEGACY_MIN_SHARE * _word_count(text):
        return text, None
    # A text in a legacy font spells every Vietnamese letter with its own code, so decoding
    # it gives many different letters that Latin-1 lacks (ư ơ đ ạ ế …). English OCR writes
    # "é" for most marked vowels, and a table that reads "é" as "ộ" turns "nuéc", "céng",
    # "déi" into syllables ("nuộc", "cộng", "dội") with only that one letter to show.
    letters = {c for _, new in changed for c in new.lower() if not c.isascii() and c not in _LATIN1_LETTERS}
    words = sum(a != b for old, new in changed for a, b in zip(old.split(), new.split()))
    if len(letters) < min(LEGACY_MIN_LETTERS, words):
        return text, None
    return decoded, encoding


def _syllable_count(text: str) -> int:
    return sum(1 for word, kind in token_kinds(text) if kind == "word" and is_syllable(word))


def _word_count(text: str) -> int:
    return sum(1 for _, kind in token_kinds(text) if kind == "word")


make_callable(__name__, "pipeline.repair:repair")
