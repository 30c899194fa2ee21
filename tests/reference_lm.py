"""The numpy formulation of the language model's decoder, as pipeline.repair.lm ran it before its
inner loops were compiled (pipeline/lm_kernels.py): lines decoded in lock-step, one
vectorised `np.searchsorted` per step. The tests decode real documents' lattices with both
and require the same choices and confidences."""

from __future__ import annotations

import numpy as np

from pipeline.repair.lm import _SHIFT, PRUNE_GAP, _check


def decode_many(self, lattices: list[list[list[tuple[str, float]]]], beam: int = 8,
                channel_weight: float = 1.0) -> list[list[tuple[str, float]]]:
    """`decode` for many lattices (e.g. the lines of a document) in one batched pass: the
    lines are decoded in lock-step, so the numpy work of one position is shared by all.
    A candidate's tuple starts with its text and channel log-prob, scaled by channel_weight."""
    for lat in lattices:
        _check(lat)
    known, token_id = self._token_ids, self.token_id  # the memo read inline: a call per candidate costs more
    cand_ids = [[[known.get(c[0]) or token_id(c[0]) for c in pos] for pos in lat] for lat in lattices]
    channel = [[np.array([c[1] * channel_weight for c in pos], dtype=np.float64) for pos in lat] for lat in lattices]
    choices = _viterbi_batch(self, cand_ids, channel, beam)
    return _confidences(self, lattices, cand_ids, channel, choices)


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
            _finish(self, line, hyp_u, hyp_v, score, ended, t, finals)
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
        s = score[h] + flat_chan[c] + logprob_ids(self, u, v, w)
        u, v = v, w
        for k in range(1, int(widths[c].max())):
            more = np.flatnonzero(tokens[c, k] >= 0)
            w = tokens[c[more], k]
            s[more] += logprob_ids(self, u[more], v[more], w)
            u[more], v[more] = v[more], w
        keep = _best_per_line_state(line[h], u, v, s, beam)
        prev = h[keep] if alive_idx is None else alive_idx[h[keep]]
        back.append((prev, within[keep]))
        line, hyp_u, hyp_v, score = line[h[keep]], u[keep], v[keep], s[keep]
    _finish(self, line, hyp_u, hyp_v, score, np.ones(len(line), bool), len(back), finals)
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
    total = score[idx] + logprob_ids(self, hyp_u[idx], hyp_v[idx], np.full(len(idx), self.eos, dtype=np.int64))
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
    shares = _shares(self, seq, starts, cand_ids, channel, choices)
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
        local[live] += logprob_ids(self, rows[live, k - 2], rows[live, k - 1], rows[live, k])
    return _chosen_shares(positions, sizes, local, channel, choices)


def trigram_contexts(self) -> np.ndarray:
    """For each trigram, the index of its context's weight in ctx_g (-1 if none), so one
    search of the trigram keys also finds the context (made once per model)."""
    found = getattr(self, "_reference_tri_ctx", None)
    if found is None:
        ctx = self.tri_keys >> _SHIFT
        i = np.minimum(np.searchsorted(self.ctx_keys, ctx), max(len(self.ctx_keys) - 1, 0))
        found = np.where(self.ctx_keys[i] == ctx, i, -1)
        self._reference_tri_ctx = found
    return found


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
    ci = np.where((keys[at] >> _SHIFT) == ctx, trigram_contexts(self)[at],
                  np.where((keys[before] >> _SHIFT) == ctx, trigram_contexts(self)[before], -1))
    g3 = np.where(ci >= 0, self.ctx_g[np.maximum(ci, 0)], 1.0)
    a3 = np.where(keys[at] == query, self.tri_a[at], 0.0)
    return np.log(np.maximum(a3 + g3 * p, 1e-12))


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
