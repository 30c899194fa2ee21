"""Passages: a plan cut into sentences and list items, each tagged with its section.

Passages are compared on their `plain_words` (diacritic-free, lower-case words), so that
repaired or half-repaired OCR still matches; `skeleton` keeps only the consonant frame of
the words, which survives an OCR that misreads Vietnamese vowels.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..schema import DocumentRecord, Section
from ..text.fold import fold, plain_words
from .settings import settings


def skeleton(text: str) -> str:
    """Folded text with every run of vowels and digits collapsed to 'a': the consonant frame of
    the words, which survives an OCR that misreads Vietnamese vowels (ô → 6, ơ → 0, ệ → Q)."""
    return " ".join(re.findall(r"[a-z]+", re.sub(r"[aeiouy0-9{}$€@]+", "a", fold(text))))


def strip_stop_phrases(folded: str, stop_phrases: tuple[str, ...]) -> str:
    """Replace the reference's fixed wording by a break, so it adds no terms and joins no bigrams."""
    padded = f" {folded} "
    for phrase in stop_phrases:
        padded = padded.replace(f" {phrase} ", " | ")
    return padded.strip()


def dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(b) < len(a):
        a, b = b, a
    return sum(w * b[t] for t, w in a.items() if t in b)


def terms(folded: str) -> Counter:
    """Syllable unigrams and bigrams; '|' marks a break that no bigram crosses."""
    counts: Counter = Counter()
    for chunk in folded.split("|"):
        syllables = chunk.split()
        counts.update(syllables)
        counts.update(f"{a}_{b}" for a, b in zip(syllables, syllables[1:]))
    return counts



_BOUNDARY = re.compile(
    r"(?<=[.!?])\s+(?=[\dA-ZĐÀ-Ỹ#*\-+•])"              # end of a sentence: a capital or a marker follows
    r"|(?<=[;:])\s+(?=\S)"                             # end of a clause
    r"|\n[ \t]*\n\s*(?=[#*\-+•\dA-ZĐÀ-Ỹ])"             # a blank line before a new block
    r"|\n(?=[ \t]*(?:[#]|\*\*|[-+•][ \t]|[IVX]+\.[ \t]|\d+(?:\.\d+)*\.[ \t]|[a-zđ]\)[ \t]))"  # a list item
)
_MARKER_ONLY = re.compile(r"^[\s#*]*(?:[IVXivx]+|\d+(?:\.\d+)*|[a-zđ]|[A-ZĐ])[.)]$|^[\s#*]*\S{1,3}\.$")
ROMAN_HEADING = re.compile(r"^[\s#*]*[IVX]+\.\s")


@dataclass
class Passage:
    start: int
    end: int
    folded: str
    section_id: str | None = None


def split_passages(text: str) -> list[tuple[int, int]]:
    """Sentence- and list-item-sized (start, end) spans of `text`, whitespace trimmed."""
    spans, start = [], 0
    for match in _BOUNDARY.finditer(text):
        if match.start() <= start or _MARKER_ONLY.match(text[start:match.start()]):
            continue  # "1." or "II." alone is a marker, not a sentence
        spans.append(_trim(text, start, match.start()))
        start = match.end()
    spans.append(_trim(text, start, len(text)))
    return _merge_fragments(text, [(s, e) for s, e in spans if e > s])


def _merge_fragments(text: str, spans: list[tuple[int, int]], min_words: int = 4) -> list[tuple[int, int]]:
    """Join fragments of fewer than `min_words` words (stray OCR punctuation, bare markers) to the next span."""
    out: list[tuple[int, int]] = []
    pending: int | None = None
    for start, end in spans:
        if pending is not None:
            start, pending = pending, None
        if len(re.findall(r"\w{2,}", text[start:end])) < min_words:
            pending = start
            continue
        out.append((start, end))
    if pending is not None:
        if out:
            out[-1] = (out[-1][0], spans[-1][1])
        else:
            out.append((pending, spans[-1][1]))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def flatten(sections: list[Section]) -> list[Section]:
    out = []
    for section in sections:
        out.append(section)
        out.extend(flatten(section.children))
    return out


def _section_at(sections: list[Section], offset: int) -> str | None:
    """The deepest section containing `offset`."""
    best = None
    for section in sections:
        if section.start <= offset < section.end and (best is None or section.level >= best.level):
            best = section
    return best.id if best else None


def passages_of(record: DocumentRecord) -> list[Passage]:
    sections = flatten(record.sections)
    return [
        Passage(start, end, plain_words(record.text[start:end]), _section_at(sections, _first_word(record.text, start, end)))
        for start, end in split_passages(record.text)
    ]


def _first_word(text: str, start: int, end: int) -> int:
    """Offset of the first letter or digit, past markdown marks such as '### **'."""
    match = re.compile(r"\w").search(text, start, end)
    return match.start() if match else start


def body_range(record: DocumentRecord, passages: list[Passage]) -> tuple[int, int]:
    """Passage indices of the plan's body: from its first top-level heading to the closing formula."""
    conf = settings()
    first = 0
    if record.sections:
        top = min(s.start for s in record.sections)
        first = next((i for i, p in enumerate(passages) if p.end > top), 0)
    else:
        first = next((i for i, p in enumerate(passages) if ROMAN_HEADING.match(record.text[p.start:p.end])), 0)
    ends = [plain_words(x) for x in conf.get("body_end_phrases", [])]
    # The last occurrence of each closing formula: a cover letter before the plan has its own.
    closing = [max((i for i, p in enumerate(passages) if i > first and p.folded.startswith(e)), default=len(passages))
               for e in ends]
    return first, min(closing, default=len(passages))
