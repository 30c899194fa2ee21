"""Scoring every provision of a reference against every window of one or two passages.

Three kinds of evidence, all on the passages' plain words: the provision's cue phrases
(exact, fuzzy for OCR damage, or in the consonant skeleton for badly garbled text), TF-IDF
cosine over syllable unigrams and bigrams (IDF over the plan's passages, the reference's
stop phrases removed), and rapidfuzz `token_set_ratio` for the best few windows. Their
weighted sum is a window's score; thresholds turn a provision's best score into covered,
partial or missing (`status_of`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..text.fold import plain_words
from .passages import Passage, dot, skeleton, strip_stop_phrases, terms
from .reference import Provision, ReferenceDocument
from .settings import settings


@dataclass
class Window:
    first: int
    last: int  # inclusive passage indices


class Scorer:
    """Scores every provision against every window of one or two consecutive passages."""

    def __init__(self, passages: list[Passage], reference: ReferenceDocument, body: tuple[int, int] | None = None,
                 text: str = ""):
        self.passages = passages
        self.record_text = text
        self.reference = reference
        self.conf = settings()
        # Single passages first (their indices are the passages'), then runs of 2, 3… passages
        # inside one section.
        self.windows = [Window(i, i) for i in range(len(passages))] + [
            Window(i, i + k - 1)
            for k in range(2, self.conf["window_sentences"] + 1)
            for i in range(len(passages) - k + 1)
            if len({p.section_id for p in passages[i:i + k]}) == 1
        ]
        first, last = body or (0, len(passages))
        self.in_body = np.array([first <= w.first and w.last < last for w in self.windows], dtype=bool)
        self._prepare_terms()
        self._prepare_cues()

    # -- lexical
    def _query(self, provision: Provision) -> Counter:
        return terms(strip_stop_phrases(plain_words(provision.text + " | " + " | ".join(provision.cues)),
                                          self.reference.stop_phrases))

    def _prepare_terms(self) -> None:
        """TF-IDF vectors of every window: the sum of its passages' vectors.

        Only the terms the provisions use are kept as matrix columns; a window's norm is
        exact, from its passages' norms and the dot products between its passages.
        """
        stops = self.reference.stop_phrases
        passage_terms = [terms(strip_stop_phrases(p.folded, stops)) for p in self.passages]
        df: Counter = Counter()
        for counts in passage_terms:
            df.update(counts.keys())
        n = len(self.passages)
        idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        self.idf = lambda term: idf.get(term) or math.log(n + 1) + 1.0
        weights = [{t: (1.0 + math.log(c)) * idf[t] for t, c in counts.items()} for counts in passage_terms]

        self.queries = {p.id: self._query(p) for p in self.reference.provisions}
        self.vocabulary = {t: i for i, t in enumerate(sorted({t for q in self.queries.values() for t in q}))}
        passage_matrix = np.zeros((n + 1, len(self.vocabulary)), dtype=np.float32)  # row 0 stays zero
        for row, vector in enumerate(weights, start=1):
            for term, weight in vector.items():
                column = self.vocabulary.get(term)
                if column is not None:
                    passage_matrix[row, column] = weight
        running = np.cumsum(passage_matrix, axis=0)
        firsts = np.array([w.first for w in self.windows], dtype=int)
        lasts = np.array([w.last for w in self.windows], dtype=int)
        self.window_matrix = running[lasts + 1] - running[firsts]

        squares = [sum(w * w for w in vector.values()) for vector in weights]
        self.window_norms = np.array([
            math.sqrt(sum(squares[i] for i in range(w.first, w.last + 1))
                      + 2 * sum(dot(weights[i], weights[j]) for i in range(w.first, w.last + 1)
                                for j in range(i + 1, w.last + 1))) or 1.0
            for w in self.windows
        ], dtype=np.float32)
        self._columns = {p.id: i for i, p in enumerate(self.reference.provisions)}
        self._lexical: np.ndarray | None = None

    def _weight(self, term: str, count: int) -> float:
        return (1.0 + math.log(count)) * self.idf(term)

    def lexical(self, provision: Provision) -> np.ndarray:
        """TF-IDF cosine of the provision (wording and cues) with every window."""
        if self._lexical is None:  # one matrix product for all provisions
            self._lexical = self._cosines(list(self.reference.provisions))
        column = self._columns.get(provision.id)
        return self._lexical[:, column] if column is not None else self._cosines([provision])[:, 0]

    def _cosines(self, provisions: list[Provision]) -> np.ndarray:
        matrix = np.zeros((len(self.vocabulary), len(provisions)), dtype=np.float32)
        for column, provision in enumerate(provisions):
            for term, count in (self.queries.get(provision.id) or self._query(provision)).items():
                if term in self.vocabulary:
                    matrix[self.vocabulary[term], column] = self._weight(term, count)
        qnorms = np.linalg.norm(matrix, axis=0)
        qnorms[qnorms == 0] = 1.0
        return (self.window_matrix @ matrix) / np.outer(self.window_norms, qnorms)

    # -- cue phrases
    def _prepare_cues(self) -> None:
        from rapidfuzz import fuzz, process

        phrases = [c for p in self.reference.provisions for c in p.cues + p.require + sum(p.parts, ())]
        self.cue_list = sorted({plain_words(c) for c in phrases if plain_words(c)})
        self.cue_index = {c: i for i, c in enumerate(self.cue_list)}
        texts = [f" {p.folded} " for p in self.passages]
        exact = np.array([[1.0 if f" {cue} " in t else 0.0 for t in texts] for cue in self.cue_list])
        cutoff = self.conf["fuzzy_cue_min"]
        fuzzy = process.cdist(self.cue_list, texts, scorer=fuzz.partial_ratio, score_cutoff=cutoff, dtype=np.float32)
        # A fuzzy hit (OCR-damaged cue) counts less than an exact one, and only above the cut-off.
        fuzzy_hits = np.where(fuzzy >= cutoff, 0.5 + 0.4 * (fuzzy - cutoff) / max(100 - cutoff, 1), 0.0)
        hits = np.maximum(exact, fuzzy_hits) if len(texts) else exact
        if len(texts):
            hits = np.maximum(hits, self._skeleton_hits())
        # A provision's subject must be named plainly: exactly, or fuzzily with hardly an error.
        strict = np.maximum(exact, fuzzy >= self.conf["require_fuzzy_min"]) if len(texts) else exact
        # A window holds a cue when any of its passages does.
        self.cue_hits = self._per_window(hits)
        self.subject_hits = self._per_window(strict)

    def _skeleton_hits(self) -> np.ndarray:
        """Cue phrases found in the passages' consonant frames: a weak hit, for badly garbled OCR."""
        from rapidfuzz import fuzz, process

        cutoff = self.conf["skeleton_cue_min"]
        cues = [skeleton(c) for c in self.cue_list]
        texts = [skeleton(self.record_text[p.start:p.end]) for p in self.passages]
        scores = process.cdist(cues, texts, scorer=fuzz.partial_ratio, score_cutoff=cutoff, dtype=np.float32)
        long_enough = np.array([len(c.replace(" ", "")) >= self.conf["skeleton_min_chars"] for c in cues])[:, None]
        return np.where((scores >= cutoff) & long_enough, self.conf["skeleton_hit"], 0.0)

    def _per_window(self, per_passage: np.ndarray) -> np.ndarray:
        if not self.windows:
            return np.zeros((len(self.cue_list), 0))
        return np.stack([per_passage[:, w.first:w.last + 1].max(axis=1) for w in self.windows], axis=1)

    def cues(self, provision: Provision) -> np.ndarray:
        """Share of the provision's cue phrases present in each window, saturating at `cue_saturation`."""
        rows = [self.cue_index[plain_words(c)] for c in provision.cues if plain_words(c) in self.cue_index]
        if not rows:
            return np.zeros(len(self.windows))
        share = self.cue_hits[rows].mean(axis=0)
        return np.minimum(1.0, share / self.conf["cue_saturation"])

    def has_subject(self, provision: Provision) -> np.ndarray:
        """Windows that name one of the provision's required phrases (all windows when it has none)."""
        rows = [self.cue_index[plain_words(c)] for c in provision.require if plain_words(c) in self.cue_index]
        if not rows:
            return np.ones(len(self.windows), dtype=bool)
        return self.subject_hits[rows].max(axis=0) >= 0.5

    def all_parts_present(self, provision: Provision) -> bool:
        """Whether the plan's body names every component of a provision that joins several."""
        for part in provision.parts:
            rows = [self.cue_index[plain_words(c)] for c in part if plain_words(c) in self.cue_index]
            if not rows or not (self.subject_hits[rows][:, self.in_body] >= 0.5).any():
                return False
        return True

    def found_cues(self, provision: Provision, window_index: int) -> list[str]:
        return [c for c in provision.cues
                if plain_words(c) in self.cue_index and self.cue_hits[self.cue_index[plain_words(c)], window_index] >= 0.5]

    # -- combination
    def score(self, provision: Provision) -> tuple[np.ndarray, np.ndarray]:
        """(combined score of every window, cue+lexical score used to rank candidates)."""
        from rapidfuzz import fuzz

        w = self.conf["weights"]
        total = w["cue"] + w["lexical"] + w["fuzzy"]
        base = (w["cue"] * self.cues(provision) + w["lexical"] * self.lexical(provision)) * self.in_body
        ceiling = self.ceiling(provision)
        ranking = np.minimum(base / (w["cue"] + w["lexical"]), ceiling)
        combined = base / total
        wording = strip_stop_phrases(plain_words(provision.text), self.reference.stop_phrases).replace("|", " ")
        for i in np.argsort(-ranking)[: self.conf["fuzzy_candidates"]]:
            if base[i] <= 0:
                continue
            window = self.windows[i]
            text = " ".join(p.folded for p in self.passages[window.first:window.last + 1])
            similarity = fuzz.token_set_ratio(wording, strip_stop_phrases(text, self.reference.stop_phrases)
                                              .replace("|", " ")) / 100
            combined[i] = (base[i] + w["fuzzy"] * similarity) / total
        return np.minimum(combined, ceiling), ranking

    def ceiling(self, provision: Provision) -> np.ndarray:
        """The most each window can score: a window that does not name the provision's subject
        stays below partial; a plan that lacks one component of a joint provision stays partial."""
        ceiling = np.where(self.has_subject(provision), 1.0, self.conf["require_cap"])
        if not self.all_parts_present(provision):
            ceiling = np.minimum(ceiling, self.conf["part_cap"])
        return ceiling


def status_of(score: float, thresholds: dict | None = None) -> str:
    thresholds = thresholds or settings()["thresholds"]
    if score >= thresholds["covered"]:
        return "covered"
    if score >= thresholds["partial"]:
        return "partial"
    return "missing"
