"""The registry of document stages, in the manner of spaCy's factories.

A document stage is a function `(Document) -> None` that fills some fields of the record
(`doc.record`). It declares the fields it reads and the fields it assigns:

    @stage("markets", requires=("text",), assigns=("markets",))
    def markets(doc: Document) -> None: ...

`pipeline.runner` runs the stages in the order of `runner.DOCUMENT_STAGES`, and `check_order`
refuses an order in which a stage reads a field that no earlier stage (nor ingestion and
repair, which give `source`, `text` and `repairs`) has assigned. Stages never call each
other through the registry: a stage reads what earlier stages put on the Document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .document import Document

StageFn = Callable[["Document"], None]
GIVEN = frozenset({"source", "text", "repairs", "warnings"})  # what a record has before any document stage


@dataclass(frozen=True)
class Stage:
    name: str
    run: StageFn
    requires: tuple[str, ...]
    assigns: tuple[str, ...]


_STAGES: dict[str, Stage] = {}


def stage(name: str, *, requires: Sequence[str], assigns: Sequence[str]) -> Callable[[StageFn], StageFn]:
    """Register `fn` as the document stage `name`, reading `requires` and filling `assigns`."""

    def register(fn: StageFn) -> StageFn:
        if name in _STAGES and _STAGES[name].run is not fn:
            raise ValueError(f"stage {name!r} is registered twice")
        _STAGES[name] = Stage(name, fn, tuple(requires), tuple(assigns))
        return fn

    return register


def get_stage(name: str) -> Stage:
    try:
        return _STAGES[name]
    except KeyError:
        raise KeyError(f"unknown stage {name!r}; known: {sorted(_STAGES)}") from None


def check_order(names: Sequence[str]) -> tuple[Stage, ...]:
    """The stages named, in order, after checking that each one's inputs are assigned before it."""
    assigned = set(GIVEN)
    stages = []
    for name in names:
        current = get_stage(name)
        missing = [field for field in current.requires if field not in assigned]
        if missing:
            raise ValueError(f"stage {name!r} reads {', '.join(missing)}, which no earlier stage assigns")
        assigned.update(current.assigns)
        stages.append(current)
    return tuple(stages)
