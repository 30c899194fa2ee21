"""The compiled decoder (pipeline/lm_kernels.py) chooses what the numpy formulation it
replaced chose (tests/reference_lm.py), on the lattices that repairing real documents builds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.repair import repair
from pipeline.repair.lm import LanguageModel, get_lm, lm_tokens
from pipeline.text.vietnamese import strip_diacritics
from tests import reference_lm

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "corpus" / "samples").glob("00[0-4]_*.txt"))


@pytest.fixture(scope="module")
def lattices(request):
    """Every decode_many call that repairing the five samples, and sample 001 stripped of its
    marks, makes: (lattices, beam, channel weight). (Since English-OCR lines are read whole
    by the garble decoder, sample 000 alone gives fewer restoration lattices.)"""
    calls = []
    original = LanguageModel.decode_many

    def spy(self, batch, beam=8, channel_weight=1.0):
        calls.append((batch, beam, channel_weight))
        return original(self, batch, beam, channel_weight)

    patch = pytest.MonkeyPatch()
    patch.setattr(LanguageModel, "decode_many", spy)
    try:
        for path in SAMPLES:
            repair(path.read_text("utf-8"))
        repair(strip_diacritics(SAMPLES[1].read_text("utf-8")))
    finally:
        patch.undo()
    return calls


def test_repairing_the_samples_decodes_garbled_and_stripped_lines(lattices):
    positions = sum(len(lattice) for batch, _, _ in lattices for lattice in batch)
    choices = sum(len(pos) > 1 for batch, _, _ in lattices for lattice in batch for pos in lattice)
    assert positions > 5000 and choices > 3000
    assert {beam for _, beam, _ in lattices} >= {8, 12}  # diacritic restoration and the garble decoder


def test_compiled_decoder_chooses_as_the_numpy_formulation(lattices):
    lm = get_lm()
    for batch, beam, weight in lattices:
        compiled, reference = lm.decode_many(batch, beam, weight), reference_lm.decode_many(lm, batch, beam, weight)
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


def _tiny_model(ctx_keys: list[int]) -> LanguageModel:
    """A three-syllable model whose bigram prefers "thức hiện" and whose two trigrams prefer
    "<s> <s> thực" and "<s> thực hiện"."""
    vocab = ["<s>", "</s>", "<unk>", "<num>", "<code>", "thực", "thức", "hiện"]
    n = len(vocab)
    tri = sorted(((0 << 21 | 0) << 21 | 5, (0 << 21 | 5) << 21 | 7))
    return LanguageModel(vocab=vocab, p1=np.full(n, 1 / n, dtype=np.float32), g2=np.ones(n, dtype=np.float32),
                         bi_keys=np.array([6 << 21 | 7], dtype=np.int64), bi_a=np.array([0.3], dtype=np.float32),
                         tri_keys=np.array(tri, dtype=np.int64), tri_a=np.array([0.5, 0.4], dtype=np.float32),
                         ctx_keys=np.array(ctx_keys, dtype=np.int64), ctx_g=np.full(len(ctx_keys), 0.5, dtype=np.float32),
                         meta={})


def test_a_model_whose_contexts_are_not_those_of_its_trigrams_is_refused():
    from pipeline.errors import ChithiError

    good = _tiny_model([0 << 21 | 0, 0 << 21 | 5])
    lattice = [[("thức", 0.0), ("thực", 0.0)], [("hiện", 0.0)]]
    assert good.decode(lattice)[0][0] == "thực"  # the trigrams decide, against the bigram
    expected = reference_lm.decode_many(good, [lattice], 8)[0]
    assert [c for c, _ in good.decode(lattice)] == [c for c, _ in expected]
    assert np.allclose([x for _, x in good.decode(lattice)], [x for _, x in expected], rtol=0, atol=1e-6)
    with pytest.raises(ChithiError, match="contexts"):
        _tiny_model([0 << 21 | 0, 0 << 21 | 5, 0 << 21 | 6])  # a context with no trigram
    with pytest.raises(ChithiError, match="contexts"):
        _tiny_model([0 << 21 | 0])  # a trigram whose context is missing
