"""Vietnamese orthography: syllable structure, tone marks, diacritic stripping, tokens.

A syllable is onset + rhyme + tone. The tables (vowels with their toned forms, onsets,
rhymes, stop codas) live in `text/data/vietnamese.json`. Tone marks are placed in the convention
of current government text (the brief calls it "new style"; typographers often call the
hòa/thủy placement the traditional one, and hoà/thuỷ the "new" one): on the vowel with a quality
mark (ă â ê ô ơ ư; the ơ of ươ), otherwise on the last vowel before a final consonant
(hoàng, thuyết), otherwise on the middle of three vowels (ngoài), otherwise on the first
of two vowels, the open clusters oa/oe/uy included: hòa, khỏe, thủy (not hoà, khoẻ,
thuỷ). The u of qu and the i of gi belong to the onset: quý, giữ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from ..resources import data

TONE_COUNT = 6
_MARKED = "ăâêôơư"
_PLAIN_VOWELS = "aeiouy"
_SOFT_CONSONANT_ONSETS = {"k": "eêiy", "gh": "eêi", "ngh": "eêi"}
_HARD_CONSONANT_ONSETS = {"c": "eêiy", "g": "eê", "ng": "eêi"}


@cache
def _tables() -> dict:
    raw = data("pipeline.text", "vietnamese.json")
    toned: dict[str, tuple[str, int]] = {}
    for base, marks in raw["vowels"].items():
        toned[base] = (base, 0)
        for tone, ch in enumerate(marks, start=1):
            toned[ch] = (base, tone)
    return {
        "toned": toned,
        "place": {base: base + marks for base, marks in raw["vowels"].items()},
        "onsets": sorted(raw["onsets"], key=len, reverse=True),
        "rhymes": frozenset(raw["rhymes"]),
        "stop_codas": tuple(raw["stop_codas"]),
        "strip": raw["strip"],
    }


# ------------------------------------------------------------------------ stripping
@cache
def _strip_table() -> dict[int, str]:
    table: dict[int, str] = {}
    strip = _tables()["strip"]
    for ch, (base, _) in _tables()["toned"].items():
        plain = strip.get(base, base)
        table[ord(ch)] = plain
        table[ord(ch.upper())] = plain.upper()
    table[ord("đ")], table[ord("Đ")] = "d", "D"
    return table


def strip_diacritics(s: str) -> str:
    """Remove tone and quality marks and turn đ into d, keeping case and length (NFC input)."""
    return s.translate(_strip_table())


# ---------------------------------------------------------------------- structure
@dataclass(frozen=True)
class Syllable:
    onset: str
    rhyme: str  # toneless, with quality marks
    tone: int  # 0 ngang, 1 huyền, 2 sắc, 3 hỏi, 4 ngã, 5 nặng


@lru_cache(maxsize=65536)
def parse(word: str) -> Syllable | None:
    """Split a lower-case word into onset, toneless rhyme and tone; None if not a syllable."""
    toned = _tables()["toned"]
    base, tone = [], 0
    for ch in word:
        if ch in toned:
            b, t = toned[ch]
            if t:
                if tone:
                    return None  # two tone marks
                tone = t
            base.append(b)
        elif "a" <= ch <= "z" or ch == "đ":
            base.append(ch)
        else:
            return None
    plain = "".join(base)
    tables = _tables()
    for onset in tables["onsets"]:
        if not plain.startswith(onset):
            continue
        rhyme = plain[len(onset):]
        if rhyme in tables["rhymes"] and _spelling_ok(onset, rhyme) and _tone_ok(rhyme, tone):
            return Syllable(onset, rhyme, tone)
    return None


def _spelling_ok(onset: str, rhyme: str) -> bool:
    first = rhyme[:1]
    if onset in _SOFT_CONSONANT_ONSETS and first not in _SOFT_CONSONANT_ONSETS[onset]:
        return False
    if onset in _HARD_CONSONANT_ONSETS and first in _HARD_CONSONANT_ONSETS[onset]:
        return False
    if onset == "gi" and first == "i":
        return False  # "gìn" is g + in
    if rhyme.startswith("y") and onset not in ("", "qu") and len(rhyme) > 1:
        return False
    return True


def _tone_ok(rhyme: str, tone: int) -> bool:
    if rhyme.endswith(_tables()["stop_codas"]):
        return tone in (2, 5)
    return True


def is_syllable(s: str) -> bool:
    """True if `s` (any case) is a well-formed Vietnamese syllable."""
    return bool(s) and parse(s.lower()) is not None


def compose(syl: Syllable) -> str:
    """Write a syllable with its tone mark in the new-style position."""
    rhyme = syl.rhyme
    if syl.tone == 0:
        return syl.onset + rhyme
    i = _tone_position(rhyme)
    mark = _tables()["place"][rhyme[i]][syl.tone]
    return syl.onset + rhyme[:i] + mark + rhyme[i + 1:]


def _tone_position(rhyme: str) -> int:
    marked = [i for i, ch in enumerate(rhyme) if ch in _MARKED]
    if marked:
        return marked[-1]
    vowels = [i for i, ch in enumerate(rhyme) if ch in _PLAIN_VOWELS]
    coda = rhyme[vowels[-1] + 1:]
    if coda:
        return vowels[-1]
    if len(vowels) >= 3:
        return vowels[1]
    return vowels[0]


@lru_cache(maxsize=65536)
def tone_normalize_word(word: str) -> str:
    """Move the tone mark of one syllable to the new-style position, keeping its case."""
    syl = parse(word.lower())
    if syl is None:
        return word
    fixed = compose(syl)
    if len(fixed) != len(word):
        return word
    return "".join(f.upper() if o.isupper() else f for f, o in zip(fixed, word))


_WORD = re.compile(r"[^\W\d_]+")


def tone_normalize(s: str) -> str:
    """Apply new-style tone placement to every syllable of `s` (NFC)."""
    return _WORD.sub(lambda m: tone_normalize_word(m.group()) if not m.group().isascii() else m.group(), s)


# ---------------------------------------------------------------------- inventory
@cache
def syllables() -> frozenset[str]:
    """Every well-formed lower-case Vietnamese syllable (generated from the tables)."""
    tables = _tables()
    out = set()
    for onset in tables["onsets"]:
        for rhyme in tables["rhymes"]:
            if not _spelling_ok(onset, rhyme):
                continue
            for tone in range(TONE_COUNT):
                if _tone_ok(rhyme, tone):
                    out.add(compose(Syllable(onset, rhyme, tone)))
    return frozenset(out)


@cache
def stripped_forms() -> frozenset[str]:
    """The diacritic-free forms of all syllables ("nguoi", "duoc"): what stripped text shows."""
    return frozenset(strip_diacritics(s) for s in syllables())


def is_stripped_syllable(s: str) -> bool:
    """True if `s` is a syllable or a syllable with its marks lost (any case)."""
    low = s.lower()
    return strip_diacritics(low) in stripped_forms() or is_syllable(low)


# ------------------------------------------------------------------------- tokens
@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    kind: str  # word, num, code, mixed, url, punct


_TOKEN = re.compile(
    r"(?P<url>(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.]+)"
    r"|(?P<num>(?>\d+(?:[.,:/-]\d+)*)(?![-/]?\w))"
    r"|(?P<code>\w+(?:[-/]\w+)+)"
    r"|(?P<word>[^\W\d_]+(?![\d]))"
    r"|(?P<mixed>\w+)"
    r"|(?P<punct>[^\w\s])"
)


def tokenize(text: str) -> list[Token]:
    """Cut text into word / number / code / mixed / url / punctuation tokens with offsets."""
    return [Token(m.start(), m.end(), m.group(), m.lastgroup or "") for m in _TOKEN.finditer(text)]


def token_kinds(text: str) -> list[tuple[str, str]]:
    """(text, kind) of each token of `tokenize(text)`, without offsets: for loops that read
    every line of a document, where making the Token objects costs as much as finding them."""
    return [(m.group(), m.lastgroup or "") for m in _TOKEN.finditer(text)]
