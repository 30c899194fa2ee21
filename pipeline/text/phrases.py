"""Syllable-level phrase matching, shared by the rule extractors.

Matching works on syllables (runs of letters and digits), so "Đức" never matches inside
"đạo đức" by accident of case-folding alone and "Nhật" never matches inside "Nhật Bản" when
the longer name is known: the matcher always takes the longest phrase that starts at a
syllable. Syllables are compared in their `lower` form (marks kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from .fold import lower

SYLLABLE = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=1 << 16)
def syllable_key(syllable: str) -> str:
    """`lower` of one syllable; a document repeats a few thousand syllables many times."""
    return lower(syllable)


class Syllable(NamedTuple):
    """A syllable and its offsets; a named tuple, since a document has thousands of them."""

    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        return syllable_key(self.text)

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


def syllables(text: str, start: int = 0, end: int | None = None) -> list[Syllable]:
    """The syllables of `text[start:end]` with offsets into `text`."""
    return [Syllable(m.group(), *m.span()) for m in SYLLABLE.finditer(text, start, len(text) if end is None else end)]


def phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(s.key for s in syllables(phrase))


@dataclass(frozen=True)
class Match:
    start: int  # offset into the text
    end: int
    first: int  # index of the first syllable
    last: int  # index of the last syllable (inclusive)
    value: Any  # what the phrase table maps the phrase to


class PhraseMatcher:
    """Longest-first matching of syllable sequences against a list of syllables."""

    def __init__(self, phrases: dict[str, Any]):
        self._table: dict[tuple[str, ...], Any] = {}
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
        span = lower(text[start:end])
        if not any(first in span for first in self._firsts):
            return []
        return self.find(text, syllables(text, start, end))

    def find(self, text: str, sylls: list[Syllable]) -> list[Match]:
        """Non-overlapping matches, scanning left to right, longest phrase first.

        Syllables of a phrase must be separated only by spaces, hyphens, commas or
        brackets as in the phrase itself; a line break between them is allowed too.
        """
        keys = [s.key for s in sylls]
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
        lengths: list[int] = []
        key: tuple[str, ...] = ()
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
