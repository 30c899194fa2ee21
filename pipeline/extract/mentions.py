"""Number mentions: what kind of figure a quantity is — a planned target, an achieved result,
a statistic, a budget, or none of these.

Each quantity of a text (`pipeline.extract.quantities`) is described by the words of its
context, as a reader weighs them: the words just before and after the number, the words
of its clause and of its sentence, what it counts, whether it is one side of a fraction
("454/1.800 người"), the role of its section, and whether the years around it lie before
or after the document's own date. A multinomial logistic regression over those features
(`models/figures/`, trained by `scripts/train_figures.py` on weakly labelled sentences of
the corpora and the hand-checked development gold) gives each mention a kind and a
probability. Only the model's weights are read here: no training library is needed at
run time.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ChithiError
from ..resources import model_path
from ..text.fold import fold

if TYPE_CHECKING:
    from ..document import Document
    from .quantities import Quantity

KINDS = ("target", "achieved", "statistic", "budget", "other")
BEFORE, AFTER = 8, 6  # words of context read on either side of the number
_WORD = re.compile(r"[a-z0-9]+|%")
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]]|\s[-–]\s")
_YEAR = re.compile(r"(?<![\d/.,])(?:19|20)\d\d(?![\d/])")
_RELATIVE_YEAR = re.compile(r"nam (?:nay|toi|sau|truoc|qua)|(?:dau|cuoi) nam|thang dau nam")


def _words(folded: str) -> list[str]:
    return _WORD.findall(folded)


def clause_bounds(text: str, start: int, end: int, sentence: tuple[int, int]) -> tuple[int, int]:
    """[start, end) of the clause of the sentence that holds text[start:end]: the stretch
    between commas, semicolons, colons, brackets and dashes around it."""
    s0, s1 = sentence
    left = s0
    for m in _CLAUSE_BREAK.finditer(text, s0, start):
        left = m.end()
    right = _CLAUSE_BREAK.search(text, end, s1)
    return left, right.start() if right else s1


@dataclass
class Mention:
    """A quantity in its context: what the classifier reads."""

    quantity: Quantity
    sentence: tuple[int, int]
    clause: tuple[int, int]
    features: list[str]


def describe(doc: Document, quantity: Quantity, document_year: int | None) -> Mention:
    """The features of one quantity of the document."""
    text, folded = doc.text, doc.folded
    sentence = doc.sentence_at(quantity.start)
    clause = clause_bounds(text, quantity.start, quantity.end, sentence)
    before = _words(folded[max(sentence[0], quantity.start - 160):quantity.start])[-BEFORE:]
    after = _words(folded[quantity.end:min(sentence[1], quantity.end + 120)])[:AFTER]
    features = [f"u:{quantity.unit}", f"n:{_words(fold(quantity.noun))[0] if _words(fold(quantity.noun)) else ''}"]
    features += [f"b:{w}" for w in before] + [f"a:{w}" for w in after]
    features += [f"b{i}:{w}" for i, w in enumerate(reversed(before[-3:]), start=1)]
    features += [f"a{i}:{w}" for i, w in enumerate(after[:3], start=1)]
    features += [f"bb:{x}_{y}" for x, y in zip(before[-6:], before[-5:])]
    features += [f"ab:{x}_{y}" for x, y in zip(after[:5], after[1:5])]
    clause_words = _words(folded[clause[0]:clause[1]])
    features += [f"c:{w}" for w in set(clause_words)]
    features += [f"cb:{x}_{y}" for x, y in set(zip(clause_words, clause_words[1:]))]
    features += [f"s:{w}" for w in set(_words(folded[sentence[0]:sentence[1]]))]
    if quantity.fraction:
        features.append(f"fraction:{quantity.fraction}")
    if quantity.value_max is not None:
        features.append("range")
    features.append(f"magnitude:{min(9, int(math.log10(max(quantity.value, 1.0))))}")
    path = doc.section_path(quantity.start)
    role = next((s.role for s in reversed(path) if s.role), None)
    features.append(f"section:{role or 'none'}")
    if "\n" not in text[max(0, sentence[0] - 1):sentence[0]] and sentence[0] == 0:
        features.append("first_sentence")
    features += _year_features(folded[sentence[0]:sentence[1]], document_year)
    features += _cue_features(folded, quantity, sentence, clause)
    return Mention(quantity, sentence, clause, features)


@cache
def _cue_patterns() -> dict[str, re.Pattern]:
    """One regex per kind over its cue words (folded), from extract/data/targets.json."""
    from .quantities import cue_table

    return {kind: re.compile(r"(?<![a-z0-9])(?:" + "|".join(sorted((re.escape(fold(c)) for c in cues), key=len, reverse=True))
                             + r")(?![a-z0-9])")
            for kind, cues in cue_table()["kind_cues"].items()}


def _cue_features(folded: str, quantity: Quantity, sentence: tuple[int, int], clause: tuple[int, int]) -> list[str]:
    """Where the cue words of each kind stand: in the clause before the number, nearest
    before it in the sentence (and how near), right after it, anywhere in the sentence, and
    in the text just before the sentence in its paragraph ("Mục tiêu … Cụ thể, năm 2021: …")."""
    out = []
    nearest: tuple[int, str] | None = None
    for kind, pattern in _cue_patterns().items():
        before = [m for m in pattern.finditer(folded, sentence[0], quantity.start)]
        if before:
            out.append(f"cue_sentence_before:{kind}")
            if before[-1].start() >= clause[0]:
                out.append(f"cue_clause:{kind}")
            if nearest is None or before[-1].end() > nearest[0]:
                nearest = (before[-1].end(), kind)
        if pattern.match(folded, quantity.end + 1) or pattern.search(folded, quantity.end, min(clause[1], quantity.end + 25)):
            out.append(f"cue_after:{kind}")
        if pattern.search(folded, quantity.end, sentence[1]):
            out.append(f"cue_sentence_after:{kind}")
    previous = folded[max(0, folded.rfind("\n\n", 0, sentence[0]) + 1, sentence[0] - 300):sentence[0]]
    out += [f"cue_previous:{kind}" for kind, pattern in _cue_patterns().items() if pattern.search(previous)]
    if nearest is not None:
        distance = quantity.start - nearest[0]
        out.append(f"cue_nearest:{nearest[1]}")
        out.append(f"cue_nearest:{nearest[1]}:{'near' if distance < 30 else 'far'}")
    return out


def _year_features(sentence: str, document_year: int | None) -> list[str]:
    out = [f"rel:{m.group().replace(' ', '_')}" for m in _RELATIVE_YEAR.finditer(sentence)]
    years = [int(y) for y in _YEAR.findall(sentence)]
    if years and document_year:
        out += [f"year:{'future' if y > document_year else 'past' if y < document_year else 'same'}" for y in set(years)]
    elif years:
        out.append("year:undated")
    return out


@dataclass(frozen=True)
class Classifier:
    """A multinomial logistic regression: weights per feature and class, and a bias."""

    kinds: tuple[str, ...]
    weights: dict[str, list[float]]
    bias: list[float]
    target_threshold: float = 1.0  # a mention at least this likely to be a target is one, whatever is likelier

    def probabilities(self, features: list[str]) -> list[float]:
        scores = list(self.bias)
        for feature in features:
            row = self.weights.get(feature)
            if row is not None:
                scores = [s + w for s, w in zip(scores, row)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def classify(self, features: list[str]) -> tuple[str, float]:
        probs = self.probabilities(features)
        best = max(range(len(probs)), key=probs.__getitem__)
        if "target" in self.kinds:
            target = self.kinds.index("target")
            if probs[target] >= self.target_threshold:
                best = target  # results outnumber targets in the training texts; the threshold is set by cross-validation
        return self.kinds[best], probs[best]

    @classmethod
    def from_json(cls, raw: dict) -> Classifier:
        return cls(tuple(raw["kinds"]), raw["weights"], raw["bias"], raw.get("target_threshold", 1.0))


@cache
def load_classifier(file: Path | None = None) -> Classifier:
    """The trained mention classifier (default: models/figures/classifier.json), loaded once."""
    file = model_path("figures", "classifier.json") if file is None else file
    if not file.exists():
        raise ChithiError(str(file), "the figure classifier is missing; train it with scripts/train_figures.py",
                          stage="targets")
    return Classifier.from_json(json.loads(file.read_text("utf-8")))
