"""The compiled decoder (pipeline/lm_kernels.py) chooses what the numpy formulation it
replaced chose (tests/reference_lm.py), on the lattices that repairing real documents builds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests import reference_lm
from pipeline.lm import LanguageModel, get_lm, lm_tokens
from pipeline.repair import repair

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "corpus" / "samples").glob("00[0-4]_*.txt"))


@pytest.fixture(scope="module")
def lattices(request):
    """Every decode_many call that repairing the five samples makes: (lattices, beam)."""
    calls = []
    original = LanguageModel.decode_many

    def spy(self, batch, beam=8):
        calls.append((batch, beam))
        return original(self, batch, beam)

    patch = pytest.MonkeyPatch()
    patch.setattr(LanguageModel, "decode_many", spy)
    try:
        for path in SAMPLES:
            repair(path.read_text("utf-8"))
    finally:
        patch.undo()
    return calls


def test_repairing_the_samples_decodes_garbled_and_stripped_lines(lattices):
    positions = sum(len(lattice) for batch, _ in lattices for lattice in batch)
    choices = sum(len(pos) > 1 for batch, _ in lattices for lattice in batch for pos in lattice)
    assert positions > 5000 and choices > 3000
    assert {beam for _, beam in lattices} >= {8, 12}  # diacritic restoration and the garble decoder


def test_compiled_decoder_chooses_as_the_numpy_formulation(lattices):
    lm = get_lm()
    for batch, beam in lattices:
        compiled, reference = lm.decode_many(batch, beam), reference_lm.decode_many(lm, batch, beam)
        assert [[c for c, _ in line] for line in compiled] == [[c for c, _ in line] for line in reference]
        confidences = np.array([x for line in compiled for _, x in line])
        expected = np.array([x for line in reference for _, x in line])
        assert np.allclose(confidences, expected, rtol=0, atol=1e-6)


def test_compiled_logprobs_match_the_numpy_formulation():
    """On the trigrams of the samples (seen and unseen ones) and on random id triples: the
    float32 probability is the same; its log is taken in float64, numpy's float32 log may be
    one unit in the last place off."""
    lm = get_lm()
    ids = np.concatenate([lm.ids(lm_tokens(line)) for path in SAMPLES for line in path.read_text("utf-8").split("\n")])
    rng = np.random.default_rng(0)
    random = rng.integers(0, len(lm.vocab), size=(3, 20_000))
    for u, v, w in ((ids[:-2], ids[1:-1], ids[2:]), tuple(random)):
        compiled, reference = lm.logprob_ids(u, v, w), reference_lm.logprob_ids(lm, u, v, w)
        assert compiled.shape == reference.shape and np.all(compiled <= 1e-6)
        assert np.allclose(compiled, reference, rtol=2e-7, atol=0)
    assert len(ids) > 10_000
