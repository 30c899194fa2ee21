"""Data tables and syllable-level phrase matching shared by the rule extractors.

Every table lives as JSON under `pipeline/data/`; `load_table` reads it once. Matching works
on syllables (runs of letters and digits), so "Đức" never matches inside "đạo đức" by
accident of case-folding alone and "Nhật" never matches inside "Nhật Bản" when the longer
name is known: the matcher always takes the longest phrase that starts at a syllable.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from operator import itemgetter
from typing import NamedTuple

SYLLABLE = re.compile(r"[^\W_]+", re.UNICODE)


@cache
def load_table(name: str) -> dict:
    """The JSON table `pipeline/data/<name>.json` (read once)."""
    raw = resources.files("pipeline").joinpath(f"data/{name}.json").read_text("utf-8")
    return json.loads(raw)


def fold(word: str) -> str:
    """Case-folded NFC form used to compare syllables (tone marks kept)."""
    return unicodedata.normalize("NFC", word).casefold()


@lru_cache(maxsize=1 << 16)
def _syllable_key(syllable: str) -> str:
    """`fold` of one syllable; a document repeats a few thousand syllables many times."""
    return fold(syllable)


class Syllable(NamedTuple):
    """A syllable and its offsets; a named tuple, since a document has thousands of them."""

    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return _syllable_key(self.text)

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


def syllables(text: str, start: int = 0, end: int | None = None) -> list[Syllable]:
    """The syllables of `text[start:end]` with offsets into `text`."""
    if start == 0 and end is None:
        return list(_all_syllables(text))
    return _cut(text, start, len(text) if end is None else end)


@lru_cache(maxsize=8)
def _all_syllables(text: str) -> tuple[Syllable, ...]:
    """A whole text is cut once: the markets and funding stages both read the document."""
    return tuple(_cut(text, 0, len(text)))


def _cut(text: str, start: int, end: int) -> list[Syllable]:
    return [_new_syllable(Syllable, (m.group(), *m.span())) for m in SYLLABLE.finditer(text, start, end)]


_new_syllable = tuple.__new__  # Syllable's own __new__ is a Python function; this builds the same tuple in C
_TEXT = itemgetter(0)


def keys_of(sylls: list[Syllable]) -> list[str]:
    """The `key` of each syllable (the same list as `[s.key for s in sylls]`, without a
    Python call per syllable)."""
    return list(map(_syllable_key, map(_TEXT, sylls)))


def capitalised_of(sylls: list[Syllable]) -> list[bool]:
    """`capitalised` of each syllable."""
    return [text[:1].isupper() for text in map(_TEXT, sylls)]


def phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(fold(s.text) for s in syllables(phrase))


@dataclass(frozen=True)
class Match:
    start: int  # offset into the text
    end: int
    first: int  # index of the first syllable
    last: int  # index of the last syllable (inclusive)
    value: object


class PhraseMatcher:
    """Longest-first matching of syllable sequences against a list of syllables."""

    def __init__(self, phrases: dict[str, object]):
        self._table: dict[tuple[str, ...], object] = {}
        for phrase, value in phrases.items():
            key = phrase_key(phrase)
            if key:
                self._table.setdefault(key, value)
        self._longest = max((len(k) for k in self._table), default=0)
        self._prefixes = frozenset(k[:n] for k in self._table for n in range(1, len(k) + 1))
        self._firsts = frozenset(k[0] for k in self._table)  # the syllables a phrase starts with

    def find_between(self, text: str, start: int, end: int) -> list[Match]:
        """`find` over the syllables of text[start:end]. A phrase can only match where its
        first syllable occurs in the folded span, so a span with none is not cut at all."""
        span = fold(text[start:end])
        if not any(first in span for first in self._firsts):
            return []
        return self.find(text, syllables(text, start, end))

    def find(self, text: str, sylls: list[Syllable]) -> list[Match]:
        """Non-overlapping matches, scanning left to right, longest phrase first.

        Syllables of a phrase must be separated only by spaces, hyphens, commas or
        brackets as in the phrase itself; a line break between them is allowed too.
        """
        keys = keys_of(sylls)
        firsts = self._firsts
        found, i = [], 0
        while i < len(sylls):
            if keys[i] not in firsts:  # no phrase starts here: skip the walk
                i += 1
                continue
            for n in reversed(self._lengths_at(keys, i)):
                value = self._table[tuple(keys[i:i + n])]
                if joined(text, sylls[i:i + n]):
                    found.append(Match(sylls[i].start, sylls[i + n - 1].end, i, i + n - 1, value))
                    i += n
                    break
            else:
                i += 1
        return found

    def _lengths_at(self, keys: list[str], i: int) -> list[int]:
        """The lengths of the phrases whose syllables start at `keys[i]`, shortest first;
        the walk stops as soon as no phrase begins with the syllables read so far."""
        lengths, key = [], ()
        for word in keys[i:i + self._longest]:
            key += (word,)
            if key not in self._prefixes:
                break
            if key in self._table:
                lengths.append(len(key))
        return lengths


_GLUE = re.compile(r"[\s\-–,()]*")


def joined(text: str, run: list[Syllable]) -> bool:
    """True when the syllables of `run` follow each other with only light punctuation between."""
    return all(_GLUE.fullmatch(text[a.end:b.start]) for a, b in zip(run, run[1:]))
