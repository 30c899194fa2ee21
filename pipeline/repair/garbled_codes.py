"""Document codes and dates as an English OCR garbles them: "2o-cTlTw" → "20-CT/TW", "O2l02l2023" → "02/02/2023".

A small grammar (`repair/data/ocr_codes.json`) gives the shapes of codes and dates; the
observed characters are replaced by the digits, capitals and separators the channel says
they can come from, and only readings that parse as a code or a plausible date are kept.
"""

from __future__ import annotations

import math
import re
from functools import cache, lru_cache

from ..resources import data
from .channel import channel


def grammar() -> dict:
    return data("pipeline.repair", "ocr_codes.json")


DIGITS = "0123456789"
CASE_SLIP_LOGPROB = math.log(0.5)
CAPITALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZĐ"


@cache
def _templates() -> dict[int, list[tuple[tuple[str, ...], str, float]]]:
    """Code and date shapes by length: one class of allowed characters per position, and the kind.

    Codes: <number>-<TYPE>/<ISSUER>, <number>/<TYPE>-<ISSUER>, <number>/<year>/<TYPE>-<ISSUER>;
    dates: d/m/yyyy with one-or-two-digit day and month and "/", "-" or "." between them.
    """
    shapes = grammar()
    by_length: dict[int, list[tuple[tuple[str, ...], str, float]]] = {}
    type_prior = channel().code_types

    def add(shape: list[str], kind: str, prior: float = 0.0) -> None:
        by_length.setdefault(len(shape), []).append((tuple(shape), kind, prior))

    for day in (1, 2):
        for month in (1, 2):
            for separator in "/-.":
                prior = channel().date_separators.get(separator, 0.0)
                add([DIGITS] * day + [separator] + [DIGITS] * month + [separator] + [DIGITS] * 4, "date", prior)
    issuer_tail = CAPITALS + DIGITS
    for number in range(1, shapes["max_number_digits"] + 1):
        for issuer in range(2, shapes["max_issuer_letters"] + 1):  # 45/2019/QH14: number/year/issuer
            add([DIGITS] * number + ["/"] + [DIGITS] * 4 + ["/"] + [CAPITALS] + [issuer_tail] * (issuer - 1), "code")
        for doc_type in shapes["document_types"]:
            prior = type_prior.get(doc_type, min(type_prior.values(), default=0.0) - 1.0)
            letters = list(doc_type)
            for issuer in range(1, shapes["max_issuer_letters"] + 1):
                add([DIGITS] * number + ["-"] + letters + ["/"] + [CAPITALS] * issuer, "code", prior)
                add([DIGITS] * number + ["/"] + letters + ["-"] + [CAPITALS] * issuer, "code", prior)
                add([DIGITS] * number + ["/"] + [DIGITS] * 4 + ["/"] + letters + ["-"] + [CAPITALS] * issuer, "code", prior)
    return by_length


def _plausible(text: str, kind: str) -> bool:
    if kind != "date":
        return True
    low, high = grammar()["years"]
    day, month, year = map(int, re.split(r"[/.-]", text))
    return 1 <= day <= 31 and 1 <= month <= 12 and low <= year <= high


@lru_cache(maxsize=8192)
def _read_as(char: str, allowed: str) -> tuple[str, float]:
    """The likeliest character among `allowed` that the OCR could have read as `char`.

    Besides the learned P(char | true), the reverse confusion counts too: a shape that is read
    as another ("l" seen for a true "1") is taken to be confusable both ways.
    """
    if char in allowed:
        return char, 0.0
    model = channel()
    options = [(form, lp) for true, lp in model.rules.get(char, ()) for form in {true, true.upper()} if form in allowed]
    options += [(form, lp) for form in allowed if (lp := model.letters.get(form, {}).get(char.lower())) is not None]
    if char.upper() in allowed:  # a capital read as its small letter ("cT" for "CT")
        options.append((char.upper(), CASE_SLIP_LOGPROB))
    return max(options, key=lambda x: x[1], default=(allowed[0], model.unseen))


@lru_cache(maxsize=1 << 14)
def repair_code(observed: str) -> tuple[str, float, str] | None:
    """The best reading of `observed` as a document code or a date: (text, log-prob, kind).

    None when `observed` already parses or no reading is likely enough.
    """
    shapes = _templates().get(len(observed), [])
    best: tuple[str, float, str] | None = None
    for shape, kind, prior in shapes:
        if kind == "date" and "/" not in shape and not any(c == a for c, a in zip(observed, shape) if a in ".-"):
            continue  # "-" and "." dates only when the OCR kept one of them; otherwise the usual "/"
        chars, score = [], prior
        for char, allowed in zip(observed, shape):
            true, lp = _read_as(char, allowed)
            chars.append(true)
            score += lp
        text = "".join(chars)
        if _plausible(text, kind) and (best is None or score > best[1]):
            best = (text, score, kind)
    if best is None or best[0] == observed:
        return None
    changed = sum(a.upper() != b.upper() for a, b in zip(best[0], observed))
    return best if changed <= max(2, len(observed) // 3) else None


def looks_like_code(token: str) -> bool:
    """A token worth reading as a code or a date: two digits, or a digit and a separator."""
    digits = sum(c.isdigit() for c in token)
    return digits >= 2 or (digits >= 1 and any(c in "/-" for c in token))


def parses_as_code(token: str) -> bool:
    """Whether `token` already is a document code or a date of the grammar."""
    return any(all(c in allowed for c, allowed in zip(token, shape)) and _plausible(token, kind)
               for shape, kind, _ in _templates().get(len(token), []))
