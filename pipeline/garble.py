"""Repair lines that an English OCR model garbled ("ViQt Nam" → "Việt Nam", "K6 ho4ch" → "Kế hoạch").

A noisy channel: `models/channel/channel.json` (scripts/train_channel.py) holds
log P(observed chunk | true chunk), learned from Vietnamese pages that the project rendered and
OCRed with `tesseract -l eng` itself (scripts/make_ocr_pairs.py). For each observed token the
channel is inverted over a trie of Vietnamese syllables (a beam search that reads the token
left to right, trying every true chunk the observed chunk can come from, letters the OCR
dropped and characters it added; compiled with numba in `pipeline.garble_kernels`); a token
may also hold two syllables whose space the OCR lost. The best candidates (channel + unigram prior) and their channel log-probs
form a lattice that the syllable language model (`pipeline.lm`) decodes.

Document codes ("2o-cTlTw" → "20-CT/TW") and dates ("O2l02l2023" → "02/02/2023") are repaired
with a small grammar (pipeline/data/ocr_codes.json): observed characters are replaced by the
digits, capitals and separators the channel says they can come from, and only readings that
parse as a code or a plausible date are kept.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from . import garble_kernels
from .errors import ChithiError
from .vietnamese import is_stripped_syllable, syllables

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "channel" / "channel.json"
DATA_DIR = Path(__file__).parent / "data"
Edit = tuple[int, int, str, float, str]

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
EDGE_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’…-–*"
TOKEN = re.compile(r"[^\s,;:()\"“”]+|[,;:()\"“”]")  # words, codes and dates keep their inner . - /
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
    if not MODEL_PATH.exists():
        raise ChithiError(str(MODEL_PATH), "OCR channel model not found; train it with scripts/train_channel.py", stage="repair")
    raw = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
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
def _inventory() -> frozenset[str]:
    """Syllables a candidate may be: those the language model knows (any syllable without one)."""
    lm = _language_model()
    return (frozenset(lm.vocab) & syllables() if lm else None) or syllables()


@cache
def _trie() -> dict:
    """Trie over the candidate syllables; a node's END key holds its syllable."""
    root: dict = {}
    for syllable in sorted(_inventory()):  # sorted: children in the same order in every process
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
        first, node, score, second, complete = garble_kernels.search(rows, letters, chunks, trie, beam, margin, model.merge,
                                                                     model.unseen, capacity)
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
    start, length, lp, chars_start, chars = [0], [], [], [0], []
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


_DELETION_STEPS: dict[int, list[tuple[float, str, dict]]] = {}  # id(trie node) -> its steps


def _deletion_steps(node: dict) -> list[tuple[float, str, dict]]:
    """(log P(dropped), letter, child) for the children of `node` whose letter the OCR may
    drop, likeliest first; found once per node (trie nodes live as long as the process)."""
    steps = _DELETION_STEPS.get(id(node))
    if steps is None:
        deletions = channel().deletions
        steps = sorted(((deletions[char], char, child) for char, child in node.items() if char != END and char in deletions),
                       key=lambda step: -step[0])
        _DELETION_STEPS[id(node)] = steps
    return steps


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
    lm = _language_model()
    return {w: float(math.log(max(p, 1e-12))) for w, p in zip(lm.vocab, lm.p1)} if lm else {}


def _case_like(candidate: str, observed: str, starts: tuple[int, ...]) -> str:
    """Give each syllable of `candidate` the case of the observed letters it was read from."""
    letters = [c for c in observed if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return candidate.upper()
    out = []
    for syllable, start in zip(candidate.split(" "), starts):
        first = observed[start:start + 1]
        out.append(syllable[:1].upper() + syllable[1:] if first.isupper() else syllable)
    return " ".join(out)


# ------------------------------------------------------------------- codes and dates

@cache
def _grammar() -> dict:
    return json.loads((DATA_DIR / "ocr_codes.json").read_text(encoding="utf-8"))


DIGITS = "0123456789"
CASE_SLIP_LOGPROB = math.log(0.5)
CAPITALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZĐ"


@cache
def _templates() -> dict[int, list[tuple[tuple[str, ...], str, float]]]:
    """Code and date shapes by length: one class of allowed characters per position, and the kind.

    Codes: <number>-<TYPE>/<ISSUER>, <number>/<TYPE>-<ISSUER>, <number>/<year>/<TYPE>-<ISSUER>;
    dates: d/m/yyyy with one-or-two-digit day and month and "/", "-" or "." between them.
    """
    grammar = _grammar()
    by_length: dict[int, list[tuple[tuple[str, ...], str, float]]] = {}
    type_prior = channel().code_types

    def add(shape: list[str], kind: str, prior: float = 0.0) -> None:
        by_length.setdefault(len(shape), []).append((tuple(shape), kind, prior))

    for day in (1, 2):
        for month in (1, 2):
            for separator in "/-.":
                prior = channel().date_separators.get(separator, 0.0)
                add([DIGITS] * day + [separator] + [DIGITS] * month + [separator] + [DIGITS] * 4, "date", prior)
    issuer_tail = CAPITALS + DIGITS
    for number in range(1, grammar["max_number_digits"] + 1):
        for issuer in range(2, grammar["max_issuer_letters"] + 1):  # 45/2019/QH14: number/year/issuer
            add([DIGITS] * number + ["/"] + [DIGITS] * 4 + ["/"] + [CAPITALS] + [issuer_tail] * (issuer - 1), "code")
        for doc_type in grammar["document_types"]:
            prior = type_prior.get(doc_type, min(type_prior.values(), default=0.0) - 1.0)
            letters = list(doc_type)
            for issuer in range(1, grammar["max_issuer_letters"] + 1):
                add([DIGITS] * number + ["-"] + letters + ["/"] + [CAPITALS] * issuer, "code", prior)
                add([DIGITS] * number + ["/"] + letters + ["-"] + [CAPITALS] * issuer, "code", prior)
                add([DIGITS] * number + ["/"] + [DIGITS] * 4 + ["/"] + letters + ["-"] + [CAPITALS] * issuer, "code", prior)
    return by_length


def _plausible(text: str, kind: str) -> bool:
    if kind != "date":
        return True
    low, high = _grammar()["years"]
    day, month, year = map(int, re.split(r"[/.-]", text))
    return 1 <= day <= 31 and 1 <= month <= 12 and low <= year <= high


@lru_cache(maxsize=8192)
def _read_as(char: str, allowed: str) -> tuple[str, float]:
    """The likeliest character among `allowed` that the OCR could have read as `char`.

    Besides the learned P(char | true), the reverse confusion counts too: a shape that is read
    as another ("l" seen for a true "1") is taken to be confusable both ways.
    """
    if char in allowed:
        return char, 0.0
    model = channel()
    options = [(form, lp) for true, lp in model.rules.get(char, ()) for form in {true, true.upper()} if form in allowed]
    options += [(form, lp) for form in allowed if (lp := model.letters.get(form, {}).get(char.lower())) is not None]
    if char.upper() in allowed:  # a capital read as its small letter ("cT" for "CT")
        options.append((char.upper(), CASE_SLIP_LOGPROB))
    return max(options, key=lambda x: x[1], default=(allowed[0], model.unseen))


@lru_cache(maxsize=1 << 14)
def repair_code(observed: str) -> tuple[str, float, str] | None:
    """The best reading of `observed` as a document code or a date: (text, log-prob, kind).

    None when `observed` already parses or no reading is likely enough.
    """
    shapes = _templates().get(len(observed), [])
    best: tuple[str, float, str] | None = None
    for shape, kind, prior in shapes:
        if kind == "date" and "/" not in shape and not any(c == a for c, a in zip(observed, shape) if a in ".-"):
            continue  # "-" and "." dates only when the OCR kept one of them; otherwise the usual "/"
        chars, score = [], prior
        for char, allowed in zip(observed, shape):
            true, lp = _read_as(char, allowed)
            chars.append(true)
            score += lp
        text = "".join(chars)
        if _plausible(text, kind) and (best is None or score > best[1]):
            best = (text, score, kind)
    if best is None or best[0] == observed:
        return None
    changed = sum(a.upper() != b.upper() for a, b in zip(best[0], observed))
    return best if changed <= max(2, len(observed) // 3) else None


def looks_like_code(token: str) -> bool:
    """A token worth reading as a code or a date: two digits, or a digit and a separator."""
    digits = sum(c.isdigit() for c in token)
    return digits >= 2 or (digits >= 1 and any(c in "/-" for c in token))


# ---------------------------------------------------------------------------- lines

@dataclass
class _Position:
    start: int
    end: int
    text: str
    candidates: Sequence[tuple[str, float, tuple[int, ...]]]  # (lower-case candidate, channel log-prob, starts)


def _positions(line: str, spans: list[tuple[int, int]] | None = None) -> list[_Position]:
    """Tokens of a line with their lattice candidates; punctuation stands as itself, and so
    does a word more than SPAN_CONTEXT tokens away from `spans` when they are given."""
    positions = []
    mixed_case = _mostly_lower(line)
    matches = list(TOKEN.finditer(line))
    if spans is not None:
        spans = _widened(spans, [(m.start(), m.end()) for m in matches])
    for match in matches:
        token, start = match.group(), match.start()
        core_start = len(token) - len(token.lstrip(EDGE_PUNCTUATION))
        core = token.strip(EDGE_PUNCTUATION)
        if core_start:
            positions.append(_Position(start, start + core_start, token[:core_start], [(token[:core_start], 0.0, (0,))]))
        s = start + core_start
        for offset, piece in _pieces(core):
            if piece in ("/", "."):
                positions.append(_Position(s + offset, s + offset + 1, piece, [(piece, 0.0, (0,))]))
                continue
            begin, end = s + offset, s + offset + len(piece)
            kept = (_list_marker(piece, line, begin) or (mixed_case and _abbreviation_like(piece)) or _letters_and_slashes(piece)
                    or (spans is not None and not any(a < end and begin < b for a, b in spans)))
            candidates = [(piece.lower(), 0.0, (0,))] if kept else _core_candidates(piece)
            positions.append(_Position(s + offset, s + offset + len(piece), piece, candidates))
        tail = token[core_start + len(core):] if core else ""
        if tail:
            e = start + len(token)
            positions.append(_Position(e - len(tail), e, tail, [(tail, 0.0, (0,))]))
    return _glue_marks(_glue_inner_marks(positions), line)


SPAN_CONTEXT = 2  # words read on either side of a garbled word of a stripped line


def _widened(spans: list[tuple[int, int]], tokens: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each span grown to take in SPAN_CONTEXT tokens on either side: their readings help
    the decoder choose the garbled word's ("quan hé déi ngoai" → "quan hệ đối ngoại")."""
    out = []
    for a, b in spans:
        inside = [k for k, (s, e) in enumerate(tokens) if s < b and a < e]
        if inside:
            first, last = max(0, inside[0] - SPAN_CONTEXT), min(len(tokens) - 1, inside[-1] + SPAN_CONTEXT)
            a, b = min(a, tokens[first][0]), max(b, tokens[last][1])
        out.append((a, b))
    return out


INNER_GLYPHS = ':;()"“”'  # the OCR writes these for a marked vowel inside a word ("tr:t" trật, "t(ng" từng)
MAX_GLUED_LETTERS = 7


def _glue_inner_marks(positions: list[_Position]) -> list[_Position]:
    """Read letters joined by one glyph that punctuation never sits between, with no space
    on either side ("tr:t", "t(ng", "c"a"), as one word whose vowel the OCR misread."""
    out: list[_Position] = []
    for position in positions:
        for glyphs in (1, 2):
            if len(out) <= glyphs or not position.text.isalpha():
                continue
            run = out[-glyphs - 1:]
            if (all(p.text in INNER_GLYPHS for p in run[1:]) and run[0].text.isalpha()
                    and all(a.end == b.start for a, b in zip(run, [*run[1:], position]))
                    and len(run[0].text) + len(position.text) <= MAX_GLUED_LETTERS):
                word = "".join(p.text for p in run) + position.text
                del out[-glyphs - 1:]
                out.append(_Position(run[0].start, position.end, word, _core_candidates(word)))
                break
        else:
            out.append(position)
    return out


MARK_GLYPHS = ")!]'’"  # what an English OCR writes for a tone mark it cannot read ("k)" for "kể", "s]" for "số")


def _glue_marks(positions: list[_Position], line: str) -> list[_Position]:
    """Read a mark glyph stuck to the end of a short word that is no syllable as part of the
    word ("v)" → "về"); the reading may still keep it as it stands. A ")" that closes a "("
    of the line is a parenthesis."""
    out: list[_Position] = []
    for position in positions:
        before = out[-1] if out else None
        if (before is not None and before.end == position.start and position.text[:1] in MARK_GLYPHS
                and _may_hide_mark(before.text) and len(before.candidates) > 1
                and not (position.text[0] == ")" and line.count("(", 0, position.start) > line.count(")", 0, position.start))):
            word = before.text + position.text[0]
            out[-1] = _Position(before.start, before.start + len(word), word, _core_candidates(word))
            if len(position.text) > 1:
                rest = position.text[1:]
                out.append(_Position(position.start + 1, position.end, rest, [(rest, 0.0, (0,))]))
            continue
        out.append(position)
    return out


def _may_hide_mark(core: str) -> bool:
    """A short word in small letters (or one capital) that is no syllable the model knows."""
    return (core.isalpha() and len(core) <= 5 and not (len(core) > 1 and core.isupper())
            and core.lower() not in _inventory())


def _pieces(core: str) -> list[tuple[int, str]]:
    """The word as one piece, or, when "/" joins words that are no code ("700/Ngay",
    "BAO/S6" in a gazette's running header) or a full stop joins two sentences ("nay.Diéu"),
    its words and separators with their offsets."""
    if not core:
        return []
    for i in range(2, len(core) - 2):  # "nay.Diéu": the space after a full stop was lost
        if (core[i] == "." and core[i - 2:i].isalpha() and core[i + 1].isupper()
                and core[i + 1:].isalpha() and not core[i + 1:].isupper()):
            return [*_pieces(core[:i]), (i, "."), *[(i + 1 + o, piece) for o, piece in _pieces(core[i + 1:])]]
    parts = core.split("/")
    if len(parts) == 1 or not all(parts) or _parses_as_code(core) or _letters_and_slashes(core):
        return [(0, core)]
    if not any(any(c.islower() for c in part) or _surely_garbled(part) for part in parts):
        return [(0, core)]  # "KH/TU", "ĐU/TW": capitals joined by a slash are a code
    out, offset = [], 0
    for index, part in enumerate(parts):
        if index:
            out.append((offset - 1, "/"))
        out.append((offset, part))
        offset += len(part) + 1
    return out


def _mostly_lower(line: str) -> bool:
    """Whether most words of the line are in small letters (running text, not a heading in
    capitals): there, a word in capitals that is no syllable is an abbreviation (GDP, BTC)."""
    words = re.findall(r"[^\W\d_]{2,}", line)
    return sum(w.isupper() for w in words) * 2 < len(words)


def _abbreviation_like(core: str) -> bool:
    """Capitals that no syllable is spelled with, even without its marks: "GDP", "NHNN", "FTA"."""
    return core.isalpha() and len(core) >= 2 and core.isupper() and not is_stripped_syllable(core)


def _letters_and_slashes(core: str) -> bool:
    """Single letters joined by slashes: an abbreviation such as "V/v" (về việc)."""
    parts = core.split("/")
    return len(parts) > 1 and all(len(part) == 1 and part.isalpha() for part in parts)


def _parses_as_code(token: str) -> bool:
    """Whether `token` already is a document code or a date of the grammar."""
    return any(all(c in allowed for c, allowed in zip(token, shape)) and _plausible(token, kind)
               for shape, kind, _ in _templates().get(len(token), []))


def _list_marker(core: str, line: str, start: int) -> bool:
    """A one-letter list item label at the start of a line ("b)", "c)"): kept as it stands.
    Elsewhere "k)", "v)" are words whose mark the OCR read as a parenthesis ("kể", "về")."""
    return len(core) == 1 and core.isalpha() and line[start + 1:start + 2] == ")" and not line[:start].strip(" -–•*")


@lru_cache(maxsize=50_000)
def _core_candidates(core: str) -> tuple[tuple[str, float, tuple[int, ...]], ...]:
    """Lattice candidates of a word: its syllable readings, and the word as it stands unless
    its shape says it is surely garbled. Kept per word, as `syllable_candidates` is."""
    found = syllable_candidates(core) if _worth_reading(core) else ()
    lowered = core.lower()
    if all(c != lowered for c, _, _ in found) and not (found and _surely_garbled(core)):
        found += ((lowered, sum(_read_as_itself(c) for c in core) + channel().keep, (0,)),)
    return found


@lru_cache(maxsize=4096)
def _read_as_itself(char: str) -> float:
    """The channel's log-prob of `char` read as itself (0.0 when it has no rule for it)."""
    return sum(lp for true, lp in channel().rules.get(char, ()) if true == char.lower())


def _worth_reading(token: str) -> bool:
    """Whether to look for syllables behind a token: letters and digits (not a bare number), or
    marks the OCR writes for letters ("¢" for "ở", "nghi_p", "th-c"); not code-shaped tokens
    ("KH/TU", "QĐ-UBND") or numbers."""
    letters = channel().letters
    if len(token) > MAX_READ_LENGTH or token.isdigit() or not all(c.isalnum() or c in letters for c in token):
        return False
    inner = [c for c in token if not c.isalnum() and c.isascii()]
    if not inner:
        return True
    capitals = sum(c.isupper() for c in token)
    if any(c.isdigit() for c in token) or not any(c.isalpha() for c in token):
        return False
    if capitals >= 2:  # "QU-C", "D-NH" in a heading (QUỐC, ĐỊNH), but not "NĐ-CP", "TT-BTC"
        return len(inner) == 1 and len(token) <= MAX_GLUED_LETTERS and not _has_code_part(token)
    return len(inner) <= 2


def _has_code_part(token: str) -> bool:
    """A part of the token is a document type or an abbreviation the language model knows."""
    return any(part in _code_parts() for part in re.findall(r"[^\W\d_]+", token))


@cache
def _code_parts() -> frozenset[str]:
    """Document types of the code grammar, and the learned abbreviations with and without
    their marks (HDND, HĐND)."""
    lm = _language_model()
    table = lm.abbreviations if lm else {}
    return frozenset([*_grammar()["document_types"], *table, *table.values()])


def _with_abbreviation_marks(text: str) -> str:
    lm = _language_model()
    return lm.with_abbreviation_marks(text) if lm else text


@cache
def _language_model():
    """The language model, or None where none is trained (the channel alone then decides)."""
    try:
        from .lm import get_lm

        return get_lm()
    except ChithiError:
        return None


GARBLED_SHAPE = re.compile(r"^[^\W\d_]+\d[^\W\d_]*$|^[^\W\d_]*\d[^\W\d_]+$|[a-z][A-Z]|[^\W\d_][:;()\"“”]{1,2}[^\W\d_]")


def _surely_garbled(token: str) -> bool:
    """Shapes no Vietnamese word, code or name has: one digit inside letters ("tri6n", "ho4ch"),
    a capital after a small letter ("ViQt"), or letters around a glyph ("tr:t", see INNER_GLYPHS). Such a token is never kept as it is."""
    return GARBLED_SHAPE.search(token) is not None


def _decode(lines: list[list[_Position]]) -> list[list[tuple[str, float]]]:
    """Best candidate per position of each line, with its confidence, in one batched decode."""
    lattices = [[p.candidates for p in positions] for positions in lines]
    try:
        from .lm import get_lm

        return get_lm().decode_many(lattices, beam=LM_BEAM, channel_weight=CHANNEL_WEIGHT)
    except ChithiError:  # no language model yet: the channel alone decides
        return [[_channel_choice([(c, CHANNEL_WEIGHT * lp) for c, lp, _ in options]) for options in lattice]
                for lattice in lattices]


def _channel_choice(options: list[tuple[str, float]]) -> tuple[str, float]:
    best = max(options, key=lambda x: x[1])
    total = sum(math.exp(lp - best[1]) for _, lp in options)
    return best[0], 1.0 / total


def repair_line(line: str) -> list[Edit]:
    """Edits (start, end, replacement, confidence, kind) that repair one English-OCR line.

    kind is "ocr_garble" for words, "code" for document codes and "date" for dates. Offsets
    are in `line` coordinates; tokens judged right are not listed.
    """
    return repair_lines([line])[0]


def repair_lines(lines: list[str], spans: list[list[tuple[int, int]]] | None = None) -> list[list[Edit]]:
    """`repair_line` for many lines (those of a document), decoded in one batched pass.

    With `spans` (per line), only the words overlapping them are read; the other words stay
    as they are and serve as context (the few garbled words of a stripped line)."""
    read = [_read_codes(line, None if spans is None else spans[i]) for i, line in enumerate(lines)]
    decoded = _decode([positions for _, positions in read])
    return [sorted(edits + _word_edits(positions, best)) for (edits, positions), best in zip(read, decoded)]


def _read_codes(line: str, spans: list[tuple[int, int]] | None = None) -> tuple[list[Edit], list[_Position]]:
    """The line's positions, with codes and dates already read (their edits, and the reading
    as the position's only candidate)."""
    edits: list[Edit] = []
    positions = _positions(line, spans)
    for position in positions:
        fixed = repair_code(position.text) if looks_like_code(position.text) else None
        text, kind = (fixed[0], fixed[2]) if fixed else (position.text, "code")
        if len(position.candidates) == 1 and any(c.isupper() for c in text):
            text = _with_abbreviation_marks(text)  # TT-BLDTBXH → TT-BLĐTBXH
        if text != position.text:
            changed = sum(a != b for a, b in zip(text, position.text))
            edits.append((position.start, position.end, text, round(1 - changed / len(text), 3), kind))
            position.candidates = [(text.lower(), 0.0, (0,))]
    return edits, positions


def _word_edits(positions: list[_Position], best: list[tuple[str, float]]) -> list[Edit]:
    """Edits for the words whose decoded reading differs from what the OCR wrote."""
    edits: list[Edit] = []
    for position, (choice, confidence) in zip(positions, best):
        if len(position.candidates) <= 1 or choice == position.text.lower():
            continue
        starts = next(s for c, _, s in position.candidates if c == choice)
        replacement = _case_like(choice, position.text, starts)
        if replacement != position.text:
            edits.append((position.start, position.end, replacement, round(float(confidence), 3), "ocr_garble"))
    return edits
