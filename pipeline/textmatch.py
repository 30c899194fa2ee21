"""Matching helpers shared by the structure stages: folded text, document numbers, dates.

`fold(text)` strips diacritics and lower-cases *character by character*, so the folded copy
has exactly the offsets of the original: a regex run on `fold(text)` gives spans that are
valid in `text`. Cue words are matched on the folded copy, which also tolerates text whose
diacritics were lost (OCR, plain-ASCII typing).
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from itertools import accumulate


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


class _FoldTable(dict):
    """`str.translate` table of `_fold_char`, filled one character at a time as met."""

    def __missing__(self, code: int) -> str:
        self[code] = value = _fold_char(chr(code))
        return value


_FOLD_TABLE = _FoldTable()


WHOLE_TEXT = 1000  # characters from which a text is most likely a whole document


def fold(text: str) -> str:
    """Diacritic-free lower-case copy of `text` with identical length and offsets (đ → d);
    one `str.translate`, so folding a whole document is cheap."""
    return text.translate(_FOLD_TABLE) if len(text) < WHOLE_TEXT else _fold_whole(text)


@lru_cache(maxsize=8)
def _fold_whole(text: str) -> str:
    """`fold` of a document: the structure stages fold the same text seven or eight times
    (0.3 ms each for a plan of 10,000 characters), so the last few are kept."""
    return text.translate(_FOLD_TABLE)


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


# 'ĐẢNG CỘNG SẢN VIỆT NAM' as OCR may leave it, on folded text: 'PANG CONG SAN VIET NAM',
# 'DANG CQNG SAN VIDT NAM' (a letter misread in 'cộng' and 'việt').
OCR_PARTY_MOTTO = r"[dp]ang\s+c\w{2}g\s+san\s+vi\w[t]\s+nam"


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


@cache
def load_data(name: str) -> dict:
    """One of the JSON files under pipeline/data/."""
    with resources.files("pipeline.data").joinpath(name).open(encoding="utf-8") as fh:
        return json.load(fh)


# -------------------------------------------------------------------------- numbers
# A document number: digits, then '/' or '-' separated segments, at least one with letters:
# '157-KH/TU', '38/2012/NQ-HĐND', '07/2022/TT-BLĐTBXH', '29-CTr/TU'. A code broken at a
# line end after its hyphen ('27/2016/TT-\nBLĐTBXH') is one number.
NUMBER = r"\d{1,5}(?:(?:[/\-]|-[ \t]*\n[ \t]*)[0-9A-Za-zĐđƠơƯưÂâĂăÊêÔô]+)+"
NUMBER_RE = re.compile(NUMBER)


def clean_number(raw: str) -> str | None:
    """The number without line breaks, or None when no segment has letters."""
    number = re.sub(r"\s+", "", raw)
    return number if re.search(r"[^\W\d_]", number) else None


@cache
def _code_types() -> dict[str, str]:
    return {code.upper(): t["type"] for t in load_data("doc_types.json")["types"] for code in t["codes"]}


def type_of_number(number: str) -> str | None:
    """The document type named by the codes of a number: '157-KH/TU' → ke_hoach.

    The type code is the first lettered segment ('KH', 'NQ', 'TT'); a number whose first
    lettered segment names a body instead ('123/UBND-KGVX') is a công văn; with a year
    segment ('17/2022/UBTVQH15') it is a legal document of a type the number does not say.
    """
    segments = [s for s in re.split(r"[/\-]", number) if re.search(r"[^\W\d_]", s)]
    if not segments:
        return None
    code = re.sub(r"\d+$", "", segments[0]).upper()
    if code in _code_types():
        return _code_types()[code]
    has_year = re.search(r"/(?:19|20)\d\d/", number)
    return "cong_van" if "/" in number and not has_year else None


# ---------------------------------------------------------------------------- dates
# On folded text: 'ngay 23 thang 3 nam 2023', '23/3/2023', '23-3-2023', '23.3.2023'.
DATE_WORDS = r"(\d{1,2})\s+thang\s+(\d{1,2})\s+n\w?m\s+(\d{4})"  # 'ndm': a misread 'năm'
DATE_DIGITS = r"(\d{1,2})\s?(?P<sep>[/.\-])\s?(\d{1,2})\s?(?P=sep)\s?(\d{4})"
DATE_RE = re.compile(rf"(?:ngay\s+)?(?:{DATE_WORDS}|{DATE_DIGITS})")


def iso_date(match: re.Match) -> str | None:
    """ISO form of a DATE_RE match, or None when it is not a real calendar date."""
    g = match.groups()
    day, month, year = (g[0], g[1], g[2]) if g[0] else (g[3], g[5], g[6])
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def mostly_unaccented(text: str) -> bool:
    """True when the text has lost its diacritics (too few accented letters for Vietnamese)."""
    letters = [ch for ch in text[:20000] if ch.isalpha()]
    if len(letters) < 50:
        return False
    accented = sum(1 for ch in letters if ord(ch) > 127)
    return accented / len(letters) < 0.05
