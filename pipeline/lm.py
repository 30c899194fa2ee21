"""Syllable trigram language model (interpolated Kneser-Ney) and a beam decoder.

The model is trained by `scripts/train_lm.py` and stored in `models/lm/` as plain numpy
arrays: the vocabulary, unigram probabilities, and for bigrams and trigrams sorted integer
keys with their discounted probabilities plus one interpolation weight per context.
A probability is evaluated as in interpolated Kneser-Ney:

    p(w | u v) = a3(u v w) + g3(u v) * (a2(v w) + g2(v) * p1(w))

where a missing n-gram has a = 0 and a missing context has g = 1. At load the bigram level
is expanded into a dense V × V table of p(w | v); trigram lookups are one vectorised
`np.searchsorted` over all hypotheses × candidates of a lattice position, which also finds
the context weight g3. `decode_many` runs the lines of a document in lock-step.

Text is turned into LM tokens by `lm_tokens`: lower-case syllables, punctuation marks, and
the classes <num>, <code> and <unk> for everything else.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from .vietnamese import is_syllable, strip_diacritics, tokenize

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "lm"
BOS, EOS, UNK, NUM, CODE = "<s>", "</s>", "<unk>", "<num>", "<code>"
SPECIALS = (BOS, EOS, UNK, NUM, CODE)
_CLASS_OF_KIND = {"num": NUM, "code": CODE, "url": UNK, "mixed": UNK}
_LETTER_RUNS = re.compile(r"[^\W\d_]+")  # the parts of an abbreviation or code
_SHIFT = np.int64(21)  # ids < 2**21; trigram keys use 63 bits
# Beam threshold of the decoder (natural log): a hypothesis this far below its line's best
# is not kept, even as the best of its last token. At 20 the outputs are byte-identical to
# no threshold on the 5 samples and 60 held-out pieces, and the garble development pages
# score the same (96.73 %); at 15 one word of sample 000 changes. The sorts of the beam step
# see 60 % fewer hypotheses (0.24 → 0.09 s on warm 000 + 002).
PRUNE_GAP = 20.0
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


@dataclass
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
        self.memo: dict = {}  # per-model memo for callers that build lattices (word → candidates)
        self._token_ids: dict[str, list[int]] = {}  # lattice candidate → its ids (`token_id`)
        self.p2 = self._bigram_table()
        self.tri_ctx = self._trigram_contexts()

    def _trigram_contexts(self) -> np.ndarray:
        """For each trigram, the index of its context's weight in ctx_g (-1 if none), so
        one search of the trigram keys also finds the context (see `logprob_ids`)."""
        if len(self.tri_keys) == 0:
            return np.zeros(0, dtype=np.int64)
        ctx = self.tri_keys >> _SHIFT
        i = np.minimum(np.searchsorted(self.ctx_keys, ctx), max(len(self.ctx_keys) - 1, 0))
        found = self.ctx_keys[i] == ctx if len(self.ctx_keys) else np.zeros(len(ctx), bool)
        return np.where(found, i, -1)

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
    def load(cls, path: Path = MODEL_DIR) -> "LanguageModel":
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
        p = self.p2[v, w]
        keys = self.tri_keys
        if len(keys) == 0:
            return np.log(np.maximum(p, 1e-12))
        ctx = (u << _SHIFT) | v
        query = (ctx << _SHIFT) | w
        i = np.searchsorted(keys, query)
        at = np.minimum(i, len(keys) - 1)
        before = np.maximum(i - 1, 0)
        # Trigrams are sorted by context, so a seen context has a trigram at `at` or `before`.
        ci = np.where((keys[at] >> _SHIFT) == ctx, self.tri_ctx[at],
                      np.where((keys[before] >> _SHIFT) == ctx, self.tri_ctx[before], -1))
        g3 = np.where(ci >= 0, self.ctx_g[np.maximum(ci, 0)], 1.0)
        a3 = np.where(keys[at] == query, self.tri_a[at], 0.0)
        return np.log(np.maximum(a3 + g3 * p, 1e-12))

    def logprob(self, syllables: list[str]) -> float:
        """Natural-log probability of a sentence of tokens (with <s> and </s> added)."""
        tokens = [s if s in self.index else lm_token(s) for s in syllables]
        ids = np.concatenate([[self.bos, self.bos], self.ids(tokens), [self.eos]])
        return float(self.logprob_ids(ids[:-2], ids[1:-1], ids[2:]).sum())

    # ------------------------------------------------------------------ decoding
    def decode(self, lattice: list[list[tuple[str, float]]], beam: int = 8) -> list[tuple[str, float]]:
        """Best candidate per position, with a confidence in [0, 1] (local posterior share)."""
        return self.decode_many([lattice], beam)[0]

    def decode_many(self, lattices: list[list[list[tuple[str, float]]]], beam: int = 8) -> list[list[tuple[str, float]]]:
        """`decode` for many lattices (e.g. the lines of a document) in one batched pass: the
        lines are decoded in lock-step, so the numpy work of one position is shared by all."""
        for lat in lattices:
            _check(lat)
        known, token_id = self._token_ids, self.token_id  # the memo read inline: a call per candidate costs more
        cand_ids = [[[known.get(c) or token_id(c) for c, _ in pos] for pos in lat] for lat in lattices]
        channel = [[np.array([lp for _, lp in pos], dtype=np.float64) for pos in lat] for lat in lattices]
        choices = self._viterbi_batch(cand_ids, channel, beam)
        return self._confidences(lattices, cand_ids, channel, choices)

    def _viterbi_batch(self, cand_ids, channel, beam: int) -> list[list[int]]:
        """Lock-step beam Viterbi over several lattices. A candidate is one or more tokens
        ("nay Điều" for a lost space); the hypothesis state is its last two tokens."""
        n_lines = len(cand_ids)
        lengths = np.array([len(x) for x in cand_ids], dtype=np.int64)
        if n_lines == 0 or lengths.max() == 0:
            return [[] for _ in cand_ids]
        # Every candidate of every position of every line in one flat array, its tokens
        # padded with -1 to the longest candidate.
        sizes = np.array([len(pos) for ids in cand_ids for pos in ids], dtype=np.int64)
        pos_start = np.cumsum(sizes) - sizes
        line_base = np.cumsum(lengths) - lengths
        flat = [x for ids in cand_ids for pos in ids for x in pos]
        widths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
        tokens = np.full((len(flat), int(widths.max())), -1, dtype=np.int64)
        tokens[:, 0] = [x[0] for x in flat]
        for c in np.flatnonzero(widths > 1):
            tokens[c, :widths[c]] = flat[c]
        flat_chan = np.concatenate([c for chans in channel for c in chans])
        line = np.arange(n_lines)
        hyp_u = np.full(n_lines, self.bos, dtype=np.int64)
        hyp_v = hyp_u.copy()
        score = np.zeros(n_lines)
        back: list[tuple[np.ndarray, np.ndarray]] = []
        finals: dict[int, tuple[int, int]] = {}  # line -> (step, index of best final hyp)
        for t in range(int(lengths.max())):
            ended = lengths[line] == t
            if ended.any():
                self._finish(line, hyp_u, hyp_v, score, ended, t, finals)
                alive = ~ended
                line, hyp_u, hyp_v, score = line[alive], hyp_u[alive], hyp_v[alive], score[alive]
                alive_idx = np.flatnonzero(alive)
            else:
                alive_idx = None
            position = line_base[line] + t
            per_hyp = sizes[position]
            h = np.repeat(np.arange(len(line)), per_hyp)
            within = np.arange(len(h)) - np.repeat(np.cumsum(per_hyp) - per_hyp, per_hyp)
            c = pos_start[position[h]] + within
            u, v, w = hyp_u[h], hyp_v[h], tokens[c, 0]
            s = score[h] + flat_chan[c] + self.logprob_ids(u, v, w)
            u, v = v, w
            for k in range(1, int(widths[c].max())):
                more = np.flatnonzero(tokens[c, k] >= 0)
                w = tokens[c[more], k]
                s[more] += self.logprob_ids(u[more], v[more], w)
                u[more], v[more] = v[more], w
            keep = _best_per_line_state(line[h], u, v, s, beam)
            prev = h[keep] if alive_idx is None else alive_idx[h[keep]]
            back.append((prev, within[keep]))
            line, hyp_u, hyp_v, score = line[h[keep]], u[keep], v[keep], s[keep]
        self._finish(line, hyp_u, hyp_v, score, np.ones(len(line), bool), len(back), finals)
        out = []
        for i in range(n_lines):
            step, best = finals[i]
            choice = []
            for prev, cand in reversed(back[:step]):
                choice.append(int(cand[best]))
                best = int(prev[best])
            out.append(choice[::-1])
        return out

    def _finish(self, line, hyp_u, hyp_v, score, ended, step, finals) -> None:
        """Record the best complete hypothesis (with </s>) of each line that ends at `step`."""
        idx = np.flatnonzero(ended)
        total = score[idx] + self.logprob_ids(hyp_u[idx], hyp_v[idx], np.full(len(idx), self.eos, dtype=np.int64))
        order = np.lexsort((-total, line[idx]))
        lines_sorted = line[idx][order]
        first = np.ones(len(order), bool)
        first[1:] = lines_sorted[1:] != lines_sorted[:-1]
        for ln, i in zip(lines_sorted[first], idx[order][first]):
            finals[int(ln)] = (step, int(i))

    def _confidences(self, lattices, cand_ids, channel, choices) -> list[list[tuple[str, float]]]:
        """Per lattice, the chosen candidates with their local posterior share."""
        path: list[int] = []
        starts: list[list[int]] = []
        for ids_line, choice in zip(cand_ids, choices):
            path.extend((self.bos, self.bos))
            line_starts = []
            for ids, k in zip(ids_line, choice):
                line_starts.append(len(path))
                path.extend(ids[k])
            path.extend((self.eos, self.eos))
            starts.append(line_starts)
        seq = np.array(path, dtype=np.int64)
        shares = self._shares(seq, starts, cand_ids, channel, choices)
        out = []
        for n, (lattice, ids_line, choice) in enumerate(zip(lattices, cand_ids, choices)):
            out.append([(pos[0][0], 1.0) if len(ids) == 1 else (pos[k][0], shares[n, t])
                        for t, (pos, ids, k) in enumerate(zip(lattice, ids_line, choice))])
        return out

    def _shares(self, seq, starts, cand_ids, channel, choices) -> dict[tuple[int, int], float]:
        """Posterior share of the chosen candidate at every position with a choice, in one
        vectorised pass: each candidate x (one or more tokens) is scored in place of the chosen
        one as channel + the log-probs of the trigrams that see it, up to the two tokens after
        it — log p(x1 | u v) + … + log p(n2 | x_last n1). Each candidate is written in a row
        between the chosen path's two tokens before and two after it, and the trigrams of
        all rows are scored one column at a time."""
        positions = [(n, t) for n, ids_line in enumerate(cand_ids) for t, ids in enumerate(ids_line) if len(ids) > 1]
        if not positions:
            return {}
        sizes = np.array([len(cand_ids[n][t]) for n, t in positions], dtype=np.int64)
        flat = [x for n, t in positions for x in cand_ids[n][t]]
        widths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
        start = np.repeat(np.array([starts[n][t] for n, t in positions], dtype=np.int64), sizes)
        end = start + np.repeat(np.array([len(cand_ids[n][t][choices[n][t]]) for n, t in positions]), sizes)
        rows = np.zeros((len(flat), int(widths.max()) + 4), dtype=np.int64)
        every = np.arange(len(flat))
        rows[:, 0], rows[:, 1], rows[:, 2] = seq[start - 2], seq[start - 1], [x[0] for x in flat]
        for c in np.flatnonzero(widths > 1):
            rows[c, 2:2 + widths[c]] = flat[c]
        rows[every, widths + 2], rows[every, widths + 3] = seq[end], seq[end + 1]
        local = np.zeros(len(flat))
        for k in range(2, rows.shape[1]):
            live = np.flatnonzero(widths + 4 > k)
            local[live] += self.logprob_ids(rows[live, k - 2], rows[live, k - 1], rows[live, k])
        return _chosen_shares(positions, sizes, local, channel, choices)

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


def _check(lattice) -> None:
    for t, pos in enumerate(lattice):
        if not pos:
            raise ValueError(f"lattice position {t} has no candidates")


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray, default: float) -> np.ndarray:
    if len(keys) == 0:
        return np.full(query.shape, default, dtype=np.float32)
    i = np.searchsorted(keys, query)
    i = np.minimum(i, len(keys) - 1)
    return np.where(keys[i] == query, values[i], default)


def _best_per_line_state(line, v, w, s, beam: int) -> np.ndarray:
    """Per line: the best hypothesis of each (v, w) state, then the `beam` best states and
    the best state of each last token w. Hypotheses more than PRUNE_GAP below their line's
    best are dropped first."""
    top = np.full(int(line.max()) + 1, -np.inf)
    np.maximum.at(top, line, s)
    near = np.flatnonzero(s >= top[line] - PRUNE_GAP)
    line, v, w, s = line[near], v[near], w[near], s[near]
    state = (line << (2 * _SHIFT)) | (v << _SHIFT) | w
    order = np.lexsort((-s, state))
    key = state[order]
    first = np.ones(len(order), bool)
    first[1:] = key[1:] != key[:-1]
    best = order[first]
    best = best[np.lexsort((-s[best], line[best]))]
    ln = line[best]
    start = np.ones(len(best), bool)
    start[1:] = ln[1:] != ln[:-1]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(best)), 0))
    rank = np.arange(len(best)) - group_start
    _, first_of_w = np.unique((ln << _SHIFT) | w[best], return_index=True)
    keep = rank < beam
    keep[first_of_w] = True
    return near[best[keep]]


def _chosen_shares(positions, sizes, local, channel, choices) -> dict[tuple[int, int], float]:
    """Softmax of channel + local LM score over each position's candidates (`sizes` of them,
    flat in `local`), and the share of the chosen one."""
    first = np.cumsum(sizes) - sizes
    score = np.concatenate([channel[n][t] for n, t in positions]) + local
    post = np.exp(score - np.repeat(np.maximum.reduceat(score, first), sizes))
    chosen = first + np.array([choices[n][t] for n, t in positions])
    share = post[chosen] / np.add.reduceat(post, first)
    return dict(zip(positions, share.tolist()))


@cache
def get_lm() -> LanguageModel:
    """The project's language model, loaded once from models/lm/."""
    from .errors import ChithiError

    if not (MODEL_DIR / "lm.npz").exists():
        raise ChithiError(str(MODEL_DIR), "language model not found; train it with scripts/train_lm.py")
    return LanguageModel.load(MODEL_DIR)
