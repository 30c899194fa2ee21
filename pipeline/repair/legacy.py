"""Legacy Vietnamese font encodings: detect TCVN3 (ABC) and VNI text and convert it to Unicode.

PDFs made with the old 8-bit fonts extract as mojibake: TCVN3 "ViÖt Nam", "ng­êi lao ®éng";
VNI "Vieät Nam", "ngöôøi lao ñoäng". The encoding that makes the text most Vietnamese
(syllables gained, tell-tale code characters lost) is chosen for the whole text, then each
line is decoded only where that raises its score, so clean Unicode text is never touched.
The tables live in repair/data/{tcvn3,vni}.json (written by scripts/make_legacy_tables.py).

TCVN3 capital fonts (.VnTimeH and friends) reuse the lower-case codes, so an accented
capital extracts as its lower-case code; the case is inferred from the ASCII capitals around
it (a word or line in capitals), from the start of a sentence, and from words training text
capitalises in mid-sentence ("Ủy ban").

The tables read the codes as Latin-1 characters (what a PDF text layer or a Windows-1252
reader makes of the bytes). A file read, or saved, through Windows-1258 instead shows
other characters for 14 of the bytes ("Ơ" for 0xD5, a combining acute for 0xEC); such text
is read back to those bytes first (`_from_cp1258`), so the same tables convert it.
"""

from __future__ import annotations

import re
import string
import unicodedata
from functools import cache

from ..resources import data
from ..text.vietnamese import is_syllable

ENCODINGS = ("TCVN3", "VNI")
WORD = re.compile(r"[^\s\d!-/:-@\[-`{-~]+")  # letters and legacy codes between spaces, digits, ASCII punctuation
NON_LETTERS = re.compile(r"[\s\d!-/:-@\[-`{-~]+")
LATIN1_VIETNAMESE = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
MIN_DOCUMENT_GAIN = 1.0  # one more syllable, or two tell-tale codes gone
AFTER_SENTENCE_END = re.compile(r"([.!?:]\s+|^\s*[-–+•*#]+\s*|^\s*[\dIVXa-zđ]{1,4}[.)]\s+)$")
# Vietnamese letters outside Latin-1: legacy fonts never produce them, Unicode text always has them.
UNICODE_ONLY_LETTER = re.compile(r"[ăđĩũơưĂĐĨŨƠƯ\u1ea0-\u1ef9]")
# Read through Windows-1258, legacy codes give Vietnamese letters too ("ơ", and any letter
# once NFC joins a base and a tone), so a line is only worth decoding that way when it holds
# a tell-tale: a code that no Vietnamese text contains, or a tone mark left uncombined.
CP1258_TELLTALE = re.compile("[\u0300\u0301\u0303\u0309\u0323\u20ab"
                             + "".join(c for c in map(chr, range(0xA1, 0x100)) if c not in LATIN1_VIETNAMESE) + "]")
# The characters Windows-1258 gives for the bytes 0xA0–0xFF where Latin-1 gives others.
_CP1258_CHARS = {bytes([b]).decode("cp1258"): bytes([b]).decode("latin-1") for b in range(0xA0, 0x100)
                 if bytes([b]).decode("cp1258") != bytes([b]).decode("latin-1")}
_CP1258_TO_LATIN1 = str.maketrans(_CP1258_CHARS)
_CP1258_REPERTOIRE = frozenset(bytes(range(256)).decode("cp1258", "ignore"))


@cache
def _table(encoding: str) -> dict[str, str]:
    """Code (one character for TCVN3, one or two for VNI) -> Unicode letter."""
    return data("pipeline.repair", f"{encoding.lower()}.json")["table"]


@cache
def _inverse(encoding: str) -> dict[str, str]:
    inverse: dict[str, str] = {}
    for code, letter in _table(encoding).items():
        inverse.setdefault(letter, code)
    return inverse


def _score(line: str) -> float:
    """How Vietnamese a line looks: its syllables, less half a point per character that no
    Vietnamese text contains (the tell-tale codes such as "§", "µ", "ö", "ø")."""
    syllables = sum(is_syllable(w) for w in NON_LETTERS.split(line) if w)
    foreign = sum(1 for c in line if "\xa0" <= c <= "\xff" and c not in LATIN1_VIETNAMESE)
    return syllables - 0.5 * foreign


# --- decoding -------------------------------------------------------------------------------

def _decode_tcvn3_line(line: str, starts_sentence: bool = True) -> str:
    table = _table("TCVN3")
    decoded = "".join(table.get(c, c) for c in line)
    return _restore_capitals(line, decoded, starts_sentence)


def _restore_capitals(original: str, decoded: str, starts_sentence: bool) -> str:
    """Upper-case letters that a .VnTimeH-style capital font wrote with lower-case codes.

    A word is capitalised when the ASCII letters around it are capitals (the word, or the
    whole line), when it starts a sentence or list item, or when training text writes it
    capitalised in mid-sentence ("Ủy ban"; the `capitalised` list in tcvn3.json).
    """
    table = _table("TCVN3")
    capitalised = _capitalised()
    ascii_letters = [c for c in original if c.isascii() and c.isalpha()]
    line_in_capitals = len(ascii_letters) >= 4 and sum(c.isupper() for c in ascii_letters) >= 0.9 * len(ascii_letters)
    words = list(WORD.finditer(original))
    out = list(decoded)
    for index, match in enumerate(words):
        word = match.group()
        if not any(c in table and table[c].islower() for c in word) or _is_list_marker(original, match):
            continue
        letters = [c for c in word if c.isascii() and c.isalpha()]
        capitals = bool(letters) and all(c.isupper() for c in letters)
        if (capitals and len(letters) >= 2) or (line_in_capitals and (capitals or not letters)):
            out[match.start():match.end()] = decoded[match.start():match.end()].upper()
        elif word[0] in table and table[word[0]].islower():
            this = decoded[match.start():match.end()].lower().strip(string.punctuation)
            following = words[index + 1] if index + 1 < len(words) else None
            after = decoded[following.start():following.end()].lower().strip(string.punctuation) if following else ""
            if f"{this} {after}" in capitalised or this in capitalised or _at_sentence_start(original[:match.start()], starts_sentence):
                out[match.start()] = decoded[match.start()].upper()
    return "".join(out)


def _is_list_marker(line: str, match: re.Match) -> bool:
    """"a)", "®)", "b." at the start of a line: item letters keep their case."""
    return len(match.group()) <= 2 and not line[:match.start()].strip() and line[match.end():match.end() + 1] in ".)"


@cache
def _capitalised() -> frozenset[str]:
    return frozenset(data("pipeline.repair", "tcvn3.json").get("capitalised", {}))


def _at_sentence_start(prefix: str, line_starts_sentence: bool) -> bool:
    """Whether a word after `prefix` (the line so far) begins a sentence or list item."""
    if not prefix.strip():
        return line_starts_sentence
    return AFTER_SENTENCE_END.search(prefix) is not None


def _decode_vni_line(line: str, starts_sentence: bool = True) -> str:
    table = _table("VNI")
    out, i = [], 0
    while i < len(line):
        pair = line[i:i + 2]
        if len(pair) == 2 and pair in table:
            out.append(table[pair])
            i += 2
        else:
            out.append(table.get(line[i], line[i]))
            i += 1
    return "".join(out)


DECODERS = {"TCVN3": _decode_tcvn3_line, "VNI": _decode_vni_line}


def _from_cp1258(line: str) -> str:
    """`line` as the Latin-1 characters of the bytes it was read from through Windows-1258.
    A letter that Windows-1258 writes as base + combining tone and that NFC put together
    ("o" + U+0300 → "ò") is taken apart first."""
    if any(c not in _CP1258_REPERTOIRE for c in line):
        line = "".join(c if c in _CP1258_REPERTOIRE else unicodedata.normalize("NFD", c) for c in line)
    return line.translate(_CP1258_TO_LATIN1)


# (table, code page the codes were read through): the Latin-1 readings first, so that on a
# tie they are kept (as before Windows-1258 readings were tried).
_READINGS = (("TCVN3", "latin-1"), ("VNI", "latin-1"), ("TCVN3", "cp1258"), ("VNI", "cp1258"))


def _ends_sentence(line: str) -> bool:
    """Whether text after `line` starts a sentence: nothing before, closing punctuation, or a heading."""
    line = line.strip()
    return not line or line[-1] in ".!?:" or not any(c.islower() for c in line)


def _decode_lines(lines: list[str], encoding: str, scores: dict[int, float],
                  code_page: str = "latin-1") -> tuple[list[str | None], float]:
    """Each line decoded with one table, or None where that does not make it more Vietnamese;
    and the score the decoded lines gain. `scores` keeps the lines' own scores by index, for
    the next encoding. `code_page`: what the codes were read through (latin-1 or cp1258)."""
    decoder = DECODERS[encoding]
    cp1258 = code_page == "cp1258"
    out: list[str | None] = []
    gain = 0.0
    previous = ""  # the last line with text
    for index, line in enumerate(lines):
        line_before, previous = previous, line if line.strip() else previous
        # legacy fonts only produce Latin-1 codes; real Unicode letters mean Unicode
        if line.isascii() or (not CP1258_TELLTALE.search(line) if cp1258 else UNICODE_ONLY_LETTER.search(line)):
            out.append(None)
            continue
        # only for the lines decoded: it reads every character
        decoded = decoder(_from_cp1258(line) if cp1258 else line, _ends_sentence(line_before))
        before = scores.get(index)
        if before is None:
            before = scores[index] = _score(line)
        after = _score(decoded)
        if after > before:
            out.append(decoded)
            gain += after - before
        else:
            out.append(None)
    return out, gain


def decode_legacy(text: str) -> tuple[str, str | None]:
    """Convert TCVN3 or VNI lines of `text` to Unicode.

    The encoding is chosen for the whole text (the table that makes the most syllables
    well-formed); it is then applied to each line it improves, so Unicode lines stay as they
    are. Returns the text (same line structure) and "TCVN3", "VNI" or None (nothing converted).
    """
    lines = text.split("\n")
    best_gain, best = MIN_DOCUMENT_GAIN, None
    scores: dict[int, float] = {}
    for encoding, code_page in _READINGS:
        decoded, gain = _decode_lines(lines, encoding, scores, code_page)
        # between the Latin-1 readings a tie goes to the later one (as it always has); a
        # Windows-1258 reading must do strictly better than what was found before it
        if gain > best_gain or gain == best_gain and code_page == "latin-1":
            best_gain, best = gain, (encoding, decoded)
    if best is None:
        return text, None
    encoding, decoded = best
    return "\n".join(new if new is not None else old for old, new in zip(lines, decoded)), encoding


# --- encoding (for tests and the round-trip evaluation) --------------------------------------

def encode_legacy(text: str, encoding: str) -> str:
    """Write Unicode text as a TCVN3 or VNI font would store it.

    TCVN3 has no accented capitals: like a .VnTimeH font, they take the lower-case code.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown legacy encoding {encoding!r}; expected one of {ENCODINGS}")
    inverse = _inverse(encoding)
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in inverse:
            out.append(inverse[char])
        elif encoding == "TCVN3" and char.lower() in inverse:
            out.append(inverse[char.lower()])
        else:
            out.append(char)
    return "".join(out)
