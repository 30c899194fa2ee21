"""Text of an OCRed page from Tesseract's words: lines, blocks, and the letterhead's columns.

Words → lines (one per line) → Tesseract's text blocks separated by a blank line.
Tesseract's paragraphs are not kept apart: on 1.5-spaced pages it makes every line one,
which would put a blank line between the lines of a sentence.

A Vietnamese letterhead has two columns side by side: the issuing body on the left, the
national motto and the place and date on the right. Tesseract often reads them across, as
lines of the page ("BỘ LAO ĐỘNG - THƯƠNG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), which mixes
the issuer with the motto. Consecutive lines in the top part of the page that share a wide
vertical gap (the gutter) are therefore read column by column: the left column, then the
right one. A line wholly on one side of the gutter that follows such a line closely belongs
to its column ("BINH VÀ XÃ HỘI" under the issuer, "Độc lập - Tự do - Hạnh phúc" under the
motto). Each side of a split line must hold two words or more (a running header's page
number is no column).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

HEADER_SHARE = 0.4  # the letterhead lies in this top share of the page
COLUMN_GAP = 1.2  # a gap between words this many line heights wide …
COLUMN_GAP_WORDS = 3.0  # … and this many times the line's usual gap separates two columns
NEXT_LINE = 3.0  # a one-sided line this many line heights below the last belongs to the columns …
OFF_CENTRE = 0.05  # … if its middle is off the page's middle by this share of the page width (a title is not)


def words(tsv: str) -> list[dict[str, str]]:
    """The recognised words (level-5 rows) of Tesseract's TSV output, in reading order."""
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    return [r for r in rows if r["level"] == "5" and (r["text"] or "").strip()]


@dataclass
class Word:
    text: str
    left: int
    right: int
    top: int
    height: int


@dataclass
class Line:
    block: str
    words: list[Word]

    @property
    def left(self) -> int:
        return min(w.left for w in self.words)

    @property
    def right(self) -> int:
        return max(w.right for w in self.words)

    @property
    def top(self) -> int:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> int:
        return max(w.top + w.height for w in self.words)

    @property
    def height(self) -> int:
        return sorted(w.height for w in self.words)[len(self.words) // 2]

    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def gutter(self) -> tuple[int, int] | None:
        """(end of the left part, start of the right part) when exactly one gap between words
        is wide (COLUMN_GAP line heights and COLUMN_GAP_WORDS times the median gap); else None."""
        ordered = sorted(self.words, key=lambda w: w.left)
        if len(ordered) < 2:
            return None
        height = sorted(w.height for w in ordered)[len(ordered) // 2]
        gaps = [(b.left - a.right, a.right, b.left) for a, b in zip(ordered, ordered[1:])]
        usual = sorted(g[0] for g in gaps)[len(gaps) // 2] if len(gaps) > 2 else 0
        wide = [g for g in gaps if g[0] > COLUMN_GAP * height and g[0] > COLUMN_GAP_WORDS * usual]
        if len(wide) != 1:
            return None
        left_words = sum(1 for w in ordered if w.right <= wide[0][1])
        if left_words < 2 or len(ordered) - left_words < 2:
            return None
        return wide[0][1], wide[0][2]

    def split(self, gutter: tuple[int, int]) -> tuple[Line, Line]:
        middle = (gutter[0] + gutter[1]) / 2
        return (Line(self.block, [w for w in self.words if w.right <= middle]),
                Line(self.block, [w for w in self.words if w.left >= middle]))


def _lines(found: list[dict[str, str]]) -> list[Line]:
    lines: list[Line] = []
    last = None
    for row in found:
        key = (row["block_num"], row["par_num"], row["line_num"])
        if key != last:
            lines.append(Line(row["block_num"], []))
            last = key
        left, top = int(row["left"]), int(row["top"])
        lines[-1].words.append(Word(row["text"], left, left + int(row["width"]), top, int(row["height"])))
    return lines


def text_from_words(found: list[dict[str, str]], page_height: int | None = None, page_width: int | None = None) -> str:
    """The page's text: lines, blocks separated by a blank line, letterhead columns apart
    (when the page's size is given)."""
    blocks: list[list[str]] = []
    lines = _lines(found)
    index, last_block = 0, None
    while index < len(lines):
        run = _column_run(lines, index, page_height, page_width)
        if run:
            left, right, count = run
            blocks.append([line.text() for line in left])
            blocks.append([line.text() for line in right])
            index += count
            last_block = None
            continue
        line = lines[index]
        if line.block != last_block:
            blocks.append([])
        blocks[-1].append(line.text())
        last_block = line.block
        index += 1
    return "\n\n".join("\n".join(block) for block in blocks if block)


def _column_run(lines: list[Line], start: int, page_height: int | None,
                page_width: int | None) -> tuple[list[Line], list[Line], int] | None:
    """Lines from `start` that share a gutter (the letterhead's columns): their left parts,
    their right parts, and how many lines they were; None unless there are two or more."""
    limit = HEADER_SHARE * page_height if page_height else None
    first = lines[start]
    gutter = first.gutter() if limit is not None and first.top < limit else None
    if gutter is None or limit is None or not page_width:
        return None
    middle, off = page_width / 2, OFF_CENTRE * page_width
    low, high = gutter
    left, right = [first.split(gutter)[0]], [first.split(gutter)[1]]
    count, previous = 1, first
    for offset, line in enumerate(lines[start + 1:], start=2):
        if line.top >= limit:
            break
        other = line.gutter()
        if other is not None and max(low, other[0]) < min(high, other[1]):
            low, high = max(low, other[0]), min(high, other[1])
            a, b = line.split((low, high))
            left.append(a)
            right.append(b)
        elif other is None and _side(line, low, high, middle, off) and \
                line.top - previous.bottom <= NEXT_LINE * previous.height:
            (left if _side(line, low, high, middle, off) == "left" else right).append(line)
        else:
            break
        count, previous = offset, line
    return (left, right, count) if count >= 2 else None


def _side(line: Line, low: int, high: int, middle: float, off: float) -> str | None:
    """The column a one-sided line belongs to: it starts left of the gutter, ends before the
    right column starts and its middle is left of the page's (or the mirror image); None
    when it spans both columns or sits in the middle of the page (a title)."""
    centre = (line.left + line.right) / 2
    if line.left < low and line.right <= high and centre < middle - off:
        return "left"
    if line.left >= low and line.right > high and centre > middle + off:
        return "right"
    return None
