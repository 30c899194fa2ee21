"""Compiled search of the OCR channel (`pipeline.garble`), with numba.

`search` inverts the channel over the trie of Vietnamese syllables for one observed token:
it reads the token left to right and keeps, at every position, a frontier of partial
readings. It does what the Python search it replaced did, step by step (that search is kept
in `tests/reference_garble.py`, whose `_Frontier` the helpers below are named after; the tests
compare the two on the tokens of real documents), on integer arrays instead of dicts and
strings:

- a reading is the pair (first, node): `node` is the trie node of the syllable being read
  (a trie node stands for its prefix), `first` the node of the syllable before a lost space,
  or -1; its text is first's syllable + " " + node's prefix. Readings with the same text are
  one, as the dict keyed by text made them;
- a frontier keeps its readings in the order they were first offered (ties of score are
  broken by it) and finds them with an open-addressing table; a better offer of a known
  reading replaces its score in place;
- the floors, the cut and the pruning are those of `_Frontier`.

A search's frontiers live in (position × capacity) arrays kept from one search to the next.
When a frontier would overflow, the search stops and says so; the caller runs it again
with twice the capacity, which gives the same result (the search is deterministic).

Compiled on first use after an install or a change of this file and cached on disk, as
`pipeline.lm_kernels` is.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .lm_kernels import hash_key, lower_bound


class Trie(NamedTuple):
    """The syllable trie as arrays; node 0 is the root."""

    child_start: np.ndarray  # int64 [N + 1]  the children of node x are child_*[child_start[x]:child_start[x + 1]]
    child_char: np.ndarray  # int64         the child's letter, as an index into the channel's letter columns
    child_node: np.ndarray  # int64
    is_end: np.ndarray  # bool [N]          a syllable ends at the node
    width: np.ndarray  # int64 [N]          children, plus one where a syllable ends (len() of the dict node)
    drop_start: np.ndarray  # int64 [N + 1]  the children whose letter the OCR may drop, likeliest first:
    drop_lp: np.ndarray  # float64           log P(dropped), and
    drop_node: np.ndarray  # int64           the child


class Letters(NamedTuple):
    """The channel's single-letter rules, one row per observed character."""

    table: np.ndarray  # float64 [O, L]  log P(observed | true letter); NaN where the channel has none
    steps: np.ndarray  # int64 [O, S]    true letters of each row, likeliest first (-1: a letter no syllable has; padding)
    step_lp: np.ndarray  # float64 [O, S]
    n_steps: np.ndarray  # int64 [O]


class Chunks(NamedTuple):
    """The multi-character rules that apply at each position of one observed token."""

    start: np.ndarray  # int64 [n + 1]   the rules at position j are rows start[j]:start[j + 1]
    length: np.ndarray  # int64          observed characters the rule reads
    lp: np.ndarray  # float64
    chars_start: np.ndarray  # int64 [R + 1]  its true letters: chars[chars_start[r]:chars_start[r + 1]]
    chars: np.ndarray  # int64             (-1: a letter no syllable has)


def search(observed: np.ndarray, letters: Letters, chunks: Chunks, trie: Trie, beam: int, margin: float, merge: float,
           unseen: float, capacity: int):
    """The readings of `observed` (letter-row indices) that survive the last cut and end a
    syllable, best first: (first, node, score, start of the second syllable or -1).
    The last value is False when a frontier outgrew `capacity` (nothing else is valid then).

    The frontiers' arrays are kept from one search to the next: fresh ones cost page faults,
    as much as a wide search itself."""
    return _search(observed, letters, chunks, trie, beam, margin, merge, unseen,
                   *_workspace(observed.shape[0] + 1, capacity))


_WORKSPACE: dict[int, tuple[np.ndarray, ...]] = {}  # capacity → the frontiers' arrays
KEPT_POSITIONS = 32  # arrays for longer tokens (a run of garbage) are made for the one search


def _workspace(positions: int, capacity: int) -> tuple[np.ndarray, ...]:
    """Arrays for `positions` frontiers of `capacity` readings: those kept for the capacity,
    or new ones for a token longer than KEPT_POSITIONS (not kept: they can be large)."""
    arrays = _WORKSPACE.get(capacity)
    if arrays is None or arrays[0].shape[0] < positions:
        rows = max(positions, KEPT_POSITIONS)
        slots = 16
        while slots < 2 * capacity:
            slots <<= 1
        arrays = (np.empty((rows, capacity), dtype=np.int64), np.empty((rows, capacity)),
                  np.empty((rows, capacity), dtype=np.int64), np.empty((rows, slots), dtype=np.int64))
        if rows == KEPT_POSITIONS:
            _WORKSPACE[capacity] = arrays
    return arrays


@njit(cache=True)
def _search(observed, letters, chunks, trie, beam, margin, merge, unseen, keys, scores, second, slot):
    # The helpers are closures over the arrays, which numba inlines: a call that passes
    # arrays costs an atomic reference count per array, more than the work of an offer.
    table, steps, step_lp, n_steps = letters
    chunk_start, chunk_length, chunk_lp, chars_start, chars = chunks
    child_start, child_char, child_node, is_end, width, drop_start, drop_lp, drop_node = trie
    n = observed.shape[0]
    positions = n + 1
    capacity = keys.shape[1]
    mask = slot.shape[1] - 1
    n_nodes = is_end.shape[0]
    # Frontier j: readings keys[j, :count[j]] = (first + 1) * n_nodes + node, their scores and
    # second-syllable starts; slot[j] finds a key's row (open addressing, -1: free).
    slot[:positions, :] = -1
    count = np.zeros(positions, dtype=np.int64)
    best = np.full(positions, -np.inf)
    floor = np.full(positions, -np.inf)
    fresh = np.zeros(positions, dtype=np.int64)

    def child(node, letter):
        """The child of `node` by `letter` (binary search of its sorted children), or -1."""
        if letter < 0:
            return -1
        at = lower_bound(child_char, child_start[node], child_start[node + 1], letter)
        return child_node[at] if at < child_start[node + 1] and child_char[at] == letter else -1

    def find(j, key):
        """The row of `key` in frontier j, or -(its free slot) - 1."""
        h = hash_key(key) & mask
        while slot[j, h] >= 0:
            if keys[j, slot[j, h]] == key:
                return slot[j, h]
            h = (h + 1) & mask
        return -h - 1

    def raise_floor(j):
        """`_Frontier._raise_floor`: the floor rises to the beam-th best score."""
        fresh[j] = 0
        if count[j] >= beam:
            kth = np.partition(scores[j, :count[j]], count[j] - beam)[count[j] - beam]
            floor[j] = max(floor[j], kth)

    def offer(j, key, score, start):
        """`_Frontier.offer`: add or improve a reading of frontier j. False when it is full."""
        if score < floor[j]:
            return True
        if score > best[j]:
            best[j] = score
            floor[j] = max(floor[j], score - margin)
        row = find(j, key)
        if row < 0:
            fresh[j] += 1
            if fresh[j] >= beam:
                raise_floor(j)
            if count[j] == capacity:
                return False
            slot[j, -row - 1] = count[j]
            row = count[j]
            keys[j, row] = key
            count[j] += 1
        elif score <= scores[j, row]:
            return True
        scores[j, row] = score
        second[j, row] = start
        return True

    def prune(j):
        """`_Frontier.prune`: drop the readings the cut would drop, keeping the others' order."""
        if count[j] > beam:
            raise_floor(j)
        floor[j] = max(floor[j], best[j] - margin)
        kept = 0
        for r in range(count[j]):
            if scores[j, r] >= floor[j]:
                keys[j, kept], scores[j, kept], second[j, kept] = keys[j, r], scores[j, r], second[j, r]
                kept += 1
        if kept < count[j]:
            count[j] = kept
            slot[j, :] = -1
            for r in range(kept):
                slot[j, -find(j, keys[j, r]) - 1] = r

    empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0), np.empty(0, dtype=np.int64))
    ok = offer(0, 0, 0.0, -1)  # the empty reading, at the root
    for j in range(positions):
        prune(j)
        here = count[j]
        snap_keys, snap_scores, snap_second = keys[j, :here].copy(), scores[j, :here].copy(), second[j, :here].copy()
        # Letters the OCR dropped and spaces it lost, from the readings that survived the pruning.
        for r in range(here):
            first, node, score = snap_keys[r] // n_nodes - 1, snap_keys[r] % n_nodes, snap_scores[r]
            for d in range(drop_start[node], drop_start[node + 1]):
                if score + drop_lp[d] < floor[j]:
                    break
                ok &= offer(j, (first + 1) * n_nodes + drop_node[d], score + drop_lp[d], snap_second[r])
            if is_end[node] and 0 < j < n and first < 0:
                ok &= offer(j, (node + 1) * n_nodes, score + merge, j)
        cut = _cut(scores[j, :count[j]], best[j], beam, margin)
        if not ok:
            return empty + (False,)
        if j == n:
            return _finals(keys[j], scores[j], second[j], cut, is_end, n_nodes) + (True,)
        row = observed[j]
        unseen_floor = scores[j, cut[0]] - margin if cut.shape[0] else 0.0
        for r in cut:
            key, score, start = keys[j, r], scores[j, r], second[j, r]
            first, node = key // n_nodes - 1, key % n_nodes
            base = (first + 1) * n_nodes
            if score + unseen >= unseen_floor:
                # Near the best: any letter of the trie, at the unseen log-prob where the channel has none.
                for c in range(child_start[node], child_start[node + 1]):
                    lp = table[row, child_char[c]]
                    ok &= offer(j + 1, base + child_node[c], score + (unseen if np.isnan(lp) else lp), start)
                if node != 0:  # a stray character the OCR added inside a syllable
                    ok &= offer(j + 1, key, score + unseen, start)
            elif width[node] <= n_steps[row]:
                # Few children: look each up among the letters the observed one is known for.
                for c in range(child_start[node], child_start[node + 1]):
                    lp = table[row, child_char[c]]
                    if not np.isnan(lp) and score + lp >= floor[j + 1]:
                        ok &= offer(j + 1, base + child_node[c], score + lp, start)
            else:
                # Many children: the known letters, likeliest first, until they fall below the floor.
                for s in range(n_steps[row]):
                    lp = step_lp[row, s]
                    if score + lp < floor[j + 1]:
                        break
                    after = child(node, steps[row, s])
                    if after >= 0:
                        ok &= offer(j + 1, base + after, score + lp, start)
            # The multi-character rules that start here.
            for rule in range(chunk_start[j], chunk_start[j + 1]):
                k, lp = chunk_length[rule], chunk_lp[rule]
                if score + lp < floor[j + k]:
                    continue
                after = node
                for q in range(chars_start[rule], chars_start[rule + 1]):
                    after = child(after, chars[q])
                    if after < 0:
                        break
                if after >= 0:
                    ok &= offer(j + k, base + after, score + lp, start)
        if not ok:
            return empty + (False,)
    return empty + (False,)  # not reached: the last position returns


@njit(cache=True)
def _cut(scores, best, beam, margin):
    """`_Frontier.cut`: rows of the `beam` best readings within `margin` of the best, best
    first (equal scores in the order offered: a stable sort)."""
    order = np.argsort(-scores, kind="mergesort")[:beam]
    return order[scores[order] >= best - margin]


@njit(cache=True)
def _finals(keys, scores, second, cut, is_end, n_nodes):
    """The cut readings that end a syllable: their first, node, score and second start."""
    rows = cut[is_end[keys[cut] % n_nodes]]
    return keys[rows] // n_nodes - 1, keys[rows] % n_nodes, scores[rows], second[rows]
