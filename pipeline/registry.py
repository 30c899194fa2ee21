"""A small registry of document stages, in the manner of spaCy's factories.

A stage is a function `DocumentRecord -> DocumentRecord` that fills one part of the record.
Stages register themselves by name; `pipeline.core` runs them in the order given by
`pipeline/data/stages.json`, so adding or reordering a stage is a data change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import DocumentRecord

StageFn = Callable[["DocumentRecord"], "DocumentRecord"]
_STAGES: dict[str, StageFn] = {}


def stage(name: str) -> Callable[[StageFn], StageFn]:
    """Register `fn` as the document stage called `name`."""

    def register(fn: StageFn) -> StageFn:
        if name in _STAGES and _STAGES[name] is not fn:
            raise ValueError(f"stage {name!r} is registered twice")
        _STAGES[name] = fn
        return fn

    return register


def get_stage(name: str) -> StageFn:
    try:
        return _STAGES[name]
    except KeyError:
        raise KeyError(f"unknown stage {name!r}; known: {sorted(_STAGES)}") from None


def registered() -> list[str]:
    return sorted(_STAGES)
