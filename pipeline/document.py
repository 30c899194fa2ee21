"""The Document: one document being processed, its record and the views its stages share.

Like spaCy's `Doc`, a Document is what the document stages pass along: each stage reads
what earlier stages put on `doc.record` and assigns its own fields (see `pipeline.registry`).
Views of the text that several stages read — the folded text, the syllables, the place
names, the sentences, the agency mentions — are computed the first time one is asked for
and kept on the document, so no stage recomputes another's work and no module keeps a
cache keyed by a document's text. The text never changes once the Document exists.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from functools import cached_property
from typing import TYPE_CHECKING

from .schema import DocumentRecord, Section, Source
from .text.fold import fold
from .text.phrases import Syllable, syllables
from .text.places import PlaceView, place_view

if TYPE_CHECKING:
    from .extract.agencies import Found
    from .extract.quantities import Quantity

# A sentence ends at . ; ! ? followed by white space, or at a line break unless the next line
# goes on in lower case (a line wrapped by the layout or by OCR); "1.800" and "20/6/2021"
# do not end one. Two line breaks always end one.
_SENTENCE_BREAK = re.compile(r"(?<=[.;!?])\s+|\n\s*")


class Document:
    """A document's record (`record`) and the shared views of its text."""

    def __init__(self, record: DocumentRecord) -> None:
        self.record = record

    @classmethod
    def from_text(cls, text: str, source: Source | None = None) -> Document:
        """A Document holding only `text` (tests, and stages that read a passage on its own)."""
        if source is None:
            source = Source(path=None, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), format="text")
        return cls(DocumentRecord(source=source, text=text))

    @property
    def text(self) -> str:
        return self.record.text

    # ------------------------------------------------------------------ text views
    @cached_property
    def folded(self) -> str:
        """`fold(text)`: lower case without diacritics, same offsets."""
        return fold(self.text)

    @cached_property
    def syllables(self) -> list[Syllable]:
        """The syllables (runs of letters and digits) of the text with their offsets."""
        return syllables(self.text)

    @cached_property
    def places(self) -> PlaceView:
        """The text as province and district names are searched in it."""
        return place_view(self.text)

    @cached_property
    def _sentence_breaks(self) -> tuple[list[int], list[int]]:
        """Start and end offsets of the white space that ends each sentence."""
        text = self.text
        starts, ends = [], []
        for m in _SENTENCE_BREAK.finditer(text):
            before = text[m.start() - 1:m.start()]
            if before in (".", ";", "!", "?") or m.group().count("\n") > 1 or not text[m.end():m.end() + 1].islower():
                starts.append(m.start())
                ends.append(m.end())
        return starts, ends

    def sentence_at(self, offset: int) -> tuple[int, int]:
        """[start, end) of the sentence holding `offset` (a list item or a heading counts as one).

        `offset` is the start of a word or number, never inside the white space between sentences."""
        starts, ends = self._sentence_breaks
        before = bisect.bisect_right(ends, offset)  # breaks that end at or before `offset`
        start = ends[before - 1] if before else 0
        after = bisect.bisect_left(starts, offset)  # the first break that starts at or after it
        end = starts[after] if after < len(starts) else len(self.text)
        return start, end

    @cached_property
    def quantities(self) -> list[Quantity]:
        """Numbers and ranges followed by a unit ("1.800 lao động", "164 tỉ đồng")."""
        from .extract.quantities import find_quantities

        return find_quantities(self.text)

    # -------------------------------------------------------------- record views
    def section_path(self, offset: int) -> list[Section]:
        """The sections holding `offset`, outermost first (the `sections` stage must have run)."""
        path: list[Section] = []
        level = self.record.sections
        while True:
            inside = self._section_at(level, offset)
            if inside is None:
                return path
            path.append(inside)
            level = inside.children

    def _section_at(self, level: list[Section], offset: int) -> Section | None:
        """The first section of `level` holding `offset`: by bisection when the sections of
        the level follow one another without overlapping (as the `sections` stage makes
        them), so that a long document's many sections are not all read for every offset."""
        index = self._section_index.get(id(level))
        if index is None or index[0] is not level:
            disjoint = all(a.end <= b.start for a, b in zip(level, level[1:]))
            index = self._section_index[id(level)] = (level, [s.start for s in level] if disjoint else None)
        starts = index[1]
        if starts is None:
            return next((s for s in level if s.start <= offset < s.end), None)
        at = bisect.bisect_right(starts, offset) - 1
        return level[at] if at >= 0 and offset < level[at].end else None

    @cached_property
    def _section_index(self) -> dict[int, tuple[list[Section], list[int] | None]]:
        return {}

    def section_id_at(self, offset: int) -> str | None:
        """Id of the innermost section holding `offset`."""
        path = self.section_path(offset)
        return path[-1].id if path else None

    @cached_property
    def agency_parse(self) -> tuple[Found, ...]:
        """The agency mentions the body grammar reads in the text, without roles."""
        from .extract.agencies import find_mentions

        return tuple(find_mentions(self.text))

    @cached_property
    def agency_mentions(self) -> tuple[Found, ...]:
        """The agency mentions with the roles their clauses give them (needs `sections`).

        Shared by the agencies and tasks stages; a stage that changes mentions works on copies."""
        from .extract.agencies import copy_mentions
        from .extract.roles import assign_roles

        mentions = copy_mentions(self.agency_parse)
        assign_roles(self.text, mentions, self.record.sections)
        return tuple(mentions)
