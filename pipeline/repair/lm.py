"""Syllable trigram language model (interpolated Kneser-Ney) and a beam decoder.

The model is trained by `scripts/train_lm.py` and stored in `models/lm/` as plain numpy
arrays: the vocabulary, unigram probabilities, and for bigrams and trigrams sorted integer
keys with their discounted probabilities plus one interpolation weight per context.
A probability is evaluated as in interpolated Kneser-Ney:

    p(w | u v) = a3(u v w) + g3(u v) * (a2(v w) + g2(v) * p1(w))

where a missing n-gram has a = 0 and a missing context has g = 1. At load the bigram level
is expanded into a dense V × V table of p(w | v). Scoring and decoding run in compiled
kernels (`pipeline.lm_kernels`, numba): `decode_many` hands them every line of a document
at once, as flat arrays of candidate ids and channel log-probs.

Text is turned into LM tokens by `lm_tokens`: lower-case syllables, punctuation marks, and
the classes <num>, <code> and <unk> for everything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ChithiError
from ..resources import model_path
from ..text.vietnamese import is_syllable, strip_diacritics, tokenize
from . import lm_kernels
from .first_use import compiling_notice

BOS, EOS, UNK, NUM, CODE = "<s>", "</s>", "<unk>", "<num>", "<code>"
SPECIALS = (BOS, EOS, UNK, NUM, CODE)
_CLASS_OF_KIND = {"num": NUM, "code": CODE, "url": UNK, "mixed": UNK}
_LETTER_RUNS = re.compile(r"[^\W\d_]+")  # the parts of an abbreviation or code
_SHIFT = np.int64(lm_kernels.SHIFT)  # ids < 2**21; trigram keys use 63 bits
# Beam threshold of the decoder (natural log): a hypothesis this far below its line's best
# is not kept, even as the best of its last token. At 20 the outputs are byte-identical to
# no threshold on the 5 samples and 60 held-out pieces, and the garble development pages
# score the same (96.73 %); at 15 one word of sample 000 changes. The beam step sees 60 %
# fewer hypotheses.
PRUNE_GAP = 20.0
# A lattice: per position, the candidates, each a tuple that starts with its text and its
# channel log-prob (the garble repairer's tuples carry more, which the decoder does not read).
Lattice = Sequence[Sequence[tuple[Any, ...]]]
TOKEN_ID_MEMO = 200_000  # lattice candidates whose ids are remembered (≈ 40 MB at most)


def lm_token(text: str, kind: str | None = None) -> str:
    """The LM token of one surface token (lower-cased syllable, punctuation, or a class)."""
    if kind is None:
        toks = tokenize(text)
        kind = toks[0].kind if len(toks) == 1 else "mixed"
    if kind == "word":
        low = text.lower()
        return low if is_syllable(low) else UNK
    if kind == "punct":
        return text
    return _CLASS_OF_KIND.get(kind, UNK)


def lm_tokens(line: str) -> list[str]:
    """LM tokens of one line of (normalised) text."""
    return [lm_token(t.text, t.kind) for t in tokenize(line)]


@dataclass(eq=False)  # compared and hashed by identity: caches key their entries by the model
class LanguageModel:
    vocab: list[str]
    p1: np.ndarray  # float32 [V]
    g2: np.ndarray  # float32 [V]   weight of the unigram level after context v
    bi_keys: np.ndarray  # int64 sorted  v << 21 | w
    bi_a: np.ndarray  # float32
    tri_keys: np.ndarray  # int64 sorted (u << 42 | v << 21 | w)
    tri_a: np.ndarray  # float32
    ctx_keys: np.ndarray  # int64 sorted u << 21 | v
    ctx_g: np.ndarray  # float32  weight of the bigram level after context u v
    meta: dict
    abbreviations: dict[str, str] = field(default_factory=dict)  # "HDND" → "HĐND"

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.unk = self.index[UNK]
        self.bos = self.index[BOS]
        self.eos = self.index[EOS]
        self._candidates: dict[str, list[str]] | None = None
        self._token_ids: dict[str, list[int]] = {}  # lattice candidate → its ids (`token_id`)
        self.p2 = self._bigram_table()
        self.arrays = lm_kernels.Arrays(p2=self.p2, tri_keys=self.tri_keys, tri_a=self.tri_a,  # what the kernels read
                                        ctx_keys=self.ctx_keys, ctx_start=self._context_runs(),
                                        ctx_slot=lm_kernels.context_table(self.ctx_keys), ctx_g=self.ctx_g)

    def _context_runs(self) -> np.ndarray:
        """Where each context's trigrams start among the trigram keys, and, last, their end.

        train_lm.py stores as contexts exactly those of the trigrams, so their runs tile the
        trigram keys, and a context's weight applies where it has trigrams; a model where
        this does not hold is refused."""
        runs = np.append(np.searchsorted(self.tri_keys, self.ctx_keys << _SHIFT), len(self.tri_keys)).astype(np.int64)
        sizes = np.diff(runs)
        if np.any(sizes <= 0) or not np.array_equal(np.repeat(self.ctx_keys, sizes), self.tri_keys >> _SHIFT):
            raise ChithiError(str(model_path("lm")), "the language model's contexts are not those of its trigrams; "
                                              "retrain it with scripts/train_lm.py", stage="repair")
        return runs

    def _bigram_table(self) -> np.ndarray:
        """p(w | v) for every pair as a dense V × V table (the vocabulary is a few thousand
        syllables, so this is tens of MB), turning the bigram level into one array gather."""
        table = np.outer(self.g2, self.p1).astype(np.float32, copy=False)
        mask = (1 << int(_SHIFT)) - 1
        v, w = self.bi_keys >> _SHIFT, self.bi_keys & mask
        table[v, w] += self.bi_a
        return table

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: Path) -> LanguageModel:
        arrays = np.load(path / "lm.npz")
        vocab = (path / "vocab.txt").read_text(encoding="utf-8").split("\n")
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        abbr_path = path / "abbreviations.json"
        abbreviations = json.loads(abbr_path.read_text(encoding="utf-8")) if abbr_path.exists() else {}
        f32 = lambda name: arrays[name].astype(np.float32)  # noqa: E731
        return cls(
            vocab=vocab,
            p1=f32("p1"),
            g2=f32("g2"),
            bi_keys=arrays["bi_keys"],
            bi_a=f32("bi_a"),
            tri_keys=arrays["tri_keys"],
            tri_a=f32("tri_a"),
            ctx_keys=arrays["ctx_keys"],
            ctx_g=f32("ctx_g"),
            meta=meta,
            abbreviations=abbreviations,
        )

    # ------------------------------------------------------------------ scoring
    def ids(self, tokens: list[str]) -> np.ndarray:
        return np.array([self.index.get(t, self.unk) for t in tokens], dtype=np.int64)

    def token_id(self, candidate: str) -> list[int]:
        """Ids of a lattice candidate: one or several space-separated syllables or a token.
        Memoised: the same list is returned for the same candidate, so callers must not
        change it."""
        ids = self._token_ids.get(candidate)
        if ids is None:
            known = self.index.get(candidate)
            if known is not None:
                ids = [known]
            else:
                parts = candidate.split(" ") if " " in candidate else [candidate]
                ids = [self.index.get(lm_token(p) if p not in self.index else p, self.unk) for p in parts]
            if len(self._token_ids) >= TOKEN_ID_MEMO:  # a long batch of garbled scans: stay bounded
                self._token_ids.clear()
            self._token_ids[candidate] = ids
        return ids

    def logprob_ids(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Natural-log p(w | u v) for aligned id arrays."""
        return lm_kernels.logprobs(np.ascontiguousarray(u, dtype=np.int64), np.ascontiguousarray(v, dtype=np.int64),
                                   np.ascontiguousarray(w, dtype=np.int64), self.arrays)

    def logprob(self, syllables: list[str]) -> float:
        """Natural-log probability of a sentence of tokens (with <s> and </s> added)."""
        tokens = [s if s in self.index else lm_token(s) for s in syllables]
        ids = np.concatenate([[self.bos, self.bos], self.ids(tokens), [self.eos]])
        return float(self.logprob_ids(ids[:-2], ids[1:-1], ids[2:]).sum())

    # ------------------------------------------------------------------ decoding
    def decode(self, lattice: Lattice, beam: int = 8) -> list[tuple[str, float]]:
        """Best candidate per position, with a confidence in [0, 1] (local posterior share)."""
        return self.decode_many([lattice], beam)[0]

    def decode_many(self, lattices: Sequence[Lattice], beam: int = 8,
                    channel_weight: float = 1.0) -> list[list[tuple[str, float]]]:
        """`decode` for many lattices (e.g. the lines of a document) in one compiled pass
        (`lm_kernels.decode`). A candidate is one or more tokens ("nay Điều" for a lost
        space); a hypothesis' state is its last two tokens. A candidate's tuple starts with
        its text and channel log-prob (what follows is not read); the log-probs are scaled
        by `channel_weight`."""
        positions = [pos for lat in lattices for pos in lat]
        sizes = np.fromiter(map(len, positions), dtype=np.int64, count=len(positions))
        if not sizes.all():
            for lat in lattices:
                _check(lat)
        if not positions:
            return [[] for _ in lattices]
        pairs = list(chain.from_iterable(positions))  # every candidate of every position, in a row
        names = list(map(_FIRST, pairs))
        flat = [self.token_id(c) for c in names]
        lengths = np.fromiter(map(len, lattices), dtype=np.int64, count=len(lattices))
        # Every candidate's token ids in one array, padded with -1 to the longest candidate.
        widths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
        tokens = np.full((len(flat), int(widths.max())), -1, dtype=np.int64)
        tokens[:, 0] = np.fromiter(map(_FIRST, flat), dtype=np.int64, count=len(flat))
        multi = np.flatnonzero(widths > 1)  # candidates of several tokens ("nay Điều"): their other ids
        if multi.size:
            rest = widths[multi] - 1
            rows = np.repeat(multi, rest)
            columns = np.arange(rows.size) - np.repeat(np.cumsum(rest) - rest, rest) + 1
            tokens[rows, columns] = [i for c in multi.tolist() for i in flat[c][1:]]
        channel = np.fromiter(map(_SECOND, pairs), dtype=np.float64, count=len(pairs))
        if channel_weight != 1.0:
            channel *= channel_weight
        with compiling_notice("lm"):
            choices, shares = lm_kernels.decode(lengths, sizes, tokens, widths, channel,
                                                self.arrays, self.bos, self.eos, beam, PRUNE_GAP)
        chosen = (np.cumsum(sizes) - sizes + choices).tolist()  # indices among all candidates
        best = list(zip(map(names.__getitem__, chosen), shares.tolist()))
        out, start = [], 0
        for length in lengths.tolist():
            out.append(best[start:start + length])
            start += length
        return out

    def with_abbreviation_marks(self, text: str) -> str:
        """`text` with each run of letters that is a learned abbreviation given its marks
        ("HDND" → "HĐND", "TT-BLDTBXH" → "TT-BLĐTBXH")."""
        return _LETTER_RUNS.sub(lambda m: self.abbreviations.get(m.group(), m.group()), text)

    # -------------------------------------------------------------- candidates
    def candidates(self, stripped: str) -> list[str]:
        """Vocabulary syllables whose diacritic-free form is `stripped` (lower case)."""
        if self._candidates is None:
            table: dict[str, list[str]] = {}
            for w in self.vocab:
                if w not in SPECIALS and w.isalpha():
                    table.setdefault(strip_diacritics(w), []).append(w)
            self._candidates = table
        return self._candidates.get(stripped, [])


_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _check(lattice) -> None:
    for t, pos in enumerate(lattice):
        if not pos:
            raise ValueError(f"lattice position {t} has no candidates")


_chosen: LanguageModel | None = None


def use_model(model: LanguageModel | None) -> None:
    """Make `get_lm` return `model` (None: the shipped model again), for the scripts that
    evaluate model variants. Restoration reads the chosen model at once; the garble
    repairer's syllable inventory and prior are built once, from the first model used."""
    global _chosen
    _chosen = model


def get_lm() -> LanguageModel:
    """The language model restoration and garble repair decode with: models/lm/, loaded once."""
    return _chosen if _chosen is not None else load_shipped()


@cache
def load_shipped() -> LanguageModel:
    """The project's language model, loaded once from models/lm/."""
    folder = model_path("lm")
    if not (folder / "lm.npz").exists():
        raise ChithiError(str(folder), "language model not found; train it with scripts/train_lm.py", stage="repair")
    return LanguageModel.load(folder)
