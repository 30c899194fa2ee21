"""The OCR channel search as `pipeline.repair.garble` ran it in Python, on dicts keyed by the reading's
text, before it was compiled (pipeline/repair/garble_kernels.py). The tests search the tokens of
real documents with both and require the same candidates, scores and syllable starts."""

from __future__ import annotations

import math

from pipeline.repair.channel import (
    BEAM,
    END,
    MARGIN,
    MAX_SYLLABLES_PER_TOKEN,
    PRIOR_WEIGHT,
    UNSEEN_IDENTITY_LOGPROB,
    _deletion_steps,
    _letter_steps,
    _trie,
    _unigram_logprob,
    channel,
)


def _walk(node: dict, chunk: str) -> dict | None:
    for char in chunk:
        node = node.get(char) if char != END else None
        if node is None:
            return None
    return node


class _Frontier:
    """Partial readings of the observed token up to one position: text -> (score, trie node,
    syllable starts), the best score kept per text.

    The frontier is cut to its BEAM best readings within MARGIN of the best, and scores only
    fall as a reading grows (every log-prob is <= 0). So a reading offered below the floor
    (MARGIN under the best so far, or under the BEAM-th best distinct reading so far, which is
    recomputed after every BEAM new readings) can never survive the cut: it is refused at
    once, before it costs a dictionary entry, a sort, or the expansion of its own children.
    """

    __slots__ = ("states", "best", "floor", "_fresh", "beam", "margin")

    def __init__(self, beam: int = BEAM, margin: float = MARGIN) -> None:
        self.beam, self.margin = beam, margin
        self.states: dict[str, tuple[float, dict, tuple[int, ...]]] = {}
        self.best = -math.inf
        self.floor = -math.inf  # offers below it are refused
        self._fresh = 0  # readings added since the BEAM-th best was last found

    def offer(self, text: str, score: float, node: dict, starts: tuple[int, ...]) -> None:
        if score < self.floor:
            return
        if score > self.best:
            self.best = score
            self.floor = max(self.floor, score - self.margin)
        old = self.states.get(text)
        if old is None:
            self._fresh += 1
            if self._fresh >= self.beam:
                self._raise_floor()
        elif score <= old[0]:
            return
        self.states[text] = (score, node, starts)

    def _raise_floor(self) -> None:
        self._fresh = 0
        if len(self.states) >= self.beam:
            kth = sorted((state[0] for state in self.states.values()), reverse=True)[self.beam - 1]
            self.floor = max(self.floor, kth)

    def cut(self) -> list[tuple[str, tuple[float, dict, tuple[int, ...]]]]:
        """The BEAM best readings within MARGIN of the best, best first."""
        floor = self.best - self.margin
        states = sorted(self.states.items(), key=lambda item: item[1][0], reverse=True)[:self.beam]
        return [state for state in states if state[1][0] >= floor]

    def prune(self) -> None:
        """Drop at once the readings that the cut would drop, keeping the order they were
        offered in (which breaks ties), so that only survivors are extended further."""
        if len(self.states) > self.beam:
            self._raise_floor()
        self.floor = max(self.floor, self.best - self.margin)
        self.states = {text: state for text, state in self.states.items() if state[0] >= self.floor}


def search(observed: str, top_k: int, beam: int, margin: float) -> tuple[tuple[str, float, tuple[int, ...]], ...]:
    model, root = channel(), _trie()
    n = len(observed)
    frontier = [_Frontier(beam, margin) for _ in range(n + 1)]
    frontier[0].offer("", 0.0, root, (0,))
    states: list = []
    for j in range(n + 1):
        here = frontier[j]
        # Letters the OCR dropped and spaces it lost, only from the readings that survive the
        # cut (a reading's extensions score below it, so those of a dropped one would drop too).
        here.prune()
        for text, (score, node, starts) in list(here.states.items()):
            if _deletion_steps(node):
                _offer_deletions(here, text, score, node, starts)
            if END in node and 0 < j < n and text.count(" ") < MAX_SYLLABLES_PER_TOKEN - 1:
                here.offer(text + " ", score + model.merge, root, starts + (j,))
        states = here.cut()
        if j == n:
            break
        steps = _letter_steps(observed[j])
        chunks = [(k, true, lp) for k in range(1, min(model.longest, n - j) + 1) for true, lp in model.chunks.get(observed[j:j + k], ())]
        unseen_floor = states[0][1][0] - margin if states else 0.0  # unseen confusions only from near the best
        following = frontier[j + 1]
        for text, (score, node, starts) in states:
            if score + model.unseen >= unseen_floor:
                _offer_any_letter(following, text, score, node, starts, observed[j], model.unseen)
                if text and text[-1] != " ":  # a stray character the OCR added inside a syllable
                    following.offer(text, score + model.unseen, node, starts)
            else:
                _offer_letters(following, text, score, node, starts, steps)
            for k, true, lp in chunks:
                if score + lp < frontier[j + k].floor:
                    continue
                after = _walk(node, true)
                if after is not None:
                    frontier[j + k].offer(text + true, score + lp, after, starts)
    finals = [(text, score, starts) for text, (score, node, starts) in states if END in node]
    prior = _unigram_logprob()
    finals.sort(key=lambda item: -(item[1] + PRIOR_WEIGHT * sum(prior.get(s, -20.0) for s in item[0].split(" "))))
    return tuple(finals[:top_k])


def _offer_deletions(here: _Frontier, text: str, score: float, node: dict, starts: tuple[int, ...]) -> None:
    """Readings with one more letter that the OCR dropped, likeliest first."""
    for lp, char, child in _deletion_steps(node):
        if score + lp < here.floor:
            break
        here.offer(text + char, score + lp, child, starts)


def _offer_letters(following: _Frontier, text: str, score: float, node: dict, starts: tuple[int, ...],
                   steps: dict[str, float]) -> None:
    """Readings one character longer: the true characters the observed one is known for.

    Deep in the trie a node has a child or two, so its children are looked up among the
    steps; near the root the steps are fewer, so they are looked up among the children,
    likeliest first, until they fall below what the next frontier keeps."""
    if len(node) <= len(steps):
        for char, child in node.items():
            lp = steps.get(char)
            if lp is not None and score + lp >= following.floor:
                following.offer(text + char, score + lp, child, starts)
        return
    for char, lp in steps.items():
        if score + lp < following.floor:
            break
        child = node.get(char)
        if child is not None:
            following.offer(text + char, score + lp, child, starts)


def _offer_any_letter(following: _Frontier, text: str, score: float, node: dict, starts: tuple[int, ...],
                      observed: str, unseen: float) -> None:
    """Readings one character longer from a reading near the best: any letter of the trie,
    at the unseen-confusion log-prob when the channel does not know it for `observed`."""
    letters = channel().letters.get(observed, {})
    same = observed.lower()
    for char, child in node.items():
        if char == END:
            continue
        lp = letters.get(char)
        if lp is None:
            lp = UNSEEN_IDENTITY_LOGPROB if char == same else unseen
        following.offer(text + char, score + lp, child, starts)
