"""The shortcuts that make the document stages fast give the same answers as the plain way.

Each test runs a cached or pruned helper on the sample plans and compares it with the
straightforward computation it replaces.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extractors import agencies, gazetteer
from pipeline.extractors.markets import _countries
from pipeline.textmatch import _fold_char, fold

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "corpus" / "samples").glob("00[0-4]_*.txt"))


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [path.read_text("utf-8") for path in SAMPLES]


def test_fold_table_is_the_character_fold(texts):
    for text in texts + ["ĐẢNG CỘNG SẢN VIỆT NAM — Ủy ban nhân dân tỉnh Hà Tĩnh\tǅ ﬁ İ"]:
        folded = fold(text)
        assert folded == "".join(_fold_char(ch) for ch in text)
        assert len(folded) == len(text)


def _plain_longest(words, i, table):
    best = None
    for length in range(1, 9):
        key = tuple(w.norm for w in words[i:i + length])
        if len(key) < length:
            break
        if key in table:
            best = (i + length, table[key])
    return best


def test_pruned_gazetteer_lookup_matches_every_length(texts):
    g = agencies.gazetteer()
    words = agencies._words_of(texts[1], g.abbreviations)
    hits = 0
    for table in (g.heads, g.places, g.prefixes, g.not_heads):
        for i in range(len(words)):
            expected = _plain_longest(words, i, table)
            assert agencies._longest(words, i, table) == expected
            hits += expected is not None
    assert hits > 50  # the sample names many agencies and places


def _plain_find(matcher, text, sylls):
    keys = [s.key for s in sylls]
    found, i = [], 0
    while i < len(sylls):
        for n in range(min(matcher._longest, len(sylls) - i), 0, -1):
            value = matcher._table.get(tuple(keys[i:i + n]))
            if value is not None and gazetteer.joined(text, sylls[i:i + n]):
                found.append((sylls[i].start, sylls[i + n - 1].end, value["code"]))
                i += n
                break
        else:
            i += 1
    return found


def test_phrase_matcher_finds_what_trying_every_length_finds(texts):
    matcher, _ = _countries()
    total = 0
    for text in texts:
        sylls = gazetteer.syllables(text)
        found = [(m.start, m.end, m.value["code"]) for m in matcher.find(text, sylls)]
        assert found == _plain_find(matcher, text, sylls)
        total += len(found)
    assert total > 20  # the clean samples name many destination countries


def test_shared_agency_mentions_are_copies(texts):
    first = agencies.find_mentions(texts[3])
    assert first
    first[0].roles.add("lead")
    first[0].name = "đã đổi"
    second = agencies.find_mentions(texts[3])
    assert second[0].roles == set() and second[0].name != "đã đổi"
    assert [(m.start, m.end) for m in first] == [(m.start, m.end) for m in second]


def test_whole_text_syllables_are_a_fresh_list(texts):
    one = gazetteer.syllables(texts[0])
    one.clear()
    assert gazetteer.syllables(texts[0])
    part = gazetteer.syllables(texts[0], 10, 200)
    assert [tuple(s) for s in part] == [(m.group(), m.start(), m.end()) for m in gazetteer.SYLLABLE.finditer(texts[0], 10, 200)]


def test_syllables_built_in_c_are_the_plain_named_tuples(texts):
    for text in texts:
        sylls = gazetteer.syllables(text)
        plain = [gazetteer.Syllable(m.group(), m.start(), m.end()) for m in gazetteer.SYLLABLE.finditer(text)]
        assert sylls == plain and all(type(s) is gazetteer.Syllable for s in sylls)
        assert gazetteer.keys_of(sylls) == [s.key for s in sylls]
        assert gazetteer.capitalised_of(sylls) == [s.capitalised for s in sylls]


def _plain_words_of(text, abbreviations, loose):
    """agencies._words_of as first written: a Word(...) call and a search per word."""
    import re

    pattern = agencies._token_pattern(tuple(sorted(abbreviations, key=len, reverse=True)))
    words, previous_end = [], 0
    for m in pattern.finditer(text):
        token = m.group()
        if token in agencies._DASHES:
            continue
        breaks = text.find("\n", previous_end, m.start()) != -1 and \
            agencies._BLANK_LINE.search(text, previous_end, m.start()) is not None
        previous_end = m.end()
        if m.group("abbr"):
            for part in re.findall(r"\w+|[^\w\s]", abbreviations[token]):
                if part not in agencies._DASHES:
                    norm = agencies.strip_marks(agencies.fold(part)) if loose else agencies.fold(part)
                    words.append(agencies.Word(norm, m.start(), m.end(), part[0].isupper(), part, breaks))
                    breaks = False
            continue
        norm = "và" if token == "&" else agencies.fold(token)
        norm = agencies.strip_marks(norm) if loose else norm
        words.append(agencies.Word(norm, m.start(), m.end(), token[0].isupper(), token, breaks))
    return words


@pytest.mark.parametrize("loose", [False, True])
def test_words_of_gives_the_plain_loops_words(texts, loose):
    abbreviations = agencies.gazetteer(loose).abbreviations
    expanded = breaks = 0
    for text in texts:
        words = agencies._words_of(text, abbreviations, loose)
        assert words == _plain_words_of(text, abbreviations, loose)
        assert all(type(w) is agencies.Word for w in words)
        expanded += sum(w.surface != text[w.start:w.end] for w in words)
        breaks += sum(w.breaks for w in words)
    assert expanded > 10 and breaks > 10  # the samples write UBND, HĐND… and have paragraphs
