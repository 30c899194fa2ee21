"""Compiled inner loops of the syllable language model (`pipeline.lm`), with numba.

Two kernels, on the model's plain arrays (`Arrays`):

- `logprobs(u, v, w, m)`: natural-log p(w | u v) for aligned id arrays;
- `decode(…)`: the beam decoder and the confidence of each choice, one lattice (a line of
  a document) after another.

A hypothesis finds its context once, in a hash table of the contexts, which gives the run of
trigram keys that context has (trigrams are sorted by context); each candidate is a binary
search inside that run, most often empty or short. The beam step keeps the best hypothesis
per state with a small hash table instead of sorting every expansion.

They compute what the numpy formulation they replace computed (kept in
`tests/reference_lm.py`; the tests compare the two on the lattices of real documents):

- the trigram back-off in float32, `a3 + g3 * p2`, floored at 1e-12; its log is taken in
  float64 (numpy's float32 log is off by one unit in the last place for one value in ten,
  and differs between processors, so the reference's log-probs can differ from these by that
  much; the decoder's choices are the same);
- a hypothesis' score in float64, summed in the same order;
- the same pruning: hypotheses more than `gap` below the line's best are dropped; of the
  rest, the best hypothesis of each state (its last two tokens) is kept, then the `beam`
  best states and the best state of each last token;
- the same ties: of equal scores, the earlier hypothesis or candidate, or the smaller
  state key, as numpy's stable sorts ordered them.

The kernels are compiled on the first decode after an install or a change of this file
(about 8 s) and cached on disk (numba's `cache=True`): in `__pycache__` beside this module,
or where the package folder is read-only, in the user's cache folder or `NUMBA_CACHE_DIR`.
A process then loads them in about 0.2 s.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

SHIFT = 21  # ids < 2**21; a trigram key is u << 42 | v << 21 | w
FLOOR = np.float32(1e-12)


class Arrays(NamedTuple):
    """The language model as the kernels read it (see pipeline.lm.LanguageModel)."""

    p2: np.ndarray  # float32 [V, V]   p(w | v), the bigram level with its back-off
    tri_keys: np.ndarray  # int64 sorted  u << 42 | v << 21 | w
    tri_a: np.ndarray  # float32          discounted trigram probabilities
    ctx_keys: np.ndarray  # int64 sorted  u << 21 | v, the contexts of the trigrams
    ctx_start: np.ndarray  # int64 [C + 1] the trigrams of context i are tri_keys[ctx_start[i]:ctx_start[i + 1]]
    ctx_slot: np.ndarray  # int64          open-addressing table of the contexts: their index, or -1
    ctx_g: np.ndarray  # float32         weight of the bigram level after u v


@njit(cache=True, inline="always")
def lower_bound(keys, lo, hi, query):
    """The first index in [lo, hi) whose key is >= query (np.searchsorted, side="left")."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < query:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def context_table(ctx_keys):
    """`Arrays.ctx_slot` for the sorted context keys: a table at most half full, so a
    context is found in one or two probes (a binary search of the trigram keys, 15 MB,
    cost ten times as much)."""
    size = 16
    while size < 2 * ctx_keys.shape[0]:
        size <<= 1
    slots = np.full(size, -1, dtype=np.int64)
    for i in range(ctx_keys.shape[0]):
        h = hash_key(ctx_keys[i]) & (size - 1)
        while slots[h] >= 0:
            h = (h + 1) & (size - 1)
        slots[h] = i
    return slots


@njit(cache=True, inline="always")
def _context(u, v, m):
    """The trigrams of context (u v), as the range [lo, hi) of the trigram keys (they are
    sorted by context), and the context's weight g3 (1 for a context with no trigram)."""
    ctx = (u << SHIFT) | v
    mask = m.ctx_slot.shape[0] - 1
    h = hash_key(ctx) & mask
    while m.ctx_slot[h] >= 0:
        i = m.ctx_slot[h]
        if m.ctx_keys[i] == ctx:
            return m.ctx_start[i], m.ctx_start[i + 1], m.ctx_g[i]
        h = (h + 1) & mask
    return 0, 0, np.float32(1.0)


@njit(cache=True, inline="always")
def _logprob_in(lo, hi, g3, u, v, w, m):
    """log p(w | u v) = log(a3(u v w) + g3(u v) * p2[v, w]) given the context's range and
    weight (`_context`): the probability in float32 as the model stores its parts, its log
    in float64."""
    a3 = np.float32(0.0)
    if lo < hi:
        query = (((u << SHIFT) | v) << SHIFT) | w
        at = lower_bound(m.tri_keys, lo, hi, query)
        if at < hi and m.tri_keys[at] == query:
            a3 = m.tri_a[at]
    return np.log(np.float64(max(a3 + g3 * m.p2[v, w], FLOOR)))


@njit(cache=True, inline="always")
def _logprob(u, v, w, m):
    """log p(w | u v) (see `_logprob_in`)."""
    lo, hi, g3 = _context(u, v, m)
    return _logprob_in(lo, hi, g3, u, v, w, m)


@njit(cache=True)
def logprobs(u, v, w, m):
    """log p(w[i] | u[i] v[i]) for every i."""
    out = np.empty(u.shape[0])
    for i in range(u.shape[0]):
        out[i] = _logprob(u[i], v[i], w[i], m)
    return out


@njit(cache=True)
def decode(lengths, sizes, tokens, widths, channel, m, bos, eos, beam, gap):
    """Best candidate of every position of every lattice, and its confidence.

    lengths[n]: positions of lattice n; sizes[k]: candidates of position k (positions of all
    lattices in a row); tokens[c, :widths[c]]: the ids of candidate c (all candidates in a
    row); channel[c]: its channel log-prob. Returns, per position, the index of the chosen
    candidate among that position's, and its local posterior share (1 where it had no rival).
    """
    n_pos = sizes.shape[0]
    pos_start = np.zeros(n_pos + 1, dtype=np.int64)
    for k in range(n_pos):
        pos_start[k + 1] = pos_start[k] + sizes[k]
    choices = np.zeros(n_pos, dtype=np.int64)
    shares = np.ones(n_pos)
    first_pos = 0
    for n in range(lengths.shape[0]):
        length = lengths[n]
        _viterbi_line(first_pos, length, sizes, pos_start, tokens, widths, channel, m,
                      bos, eos, beam, gap, choices)
        _shares_line(first_pos, length, sizes, pos_start, tokens, widths, channel, m,
                     bos, eos, choices, shares)
        first_pos += length
    return choices, shares


@njit(cache=True)
def _shares_line(first_pos, length, sizes, pos_start, tokens, widths, channel, m,
                 bos, eos, choices, shares):
    """The posterior share of the chosen candidate at each position of a line with a choice:
    each candidate x (one or more tokens) is scored in place of the chosen one, as its channel
    log-prob plus the log-probs of the trigrams that see it, up to the two tokens after it
    (log p(x1 | u v) + … + log p(n2 | x_last n1)); the share is its softmax."""
    n_tokens = 4
    for t in range(length):
        n_tokens += widths[pos_start[first_pos + t] + choices[first_pos + t]]
    path = np.empty(n_tokens, dtype=np.int64)  # <s> <s> the chosen tokens </s> </s>
    starts = np.empty(length, dtype=np.int64)
    path[0], path[1] = bos, bos
    at = 2
    for t in range(length):
        starts[t] = at
        c = pos_start[first_pos + t] + choices[first_pos + t]
        for q in range(widths[c]):
            path[at] = tokens[c, q]
            at += 1
    path[at], path[at + 1] = eos, eos
    for t in range(length):
        pos = first_pos + t
        nc = sizes[pos]
        if nc == 1:
            continue
        start = starts[t]
        end = start + widths[pos_start[pos] + choices[pos]]
        score = np.empty(nc)
        lo, hi, g3 = _context(path[start - 2], path[start - 1], m)  # the same for every candidate
        for j in range(nc):
            c = pos_start[pos] + j
            u, v, w = path[start - 2], path[start - 1], tokens[c, 0]
            local = _logprob_in(lo, hi, g3, u, v, w, m)
            for q in range(1, widths[c] + 2):
                u, v = v, w
                w = tokens[c, q] if q < widths[c] else path[end + q - widths[c]]
                local += _logprob(u, v, w, m)
            score[j] = channel[c] + local
        post = np.exp(score - score.max())
        total = 0.0
        for j in range(nc):
            total += post[j]
        shares[pos] = post[choices[pos]] / total


@njit(cache=True)
def _viterbi_line(first_pos, length, sizes, pos_start, tokens, widths, channel, m,
                  bos, eos, beam, gap, choices):
    if length == 0:
        return
    # Back-pointers of every step in one buffer: a step keeps at most `beam` states plus one
    # per distinct last token, so at most beam + (candidates of the position) hypotheses.
    room = 0
    for t in range(length):
        room += beam + sizes[first_pos + t]
    back_prev = np.empty(room, dtype=np.int64)
    back_cand = np.empty(room, dtype=np.int64)
    step_start = np.zeros(length + 1, dtype=np.int64)
    hyp_u = np.full(1, bos, dtype=np.int64)
    hyp_v = np.full(1, bos, dtype=np.int64)
    score = np.zeros(1)
    for t in range(length):
        pos = first_pos + t
        c0, nc, nh = pos_start[pos], sizes[pos], hyp_u.shape[0]
        eu = np.empty(nh * nc, dtype=np.int64)
        ev = np.empty(nh * nc, dtype=np.int64)
        es = np.empty(nh * nc)
        top = -np.inf
        e = 0
        for i in range(nh):  # every hypothesis × every candidate, in that order
            lo, hi, g3 = _context(hyp_u[i], hyp_v[i], m)
            for j in range(nc):
                c = c0 + j
                u, v, w = hyp_u[i], hyp_v[i], tokens[c, 0]
                s = score[i] + channel[c] + _logprob_in(lo, hi, g3, u, v, w, m)
                u, v = v, w
                for q in range(1, widths[c]):
                    w = tokens[c, q]
                    s += _logprob(u, v, w, m)
                    u, v = v, w
                eu[e], ev[e], es[e] = u, v, s
                top = max(top, s)
                e += 1
        keep = _prune(eu, ev, es, top - gap, beam)
        k = keep.shape[0]
        step_start[t + 1] = step_start[t] + k
        new_u = np.empty(k, dtype=np.int64)
        new_v = np.empty(k, dtype=np.int64)
        new_s = np.empty(k)
        for r in range(k):
            x = keep[r]
            back_prev[step_start[t] + r] = x // nc
            back_cand[step_start[t] + r] = x % nc
            new_u[r], new_v[r], new_s[r] = eu[x], ev[x], es[x]
        hyp_u, hyp_v, score = new_u, new_v, new_s
    # The best complete hypothesis, with </s>; the first of equals.
    best, best_total = 0, -np.inf
    for i in range(hyp_u.shape[0]):
        total = score[i] + _logprob(hyp_u[i], hyp_v[i], eos, m)
        if total > best_total:
            best, best_total = i, total
    for t in range(length - 1, -1, -1):
        at = step_start[t] + best
        choices[first_pos + t] = back_cand[at]
        best = back_prev[at]


@njit(cache=True)
def _prune(eu, ev, es, floor, beam):
    """Indices of the hypotheses kept, best first, as pipeline.lm's numpy formulation chose
    them with its sorts: of the hypotheses at or above `floor`, the best of each state (u v),
    the earlier one of equals; of those, the `beam` best and the best of each last token v,
    ranked by score, then by state key."""
    n_hyp = es.shape[0]
    size = 16
    while size < 2 * n_hyp:
        size <<= 1
    mask = size - 1
    # The best hypothesis of each state, found with an open-addressing table of states.
    slots = np.full(size, -1, dtype=np.int64)
    best = np.empty(n_hyp, dtype=np.int64)
    n = 0
    for e in range(n_hyp):
        if es[e] < floor:
            continue
        key = (eu[e] << SHIFT) | ev[e]
        h = hash_key(key) & mask
        while True:
            slot = slots[h]
            if slot < 0:
                slots[h], best[n] = n, e
                n += 1
                break
            x = best[slot]
            if ((eu[x] << SHIFT) | ev[x]) == key:
                if es[e] > es[x]:
                    best[slot] = e
                break
            h = (h + 1) & mask
    # The `beam` best states (kept sorted, by insertion), and the best state of each last token.
    top = np.empty(beam, dtype=np.int64)
    n_top = 0
    last = np.full(size, -1, dtype=np.int64)  # open-addressing table: last token → best state
    for r in range(n):
        e = best[r]
        if n_top < beam or _ahead(e, top[n_top - 1], eu, ev, es):
            _insert(top, min(n_top, beam - 1), e, eu, ev, es)  # full: the last one drops out
            n_top = min(n_top + 1, beam)
        h = hash_key(ev[e]) & mask
        while last[h] >= 0 and ev[last[h]] != ev[e]:
            h = (h + 1) & mask
        if last[h] < 0 or _ahead(e, last[h], eu, ev, es):
            last[h] = e
    kept = np.empty(n_top + n, dtype=np.int64)
    kept[:n_top] = top[:n_top]
    n_kept = n_top
    for h in range(size):
        e = last[h]
        if e >= 0 and not _in(e, top, n_top):
            _insert(kept, n_kept, e, eu, ev, es)
            n_kept += 1
    return kept[:n_kept]


@njit(cache=True, inline="always")
def _insert(order, k, e, eu, ev, es):
    """Put hypothesis e into order[:k + 1], ranked (`_ahead`), moving the ones it passes up."""
    while k > 0 and _ahead(e, order[k - 1], eu, ev, es):
        order[k] = order[k - 1]
        k -= 1
    order[k] = e


@njit(cache=True, inline="always")
def _ahead(a, b, eu, ev, es):
    """Whether hypothesis a ranks before b: a higher score, or an equal one and a smaller
    state key."""
    if es[a] != es[b]:
        return es[a] > es[b]
    return ((eu[a] << SHIFT) | ev[a]) < ((eu[b] << SHIFT) | ev[b])


@njit(cache=True, inline="always")
def _in(e, array, n):
    for k in range(n):
        if array[k] == e:
            return True
    return False


@njit(cache=True, inline="always")
def hash_key(key):
    """A hash of a non-negative int64 key for an open-addressing table (Fibonacci hashing,
    top bits mixed down); `& (size - 1)` gives the slot."""
    x = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(x ^ (x >> np.uint64(29)))
