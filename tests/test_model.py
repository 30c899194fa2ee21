"""Model stage: syllable tokens, merging model spans with rule items, the trained model."""

from __future__ import annotations

import pytest
import spacy

import pipeline
from pipeline.core import document_stages
from pipeline.errors import ChithiError
from pipeline.extractors import model as model_stage
from pipeline.extractors.model import apply, syllable_tokens, token_range
from tests.conftest import sample

document_stages()  # importing the stage modules registers them
RULES = ["sections", "markets", "agencies", "targets", "deadlines", "tasks"]


def ruler_nlp(patterns: list[tuple[str, list[str]]]):
    """A stand-in for the trained model: spans listed by their syllables."""
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": label, "pattern": [{"TEXT": w} for w in words]} for label, words in patterns])
    return nlp


def test_syllable_tokens_keep_codes_and_split_punctuation():
    text = "Sở LĐ-TB&XH (Bộ Ngoại giao), 1.800 lao động; 20/6/2021."
    words = [text[s:e] for s, e in syllable_tokens(text)]
    assert words == ["Sở", "LĐ-TB&XH", "(", "Bộ", "Ngoại", "giao", ")", ",", "1.800", "lao", "động", ";",
                     "20/6/2021", "."]
    tokens = syllable_tokens(text)
    assert token_range(tokens, text.index("Bộ"), text.index(")")) == (3, 6)


def test_merge_marks_both_and_adds_only_normalisable_model_items():
    text = ("III. TỔ CHỨC THỰC HIỆN\n1. Sở Tư pháp chủ trì, phối hợp với Ban Tuyen giao Tinh uy "
            "tuyên truyền; đưa lao động sang Hàn Quốc và xứ Wakanda.\n")
    (record,) = pipeline.extract(text, stages=RULES)
    rule_names = {a.name for a in record.agencies}
    assert "Sở Tư pháp" in rule_names and not any("Tuyên giáo" in n for n in rule_names)
    nlp = ruler_nlp([
        ("AGENCY", ["Sở", "Tư", "pháp"]),
        ("AGENCY", ["Ban", "Tuyen", "giao", "Tinh", "uy"]),   # diacritics lost: rules miss it
        ("MARKET", ["Hàn", "Quốc"]),
        ("MARKET", ["Wakanda"]),                               # no code in the gazetteer: dropped
    ])
    merged = apply(record.model_copy(deep=True), nlp, {"AGENCY": 0.8})
    agencies = {a.name: a for a in merged.agencies}
    assert agencies["Sở Tư pháp"].source == "both"
    added = agencies["Ban Tuyên giáo Tỉnh ủy"]
    assert added.source == "model" and added.confidence == 0.8
    assert added.roles == ["cooperate"]  # roles read from its clause like a rule mention
    assert merged.text[added.start:added.end] == "Ban Tuyen giao Tinh uy"
    assert [m.code for m in merged.markets] == ["KR"]
    assert merged.markets[0].source == "both"


def test_missing_or_broken_model(tmp_path):
    assert model_stage.load_model(str(tmp_path)) is None  # the stage then adds a warning
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ChithiError, match="cannot be loaded"):
        model_stage.load_model(str(broken))


@pytest.mark.skipif(model_stage.load_model() is None, reason="no trained model under models/ner")
def test_trained_model_on_a_sample():
    (record,) = pipeline.extract(sample("004"))
    assert {a.source for a in record.agencies} <= {"rule", "model", "both"}
    assert any(a.source == "both" for a in record.agencies)
    for item in record.agencies + record.markets:
        assert 0 <= item.confidence <= 1
        assert record.text[item.start:item.end]
    spans = model_stage.predict(model_stage.load_model(), record.text)
    assert spans and {label for _, _, label in spans} <= set(model_stage.LABELS)
