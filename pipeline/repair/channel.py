"""The English-OCR noisy channel, and the search for the syllables behind an observed token.

`models/channel/channel.json` (scripts/train_channel.py) holds log P(observed chunk | true
chunk), learned from Vietnamese pages rendered and OCRed with `tesseract -l eng`
(scripts/make_ocr_pairs.py). For each observed token the channel is inverted over a trie of
Vietnamese syllables: a beam search that reads the token left to right, trying every true
chunk the observed chunk can come from, letters the OCR dropped and characters it added
(compiled with numba in `pipeline.repair.garble_kernels`); a token may also hold two
syllables whose space the OCR lost. The best candidates, ranked by channel + unigram prior,
are what `pipeline.repair.garble` puts in the lattice the language model decodes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from ..errors import ChithiError
from ..resources import model_path
from ..text.vietnamese import syllables
from . import garble_kernels
from .first_use import compiling_notice
from .lm import get_lm

BEAM = 128  # partial readings kept per position of the observed token
MARGIN = 12.0  # states this far below the best at a position are dropped
MIN_RULE_LOGPROB = -8.0  # rarer confusions fall back to the unseen log-prob
UNSEEN_IDENTITY_LOGPROB = math.log(0.5)  # a character training never showed is most likely read right
PRIOR_WEIGHT = 1.0  # weight of the unigram prior when choosing which candidates reach the LM
CHANNEL_WEIGHT = 1.0  # scale of the channel log-probs against the LM's in the lattice
RETRY_BELOW = -6.0  # a token whose best candidate's channel log-prob is below this is searched again …
RETRY_WIDEN = 8  # … with a beam this many times wider …
RETRY_MARGIN = 4.0  # … and a margin this much wider
TOP_K = 24  # candidates per token that reach the language model (12 → 24: +1.1 points on development pages)
LM_BEAM = 12  # states the garble lattice decode keeps per position
MAX_SYLLABLES_PER_TOKEN = 2
# Longer tokens are not searched: two syllables have at most 14 letters, and each character
# a reading does not explain costs about 12 nats, so none of 32 is a plausible reading (the
# longest token of the OCR development and held-out pages has 22). A run of garbage ("lllll…"
# from a table border) then costs nothing, where the search's arrays grow with its length.
MAX_READ_LENGTH = 32
END = "$"  # trie key of the syllable that ends at a node

# --------------------------------------------------------------------------- models
@dataclass(frozen=True)
class Channel:
    rules: dict[str, list[tuple[str, float]]]  # observed chunk -> [(true chunk, log P(obs | true))]
    letters: dict[str, dict[str, float]]  # observed character -> {true character: log-prob}
    chunks: dict[str, list[tuple[str, float]]]  # the other rules: more than one character on a side
    deletions: dict[str, float]  # letters the OCR dropped, with log P("" | letter)
    unseen: float  # log-prob of a confusion never seen in training
    merge: float  # log-prob that the OCR lost the space between two syllables
    keep: float  # log-prob penalty for keeping a token that is no syllable
    longest: int
    code_types: dict[str, float]  # log P(document type) among codes in the training corpus
    date_separators: dict[str, float]  # log P(separator) among dates of the clean plans


@cache
def channel() -> Channel:
    """The trained channel, loaded once."""
    path = model_path("channel", "channel.json")
    if not path.exists():
        raise ChithiError(str(path), "OCR channel model not found; train it with scripts/train_channel.py", stage="repair")
    raw = json.loads(path.read_text(encoding="utf-8"))
    rules = {obs: [(t, lp) for t, lp in options if lp >= MIN_RULE_LOGPROB] for obs, options in raw["rules"].items()}
    return Channel(
        rules=rules,
        letters=_with_case_backoff({obs: {t: lp for t, lp in options if len(t) == 1} for obs, options in rules.items() if len(obs) == 1}),
        chunks={obs: [(t, lp) for t, lp in options if len(t) > 1 or len(obs) > 1] for obs, options in rules.items() if obs},
        deletions={t: lp for t, lp in rules.pop("", []) if len(t) == 1},
        unseen=raw["unseen_logprob"],
        merge=raw["merge_logprob"],
        keep=raw["keep_logprob"],
        longest=max(len(obs) for obs in rules),
        code_types=raw.get("code_type_logprob", {}),
        date_separators=raw.get("date_separator_logprob", {}),
    )


def _with_case_backoff(letters: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Capitals are rare in training, so a capital also inherits what its small letter was seen
    for ("U" for "ử" as "u" is): headings in capitals lose their marks the same way."""
    out = {obs: dict(options) for obs, options in letters.items()}
    for obs, options in letters.items():
        if obs.islower() and obs.upper() != obs:
            target = out.setdefault(obs.upper(), {})
            for true, lp in options.items():
                target.setdefault(true, lp)
    return out


@cache
def inventory() -> frozenset[str]:
    """Syllables a candidate may be: those the language model knows (any syllable without one)."""
    return (frozenset(get_lm().vocab) & syllables()) or syllables()


@cache
def _trie() -> dict:
    """Trie over the candidate syllables; a node's END key holds its syllable."""
    root: dict = {}
    for syllable in sorted(inventory()):  # sorted: children in the same order in every process
        node = root
        for char in syllable:
            node = node.setdefault(char, {})
        node[END] = syllable
    return root


# ------------------------------------------------------------------ syllable candidates
@lru_cache(maxsize=50_000)
def syllable_candidates(observed: str, top_k: int = TOP_K) -> tuple[tuple[str, float, tuple[int, ...]], ...]:
    """Syllables (or two syllables joined by a space) that `observed` may be an OCR reading of.

    Returns (candidate, channel log-prob, start of each syllable in `observed`), best first.
    A token whose best reading is poor is searched again with a wider beam: the pruning
    judges partial readings, and a true reading that pays for a many-letter confusion early
    ("phaém" → "phẩm") can fall behind readings that pay later.
    """
    found = _search(observed, top_k, BEAM, MARGIN)
    if not found or max(score for _, score, _ in found) < RETRY_BELOW:
        found = _search(observed, top_k, BEAM * RETRY_WIDEN, MARGIN + RETRY_MARGIN)
    return found


def _search(observed: str, top_k: int, beam: int, margin: float) -> tuple[tuple[str, float, tuple[int, ...]], ...]:
    """Invert the channel over the syllable trie for one token (`garble_kernels.search`): at
    each position of `observed`, a frontier of partial readings (a reading extends by the true
    letters an observed one can come from, by a multi-character rule, by a letter the OCR
    dropped, or by the space it lost between two syllables), cut to its `beam` best within
    `margin` of the best. The readings that end a syllable, ranked by channel + unigram
    prior, are the candidates."""
    model, (trie, prefixes, columns) = channel(), _trie_arrays()
    letters, rows = _letter_rows().of(observed)
    chunks = _chunks(observed, model, columns)
    capacity = 4 * beam
    while True:
        with compiling_notice("garble"):
            first, node, score, second, complete = garble_kernels.search(rows, letters, chunks, trie, beam, margin,
                                                                         model.merge, model.unseen, capacity)
        if complete:
            break
        capacity *= 2  # a frontier outgrew its arrays: the same search with room for it
    # Ranked by channel + unigram prior of the syllables (a stable sort, as list.sort).
    prior = _syllable_prior()
    rank = score + PRIOR_WEIGHT * (np.where(first >= 0, prior[first], 0.0) + prior[node])
    best = np.argsort(-rank, kind="stable")[:top_k].tolist()
    first, node, score, second = first.tolist(), node.tolist(), score.tolist(), second.tolist()
    return tuple((prefixes[node[i]] if first[i] < 0 else f"{prefixes[first[i]]} {prefixes[node[i]]}", score[i],
                  (0,) if second[i] < 0 else (0, second[i])) for i in best)


@cache
def _syllable_prior() -> np.ndarray:
    """log P(syllable) of the syllable each trie node spells (-20 where the model has none)."""
    prior = _unigram_logprob()
    return np.array([prior.get(prefix, -20.0) for prefix in _trie_arrays()[1]], dtype=np.float64)


@cache
def _trie_arrays() -> tuple[garble_kernels.Trie, list[str], dict[str, int]]:
    """The syllable trie as arrays for the compiled search, the prefix each node stands for,
    and the letter columns (trie letters in code-point order, so that each node's children,
    which the trie holds in that order, are sorted by column)."""
    root = _trie()
    nodes, prefixes = [root], [""]
    for node, prefix in zip(nodes, prefixes):  # breadth first; the list grows as it is read
        for char, child in node.items():
            if char != END:
                nodes.append(child)
                prefixes.append(prefix + char)
    columns = {char: i for i, char in enumerate(sorted({p[-1] for p in prefixes if p}))}
    number = {id(node): i for i, node in enumerate(nodes)}
    child_start, child_char, child_node, drop_start, drop_lp, drop_node = [0], [], [], [0], [], []
    for node in nodes:
        for char, child in node.items():
            if char != END:
                child_char.append(columns[char])
                child_node.append(number[id(child)])
        child_start.append(len(child_char))
        for lp, _, child in _deletion_steps(node):
            drop_lp.append(lp)
            drop_node.append(number[id(child)])
        drop_start.append(len(drop_lp))
    ints = lambda xs: np.array(xs, dtype=np.int64)  # noqa: E731
    trie = garble_kernels.Trie(
        child_start=ints(child_start), child_char=ints(child_char), child_node=ints(child_node),
        is_end=np.array([END in node for node in nodes]), width=ints([len(node) for node in nodes]),
        drop_start=ints(drop_start), drop_lp=np.array(drop_lp, dtype=np.float64), drop_node=ints(drop_node))
    return trie, prefixes, columns


class _LetterRows:
    """The channel's letter rules of each observed character met so far, as the arrays of
    `garble_kernels.Letters` (a row is added the first time a character is seen)."""

    def __init__(self, columns: dict[str, int]) -> None:
        self.columns = columns
        self.row: dict[str, int] = {}
        self.steps: list[list[tuple[int, float]]] = []
        self.letters: garble_kernels.Letters | None = None

    def of(self, observed: str) -> tuple[garble_kernels.Letters, np.ndarray]:
        """The arrays, and the row of each character of `observed`."""
        for char in observed:
            if char not in self.row:
                self.row[char] = len(self.steps)
                self.steps.append([(self.columns.get(true, -1), lp) for true, lp in _letter_steps(char).items()])
                self.letters = None
        if self.letters is None:
            self.letters = self._arrays()
        return self.letters, np.array([self.row[char] for char in observed], dtype=np.int64)

    def _arrays(self) -> garble_kernels.Letters:
        width = max(1, max(map(len, self.steps)))
        table = np.full((len(self.steps), len(self.columns)), np.nan)
        steps = np.full((len(self.steps), width), -1, dtype=np.int64)
        step_lp = np.zeros((len(self.steps), width))
        for r, row in enumerate(self.steps):
            for s, (column, lp) in enumerate(row):
                steps[r, s], step_lp[r, s] = column, lp
                if column >= 0:
                    table[r, column] = lp
        return garble_kernels.Letters(table=table, steps=steps, step_lp=step_lp,
                                      n_steps=np.array([len(row) for row in self.steps], dtype=np.int64))


@cache
def _letter_rows() -> _LetterRows:
    return _LetterRows(_trie_arrays()[2])


def _chunks(observed: str, model: Channel, columns: dict[str, int]) -> garble_kernels.Chunks:
    """The multi-character rules that apply at each position of `observed`, in the order
    the channel lists them (shorter observed chunks first)."""
    start, chars_start = [0], [0]
    length: list[int] = []
    lp: list[float] = []
    chars: list[int] = []
    n = len(observed)
    for j in range(n):
        for k in range(1, min(model.longest, n - j) + 1):
            for true, p in model.chunks.get(observed[j:j + k], ()):
                length.append(k)
                lp.append(p)
                chars.extend(columns.get(c, -1) for c in true)
                chars_start.append(len(chars))
        start.append(len(length))
    ints = lambda xs: np.array(xs, dtype=np.int64)  # noqa: E731
    return garble_kernels.Chunks(start=ints(start), length=ints(length), lp=np.array(lp, dtype=np.float64),
                                 chars_start=ints(chars_start), chars=ints(chars))


def _deletion_steps(node: dict) -> list[tuple[float, str, dict]]:
    """(log P(dropped), letter, child) for the children of `node` whose letter the OCR may
    drop, likeliest first."""
    deletions = channel().deletions
    return sorted(((deletions[char], char, child) for char, child in node.items() if char != END and char in deletions),
                  key=lambda step: -step[0])


@lru_cache(maxsize=1024)
def _letter_steps(observed: str) -> dict[str, float]:
    """true -> log P(observed | true) for the true characters the channel knows `observed`
    for, and the character itself when training never showed it, likeliest first."""
    letters = channel().letters.get(observed, {})
    steps = {char: lp for char, lp in letters.items() if char != END}
    same = observed.lower()
    if same not in letters and same != END:
        steps[same] = UNSEEN_IDENTITY_LOGPROB
    return dict(sorted(steps.items(), key=lambda step: -step[1]))


@cache
def _unigram_logprob() -> dict[str, float]:
    """log P(syllable) from the language model, used to choose which candidates reach it."""
    lm = get_lm()
    return {w: float(math.log(max(p, 1e-12))) for w, p in zip(lm.vocab, lm.p1)}
