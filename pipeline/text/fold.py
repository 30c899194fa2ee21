"""The case- and mark-insensitive forms of Vietnamese text, one name per meaning.

* `fold(text)`: lower case without diacritics (đ → d), character by character, so the
  folded copy has exactly the offsets of the original: a regex run on `fold(text)` gives
  spans valid in `text`. Cue words are matched on it, which also tolerates text whose marks
  were lost (OCR, plain-ASCII typing).
* `lower(text)`: lower case with the marks kept (NFC, `str.casefold`): the form phrases of
  the gazetteers are compared in ("Đức" and "ĐỨC" match; "đức" and "Đúc" do not).
* `word_key(word)`: `lower` of one word with its tone mark in one position (uỷ → ủy,
  hoà → hòa), for names that data files and documents spell either way.
* `plain_words(text)`: the folded words (letters and digits) joined by single spaces, for
  comparing passages whatever their punctuation and layout.

`pipeline.text.vietnamese.strip_diacritics` removes the marks but keeps the case.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


class _FoldTable(dict[int, str]):
    """`str.translate` table of `_fold_char`, filled one character at a time as met."""

    def __missing__(self, code: int) -> str:
        self[code] = value = _fold_char(chr(code))
        return value


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Diacritic-free lower-case copy of `text` with identical length and offsets (đ → d)."""
    return text.translate(_FOLD_TABLE)


def lower(text: str) -> str:
    """Lower case, diacritics kept (NFC, casefold)."""
    return unicodedata.normalize("NFC", text).casefold()


@lru_cache(maxsize=1 << 16)
def word_key(word: str) -> str:
    """`lower(word)` with the tone mark of a final oa/oe/uy on its first vowel (uỷ → ủy, hoà → hòa)."""
    word = lower(word)
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) != 1:
        return word
    base = "".join(c for c in decomposed if c not in _TONES)
    if re.search(r"(?<!q)(oa|oe|uy)$", base):
        return unicodedata.normalize("NFC", base[:-1] + tones[0] + base[-1])
    return word


_PLAIN_WORD = re.compile(r"[a-z0-9]+")


def plain_words(text: str) -> str:
    """The folded words of `text` (runs of a-z and 0-9) joined by single spaces."""
    return " ".join(_PLAIN_WORD.findall(fold(text)))
