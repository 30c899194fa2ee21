"""Diacritic restoration: candidates per token, decoded with the syllable language model.

For each word token the candidates are the vocabulary syllables with the same diacritic-
free form ("thuc" → thực, thức, thúc, …). Numbers, codes ("20-CT/TW"), dates, URLs and
words that are not Vietnamese syllables (foreign names) keep their single observed form
and serve as context; in stripped lines, capitalised abbreviations and code parts that
lost a mark are looked up in the table learned with the model ("HDND" → "HĐND",
"QD-UBND" → "QĐ-UBND"). When the observed token already carries marks and is a
well-formed syllable it gets a channel bonus: OCR usually keeps marks right.
Capitalisation of the observed token (lower, Title, UPPER) is carried to the result.
"""

from __future__ import annotations

import itertools
import math
import re
from functools import lru_cache

from ..text.vietnamese import Token, is_stripped_syllable, is_syllable, strip_diacritics, tokenize
from .edits import Edit
from .lm import LanguageModel, get_lm, lm_token

# Channel log-probabilities: an observed form with marks that is a valid syllable is
# preferred over its alternatives by this margin (natural log).
OBSERVED_BONUS = 2.0
MODES = ("stripped", "clean")


def restore_lines(lines: list[tuple[str, str]]) -> list[list[Edit]]:
    """Edits (line coordinates) that put diacritics back on the words of each (line, mode),
    decoded together in one batched pass.

    mode "stripped": every word is re-decoded; "clean": only words with marks that are
    not well-formed syllables (OCR slips such as "hién") are re-decoded.
    """
    lm = get_lm()
    jobs = []  # (index, tokens, fixed flags, lattice)
    for i, (line, mode) in enumerate(lines):
        tokens = tokenize(line)
        lattice = [_candidates(lm, tok, mode) for tok in tokens]
        fixed_tokens = [pos[0][0] is None for pos in lattice]
        if all(fixed_tokens):
            continue
        lattice = [pos if not fixed else [(lm_token(tok.text, tok.kind), 0.0)]
                   for tok, pos, fixed in zip(tokens, lattice, fixed_tokens)]
        jobs.append((i, tokens, fixed_tokens, lattice))
    decoded = lm.decode_many([job[3] for job in jobs])
    out: list[list[Edit]] = [[] for _ in lines]
    for (i, tokens, fixed_tokens, _), best in zip(jobs, decoded):
        out[i] = _edits(tokens, fixed_tokens, best)
    return out


def _edits(tokens: list[Token], fixed_tokens: list[bool], best: list[tuple[str, float]]) -> list[Edit]:
    edits = []
    for tok, fixed_token, (choice, conf) in zip(tokens, fixed_tokens, best):
        if fixed_token:
            continue
        if tok.kind == "code" and " " in choice:  # words joined by "/" or "-", read as syllables
            parts = _JOINER.split(tok.text)
            fixed = "".join(p if i % 2 else apply_case(p, w) for i, (p, w) in enumerate(zip(parts, _rejoin(choice, parts))))
        else:
            fixed = apply_case(tok.text, choice)
        if fixed != tok.text:
            edits.append(Edit(tok.start, tok.end, fixed, round(conf, 4)))
    return edits


def _candidates(lm: LanguageModel, tok: Token, mode: str) -> list[tuple[str | None, float]]:
    """Lattice candidates of one token; [(None, 0)] means 'keep as is' (a context token,
    decoded as its LM class or as itself)."""
    if mode == "stripped" and (tok.kind == "code" or tok.kind == "word" and tok.text.isupper()):
        restored = _abbreviation(lm, tok.text)  # also the QD of "1898/QD-TTg"
        if restored is not None:
            return [(restored, 0.0)]
    if mode == "stripped" and tok.kind == "code":
        return _joined_candidates(lm, tok.text.lower())
    if tok.kind != "word":
        return [(None, 0.0)]
    return _word_candidates(lm, tok.text.lower(), mode)


@lru_cache(maxsize=1 << 16)
def _word_candidates(lm: LanguageModel, low: str, mode: str) -> list[tuple[str | None, float]]:
    """The candidates of one lower-case word (a document repeats a few thousand words)."""
    valid = is_syllable(low)
    if mode == "clean" and (valid or low.isascii()):
        return [(None, 0.0)]
    options = lm.candidates(strip_diacritics(low))
    if not options:
        return [(None, 0.0)]
    if valid and low not in options:
        options = [low, *options]
    if valid and not low.isascii():
        return [(c, 0.0 if c == low else -OBSERVED_BONUS) for c in options]
    return [(c, -math.log(len(options))) for c in options]


_JOINER = re.compile(r"([-/])")
MAX_JOINED = 3  # words joined by "/" or "-" read as syllables ("Ong/Ba" → "Ông/Bà", "te-xa" → "tế-xã")
JOINED_OPTIONS = 64  # candidate combinations of such a token


@lru_cache(maxsize=1 << 12)
def _joined_candidates(lm: LanguageModel, low: str) -> list[tuple[str | None, float]]:
    """Candidates of a lower-case "code" token that is words joined by "/" or "-", each a
    stripped syllable the model knows ("ong/ba", "te-xa"): its readings as syllables in a row
    (space-separated, as the decoder scores them); otherwise keep it as it is."""
    words = _JOINER.split(low)[::2]
    if len(words) > MAX_JOINED or not all(len(w) > 1 and w.isalpha() and is_stripped_syllable(w) for w in words):
        return [(None, 0.0)]
    per_word = max(1, int(JOINED_OPTIONS ** (1 / len(words))))
    options = [lm.candidates(strip_diacritics(w))[:per_word] for w in words]
    if not all(options):
        return [(None, 0.0)]
    combos = [" ".join(c) for c in itertools.product(*options)]
    return [(c, -math.log(len(combos))) for c in combos]


def _rejoin(choice: str, parts: list[str]) -> list[str]:
    """The decoded syllables laid over the token's parts (words and their joiners)."""
    words = iter(choice.split(" "))
    return [part if i % 2 else next(words) for i, part in enumerate(parts)]


def _abbreviation(lm: LanguageModel, text: str) -> str | None:
    """The marked form of a capitalised abbreviation or code whose marks were stripped
    ("HDND" → "HĐND", "QD-UBND" → "QĐ-UBND"), from the table learned with the model;
    None when nothing changes or when the text may be a stripped syllable ("DIEU" is ĐIỀU,
    which the language model restores)."""
    if is_stripped_syllable(text):
        return None
    fixed = lm.with_abbreviation_marks(text)
    return fixed if fixed != text else None


def apply_case(template: str, word: str) -> str:
    """Write `word` in the capitalisation of `template` (lower, Title or UPPER)."""
    if template.isupper() and (len(template) > 1 or len(word) == 1):
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
