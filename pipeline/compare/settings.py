"""The comparison's calibrated settings: weights, thresholds, windows (compare/data/compare.json)."""

from __future__ import annotations

from ..resources import data


def settings() -> dict:
    return data("pipeline.compare", "compare.json")
