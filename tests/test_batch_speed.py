"""The shortcuts taken for throughput give what the plain computation gives."""

from __future__ import annotations

import importlib
from pathlib import Path

from pipeline.diacritics import restore_lines
from pipeline.normalize import normalize

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "corpus" / "samples").glob("00[0-4]_*.txt"))
repair_module = importlib.import_module("pipeline.repair")  # `pipeline.repair` is the API function


def test_clean_lines_skipped_by_repair_are_lines_restoration_leaves_alone():
    """repair() does not decode a clean line with no suspect word; restoration in clean mode
    must indeed change nothing on every such line of the samples (and change something on
    some line of theirs that is decoded, or the check would prove nothing)."""
    skipped, decoded = [], []
    for path in SAMPLES:
        for line in normalize(path.read_text("utf-8")).split("\n"):
            stats = repair_module.line_stats(line)
            (decoded if stats.suspect else skipped).append(line)
    assert len(skipped) > 500 and decoded
    assert all(edits == [] for edits in restore_lines([(line, "clean") for line in skipped]))
    assert any(restore_lines([(line, "clean") for line in decoded]))


def test_line_stats_count_each_word_as_the_plain_definition_does():
    line = "Thực hién Chỉ thị s6 20-CT/TW của UBND tỉnh, Ban Bí thư ciia Trung ương a) f"
    words = [t for t in repair_module.tokenize(line) if repair_module._counts_as_word(t)]
    stats = repair_module.line_stats(line)
    assert stats.words == len(words) == 13
    assert stats.marked == sum(not t.text.isascii() for t in words)
    assert stats.invalid == sum(repair_module._is_invalid(t) for t in words) == 2  # s6, ciia
    assert stats.suspect == 1  # hién: marks that make no syllable
    assert repair_module.repair(line).text.startswith("Thực hiện Chỉ thị")


def test_column_cues_alternation_finds_a_line_exactly_when_one_cue_does():
    from pipeline.extractors import targets
    from pipeline.extractors.gazetteer import fold

    any_cue, each_cue = targets._column_cue_patterns()
    lines = [fold(line) for path in SAMPLES for line in path.read_text("utf-8").split("\n")]
    found = [bool(any_cue.search(line)) for line in lines]
    assert found == [any(p.search(line) for p in each_cue) for line in lines]
    assert any(found) and not all(found)


def test_confidences_of_one_syllable_candidates_equal_the_general_computation(monkeypatch):
    from pipeline.lm import LanguageModel
    from pipeline.vietnamese import strip_diacritics

    text = strip_diacritics(normalize(next(p for p in SAMPLES if p.name.startswith("003")).read_text(encoding="utf-8")))
    lines = [(line, "stripped") for line in text.split("\n")]
    fast = restore_lines(lines)
    assert any(0 < e.confidence < 1 for edits in fast for e in edits)
    monkeypatch.setattr(LanguageModel, "_shares_of_syllables", LanguageModel._shares_of_windows)
    assert restore_lines(lines) == fast
