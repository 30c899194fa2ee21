"""Split a file's text into documents: a cover letter followed by the plan it forwards.

A new document starts where a full header block begins after the previous document has
ended: after a 'Nơi nhận:' list or a signature ('T/M BAN THƯỜNG VỤ', 'TM. ỦY BAN NHÂN
DÂN'), a line carrying the national or Party motto in capitals ('ĐẢNG CỘNG SẢN VIỆT NAM',
'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM'), followed within a few lines by a document number
('Số 71-KH/TU') or a dated place line ('Lâm Đồng, ngày 02 tháng 02 năm 2023'). The new
document begins with the issuer lines just above the motto. Quoted documents in a gazette
text have no motto, and a single document has no second header, so neither is split.
Matching is on the folded text, which tolerates OCR that lost diacritics.
"""

from __future__ import annotations

import re

from ..text.codes import NUMBER, OCR_PARTY_MOTTO
from ..text.fold import fold

_MOTTO = re.compile(rf"{OCR_PARTY_MOTTO}|c[o0]ng\s+h[o0]a\s+xa\s+h[o0]i\s+chu\s+nghia\s+viet\s+nam")
_DOCUMENT_END = re.compile(r"noi\s+nhan\s*:|(?<![\w/])(?:t\s?/\s?m|tm\.|kt\.)\s+\w")
_NUMBER = re.compile(rf"(?<![\w/])s[o6]\s*[:.]?\s*{NUMBER}", re.I)
_DATED_PLACE = re.compile(r",\s*ngay\s+\d{1,2}\s+th\w{2,4}\s+\d{1,2}\s+n\w{1,3}\s+\d{4}|,\s*ngay\s+\d{1,2}/\d{1,2}/\d{4}")
_LOOKAHEAD = 600
_ISSUER_LINES = 3


def split_documents(text: str) -> list[tuple[int, int]]:
    """(start, end) of each document in `text`, in order, covering the whole text."""
    folded = fold(text)
    starts = [0]
    for motto in _MOTTO.finditer(folded):
        line_start = folded.rfind("\n", 0, motto.start()) + 1
        if not _in_capitals(text, motto.start(), motto.end()):
            continue
        if not _DOCUMENT_END.search(folded, starts[-1], line_start):
            continue
        if not _header_follows(text, folded, motto.end()):
            continue
        start = _issuer_start(text, line_start)
        if start > starts[-1]:
            starts.append(start)
    ends = starts[1:] + [len(text)]
    return list(zip(starts, ends))


def _in_capitals(text: str, start: int, end: int) -> bool:
    letters = [ch for ch in text[start:end] if ch.isalpha()]
    return bool(letters) and sum(ch.isupper() for ch in letters) >= 0.7 * len(letters)


def _header_follows(text: str, folded: str, after: int) -> bool:
    """A document number or a dated place line ('…, ngày 02 tháng 02 năm 2023') shortly
    after the motto; the date words may be misread ('ndm' for 'năm')."""
    window = slice(after, after + _LOOKAHEAD)
    return bool(_NUMBER.search(text[window]) or _DATED_PLACE.search(folded[window]))


def _issuer_start(text: str, line_start: int) -> int:
    """Move back over the capitalised issuer lines just above the motto line."""
    start = line_start
    for _ in range(_ISSUER_LINES):
        previous_start = text.rfind("\n", 0, max(start - 1, 0)) + 1
        previous = text[previous_start:start].strip()
        if not previous or start == 0 or not _in_capitals(text, previous_start, start) or previous.startswith(("-", "+")):
            break
        start = previous_start
    return start
