"""Model stage: syllable tokens, merging model spans with rule items, the trained model."""

from __future__ import annotations

import pytest
import spacy

import pipeline
from pipeline.document import Document
from pipeline.errors import ChithiError
from pipeline.extract import ner as model_stage
from pipeline.extract.merge import normalise_agency
from pipeline.extract.ner import apply, lines_to_read, syllable_tokens, token_range
from pipeline.runner import run_stages
from pipeline.schema import Repair
from pipeline.text.vietnamese import strip_diacritics
from tests.conftest import sample

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
    (record,) = run_stages(text, stages=RULES)
    rule_names = {a.name for a in record.agencies}
    assert "Sở Tư pháp" in rule_names and not any("Tuyên giáo" in n for n in rule_names)
    nlp = ruler_nlp([
        ("AGENCY", ["Sở", "Tư", "pháp"]),
        ("AGENCY", ["Ban", "Tuyen", "giao", "Tinh", "uy"]),   # diacritics lost: rules miss it
        ("MARKET", ["Hàn", "Quốc"]),
        ("MARKET", ["Wakanda"]),                               # no code in the gazetteer: dropped
    ])
    merged = apply(Document(record.model_copy(deep=True)), nlp, {"confidence": {"AGENCY": 0.8}})
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
    (record,) = pipeline.extract(sample("000"))  # OCR text: the repaired lines are read
    assert {a.source for a in record.agencies} <= {"rule", "model", "both"}
    assert any(a.source == "both" for a in record.agencies)
    for item in record.agencies + record.markets:
        assert 0 <= item.confidence <= 1
        assert record.text[item.start:item.end]
    spans = model_stage.predict(model_stage.load_model(), record.text)
    assert spans and {label for _, _, label in spans} <= set(model_stage.LABELS)
    assert all("\n" not in record.text[s:e] for s, e, _ in spans)  # read line by line


def test_model_reads_only_repaired_lines_unless_told(monkeypatch):
    (clean,) = run_stages(sample("004"), stages=[])
    assert clean.repairs == [] and lines_to_read(clean) == []
    assert run_stages(sample("004"), stages=RULES + ["ner"])[0].model_dump() == \
        run_stages(sample("004"), stages=RULES)[0].model_dump()  # clean text: the stage is a no-op
    monkeypatch.setenv("CHITHI_MODEL_LINES", "all")
    assert len(lines_to_read(clean)) == len([line for line in clean.text.split("\n") if line.strip()])
    monkeypatch.setenv("CHITHI_MODEL_LINES", "some")
    with pytest.raises(ChithiError, match="CHITHI_MODEL_LINES"):
        lines_to_read(clean)
    monkeypatch.delenv("CHITHI_MODEL_LINES")
    (ocr,) = run_stages(sample("000"), stages=[])
    lines = lines_to_read(ocr)
    assert 0 < len(lines) < len(lines_to_read(ocr, "all"))
    for start, end in lines:
        assert any(r.start < end and start < r.end for r in ocr.repairs
                   if r.kind == "ocr_garble" or (r.kind == "diacritics" and r.confidence < model_stage.SURE_REPAIR))
    # A stripped text (000's English-OCR lines are all read by the garble repairer): the lines
    # whose every repair is a restoration made with certainty are not read.
    (stripped,) = run_stages(strip_diacritics(sample("001").read_text("utf-8")), stages=[])
    sure_only = [(s, e) for s, e in lines_to_read(stripped, "all")
                 if any(r.start < e and s < r.end for r in stripped.repairs)
                 and all(r.kind == "diacritics" and r.confidence >= model_stage.SURE_REPAIR
                         for r in stripped.repairs if r.start < e and s < r.end)]
    assert sure_only and not set(sure_only) & set(lines_to_read(stripped))


def test_noisy_agency_spans_normalise_to_bodies_without_invented_words():
    found, score = normalise_agency("Ban Thường vụ Tỉnh ấy", ["Ban Thường vụ Tỉnh ủy", "Sở Tư pháp"], 88)
    assert found.name == "Ban Thường vụ Tỉnh ủy" and found.kind == "cap_uy" and 88 <= score < 100
    found, _ = normalise_agency("Ban Tuyên gió ở Trung ương", [], 88)  # from the type gazetteer
    assert (found.name, found.level) == ("Ban Tuyên giáo Trung ương", "central")
    assert normalise_agency("Ban Chỉ đạo", [], 70) is None  # needs a qualifier; none is invented
    assert normalise_agency("Hội nghị toàn quốc", [], 88) is None
    assert normalise_agency("Ban Thường vụ Tỉnh ấy", [], 101) is None  # threshold above any match


def test_model_span_over_a_garbled_word_renames_the_rule_mention():
    text = ("III. TỔ CHỨC THỰC HIỆN\n1. Ban Thường vụ Tỉnh ấy yêu cầu Sở Tư pháp báo cáo kết quả.\n"
            "2. Đưa lao động sang Nhật Bàn; Văn phòng Tỉnh ủy theo dõi.\n")
    (record,) = run_stages(text, stages=RULES)
    assert "Ban Thường vụ tỉnh" in {a.name for a in record.agencies}  # the grammar stops at "ấy"
    assert not record.markets
    start = text.index("Ban Thường")
    record.repairs = [Repair(start=start, end=start + 5, kind="ocr_garble", original="Ban", replacement="Ban",
                             confidence=0.5)]
    nlp = ruler_nlp([("AGENCY", ["Ban", "Thường", "vụ", "Tỉnh", "ấy"]), ("MARKET", ["Nhật", "Bàn"])])
    calib = {"confidence": {"AGENCY": 0.7, "MARKET": 0.6}, "match_threshold": {"AGENCY": 88, "MARKET": 88}}
    merged = apply(Document(record.model_copy(deep=True)), nlp, calib)
    names = {a.name: a for a in merged.agencies}
    assert "Ban Thường vụ tỉnh" not in names
    renamed = names["Ban Thường vụ Tỉnh ủy"]
    assert renamed.source == "model" and renamed.confidence == 0.7 and renamed.level == "province"
    assert merged.text[renamed.start:renamed.end] == "Ban Thường vụ Tỉnh ấy"
    assert names["Sở Tư pháp"].source == "rule" and names["Văn phòng Tỉnh ủy"].source == "rule"
    assert [(m.code, m.source) for m in merged.markets] == [("JP", "model")]
    strict = apply(Document(record.model_copy(deep=True)), nlp, {**calib, "match_threshold": {"AGENCY": 101, "MARKET": 101}})
    assert [(a.name, a.roles) for a in strict.agencies] == [(a.name, a.roles) for a in record.agencies]
    assert strict.agencies[0].source == "both" and not strict.markets  # no fuzzy match clears 101


def test_fuzzy_normalising_never_invents_an_administrative_place():
    # a span that ran into the next word must not turn that word into a level
    assert normalise_agency("Hội Nông dân và", [], 85)[0].name == "Hội Nông dân"
    assert normalise_agency("Ban Chỉ đạo công", [], 85) is None
    # a garbled word of the name is still corrected, and a garbled place word still read
    assert normalise_agency("Văn phòng Huyện rầy", [], 85)[0].name == "Văn phòng Huyện ủy"
    assert normalise_agency("Hội Cựu chiến binh tinh", [], 85)[0].name == "Hội Cựu chiến binh tỉnh"
