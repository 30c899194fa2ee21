"""Repair lines that an English OCR model garbled ("ViQt Nam" → "Việt Nam", "K6 ho4ch" → "Kế hoạch").

Each line is cut into positions (words, punctuation, the pieces of words the OCR glued
together); each word gets its lattice candidates — the syllables the noisy channel says it
may be a reading of (`pipeline.repair.channel`) and, unless its shape says it is surely
garbled, the word as it stands — and the syllable language model (`pipeline.repair.lm`)
decodes every line of a document in one batched pass. Document codes and dates are read by
a small grammar first (`pipeline.repair.garbled_codes`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from ..text.vietnamese import is_stripped_syllable
from .channel import CHANNEL_WEIGHT, LM_BEAM, MAX_READ_LENGTH, channel, syllable_candidates
from .channel import inventory as _inventory
from .edits import Edit
from .garbled_codes import grammar, looks_like_code, parses_as_code, repair_code
from .lm import get_lm

EDGE_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’…-–*"
TOKEN = re.compile(r"[^\s,;:()\"“”]+|[,;:()\"“”]")  # words, codes and dates keep their inner . - /

@dataclass
class _Position:
    start: int
    end: int
    text: str
    candidates: Sequence[tuple[str, float, tuple[int, ...]]]  # (lower-case candidate, channel log-prob, starts)


def _positions(line: str, spans: list[tuple[int, int]] | None = None,
               keep: list[tuple[int, int]] | None = None) -> list[_Position]:
    """Tokens of a line with their lattice candidates; punctuation stands as itself, and so
    does a word more than SPAN_CONTEXT tokens away from `spans` when they are given, and a
    word overlapping `keep` (an intact word)."""
    positions = []
    mixed_case = _mostly_lower(line)
    matches = list(TOKEN.finditer(line))
    if spans is not None:
        spans = _widened(spans, [(m.start(), m.end()) for m in matches])
    for match in matches:
        token, start = match.group(), match.start()
        core_start = len(token) - len(token.lstrip(EDGE_PUNCTUATION))
        core = token.strip(EDGE_PUNCTUATION)
        if core_start:
            positions.append(_Position(start, start + core_start, token[:core_start], [(token[:core_start], 0.0, (0,))]))
        s = start + core_start
        for offset, piece in _pieces(core):
            if piece in ("/", "."):
                positions.append(_Position(s + offset, s + offset + 1, piece, [(piece, 0.0, (0,))]))
                continue
            begin, end = s + offset, s + offset + len(piece)
            kept = (_list_marker(piece, line, begin) or _roman_marker(piece, line, begin)
                    or (mixed_case and _abbreviation_like(piece)) or _letters_and_slashes(piece)
                    or (spans is not None and not any(a < end and begin < b for a, b in spans))
                    or (keep is not None and any(a < end and begin < b for a, b in keep)))
            candidates = [(piece.lower(), 0.0, (0,))] if kept else _core_candidates(piece)
            positions.append(_Position(s + offset, s + offset + len(piece), piece, candidates))
        tail = token[core_start + len(core):] if core else ""
        if tail:
            e = start + len(token)
            positions.append(_Position(e - len(tail), e, tail, [(tail, 0.0, (0,))]))
    return _glue_marks(_glue_inner_marks(positions), line)


SPAN_CONTEXT = 2  # words read on either side of a garbled word of a stripped line


def _widened(spans: list[tuple[int, int]], tokens: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each span grown to take in SPAN_CONTEXT tokens on either side: their readings help
    the decoder choose the garbled word's ("quan hé déi ngoai" → "quan hệ đối ngoại")."""
    out = []
    for a, b in spans:
        inside = [k for k, (s, e) in enumerate(tokens) if s < b and a < e]
        if inside:
            first, last = max(0, inside[0] - SPAN_CONTEXT), min(len(tokens) - 1, inside[-1] + SPAN_CONTEXT)
            a, b = min(a, tokens[first][0]), max(b, tokens[last][1])
        out.append((a, b))
    return out


INNER_GLYPHS = ':;()"“”'  # the OCR writes these for a marked vowel inside a word ("tr:t" trật, "t(ng" từng)
MAX_GLUED_LETTERS = 7


def _glue_inner_marks(positions: list[_Position]) -> list[_Position]:
    """Read letters joined by one glyph that punctuation never sits between, with no space
    on either side ("tr:t", "t(ng", "c"a"), as one word whose vowel the OCR misread."""
    out: list[_Position] = []
    for position in positions:
        for glyphs in (1, 2):
            if len(out) <= glyphs or not position.text.isalpha():
                continue
            run = out[-glyphs - 1:]
            if (all(p.text in INNER_GLYPHS for p in run[1:]) and run[0].text.isalpha()
                    and all(a.end == b.start for a, b in zip(run, [*run[1:], position]))
                    and len(run[0].text) + len(position.text) <= MAX_GLUED_LETTERS):
                word = "".join(p.text for p in run) + position.text
                del out[-glyphs - 1:]
                out.append(_Position(run[0].start, position.end, word, _core_candidates(word)))
                break
        else:
            out.append(position)
    return out


MARK_GLYPHS = ")!]'’"  # what an English OCR writes for a tone mark it cannot read ("k)" for "kể", "s]" for "số")


def _glue_marks(positions: list[_Position], line: str) -> list[_Position]:
    """Read a mark glyph stuck to the end of a short word that is no syllable as part of the
    word ("v)" → "về"); the reading may still keep it as it stands. A ")" that closes a "("
    of the line is a parenthesis."""
    out: list[_Position] = []
    for position in positions:
        before = out[-1] if out else None
        if (before is not None and before.end == position.start and position.text[:1] in MARK_GLYPHS
                and _may_hide_mark(before.text) and len(before.candidates) > 1
                and not (position.text[0] == ")" and line.count("(", 0, position.start) > line.count(")", 0, position.start))):
            word = before.text + position.text[0]
            out[-1] = _Position(before.start, before.start + len(word), word, _core_candidates(word))
            if len(position.text) > 1:
                rest = position.text[1:]
                out.append(_Position(position.start + 1, position.end, rest, [(rest, 0.0, (0,))]))
            continue
        out.append(position)
    return out


def _may_hide_mark(core: str) -> bool:
    """A short word in small letters (or one capital) that is no syllable the model knows."""
    return (core.isalpha() and len(core) <= 5 and not (len(core) > 1 and core.isupper())
            and core.lower() not in _inventory())


def _pieces(core: str) -> list[tuple[int, str]]:
    """The word as one piece, or, when "/" joins words that are no code ("700/Ngay",
    "BAO/S6" in a gazette's running header) or a full stop joins two sentences ("nay.Diéu"),
    its words and separators with their offsets."""
    if not core:
        return []
    for i in range(2, len(core) - 2):  # "nay.Diéu": the space after a full stop was lost
        if (core[i] == "." and core[i - 2:i].isalpha() and core[i + 1].isupper()
                and core[i + 1:].isalpha() and not core[i + 1:].isupper()):
            return [*_pieces(core[:i]), (i, "."), *[(i + 1 + o, piece) for o, piece in _pieces(core[i + 1:])]]
    parts = core.split("/")
    if len(parts) == 1 or not all(parts) or parses_as_code(core) or _letters_and_slashes(core):
        return [(0, core)]
    if not any(any(c.islower() for c in part) or _surely_garbled(part) for part in parts):
        return [(0, core)]  # "KH/TU", "ĐU/TW": capitals joined by a slash are a code
    out, offset = [], 0
    for index, part in enumerate(parts):
        if index:
            out.append((offset - 1, "/"))
        out.append((offset, part))
        offset += len(part) + 1
    return out


def _mostly_lower(line: str) -> bool:
    """Whether most words of the line are in small letters (running text, not a heading in
    capitals): there, a word in capitals that is no syllable is an abbreviation (GDP, BTC)."""
    words = re.findall(r"[^\W\d_]{2,}", line)
    return sum(w.isupper() for w in words) * 2 < len(words)


def _abbreviation_like(core: str) -> bool:
    """Capitals that no syllable is spelled with, even without its marks: "GDP", "NHNN", "FTA"."""
    return core.isalpha() and len(core) >= 2 and core.isupper() and not is_stripped_syllable(core)


def _letters_and_slashes(core: str) -> bool:
    """Single letters joined by slashes: an abbreviation such as "V/v" (về việc)."""
    parts = core.split("/")
    return len(parts) > 1 and all(len(part) == 1 and part.isalpha() for part in parts)


def _list_marker(core: str, line: str, start: int) -> bool:
    """A one-letter list item label at the start of a line ("b)", "c)"): kept as it stands.
    Elsewhere "k)", "v)" are words whose mark the OCR read as a parenthesis ("kể", "về")."""
    return len(core) == 1 and core.isalpha() and line[start + 1:start + 2] == ")" and not line[:start].strip(" -–•*")


ROMAN_MARKER = re.compile(r"[IVX][IVX1l]{0,4}|[1l][IVX][IVX1l]{0,3}")  # as structure.sections reads them


def _roman_marker(core: str, line: str, start: int) -> bool:
    """A roman section number at the start of a line, as an OCR writes it ("I1." for "II.",
    "Il)"): kept as it stands; the structure stage reads those confusions itself."""
    return (ROMAN_MARKER.fullmatch(core) is not None and line[start + len(core):start + len(core) + 1] in (".", ")")
            and not line[:start].strip(" -–•*"))


@lru_cache(maxsize=50_000)
def _core_candidates(core: str) -> tuple[tuple[str, float, tuple[int, ...]], ...]:
    """Lattice candidates of a word: its syllable readings, and the word as it stands unless
    its shape says it is surely garbled. Kept per word, as `syllable_candidates` is."""
    found = syllable_candidates(core) if _worth_reading(core) else ()
    lowered = core.lower()
    if all(c != lowered for c, _, _ in found) and not (found and _surely_garbled(core)):
        found += ((lowered, sum(_read_as_itself(c) for c in core) + channel().keep, (0,)),)
    return found


@lru_cache(maxsize=4096)
def _read_as_itself(char: str) -> float:
    """The channel's log-prob of `char` read as itself (0.0 when it has no rule for it)."""
    return sum(lp for true, lp in channel().rules.get(char, ()) if true == char.lower())


def _worth_reading(token: str) -> bool:
    """Whether to look for syllables behind a token: letters and digits (not a bare number), or
    marks the OCR writes for letters ("¢" for "ở", "nghi_p", "th-c"); not code-shaped tokens
    ("KH/TU", "QĐ-UBND") or numbers."""
    letters = channel().letters
    if len(token) > MAX_READ_LENGTH or token.isdigit() or not all(c.isalnum() or c in letters for c in token):
        return False
    inner = [c for c in token if not c.isalnum() and c.isascii()]
    if not inner:
        return True
    capitals = sum(c.isupper() for c in token)
    if any(c.isdigit() for c in token) or not any(c.isalpha() for c in token):
        return False
    if capitals >= 2:  # "QU-C", "D-NH" in a heading (QUỐC, ĐỊNH), but not "NĐ-CP", "TT-BTC"
        return len(inner) == 1 and len(token) <= MAX_GLUED_LETTERS and not _has_code_part(token)
    return len(inner) <= 2


def _has_code_part(token: str) -> bool:
    """A part of the token is a document type or an abbreviation the language model knows."""
    return any(part in _code_parts() for part in re.findall(r"[^\W\d_]+", token))


@cache
def _code_parts() -> frozenset[str]:
    """Document types of the code grammar, and the learned abbreviations with and without
    their marks (HDND, HĐND)."""
    table = get_lm().abbreviations
    return frozenset([*grammar()["document_types"], *table, *table.values()])


GARBLED_SHAPE = re.compile(r"^[^\W\d_]+\d[^\W\d_]*$|^[^\W\d_]*\d[^\W\d_]+$|[a-z][A-Z]|[^\W\d_][:;()\"“”]{1,2}[^\W\d_]")


def _surely_garbled(token: str) -> bool:
    """Shapes no Vietnamese word, code or name has: one digit inside letters ("tri6n", "ho4ch"),
    a capital after a small letter ("ViQt"), or letters around a glyph ("tr:t", see INNER_GLYPHS). Such a token is never kept as it is."""
    return GARBLED_SHAPE.search(token) is not None


def _decode(lines: list[list[_Position]]) -> list[list[tuple[str, float]]]:
    """Best candidate per position of each line, with its confidence, in one batched decode."""
    lattices = [[p.candidates for p in positions] for positions in lines]
    return get_lm().decode_many(lattices, beam=LM_BEAM, channel_weight=CHANNEL_WEIGHT)


def repair_line(line: str) -> list[Edit]:
    """Edits (start, end, replacement, confidence, kind) that repair one English-OCR line.

    kind is "ocr_garble" for words, "code" for document codes and "date" for dates. Offsets
    are in `line` coordinates; tokens judged right are not listed.
    """
    return repair_lines([line])[0]


def repair_lines(lines: list[str], spans: list[list[tuple[int, int]]] | None = None,
                 keep: list[list[tuple[int, int]]] | None = None) -> list[list[Edit]]:
    """`repair_line` for many lines (those of a document), decoded in one batched pass.

    With `spans` (per line), only the words overlapping them are read; the other words stay
    as they are and serve as context (the few garbled words of a stripped line). Words
    overlapping `keep` (per line) are never read: intact words among garbled ones."""
    read = [_read_codes(line, None if spans is None else spans[i], None if keep is None else keep[i])
            for i, line in enumerate(lines)]
    decoded = _decode([positions for _, positions in read])
    return [sorted(edits + _word_edits(positions, best)) for (edits, positions), best in zip(read, decoded)]


def _read_codes(line: str, spans: list[tuple[int, int]] | None = None,
                keep: list[tuple[int, int]] | None = None) -> tuple[list[Edit], list[_Position]]:
    """The line's positions, with codes and dates already read (their edits, and the reading
    as the position's only candidate)."""
    edits: list[Edit] = []
    positions = _positions(line, spans, keep)
    for position in positions:
        fixed = repair_code(position.text) if looks_like_code(position.text) else None
        text, kind = (fixed[0], fixed[2]) if fixed else (position.text, "code")
        if len(position.candidates) == 1 and any(c.isupper() for c in text):
            text = get_lm().with_abbreviation_marks(text)  # TT-BLDTBXH → TT-BLĐTBXH
        if text != position.text:
            changed = sum(a != b for a, b in zip(text, position.text))
            edits.append(Edit(position.start, position.end, text, round(1 - changed / len(text), 3), kind))
            position.candidates = [(text.lower(), 0.0, (0,))]
    return edits, positions


def _word_edits(positions: list[_Position], best: list[tuple[str, float]]) -> list[Edit]:
    """Edits for the words whose decoded reading differs from what the OCR wrote."""
    edits: list[Edit] = []
    for position, (choice, confidence) in zip(positions, best):
        if len(position.candidates) <= 1 or choice == position.text.lower():
            continue
        starts = next(s for c, _, s in position.candidates if c == choice)
        replacement = _case_like(choice, position.text, starts)
        if replacement != position.text:
            edits.append(Edit(position.start, position.end, replacement, round(float(confidence), 3), "ocr_garble"))
    return edits


def _case_like(candidate: str, observed: str, starts: tuple[int, ...]) -> str:
    """Give each syllable of `candidate` the case of the observed letters it was read from."""
    letters = [c for c in observed if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return candidate.upper()
    out = []
    for syllable, start in zip(candidate.split(" "), starts):
        first = observed[start:start + 1]
        out.append(syllable[:1].upper() + syllable[1:] if first.isupper() else syllable)
    return " ".join(out)
