"""The shortcuts that make the document stages fast give the same answers as the plain way.

Each test runs a pruned or table-driven helper on the sample plans and compares it with the
straightforward computation it replaces.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.document import Document
from pipeline.extract import agencies
from pipeline.extract.markets import _countries
from pipeline.structure.sections import sections
from pipeline.text import phrases
from pipeline.text.fold import _fold_char, fold

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
            if value is not None and phrases.joined(text, sylls[i:i + n]):
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
        sylls = phrases.syllables(text)
        found = [(m.start, m.end, m.value["code"]) for m in matcher.find(text, sylls)]
        assert found == _plain_find(matcher, text, sylls)
        total += len(found)
    assert total > 20  # the clean samples name many destination countries


def test_stages_do_not_change_the_documents_shared_agency_mentions(texts):
    doc = Document.from_text(texts[3])
    sections(doc)
    before = [(m.start, m.end, m.name, set(m.roles)) for m in doc.agency_mentions]
    assert before and any(roles for *_, roles in before)
    agencies.agencies(doc)  # merging renames short names in its own copies
    assert [(m.start, m.end, m.name, set(m.roles)) for m in doc.agency_mentions] == before


def test_part_of_a_text_is_cut_into_the_syllables_of_that_part(texts):
    part = phrases.syllables(texts[0], 10, 200)
    assert [tuple(s) for s in part] == [(m.group(), m.start(), m.end()) for m in phrases.SYLLABLE.finditer(texts[0], 10, 200)]
