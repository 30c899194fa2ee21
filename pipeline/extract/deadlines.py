"""Stage `deadlines`: due dates and reporting schedules, with who reports to whom.

Read clause by clause (a sentence cut at ';' and brackets), using `data/deadlines.json`:

* a date right after a due phrase ("trước ngày 20/6/2021") is a dated deadline, with the
  recurrence named earlier in its clause ("báo cáo 06 tháng trước ngày …" → six_monthly);
  dates without a due phrase (the issue date, dates of cited documents) are not deadlines;
* a recurrence ("định kỳ 06 tháng, hằng năm") in a clause that also holds a reporting verb
  ("báo cáo", "sơ kết", "tổng kết", "đánh giá") is an undated schedule, one per recurrence;
* a bare "định kỳ" with a reporting verb is `periodic`, unless its sentence says more.

`agency` is the first body named in the list item (or the heading above it) that is not
the body reported to; `report_to` is the body named right after "báo cáo (về/cho)". Bodies
come from the `agencies` stage's mentions, so the names are its canonical names.
"""

from __future__ import annotations

import bisect
import re
from functools import cache

from ..document import Document
from ..registry import stage
from ..resources import data
from ..schema import Agency, Deadline
from ..text.fold import lower
from ..text.numbers import find_dates
from ..text.phrases import PhraseMatcher

GOLD_KEY: tuple[str, ...] = ("date", "recurrence")

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=\S)|\n\s*\n|\n(?=\s*(?:[-+•]|\d+(?:\.\d+)*\.|[a-zđ]\)|[IVX]+\.)\s)")
_CLAUSE_BREAK = re.compile(r"[;()]")
_BLOCK_START = re.compile(r"\n\s*\n|\n(?=\s*(?:\d+(?:\.\d+)*\.|[a-zđ]\)|[IVX]+\.)\s)")


@cache
def _cues() -> dict:
    table = data("pipeline.extract", "deadlines.json")
    by_length = lambda phrases: sorted(phrases, key=len, reverse=True)  # noqa: E731
    return {
        "due": re.compile(
            r"(?<![^\W_])(?:" + "|".join(re.escape(p) for p in by_length(table["due"])) + r")\s*$"
        ),
        "recurrences": PhraseMatcher({r["phrase"]: r["recurrence"] for r in table["recurrences"]}),
        "periodic": PhraseMatcher({p: "periodic" for p in table["periodic"]}),
        "verbs": [lower(v) for v in table["report_verbs"]],
        "due_verbs": [lower(v) for v in table["due_verbs"]],
        "report_to": [lower(v) for v in by_length(table["report_to"])],
    }


@stage("deadlines", requires=("text", "agencies"), assigns=("deadlines",))
def deadlines(doc: Document) -> None:
    doc.record.deadlines = find_deadlines(doc.text, doc.record.agencies)


def find_deadlines(text: str, agencies: list[Agency]) -> list[Deadline]:
    """Dated deadlines and undated schedules of `text`, with the bodies of `agencies` that
    owe them and receive them."""
    mentions = _Mentions(sorted((m.start, m.end, a.name) for a in agencies for m in a.mentions))
    blocks = _Blocks(text)
    found: list[Deadline] = []
    for s_start, s_end in _spans(text, _SENTENCE_BREAK, 0, len(text)):
        in_sentence = []
        for c_start, c_end in _spans(text, _CLAUSE_BREAK, s_start, s_end):
            in_sentence.extend(_clause_deadlines(text, c_start, c_end, s_start))
        if not in_sentence:
            in_sentence = _periodic(text, s_start, s_end)
        for deadline in in_sentence:
            _attach_bodies(text, deadline, mentions, blocks)
        found.extend(in_sentence)
    return found


def _spans(text: str, pattern: re.Pattern, start: int, end: int) -> list[tuple[int, int]]:
    """Stripped, non-empty pieces of text[start:end] between matches of `pattern`."""
    pieces, cursor = [], start
    for m in pattern.finditer(text, start, end):
        pieces.append((cursor, m.start()))
        cursor = m.end()
    pieces.append((cursor, end))
    stripped = []
    for a, b in pieces:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            stripped.append((a, b))
    return stripped


def _has_verb(clause: str, kind: str = "verbs") -> bool:
    return _verb_pattern(kind).search(lower(clause)) is not None


@cache
def _verb_pattern(kind: str) -> re.Pattern:
    """Any of the cue verbs of `kind` as a whole word (one regex for the whole list)."""
    verbs = "|".join(re.escape(v) for v in _cues()[kind]) or "(?!)"
    return re.compile(rf"(?<![^\W_])(?:{verbs})(?![^\W_])")


def _recurrences(text: str, start: int, end: int, matcher: PhraseMatcher) -> list[tuple[int, int, str]]:
    return [(m.start, m.end, m.value) for m in matcher.find_between(text, start, end)]


def _clause_deadlines(text: str, start: int, end: int, sentence_start: int) -> list[Deadline]:
    cues = _cues()
    dated = []
    for d_start, d_end, iso in find_dates(text, start, end):
        if not cues["due"].search(lower(text[start:d_start])) or not _has_verb(text[sentence_start:d_end], "due_verbs"):
            continue
        named = _recurrences(text, start, d_start, cues["recurrences"])
        dated.append(Deadline(
            date=iso, recurrence=named[-1][2] if named else None, what=_what(text, start, d_start),
            text=text[start:d_end], start=start, end=d_end, confidence=0.9,
        ))
    if dated or not _has_verb(text[start:end]) or text[start:end].isupper():
        return dated  # an all-caps clause is a title ("BIỂU TỔNG HỢP … HẰNG THÁNG"), not a schedule
    schedules, seen = [], set()
    for r_start, r_end, recurrence in _recurrences(text, start, end, cues["recurrences"]):
        if recurrence in seen or text[r_start:r_end].isupper():  # "… HẰNG THÁNG" in a title
            continue
        seen.add(recurrence)
        schedules.append(Deadline(
            recurrence=recurrence, what=_what(text, start, end), text=text[start:end],
            start=start, end=end, confidence=0.75,
        ))
    return schedules


def _periodic(text: str, start: int, end: int) -> list[Deadline]:
    """A bare 'định kỳ' with a reporting verb in its clause, when nothing more precise was said."""
    if find_dates(text, start, end):
        return []
    for c_start, c_end in _spans(text, _CLAUSE_BREAK, start, end):
        if _recurrences(text, c_start, c_end, _cues()["periodic"]) and _has_verb(text[c_start:c_end]):
            return [Deadline(
                recurrence="periodic", what=_what(text, c_start, c_end), text=text[c_start:c_end],
                start=c_start, end=c_end, confidence=0.6,
            )]
    return []


def _what(text: str, start: int, end: int) -> str | None:
    """The clause from its first reporting verb on (what is due), on one line."""
    clause = text[start:end]
    folded = lower(clause)
    hits = [m.start() for v in _cues()["verbs"] for m in re.finditer(rf"(?<![^\W_]){re.escape(v)}", folded)]
    what = clause[min(hits):] if hits else clause
    what = re.sub(r"\s+", " ", what).strip(" ,;:.")
    what = re.sub(r"\s*(?:trước|chậm nhất)(?: ngày)?$", "", what, flags=re.IGNORECASE)
    return what or None


# ----------------------------------------------------------------- who and to whom
Mention = tuple[int, int, str]


class _Mentions:
    """Mentions (start, end, name) sorted by start; `between` slices them by bisection."""

    def __init__(self, mentions: list[Mention]) -> None:
        self.items = mentions
        self.starts = [m[0] for m in mentions]

    def before(self, offset: int) -> int:
        """How many mentions start before `offset`."""
        return bisect.bisect_left(self.starts, offset)

    def between(self, start: int, end: int) -> list[Mention]:
        """The mentions with start <= m.start < end, in order."""
        return self.items[self.before(start):self.before(end)]


class _Blocks:
    """Where the block (item or paragraph) holding an offset starts: the end of the last
    `_BLOCK_START` break before it, found by bisection among the text's breaks."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [m.span() for m in _BLOCK_START.finditer(text)]
        self.ends = [end for _, end in self.breaks]
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.chains: dict[int, _Chain] = {}

    def chain(self, block: int, mentions: _Mentions) -> _Chain:
        """The receivers chain of the block starting at `block` (one per block, kept)."""
        if block not in self.chains:
            self.chains[block] = _Chain(self.text, mentions, mentions.before(block))
        return self.chains[block]

    def start(self, offset: int) -> int:
        """The end of the last break in text[:offset] (0 if none), as a search of
        text[:offset] alone finds it: a break whose look-ahead reaches `offset` does not count."""
        index = bisect.bisect_right(self.ends, offset)
        if index < len(self.breaks) and self.breaks[index][0] < offset:  # a break running past `offset`
            last = None  # may match, shorter, in text[:offset]: search from where it starts
            for m in _BLOCK_START.finditer(self.text, self.breaks[index][0], offset):
                last = m.end()
            if last is not None:
                return last
        while index:
            index -= 1
            start, end = self.breaks[index]
            found = _BLOCK_START.match(self.text, start, offset)
            if found and found.end() == end:
                return end
        return 0

    def line_start(self, offset: int) -> int:
        """`text.rfind("\\n", 0, offset) + 1`."""
        index = bisect.bisect_left(self.newlines, offset)
        return self.newlines[index - 1] + 1 if index else 0


def _attach_bodies(text: str, deadline: Deadline, mentions: _Mentions, blocks: _Blocks) -> None:
    block = blocks.start(deadline.start)
    chain = blocks.chain(block, mentions)
    before = mentions.before(deadline.end)
    receivers = chain.receivers(before)
    if not receivers:  # "(báo cáo 06 tháng trước ngày …)" inherits "báo cáo UBND tỉnh" before it
        receivers = chain.receivers(mentions.before(deadline.end + 200))
    deadline.report_to = ", ".join(receivers) or None
    doer = chain.first_doer(before)  # receivers found further on lie after `before`
    deadline.agency = doer[2] if doer else _first_name(_heading_bodies(block, mentions, blocks))


def _first_name(found: list[Mention]) -> str | None:
    return found[0][2] if found else None


def _reports_to(text: str, mention: Mention, previous_end: int | None) -> bool:
    """Whether `mention` comes right after 'báo cáo (về/cho)', or is chained by ',' or 'và'
    to a mention that does (`previous_end`: where that one ends)."""
    lead = lower(text[max(0, mention[0] - 16):mention[0]]).rstrip()
    if any(lead.endswith(phrase) for phrase in _cues()["report_to"]):
        return True
    return previous_end is not None and re.fullmatch(r"\s*(?:,|và)\s*", text[previous_end:mention[0]]) is not None


class _Chain:
    """The mentions of one block from its start on, each marked as a body reported to or not
    (`_reports_to`, read left to right from the block's start). The marks of the first k
    mentions do not depend on the ones after, so every deadline of the block shares them."""

    def __init__(self, text: str, mentions: _Mentions, first: int) -> None:
        self.text, self.mentions, self.first = text, mentions, first
        self.done = first  # mentions[first:done] are marked
        self.previous_end: int | None = None
        self.names: list[tuple[int, str]] = []  # (index, name) of each distinct receiver, first time seen
        self.seen: set[str] = set()
        self.doer: int | None = None  # index of the first mention that is not a receiver

    def _mark(self, until: int) -> None:
        while self.done < until:
            mention = self.mentions.items[self.done]
            if _reports_to(self.text, mention, self.previous_end):
                self.previous_end = mention[1]
                if mention[2] not in self.seen:
                    self.seen.add(mention[2])
                    self.names.append((self.done, mention[2]))
            else:
                self.previous_end = None
                if self.doer is None:
                    self.doer = self.done
            self.done += 1

    def receivers(self, until: int) -> list[str]:
        """Distinct names of the receivers among mentions[first:until], in order."""
        self._mark(until)
        return [name for index, name in self.names if index < until]

    def first_doer(self, until: int) -> Mention | None:
        self._mark(until)
        return self.mentions.items[self.doer] if self.doer is not None and self.doer < until else None


def _heading_bodies(block: int, mentions: _Mentions, blocks: _Blocks) -> list[Mention]:
    """Bodies named on the heading line of the enclosing item ('1. Sở Tài chính')."""
    line_start = blocks.line_start(max(0, block - 1))
    return mentions.between(line_start, block)
