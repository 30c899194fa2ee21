"""Stage `tasks`: the actionable items of a plan, each with its lead and cooperating bodies.

An item is a leaf section (one with no sub-items) under a section whose role is `tasks`
(NHIỆM VỤ, GIẢI PHÁP) or `organisation` (TỔ CHỨC THỰC HIỆN). Its lead and cooperating
bodies come from the agency mentions of its own text (`chủ trì`, `phối hợp với`, the
subject of the sentence) and are inherited from the heading of the assignment it sits
under ("1. Sở Tư pháp:" → lead of items a), b)…). Its deadline is the first deadline the
`deadlines` stage found inside it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence

from ..document import Document
from ..registry import stage
from ..schema import Section, Task

GOLD_KEY: tuple[str, ...] = ("id", "lead")
TASK_ROLES = {"tasks", "organisation"}


def _leaves(section: Section, ancestors: tuple[Section, ...]) -> Iterator[tuple[Section, tuple[Section, ...]]]:
    if not section.children:
        yield section, ancestors
        return
    for child in section.children:
        yield from _leaves(child, ancestors + (section,))


def task_items(sections: list[Section]) -> Iterator[tuple[Section, tuple[Section, ...]]]:
    """Leaf sections under every tasks/organisation section, with their ancestors."""
    for section in sections:
        if section.role in TASK_ROLES:
            if section.children:
                for child in section.children:
                    yield from _leaves(child, (section,))
            else:
                yield section, ()
        else:
            yield from task_items(section.children)


def _own_text_end(section: Section) -> int:
    """Where a section's own words end: at its first sub-item, or at its end."""
    return section.children[0].start if section.children else section.end


class _ByStart:
    """Items with a `start`, looked up by bisection when they come in order of start (as the
    agency mentions and the deadlines do), else by reading them all."""

    def __init__(self, items: Sequence) -> None:
        self.items = items
        self.starts = [item.start for item in items]
        self.ordered = all(a <= b for a, b in zip(self.starts, self.starts[1:]))

    def between(self, start: int, end: int) -> Sequence:
        """The items with start <= item.start < end, in their order."""
        if not self.ordered:
            return [item for item in self.items if start <= item.start < end]
        return self.items[bisect.bisect_left(self.starts, start):bisect.bisect_left(self.starts, end)]


def _names(mentions: _ByStart, start: int, end: int, role: str) -> list[str]:
    names = []
    for m in mentions.between(start, end):
        if role in m.roles and m.name not in names:
            names.append(m.name)
    return names


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def build_task(doc: Document, item: Section, ancestors: tuple[Section, ...], mentions: _ByStart,
               deadlines: _ByStart) -> Task:
    """The task of one item; `mentions` (agency mentions) and `deadlines` are the document's."""
    record = doc.record
    start, end = _trimmed(record.text, item.start, item.end)
    lead = _names(mentions, start, end, "lead")
    cooperating = _names(mentions, start, end, "cooperate")
    # the assignment headings above the item, nearest first, lend their bodies
    for parent in reversed(ancestors[1:]):
        own_end = _own_text_end(parent)
        inherited = _names(mentions, parent.start, own_end, "lead")
        if inherited and not lead:
            lead = inherited
        cooperating += [n for n in _names(mentions, parent.start, own_end, "cooperate") if n not in cooperating]
    lead_set = set(lead)
    deadline = next(iter(deadlines.between(start, end)), None)
    return Task(
        start=start,
        end=end,
        id=item.id,
        section_id=ancestors[-1].id if ancestors else None,
        title=item.heading,
        text=record.text[start:end],
        lead=lead,
        cooperating=[n for n in cooperating if n not in lead_set],
        deadline=(deadline.date or deadline.recurrence) if deadline else None,
    )


@stage("tasks", requires=("text", "sections", "deadlines"), assigns=("tasks",))
def tasks(doc: Document) -> None:
    mentions, deadlines = _ByStart(doc.agency_mentions), _ByStart(doc.record.deadlines)
    doc.record.tasks = [build_task(doc, item, ancestors, mentions, deadlines)
                        for item, ancestors in task_items(doc.record.sections)]
