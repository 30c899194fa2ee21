"""How Vietnamese a text reads: the yardstick for a PDF text layer against its OCR.

Two measures, both about the words rather than the characters:

- `syllables`: the share of word tokens that are well-formed Vietnamese syllables
  (`pipeline.text.vietnamese.is_syllable`: the tone fits the rhyme, "hoạch" but not
  "hoach"). On the 97 pages of the 16 gazette PDFs it is 0.91–1.00; the same pages as
  UTF-8 read as Latin-1 ("Káº¿ hoáº¡ch") score 0.42–0.60, stripped of their marks
  0.55–0.79, written in TCVN3 codes 0.13–0.31, and English prose 0.19.
- `logprob`: the repair stage's language model, natural-log probability per token
  (`pipeline.repair.lm`): -3.9 … -1.1 on the gazette pages, -8.0 … -4.0 on their mojibake.

A text that a legacy font decoding (TCVN3, VNI) turns into Vietnamese is judged decoded:
the repair stage converts it, so such a text layer is good.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..text.vietnamese import is_syllable, token_kinds

MIN_WORDS = 20  # fewer words say too little to judge
GOOD_SYLLABLES = 0.85  # a text layer reading at least this well is kept without a second look
CLEARLY_BETTER = 0.1  # how much larger the syllable share of the OCR must be to replace a text layer
SAMPLE_CHARS = 20_000  # a long text is judged on its first characters


@dataclass(frozen=True)
class Reading:
    words: int
    syllables: float  # share of the word tokens that are Vietnamese syllables
    legacy: str | None = None  # TCVN3 or VNI when the share is that of the decoded text
    logprob: float | None = None  # LM log-probability per token (when asked for)

    @property
    def judged(self) -> bool:
        return self.words >= MIN_WORDS

    @property
    def good(self) -> bool:
        """Reads as Vietnamese, or is too short to tell."""
        return not self.judged or self.syllables >= GOOD_SYLLABLES


def syllable_share(text: str) -> tuple[int, float]:
    """(word tokens, share of them that are Vietnamese syllables)."""
    words = [word for word, kind in token_kinds(text) if kind in ("word", "mixed")]
    if not words:
        return 0, 0.0
    return len(words), sum(1 for word in words if is_syllable(word.lower())) / len(words)


def read(text: str, with_lm: bool = False) -> Reading:
    """How Vietnamese `text` reads (its first SAMPLE_CHARS characters)."""
    from ..repair.legacy import decode_legacy

    text = text[:SAMPLE_CHARS]
    words, share = syllable_share(text)
    legacy = None
    if words >= MIN_WORDS and share < GOOD_SYLLABLES:
        decoded, encoding = decode_legacy(text)
        if encoding:
            decoded_words, decoded_share = syllable_share(decoded)
            if decoded_share > share:
                text, words, share, legacy = decoded, decoded_words, decoded_share, encoding
    return Reading(words, share, legacy, lm_logprob(text) if with_lm else None)


def lm_logprob(text: str) -> float:
    """The language model's log-probability per token of `text` (normalised first)."""
    from ..repair.lm import get_lm, lm_tokens
    from ..repair.normalize import normalize

    lm = get_lm()
    total, count = 0.0, 0
    for line in normalize(text).split("\n"):
        tokens = lm_tokens(line)
        if tokens:
            total += lm.logprob(tokens)
            count += len(tokens) + 1  # and the end of the line
    return total / count if count else 0.0


def ocr_reads_better(layer: Reading, ocr: Reading) -> bool:
    """Whether the OCR of a page reads clearly more like Vietnamese than its text layer:
    a larger share of syllables, and a higher language-model score."""
    if ocr.syllables < layer.syllables + CLEARLY_BETTER:
        return False
    return layer.logprob is None or ocr.logprob is None or ocr.logprob > layer.logprob
