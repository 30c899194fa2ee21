from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("evaluate", ROOT / "scripts" / "evaluate.py")
evaluate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(evaluate)

FIELDS = ("markets", "targets", "checks", "deadlines", "funding")


def test_scoring_counts_partial_matches():
    gold = Counter({("a",): 2, ("b",): 1})
    predicted = Counter({("a",): 1, ("c",): 1})
    assert evaluate.score(gold, predicted) == (1, 1, 2)
    p, r, f = evaluate.prf(1, 1, 2)
    assert (round(p, 3), round(r, 3), round(f, 3)) == (0.5, 0.333, 0.4)


def test_normalisation():
    item = {"name": "  Hàn  QUỐC ", "value": 1800, "roles": ["lead", "cooperate"], "x": None}
    assert evaluate.key_of(item, ("name", "value", "roles", "x")) == ("hàn quốc", 1800.0, ("cooperate", "lead"), None)


@pytest.mark.parametrize("field", FIELDS)
def test_gold_files_are_well_formed(field):
    key = evaluate.gold_key(field)
    for prefix in ("000", "001", "002", "003", "004"):
        items = json.loads((ROOT / "corpus" / "gold" / prefix / f"{field}.json").read_text("utf-8"))
        assert all(isinstance(i["doc"], int) and set(key) <= set(i) for i in items), (prefix, field)


def test_sample_004_scores_and_table(capsys):
    results = evaluate.evaluate_sample("004", ["targets", "figures", "checks"], stages=None)
    assert results["checks"] == (2, 0, 0)
    tp, fp, fn = results["targets"]
    assert tp >= 10 and fn == 0  # the provincial range and the nine district quotas
    assert results["figures"][0] >= 9 and results["figures"][2] == 0  # the labour-force column: statistics
    evaluate.main(["--samples", "004", "--fields", "targets,checks", "--no-model"])
    out = capsys.readouterr().out
    assert "model stage: off" in out and "micro" in out


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_item_of_my_fields_is_grounded_in_the_text(prefix):
    from pipeline import extract

    from .conftest import sample

    for record in extract(sample(prefix)):
        text = record.text
        for market in record.markets:
            assert market.mentions and (market.start, market.end) == (market.mentions[0].start, market.mentions[0].end)
            assert all(text[m.start:m.end] == m.text for m in market.mentions)
        for item in [*record.targets, *record.deadlines]:
            assert 0 <= item.start < item.end <= len(text) and text[item.start:item.end] == item.text
        for item in [*record.targets, *record.markets, *record.deadlines, *record.funding]:
            assert item.source in {"rule", "model", "both"} and 0 < item.confidence <= 1
        for check in record.checks:
            assert 0 <= check.start < check.end <= len(text)
