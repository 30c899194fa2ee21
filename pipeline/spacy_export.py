"""A chithi record as a spaCy `Doc`, so displaCy and spaCy's tools work on chithi's output.

The Doc's text is the record's `text`, character for character (tokens are syllables,
punctuation and runs of white space), so every offset of the record holds in the Doc.
Every extracted item becomes a span of `doc.spans["chithi"]` labelled with its kind (MARKET,
AGENCY, TARGET, FIGURE, DEADLINE, FUNDING, REFERENCE, REPAIR); `doc.ents` holds the
markets, agencies, targets and deadlines that do not overlap (the longest first), as
displaCy's entity view shows them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .schema import DocumentRecord, Span

if TYPE_CHECKING:
    from spacy.tokens import Doc

SPAN_KEY = "chithi"
ENTITY_LABELS = ("MARKET", "AGENCY", "TARGET", "DEADLINE")
_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")


def item_spans(record: DocumentRecord) -> list[tuple[int, int, str]]:
    """(start, end, label) of every extracted item of the record, in text order."""
    found: list[tuple[int, int, str]] = []

    def add(spans: list[Any], label: str) -> None:
        found.extend((s.start, s.end, label) for s in spans if isinstance(s, Span) and s.end > s.start)

    add(record.references, "REFERENCE")
    for market in record.markets:
        add(market.mentions or [market], "MARKET")
    for agency in record.agencies:
        add(agency.mentions or [agency], "AGENCY")
    add(record.targets, "TARGET")
    add(getattr(record, "figures", []), "FIGURE")
    add(record.deadlines, "DEADLINE")
    add(record.funding, "FUNDING")
    add(record.repairs, "REPAIR")
    return sorted(set(found))


def to_spacy(record: DocumentRecord, vocab: Any = None) -> Doc:
    """The record as a spaCy Doc (a blank Vietnamese vocabulary unless `vocab` is given)."""
    import spacy
    from spacy.tokens import Doc
    from spacy.util import filter_spans

    if vocab is None:
        vocab = spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}}).vocab
    text = record.text
    pieces = [m.group() for m in _TOKEN.finditer(text)]
    words: list[str] = []
    spaces: list[bool] = []
    for piece in pieces:  # a single space after a token is its trailing space; other white space is a token
        if piece == " " and words and not spaces[-1] and not words[-1].isspace():
            spaces[-1] = True
        else:
            words.append(piece)
            spaces.append(False)
    doc = Doc(vocab, words=words, spaces=spaces)
    assert doc.text == text, "the Doc must hold the record's text exactly"
    spans = [doc.char_span(start, end, label=label, alignment_mode="expand") for start, end, label in item_spans(record)]
    doc.spans[SPAN_KEY] = [s for s in spans if s is not None]
    doc.ents = filter_spans([s for s in doc.spans[SPAN_KEY] if s.label_ in ENTITY_LABELS])
    return doc
