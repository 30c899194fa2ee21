"""Vietnamese-OCR post-correction: the marks `tesseract -l vie` misreads, put right where the
language model is confident.

Tesseract's Vietnamese model reads letters well but confuses marks: ư/u, ơ/o, ă/â/a, ô/o,
ê/e, đ/d, one tone for another, a tone dropped ("nguời", "quy định" for "quý", "hôi" for
"hội"). The confusions were learned from pages rendered and read the way chithi reads a
scan (`scripts/render_ocr_pairs.py --ocr chithi`, `scripts/train_vie_channel.py` →
`models/vie_ocr/channel.json`), as a factored noisy channel:

    log P(observed word | true word) = Σ log P(observed letter | true letter)
                                     + log P(observed tone | true tone)

over the letters without their tone and the syllable's tone, interpolated with the counts of
the words misread most often (`vie` reads "chi" as "chỉ" far more often than its tone table
says): P(o | t) = (count(t read o) + WORD_PRIOR · P_factored(o | t)) / (count(t) + WORD_PRIOR).
A word's candidates are the
syllables of the language model with its letters once every mark is stripped (the
candidates of diacritic restoration), each with its channel log-prob; the observed word
is one of them when the model knows it. The syllable trigram model (`pipeline.repair.lm`)
decodes every line of a page in one batched pass, and a word is changed only where the
decoder's choice differs from what the OCR wrote with a posterior share of at least
MIN_CONFIDENCE. Words the model does not know (names, foreign words, rare syllables) are
left as they are and serve as context.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from ..errors import ChithiError
from ..resources import model_path
from ..schema import Repaired
from ..text.vietnamese import is_syllable, strip_diacritics, tokenize
from .diacritics import apply_case
from .edits import Edit, apply_edits, merge_adjacent
from .lm import LanguageModel, get_lm, lm_token
from .normalize import normalize

KIND = "ocr_vie"
QUALITY_LETTERS = ("a", "ă", "â", "e", "ê", "o", "ô", "ơ", "u", "ư", "d", "đ")
_TONE_MARKS = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}  # huyền sắc hỏi ngã nặng
UNSEEN = -12.0  # log-prob of a confusion training never showed
MIN_CONFIDENCE = 0.9  # posterior share a change needs (chosen on development pages, see docs/repair-ocr.md)
BEAM = 8
WORD_PRIOR = 20.0  # weight of the factored model against a word's own confusion counts


@lru_cache(maxsize=1 << 16)
def letters_and_tone(word: str) -> tuple[tuple[str, ...], int | None]:
    """The letters of a lower-case word without their tone mark (quality marks kept), and
    its tone (0 none … 5 nặng; None when it carries two tone marks)."""
    letters: list[str] = []
    tone = 0
    for char in word:
        decomposed = unicodedata.normalize("NFD", char)
        marks = [_TONE_MARKS[c] for c in decomposed if c in _TONE_MARKS]
        if marks:
            if tone:
                return tuple(letters), None
            tone = marks[0]
        letters.append(unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS)))
    return tuple(letters), tone


@dataclass(frozen=True)
class VieChannel:
    letters: dict[str, dict[str, float]]  # true letter -> {observed letter: log-prob}
    tones: dict[int, dict[int, float]]  # true tone -> {observed tone: log-prob}
    words: dict[str, tuple[int, dict[str, int]]]  # true word -> (occurrences, {observed: count})

    def logprob(self, true: str, observed: str) -> float:
        """log P(observed | true) for two lower-case words with the same stripped letters."""
        factored = self.factored(true, observed)
        if true not in self.words:
            return factored
        count, read = self.words[true]
        seen = read.get(observed, 0) if observed != true else count - sum(read.values())
        return math.log((seen + WORD_PRIOR * math.exp(factored)) / (count + WORD_PRIOR))

    def factored(self, true: str, observed: str) -> float:
        true_letters, true_tone = letters_and_tone(true)
        seen_letters, seen_tone = letters_and_tone(observed)
        if true_tone is None:
            return UNSEEN
        total = self.tones[true_tone].get(seen_tone, UNSEEN) if seen_tone is not None else UNSEEN
        for t, o in zip(true_letters, seen_letters):
            if t in self.letters:
                total += self.letters[t].get(o, UNSEEN)
            elif t != o:
                total += UNSEEN
        return total


@cache
def vie_channel() -> VieChannel:
    path = model_path("vie_ocr", "channel.json")
    if not path.exists():
        raise ChithiError(str(path), "Vietnamese-OCR channel not found; train it with scripts/train_vie_channel.py",
                          stage="repair")
    raw = json.loads(path.read_text(encoding="utf-8"))
    return VieChannel(
        letters=raw["letters"],
        tones={int(t): {int(o): lp for o, lp in row.items()} for t, row in raw["tones"].items()},
        words={t: (w["count"], w["read"]) for t, w in raw.get("words", {}).items()},
    )


@lru_cache(maxsize=1 << 16)
def _candidates(lm: LanguageModel, low: str) -> tuple[tuple[str, float], ...] | None:
    """Lattice candidates of one lower-case word, or None to keep it as it stands (not a
    word of letters, or a syllable the model does not know: a name, a rare word)."""
    if not low.isalpha():
        return None
    options = lm.candidates(strip_diacritics(low))
    if not options or (low not in options and is_syllable(low)):
        return None
    channel = vie_channel()
    return tuple((c, channel.logprob(c, low)) for c in options)


def vie_ocr_edits(lines: list[str]) -> list[list[Edit]]:
    """Edits (line coordinates, kind "ocr_vie") that correct the Vietnamese-OCR lines, all
    decoded in one batched pass; only changes with a confidence ≥ MIN_CONFIDENCE."""
    lm = get_lm()
    jobs = []
    for i, line in enumerate(lines):
        tokens = tokenize(line)
        options = [_candidates(lm, t.text.lower()) if t.kind == "word" else None for t in tokens]
        if any(o is not None and len(o) > 1 for o in options):
            lattice = [o if o is not None else ((lm_token(t.text, t.kind), 0.0),) for t, o in zip(tokens, options)]
            jobs.append((i, tokens, options, lattice))
    out: list[list[Edit]] = [[] for _ in lines]
    for (i, tokens, options, _), best in zip(jobs, lm.decode_many([job[3] for job in jobs], beam=BEAM)):
        for token, option, (choice, confidence) in zip(tokens, options, best):
            if option is None or choice == token.text.lower() or confidence < MIN_CONFIDENCE:
                continue
            out[i].append(Edit(token.start, token.end, apply_case(token.text, choice), round(float(confidence), 4), KIND))
    return out


def correct_vie_ocr(text: str) -> Repaired:
    """Normalise a page that `tesseract -l vie` read and correct its misread marks; every
    change is a `Repair` of kind "ocr_vie" with its confidence, offsets into the result."""
    text = normalize(text)
    edits: list[Edit] = []
    offset = 0
    lines = text.split("\n")
    for line, line_edits in zip(lines, vie_ocr_edits(lines)):
        edits.extend(e.shifted(offset) for e in line_edits)
        offset += len(line) + 1
    fixed, repairs = apply_edits(text, merge_adjacent(text, edits))
    return Repaired(text=fixed, repairs=repairs)
