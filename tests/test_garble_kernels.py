"""The compiled channel search (pipeline/repair/garble_kernels.py) finds what the Python search it
replaced found (tests/reference_garble.py), on the tokens that repairing real documents reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.repair import channel, garble, garble_kernels, repair
from tests import reference_garble

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "corpus" / "samples").glob("00[0-4]_*.txt"))
RETRY = (channel.BEAM * channel.RETRY_WIDEN, channel.MARGIN + channel.RETRY_MARGIN)


@pytest.fixture(scope="module")
def tokens() -> list[str]:
    """Every token whose syllable candidates repairing the five samples asks for."""
    asked: dict[str, None] = {}
    search = channel._search

    def spy(observed, top_k, beam, margin):
        asked.setdefault(observed)
        return search(observed, top_k, beam, margin)

    patch = pytest.MonkeyPatch()
    patch.setattr(channel, "_search", spy)
    channel.syllable_candidates.cache_clear()
    garble._core_candidates.cache_clear()
    try:
        for path in SAMPLES:
            repair(path.read_text("utf-8"))
    finally:
        patch.undo()
        channel.syllable_candidates.cache_clear()
    return list(asked)


def test_the_samples_ask_for_garbled_tokens(tokens):
    assert len(tokens) > 1000
    assert sum(garble._surely_garbled(t) for t in tokens) > 100  # "ViQt", "ho4ch": the English OCR of 002


def test_compiled_search_finds_what_the_python_search_found(tokens):
    for token in tokens:
        expected = reference_garble.search(token, channel.TOP_K, channel.BEAM, channel.MARGIN)
        assert channel._search(token, channel.TOP_K, channel.BEAM, channel.MARGIN) == expected, token


def test_compiled_search_with_the_retry_beam(tokens):
    """The wide beam of a retry, on the tokens whose best reading is poor (those retried)."""
    retried = [t for t in tokens if max((s for _, s, _ in channel._search(t, channel.TOP_K, channel.BEAM, channel.MARGIN)),
                                        default=-99.0) < channel.RETRY_BELOW]
    assert len(retried) > 20
    for token in retried[:60]:
        assert channel._search(token, channel.TOP_K, *RETRY) == reference_garble.search(token, channel.TOP_K, *RETRY), token


def test_a_search_that_outgrows_its_arrays_says_so_and_a_larger_one_agrees():
    token = "nguoi"
    model, (trie, _, columns) = channel.channel(), channel._trie_arrays()
    letters, rows = channel._letter_rows().of(token)
    chunks = channel._chunks(token, model, columns)
    run = lambda capacity: garble_kernels.search(rows, letters, chunks, trie, channel.BEAM, channel.MARGIN,  # noqa: E731
                                                model.merge, model.unseen, capacity)
    assert run(8)[-1] is False
    small, large = run(4 * channel.BEAM), run(64 * channel.BEAM)
    assert small[-1] and large[-1]
    assert all((a == b).all() for a, b in zip(small[:4], large[:4])) and len(small[0]) > 0


def test_a_run_of_garbage_is_kept_as_it_stands_and_not_searched(monkeypatch):
    """A table border read as "lllll…" is no pair of syllables: it is not searched (the
    search's arrays grow with the token) and stays as the OCR wrote it."""
    searched = []
    search = channel._search
    monkeypatch.setattr(channel, "_search", lambda token, *args: searched.append(token) or search(token, *args))
    channel.syllable_candidates.cache_clear()
    garble._core_candidates.cache_clear()
    run = "l" * 5_000
    line = f"K6 ho4ch {run} triển khai"
    edits = garble.repair_line(line)
    assert not any(start < line.index(run) + len(run) and line.index(run) < end for start, end, *_ in edits)
    assert any(replacement == "Kế" for _, _, replacement, *_ in edits)  # the rest of the line is read
    assert searched and max(map(len, searched)) <= channel.MAX_READ_LENGTH
