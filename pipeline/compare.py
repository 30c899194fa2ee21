"""Stage `compare`: check a local plan against Directive 20-CT/TW (or against the plan it implements).

The plan is cut into passages (sentences and list items, each tagged with the section it
sits in). Each provision of the reference is scored against every window of one or two
consecutive passages by three kinds of evidence, all computed on diacritic-stripped,
lower-cased text so that repaired or half-repaired OCR still matches:

* cue phrases: the share of the provision's cue phrases found in the window, exactly or
  fuzzily (rapidfuzz `partial_ratio`, for OCR damage);
* lexical: TF-IDF cosine over syllable unigrams and bigrams, IDF taken over the plan's
  passages, with the reference's stop phrases (the fixed wording that every sentence
  repeats) removed;
* fuzzy: rapidfuzz `token_set_ratio` between the provision's wording and the window,
  computed for the best few windows only.

A weighted sum of the three is the window's score; a provision's score is its best
window's, and thresholds (data/compare.json, calibrated on corpus/gold/compare) turn it
into covered / partial / missing. Body passages that match no provision are reported as
additions, with the targets and markets the extractors found in them.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import ChithiError
from .textmatch import fold as fold_chars  # diacritic-free lower case, offsets kept
from .schema import (
    Addition,
    Comparison,
    ComparisonSummary,
    DocumentRecord,
    Evidence,
    GroupCoverage,
    ProvisionResult,
    Section,
)

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "corpus" / "reference"
PLAN_TYPES = ("ke_hoach", "chuong_trinh")


# --------------------------------------------------------------------------- settings
@cache
def settings() -> dict:
    return json.loads(resources.files("pipeline").joinpath("data/compare.json").read_text("utf-8"))


# ------------------------------------------------------------------------ text folding
def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d), keep letters and digits separated by single spaces."""
    return " ".join(re.findall(r"[a-z0-9]+", fold_chars(text)))


def skeleton(text: str) -> str:
    """Folded text with every run of vowels and digits collapsed to 'a': the consonant frame of
    the words, which survives an OCR that misreads Vietnamese vowels (ô → 6, ơ → 0, ệ → Q)."""
    return " ".join(re.findall(r"[a-z]+", re.sub(r"[aeiouy0-9{}$€@]+", "a", fold_chars(text))))


def _strip_stop_phrases(folded: str, stop_phrases: tuple[str, ...]) -> str:
    """Replace the reference's fixed wording by a break, so it adds no terms and joins no bigrams."""
    padded = f" {folded} "
    for phrase in stop_phrases:
        padded = padded.replace(f" {phrase} ", " | ")
    return padded.strip()


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(b) < len(a):
        a, b = b, a
    return sum(w * b[t] for t, w in a.items() if t in b)


def _terms(folded: str) -> Counter:
    """Syllable unigrams and bigrams; '|' marks a break that no bigram crosses."""
    counts: Counter = Counter()
    for chunk in folded.split("|"):
        syllables = chunk.split()
        counts.update(syllables)
        counts.update(f"{a}_{b}" for a, b in zip(syllables, syllables[1:]))
    return counts


# ------------------------------------------------------------------------- reference
@dataclass(frozen=True)
class Provision:
    id: str
    group: str
    title: str
    text: str
    cues: tuple[str, ...]
    require: tuple[str, ...] = ()
    parts: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Reference:
    id: str
    title: str
    date: str | None
    number: str | None
    groups: dict[str, str]
    provisions: tuple[Provision, ...]
    stop_phrases: tuple[str, ...]


def load_reference(name: str | Path) -> Reference:
    """A reference by id (`directive-20` → corpus/reference/directive-20.json) or by JSON path."""
    path = Path(name)
    if path.suffix != ".json":
        path = REFERENCE_DIR / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in REFERENCE_DIR.glob("*.json"))
        raise ChithiError(str(name), f"no such reference or plan file (known references: {', '.join(known)})", "compare")
    try:
        data = json.loads(path.read_text("utf-8"))
        return _reference_from_data(data)
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ChithiError(str(path), f"not a valid reference file ({type(err).__name__}: {err})", "compare") from None


def _reference_from_data(data: dict) -> Reference:
    doc = data.get("document", {})
    provisions = tuple(
        Provision(p["id"], p["group"], p["title"], p["text"], tuple(p.get("cues", ())), tuple(p.get("require", ())),
                  tuple(tuple(part) for part in p.get("parts", ())))
        for p in data["provisions"]
    )
    return Reference(
        id=data["id"],
        title=" ".join(x for x in (doc.get("number"), doc.get("title")) if x),
        date=doc.get("issued_date"),
        number=doc.get("number"),
        groups={g["id"]: g["title"] for g in data.get("groups", [])},
        provisions=provisions,
        stop_phrases=tuple(fold(s) for s in data.get("stop_phrases", ())),
    )


@cache
def _directive_stop_phrases() -> tuple[str, ...]:
    """The fixed wording of Directive 20, reused when another plan is the reference."""
    return load_reference("directive-20").stop_phrases


# --------------------------------------------------------------------------- passages
_BOUNDARY = re.compile(
    r"(?<=[.!?])\s+(?=[\dA-ZĐÀ-Ỹ#*\-+•])"              # end of a sentence: a capital or a marker follows
    r"|(?<=[;:])\s+(?=\S)"                             # end of a clause
    r"|\n[ \t]*\n\s*(?=[#*\-+•\dA-ZĐÀ-Ỹ])"             # a blank line before a new block
    r"|\n(?=[ \t]*(?:[#]|\*\*|[-+•][ \t]|[IVX]+\.[ \t]|\d+(?:\.\d+)*\.[ \t]|[a-zđ]\)[ \t]))"  # a list item
)
_MARKER_ONLY = re.compile(r"^[\s#*]*(?:[IVXivx]+|\d+(?:\.\d+)*|[a-zđ]|[A-ZĐ])[.)]$|^[\s#*]*\S{1,3}\.$")
_ROMAN_HEADING = re.compile(r"^[\s#*]*[IVX]+\.\s")


@dataclass
class Passage:
    start: int
    end: int
    folded: str
    section_id: str | None = None


def split_passages(text: str) -> list[tuple[int, int]]:
    """Sentence- and list-item-sized (start, end) spans of `text`, whitespace trimmed."""
    spans, start = [], 0
    for match in _BOUNDARY.finditer(text):
        if match.start() <= start or _MARKER_ONLY.match(text[start:match.start()]):
            continue  # "1." or "II." alone is a marker, not a sentence
        spans.append(_trim(text, start, match.start()))
        start = match.end()
    spans.append(_trim(text, start, len(text)))
    return _merge_fragments(text, [(s, e) for s, e in spans if e > s])


def _merge_fragments(text: str, spans: list[tuple[int, int]], min_words: int = 4) -> list[tuple[int, int]]:
    """Join fragments of fewer than `min_words` words (stray OCR punctuation, bare markers) to the next span."""
    out: list[tuple[int, int]] = []
    pending: int | None = None
    for start, end in spans:
        if pending is not None:
            start, pending = pending, None
        if len(re.findall(r"\w{2,}", text[start:end])) < min_words:
            pending = start
            continue
        out.append((start, end))
    if pending is not None:
        if out:
            out[-1] = (out[-1][0], spans[-1][1])
        else:
            out.append((pending, spans[-1][1]))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _flatten(sections: list[Section]) -> list[Section]:
    out = []
    for section in sections:
        out.append(section)
        out.extend(_flatten(section.children))
    return out


def _section_at(sections: list[Section], offset: int) -> str | None:
    """The deepest section containing `offset`."""
    best = None
    for section in sections:
        if section.start <= offset < section.end and (best is None or section.level >= best.level):
            best = section
    return best.id if best else None


def passages_of(record: DocumentRecord) -> list[Passage]:
    sections = _flatten(record.sections)
    return [
        Passage(start, end, fold(record.text[start:end]), _section_at(sections, _first_word(record.text, start, end)))
        for start, end in split_passages(record.text)
    ]


def _first_word(text: str, start: int, end: int) -> int:
    """Offset of the first letter or digit, past markdown marks such as '### **'."""
    match = re.compile(r"\w").search(text, start, end)
    return match.start() if match else start


# ---------------------------------------------------------------------------- scoring
@dataclass
class Window:
    first: int
    last: int  # inclusive passage indices


class Scorer:
    """Scores every provision against every window of one or two consecutive passages."""

    def __init__(self, passages: list[Passage], reference: Reference, body: tuple[int, int] | None = None,
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
        return _terms(_strip_stop_phrases(fold(provision.text + " | " + " | ".join(provision.cues)),
                                          self.reference.stop_phrases))

    def _prepare_terms(self) -> None:
        """TF-IDF vectors of every window: the sum of its passages' vectors.

        Only the terms the provisions use are kept as matrix columns; a window's norm is
        exact, from its passages' norms and the dot products between its passages.
        """
        stops = self.reference.stop_phrases
        passage_terms = [_terms(_strip_stop_phrases(p.folded, stops)) for p in self.passages]
        df: Counter = Counter()
        for terms in passage_terms:
            df.update(terms.keys())
        n = len(self.passages)
        idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        self.idf = lambda term: idf.get(term) or math.log(n + 1) + 1.0
        weights = [{t: (1.0 + math.log(c)) * idf[t] for t, c in terms.items()} for terms in passage_terms]

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
                      + 2 * sum(_dot(weights[i], weights[j]) for i in range(w.first, w.last + 1)
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
        self.cue_list = sorted({fold(c) for c in phrases if fold(c)})
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
        rows = [self.cue_index[fold(c)] for c in provision.cues if fold(c) in self.cue_index]
        if not rows:
            return np.zeros(len(self.windows))
        share = self.cue_hits[rows].mean(axis=0)
        return np.minimum(1.0, share / self.conf["cue_saturation"])

    def has_subject(self, provision: Provision) -> np.ndarray:
        """Windows that name one of the provision's required phrases (all windows when it has none)."""
        rows = [self.cue_index[fold(c)] for c in provision.require if fold(c) in self.cue_index]
        if not rows:
            return np.ones(len(self.windows), dtype=bool)
        return self.subject_hits[rows].max(axis=0) >= 0.5

    def all_parts_present(self, provision: Provision) -> bool:
        """Whether the plan's body names every component of a provision that joins several."""
        for part in provision.parts:
            rows = [self.cue_index[fold(c)] for c in part if fold(c) in self.cue_index]
            if not rows or not (self.subject_hits[rows][:, self.in_body] >= 0.5).any():
                return False
        return True

    def found_cues(self, provision: Provision, window_index: int) -> list[str]:
        return [c for c in provision.cues
                if fold(c) in self.cue_index and self.cue_hits[self.cue_index[fold(c)], window_index] >= 0.5]

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
        wording = _strip_stop_phrases(fold(provision.text), self.reference.stop_phrases).replace("|", " ")
        for i in np.argsort(-ranking)[: self.conf["fuzzy_candidates"]]:
            if base[i] <= 0:
                continue
            window = self.windows[i]
            text = " ".join(p.folded for p in self.passages[window.first:window.last + 1])
            similarity = fuzz.token_set_ratio(wording, _strip_stop_phrases(text, self.reference.stop_phrases)
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


# --------------------------------------------------------------------------- evidence
def _context(text: str, start: int, end: int, chars: int) -> tuple[str, str]:
    before = text[max(0, start - chars):start]
    after = text[end:end + chars]
    if start - chars > 0 and " " in before:
        before = "…" + before[before.index(" ") + 1:]
    if end + chars < len(text) and " " in after:
        after = after[:after.rindex(" ")] + "…"
    return before, after


def _overlaps_repair(record: DocumentRecord, start: int, end: int) -> bool:
    return any(r.start < end and start < r.end for r in record.repairs)


def _prefer_single(scorer: Scorer, scores: np.ndarray, i: int) -> int:
    """A two-passage window gives way to its better passage unless the pair scores clearly higher."""
    window = scorer.windows[i]
    if window.first == window.last:
        return i
    single = max(range(window.first, window.last + 1), key=lambda j: scores[j])  # single windows come first
    return single if scores[single] >= scores[i] - settings()["pair_margin"] else i


def _evidence(record: DocumentRecord, scorer: Scorer, provision: Provision, scores: np.ndarray) -> list[Evidence]:
    conf = settings()
    floor = conf["thresholds"]["partial"]
    taken: list[tuple[int, int]] = []
    out = []
    for i in np.argsort(-scores):
        if scores[i] < floor or len(out) >= conf["max_evidence"]:
            break
        i = _prefer_single(scorer, scores, int(i))
        window = scorer.windows[i]
        if any(window.first <= b and a <= window.last for a, b in taken):
            continue
        taken.append((window.first, window.last))
        first, last = scorer.passages[window.first], scorer.passages[window.last]
        before, after = _context(record.text, first.start, last.end, conf["context_chars"])
        out.append(Evidence(
            start=first.start, end=last.end, repaired=_overlaps_repair(record, first.start, last.end),
            section_id=first.section_id, quote=record.text[first.start:last.end], score=round(float(scores[i]), 3),
            before=before, after=after, cues=scorer.found_cues(provision, int(i)),
        ))
    return out


# --------------------------------------------------------------------------- additions
def _body_range(record: DocumentRecord, passages: list[Passage]) -> tuple[int, int]:
    """Passage indices of the plan's body: from its first top-level heading to the closing formula."""
    conf = settings()
    first = 0
    if record.sections:
        top = min(s.start for s in record.sections)
        first = next((i for i, p in enumerate(passages) if p.end > top), 0)
    else:
        first = next((i for i, p in enumerate(passages) if _ROMAN_HEADING.match(record.text[p.start:p.end])), 0)
    ends = [fold(x) for x in conf.get("body_end_phrases", [])]
    # The last occurrence of each closing formula: a cover letter before the plan has its own.
    closing = [max((i for i, p in enumerate(passages) if i > first and p.folded.startswith(e)), default=len(passages))
               for e in ends]
    return first, min(closing, default=len(passages))


def _content_words(folded: str, reference: Reference) -> int:
    """Syllables left once the reference's fixed wording (its title, the recurring phrase) is removed."""
    return len(_strip_stop_phrases(folded, reference.stop_phrases).replace("|", " ").split())


def _labels_in(record: DocumentRecord, start: int, end: int) -> tuple[list[str], list[str]]:
    inside = lambda s: start <= s.start and s.end <= end  # noqa: E731
    targets = [t.text or f"{t.metric} {t.value}" for t in record.targets if inside(t)]
    markets = [m.name for m in record.markets if inside(m) or any(inside(x) for x in m.mentions)]
    return targets, list(dict.fromkeys(markets))


def _additions(record: DocumentRecord, scorer: Scorer, best_single: np.ndarray,
               evidence: list[Evidence]) -> list[Addition]:
    conf = settings()
    used = [(e.start, e.end) for e in evidence]
    first, last = _body_range(record, scorer.passages)
    chosen = [
        i for i in range(first, last)
        if _content_words(scorer.passages[i].folded, scorer.reference) >= conf["addition_min_tokens"]
        and best_single[i] < conf["addition_max_score"]
        and not any(s < scorer.passages[i].end and scorer.passages[i].start < e for s, e in used)
    ]
    out: list[Addition] = []
    for run in _runs(chosen, scorer.passages):
        start, end = scorer.passages[run[0]].start, scorer.passages[run[-1]].end
        targets, markets = _labels_in(record, start, end)
        out.append(Addition(start=start, end=end, repaired=_overlaps_repair(record, start, end),
                            section_id=scorer.passages[run[0]].section_id, quote=record.text[start:end],
                            targets=targets, markets=markets))
    return out


def _runs(indices: list[int], passages: list[Passage], max_chars: int = 900) -> list[list[int]]:
    """Group consecutive passage indices of the same section into runs of readable length."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1 and passages[i].section_id == passages[runs[-1][0]].section_id \
                and passages[i].end - passages[runs[-1][0]].start <= max_chars:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


# ---------------------------------------------------------------------- plan as reference
def reference_from_plan(record: DocumentRecord, name: str) -> Reference:
    """Turn a (provincial) plan into a reference: the items of its body become provisions.

    Items are the leaf sections of its task and target sections when the structure stage
    recognised them, else every leaf section before the closing formula, else list items
    found by their markers. Each item's group is the section right above it; its cue
    phrases are its most distinctive bigrams.
    """
    end = _closing_offset(record)
    tagged = [s for s in _flatten(record.sections) if s.role in {"tasks", "targets"}]
    roots = tagged or record.sections
    pairs = [(leaf, parent) for root in roots for leaf, parent in _leaves_with_parent(root, None) if leaf.start < end]
    if pairs:
        groups = {(p or leaf).id: _heading(p or leaf) for leaf, p in pairs}
        units = [(leaf.id, (p or leaf).id, leaf.heading, record.text[leaf.start:min(leaf.end, end)]) for leaf, p in pairs]
    else:
        groups, units = _blocks_as_units(record, end)
    stops = _directive_stop_phrases()
    all_terms = [_terms(_strip_stop_phrases(fold(text), stops)) for *_, text in units]
    provisions = tuple(
        Provision(pid, group, heading or _first_words(text), text, _auto_cues(i, all_terms))
        for i, (pid, group, heading, text) in enumerate(units)
        if len(fold(text).split()) >= 8
    )
    title = " ".join(x for x in (record.document.number, record.document.title) if x) or name
    return Reference(name, title, record.document.issued_date, record.document.number, groups, provisions, stops)


def _closing_offset(record: DocumentRecord) -> int:
    """Where the closing formula ('Trên đây là…', 'Nơi nhận') starts, or the end of the text."""
    passages = passages_of(record)
    _, last = _body_range(record, passages)
    return passages[last].start if last < len(passages) else len(record.text)


def _leaves_with_parent(section: Section, parent: Section | None) -> list[tuple[Section, Section | None]]:
    if not section.children:
        return [(section, parent)]
    return [pair for child in section.children for pair in _leaves_with_parent(child, section)]


def _heading(section: Section) -> str:
    return section.heading or section.id


def _first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def _blocks_as_units(record: DocumentRecord, end: int) -> tuple[dict[str, str], list[tuple[str, str, str, str]]]:
    """Without sections: list items of the body, grouped under the roman-numbered heading above them."""
    text = record.text[:end]
    starts = [m.start() for m in re.finditer(r"(?m)^[ \t#*]*(?:[IVX]+\.|\d+(?:\.\d+)*\.|[a-zđ]\)|[-+•])[ \t]", text)]
    groups: dict[str, str] = {}
    units = []
    group = "0"
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(text)
        block = text[start:end].strip()
        first_line = block.splitlines()[0] if block else ""
        if _ROMAN_HEADING.match(first_line):
            group = first_line.strip(" #*").split(".")[0]
            groups[group] = first_line.strip(" #*")
            continue
        units.append((f"{group}.{len(units) + 1}", group, "", block))
    return groups, units


def _auto_cues(index: int, all_terms: list[Counter], n: int | None = None) -> tuple[str, ...]:
    """The unit's most distinctive bigrams (rare in the other units), as folded phrases."""
    n = n or settings()["auto_cues"]
    total = len(all_terms)
    df: Counter = Counter()
    for terms in all_terms:
        df.update(t for t in terms if "_" in t)
    own = [t for t in all_terms[index] if "_" in t and not any(ch.isdigit() for ch in t)]
    ranked = sorted(own, key=lambda t: (-(math.log((total + 1) / (df[t] + 1)) * all_terms[index][t]), t))
    return tuple(t.replace("_", " ") for t in ranked[:n])


# ------------------------------------------------------------------------------ driver
def _load_plan(plan, *, role: str = "plan") -> DocumentRecord:
    if isinstance(plan, DocumentRecord):
        return plan
    from .core import extract

    records = extract(plan)
    if not records:
        raise ChithiError(str(plan), f"no document found in the {role}", "compare")
    return _main_record(records)


def _main_record(records: list[DocumentRecord]) -> DocumentRecord:
    """The plan among the documents of a file (a cover letter may come first): a plan or
    programme when the metadata stage typed one, else the longest document."""
    return max(records, key=lambda r: (r.document.doc_type in PLAN_TYPES, len(r.text)))


def _is_reference_id(against: str) -> bool:
    return against.endswith(".json") or (REFERENCE_DIR / f"{against}.json").is_file() or not Path(against).exists()


def _mtime(path: str) -> float | None:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return None


@lru_cache(maxsize=16)
def _reference_for(against: str, mtime: float | None) -> Reference:
    """The reference named by `against`, built once per file version (a batch compares many plans)."""
    if _is_reference_id(against):
        return load_reference(against)
    return reference_from_plan(_load_plan(against, role="reference plan"), against)


def compare(plan, against: str = "directive-20") -> Comparison:
    """Compare a plan (path, text or DocumentRecord) with a reference id/JSON or another plan's file."""
    reference = _reference_for(str(against), _mtime(str(against)))
    record = _load_plan(plan)
    return compare_record(record, reference, against=str(against))


def compare_record(record: DocumentRecord, reference: Reference, against: str) -> Comparison:
    passages = passages_of(record)
    if not passages:
        raise ChithiError(record.source.path, "the plan has no text to compare", "compare")
    scorer = Scorer(passages, reference, _body_range(record, passages), record.text)
    results, all_evidence = [], []
    best_single = np.zeros(len(passages))
    singles = len(passages)  # the first windows are the single passages
    for provision in reference.provisions:
        scores, ranking = scorer.score(provision)
        best_single = np.maximum(best_single, ranking[:singles])
        best = float(scores.max()) if len(scores) else 0.0
        evidence = _evidence(record, scorer, provision, scores)
        all_evidence.extend(evidence)
        results.append(ProvisionResult(
            id=provision.id, group=provision.group, title=provision.title, text=provision.text,
            status=status_of(best), score=round(best, 3), evidence=evidence,
        ))
    return Comparison(
        plan=record.source,
        plan_document=record.document,
        against=against,
        reference_title=reference.title,
        provisions=results,
        additions=_additions(record, scorer, best_single, all_evidence),
        summary=summarize(results, reference, *dating(record, reference)),
    )


def dating(record: DocumentRecord, reference: Reference) -> tuple[str | None, bool | None, str | None]:
    """(plan date, whether the plan predates the reference, how that was decided).

    The issue date decides when the metadata stage found one. An undated plan that cites
    the reference cannot predate it; otherwise the latest date it mentions (years in its
    title, dates of the documents it cites) is a lower bound of its issue date, so a plan
    whose every date lies before the reference was very probably issued before it too.
    """
    plan_date = record.document.issued_date
    if not reference.date:
        return plan_date, None, None
    if plan_date:
        return plan_date, plan_date < reference.date, "issued_date"
    if reference.number and any(r.number == reference.number for r in record.references):
        return None, False, "cites_reference"
    years = re.findall(r"\b(?:19|20)\d\d\b", record.document.title or "")
    mentioned = [f"{y}-12-31" for y in years] + [r.date for r in record.references if r.date]
    if not mentioned:
        return None, None, None
    return None, max(mentioned) < reference.date, "latest_date_in_plan"


def summarize(results: list[ProvisionResult], reference: Reference, plan_date: str | None,
              predates: bool | None = None, how: str | None = None) -> ComparisonSummary:
    groups = []
    for group in dict.fromkeys(r.group for r in results):
        members = [r for r in results if r.group == group]
        groups.append(_coverage(group, reference.groups.get(group, ""), members))
    if predates is None and plan_date and reference.date:
        predates, how = plan_date < reference.date, "issued_date"
    return ComparisonSummary(
        overall=_coverage("all", "", results).coverage,
        groups=groups,
        predates_reference=predates,
        plan_date=plan_date,
        reference_date=reference.date,
        dating=how,
    )


def _coverage(group: str, title: str, members: list[ProvisionResult]) -> GroupCoverage:
    count = Counter(r.status for r in members)
    value = (count["covered"] + 0.5 * count["partial"]) / len(members) if members else 0.0
    return GroupCoverage(group=group, title=title, covered=count["covered"], partial=count["partial"],
                         missing=count["missing"], coverage=round(value, 3))


def render(result: Comparison, fmt: str = "json") -> str:
    """The comparison as JSON, Markdown or a self-contained HTML page."""
    from .report import render_html, render_markdown

    if fmt == "json":
        return result.model_dump_json(indent=2) + "\n"
    if fmt == "md":
        return render_markdown(result)
    if fmt == "html":
        return render_html(result)
    raise ChithiError(None, f"unknown report format {fmt!r} (json, md or html)", "compare")
