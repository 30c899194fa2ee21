"""Regex and span helpers shared by the stages: phrase alternations, folded phrases, overlaps."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from itertools import accumulate

from .fold import fold


def overlap_test(spans: Iterable[tuple[int, int]]) -> Callable[[int, int], bool]:
    """A test of whether [start, end) overlaps one of `spans`, by bisection: a garbled
    document has thousands of repairs, and each of its lines or extracted spans is tested."""
    ordered = sorted(spans)
    starts = [start for start, _ in ordered]
    reach = list(accumulate((end for _, end in ordered), max))  # reach[k]: the furthest end of ordered[:k + 1]

    def overlaps(start: int, end: int) -> bool:
        k = bisect_left(starts, end)  # ordered[:k] start before `end`; one of them must end after `start`
        return k > 0 and reach[k - 1] > start

    return overlaps


def fold_pattern(words: str) -> str:
    """A regex (on folded text) for a phrase, tolerant of any run of spaces between words."""
    return r"\s+".join(re.escape(w) for w in fold(words).split())


def any_of(words) -> str:
    """Regex source matching any of `words`, the longest that fits first — what the
    alternation of the words sorted longest first matches — written as a trie
    ("h(?:à (?:giang|nam|nội)|ải (?:dương|phòng))"), so that the regex engine does not try
    hundreds of alternatives at every position of a document. Case-sensitive patterns
    only: under IGNORECASE two branches could match the same text."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def source(node: dict) -> str:
        branches = [re.escape(char) + source(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body  # greedy: the longer word is tried first

    return source(trie) if trie else "(?!)"


def mostly_unaccented(text: str) -> bool:
    """True when the text has lost its diacritics (too few accented letters for Vietnamese)."""
    letters = [ch for ch in text[:20000] if ch.isalpha()]
    if len(letters) < 50:
        return False
    accented = sum(1 for ch in letters if ord(ch) > 127)
    return accented / len(letters) < 0.05
