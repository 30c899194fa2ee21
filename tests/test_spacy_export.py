"""A record as a spaCy Doc: the same text, every item a span at its offsets."""

from __future__ import annotations

import pipeline
from pipeline.spacy_export import SPAN_KEY, item_spans

from .conftest import sample


def test_doc_keeps_the_text_and_every_items_offsets():
    (record,) = pipeline.extract(sample("004"))
    doc = pipeline.to_spacy(record)
    assert doc.text == record.text
    spans = list(doc.spans[SPAN_KEY])
    expected = item_spans(record)
    assert len(spans) == len(expected) > 50
    for span, (start, end, label) in zip(spans, expected):
        assert span.label_ == label and span.start_char <= start and end <= span.end_char  # token boundaries
    assert {e.label_ for e in doc.ents} >= {"MARKET", "AGENCY", "TARGET"}
    markets = {e.text for e in doc.ents if e.label_ == "MARKET"}
    assert {m.name for m in record.markets if m.kind == "country"} & markets


def test_displacy_renders_the_doc():
    from spacy import displacy

    (record,) = pipeline.extract(sample("001"))
    html = displacy.render(pipeline.to_spacy(record), style="ent", page=False)
    assert "Nhật Bản" in html and "MARKET" in html
