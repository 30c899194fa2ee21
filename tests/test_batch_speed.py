"""The shortcuts taken for throughput give what the plain computation gives."""

from __future__ import annotations

import importlib
from pathlib import Path

from pipeline.repair import routing
from pipeline.repair.diacritics import restore_lines
from pipeline.repair.normalize import normalize
from pipeline.text.vietnamese import tokenize

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "corpus" / "samples").glob("00[0-4]_*.txt"))
repair_module = importlib.import_module("pipeline.repair")


def test_clean_lines_skipped_by_repair_are_lines_restoration_leaves_alone():
    """repair() does not decode a clean line with no suspect word; restoration in clean mode
    must indeed change nothing on every such line of the samples (and change something on
    some line of theirs that is decoded, or the check would prove nothing)."""
    skipped, decoded = [], []
    for path in SAMPLES:
        for line in normalize(path.read_text("utf-8")).split("\n"):
            stats = routing.line_stats(line)
            (decoded if stats.suspect else skipped).append(line)
    assert len(skipped) > 500 and decoded
    assert all(edits == [] for edits in restore_lines([(line, "clean") for line in skipped]))
    assert any(restore_lines([(line, "clean") for line in decoded]))


def test_line_stats_count_each_word_as_the_plain_definition_does():
    line = "Thực hién Chỉ thị s6 20-CT/TW của UBND tỉnh, Ban Bí thư ciia Trung ương a) f"
    words = [t for t in tokenize(line) if routing._counts_as_word(t)]
    stats = routing.line_stats(line)
    assert stats.words == len(words) == 13
    assert stats.marked == sum(not t.text.isascii() for t in words)
    assert stats.invalid == sum(routing._is_invalid(t) for t in words) == 2  # s6, ciia
    assert stats.suspect == 1  # hién: marks that make no syllable
    assert repair_module.repair(line).text.startswith("Thực hiện Chỉ thị")


def test_column_cues_alternation_finds_a_line_exactly_when_one_cue_does():
    from pipeline.extract import tables
    from pipeline.text.fold import lower

    any_cue, each_cue = tables._column_cue_patterns()
    lines = [lower(line) for path in SAMPLES for line in path.read_text("utf-8").split("\n")]
    found = [bool(any_cue.search(line)) for line in lines]
    assert found == [any(p.search(line) for p in each_cue) for line in lines]
    assert any(found) and not all(found)


def test_confidences_are_posterior_shares_computed_over_the_whole_sentence():
    """The vectorised confidences score each candidate by the trigrams that see it only; the
    other trigrams of the sentence are the same for every candidate, so the share must be the
    softmax of channel + whole-sentence log-prob, one- and two-syllable candidates alike."""
    import math

    import pytest

    from pipeline.repair.lm import get_lm

    lm = get_lm()
    lattice = [
        [("thuc", -1.0), ("thực", 0.0), ("thức", 0.0)],
        [("hiện", 0.0), ("hiên", -0.5)],
        [("chỉ thị", 0.0), ("chi thi", -1.0), ("chỉ", -2.0)],
        [("số", 0.0), ("so", -1.0), ("sổ", -1.0)],
        [("20-CT/TW", 0.0)],
        [("của", 0.0), ("cua", -0.7), ("cùa", -1.5)],
    ]
    best = lm.decode(lattice)
    chosen = [c for c, _ in best]
    for t, pos in enumerate(lattice):
        if len(pos) == 1:
            continue
        scores = [channel + lm.logprob(" ".join(chosen[:t] + [cand] + chosen[t + 1:]).split(" "))
                  for cand, channel in pos]
        top = max(scores)
        weights = [math.exp(score - top) for score in scores]
        others = sum(weights) - weights[[cand for cand, _ in pos].index(chosen[t])]
        # the shares are close to 1: compare what the other candidates get
        assert 1 - best[t][1] == pytest.approx(others / sum(weights), rel=1e-4), (t, chosen[t])


def test_beam_threshold_changes_no_restoration_or_garble_reading_of_the_samples(monkeypatch):
    """The decoder drops hypotheses PRUNE_GAP below their line's best; the garbled samples and
    a stripped clean one must decode exactly as with no threshold."""
    from pipeline.repair import lm
    from pipeline.text.vietnamese import strip_diacritics

    garbled = [normalize(p.read_text("utf-8")) for p in SAMPLES if p.name.startswith(("000", "002"))]
    stripped = strip_diacritics(normalize(next(p for p in SAMPLES if p.name.startswith("003")).read_text("utf-8")))
    texts = [*garbled, stripped]
    with_threshold = [repair_module.repair(text) for text in texts]
    assert all(r.repairs for r in with_threshold)
    monkeypatch.setattr(lm, "PRUNE_GAP", float("inf"))
    assert [repair_module.repair(text) for text in texts] == with_threshold


def test_trie_alternation_matches_what_the_longest_first_alternation_matches():
    """`any_of` writes a word list as a trie; it must find exactly the spans of the plain
    alternation sorted longest first — here the province and district names in the samples,
    on the lower-cased and on the folded text."""
    import re

    from pipeline.text.fold import fold
    from pipeline.text.match import any_of
    from pipeline.text.places import _names

    for folded in (False, True):
        _, owners = _names(folded)
        plain = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in sorted(owners, key=len, reverse=True)) + r")(?!\w)")
        trie = re.compile(rf"(?<!\w)(?:{any_of(owners)})(?!\w)")
        for path in SAMPLES:
            text = path.read_text("utf-8")
            view = fold(text) if folded else text.lower()
            spans = [m.span() for m in plain.finditer(view)]
            assert spans and [m.span() for m in trie.finditer(view)] == spans, path.name
    names = re.compile(rf"(?<!\w)(?:{any_of(['hà', 'hà nội', 'hà nam', 'nam'])})(?!\w)")
    assert [m.group() for m in names.finditer("hà nội, hà nam, hà, nam, hà nộii")] == ["hà nội", "hà nam", "hà", "nam", "hà"]
    assert re.search(rf"(?<!\w)(?:{any_of([])})", "x") is None


def test_agency_mentions_start_only_where_the_parser_looks_for_them():
    """`_match_all` asks `match_at` only at capitalised words and first words of a prefix;
    on every other word of the samples (tone-marked and loose) it must find nothing."""
    from pipeline.extract import agencies

    for loose in (False, True):
        g = agencies.gazetteer(loose)
        starts = g.prefixes.prefixes
        for path in SAMPLES:
            words = agencies._words_of(normalize(path.read_text("utf-8")), g.abbreviations, loose)
            skipped = [i for i, w in enumerate(words) if not w.cap and (w.norm,) not in starts]
            assert skipped and all(agencies.match_at(words, i, g) is None for i in skipped)
