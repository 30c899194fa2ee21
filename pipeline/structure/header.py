"""The header of a Vietnamese administrative document, read line by line.

Documents open with a two-column header: the issuing body on the left, the national (or
Party) motto on the right, then 'Số: 157-KH/TU' beside 'Hà Tĩnh, ngày 23 tháng 3 năm 2023',
then the type word ('KẾ HOẠCH') and the subject line. Text extraction often interleaves the
two columns on one line ('TỈNH ỦY HÀ TĨNH ĐẢNG CỘNG SẢN VIỆT NAM'). This module finds the
header's lines and reads the type, the number, the date and place, and the title from them
(and from the enacting clause, 'Ủy ban nhân dân tỉnh ban hành Kế hoạch', when the header
lacks the type). Gazette (Công báo) running headers are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..resources import data
from ..schema import DocType, DocumentInfo, Section, Span
from ..text.codes import DATE_RE, NUMBER, clean_number, match_date
from ..text.fold import fold

HEADER_MAX = 3000
_BODY_START = re.compile(r"(?:can cu|thuc hien|theo de nghi|xet de nghi|kinh gui)\b")
# 'Số: 157-KH/TU', 'S6 157-KH/TU' (OCR), 'Nghị quyết số: 17/2022/UBTVQH15'; a lower-case
# 'số' without a colon is a citation in running text, not the document's own number.
NUMBER_LINE = re.compile(rf"(?<![\w/])(?:S[ốoô6ö]\s*[:.]?|SỐ\s*[:.]?|SO\s*[:.]?|số\s*:)\s*({NUMBER})")
_CODE_CONTINUATION = re.compile(r"[ \t]*([0-9A-ZĐƠƯÂĂÊÔ][0-9A-ZĐƠƯÂĂÊÔ\-]*)")
_ADOPTED = re.compile(r"thong\s+qua\s+ngay\s+")
_TOKEN = re.compile(r"\S+")


@dataclass
class Line:
    start: int
    end: int
    text: str
    folded: str


# ----------------------------------------------------------------------- the header
def lines_of(text: str, folded: str) -> list[Line]:
    """The lines of `text` with their folded form (`folded` is `fold(text)`)."""
    out, start = [], 0
    for raw in text.split("\n"):
        end = start + len(raw)
        out.append(Line(start, end, raw, folded[start:end]))
        start = end + 1
    return out


def _doc_types() -> dict:
    return data("pipeline.structure", "doc_types.json")


def _is_gazette_line(line: Line) -> bool:
    head = line.folded.strip()
    return any(head.startswith(fold(g)) for g in _doc_types()["gazette_lines"])


def header_lines(lines: list[Line], sections: list[Section]) -> list[Line]:
    """The lines before the body begins ('Căn cứ', 'Thực hiện', a first section marker)."""
    header: list[Line] = []
    first_section = sections[0].start if sections else HEADER_MAX
    for line in lines:
        stripped = line.folded.lstrip(" \t#*")
        starts_upper = line.text.lstrip(" \t#*")[:1].isupper()
        if line.start >= min(HEADER_MAX, first_section):
            break
        if header and starts_upper and _BODY_START.match(stripped) and not _follows_type_line(header):
            break
        if not _is_gazette_line(line):
            header.append(line)
    return header


def _follows_type_line(header: list[Line]) -> bool:
    """True right after the type word, where the subject may open with 'Thực hiện …'."""
    previous = next((line for line in reversed(header) if line.text.strip(" \t#*")), None)
    return previous is not None and _line_type(previous) is not None


@cache
def _type_words() -> list[tuple[str, DocType]]:
    """(folded type word, doc_type), longest first."""
    pairs = [(fold(w), t["type"]) for t in _doc_types()["types"] for w in t["words"]]
    return sorted(pairs, key=lambda p: len(p[0]), reverse=True)


def _line_type(line: Line) -> DocType | None:
    """The doc_type of a header line that is a type word in capitals ('KẾ HOẠCH')."""
    content = line.text.strip(" \t#*")
    letters = [ch for ch in content if ch.isalpha()]
    if not letters or not all(ch.isupper() for ch in letters):
        return None
    folded = " ".join(line.folded.strip(" \t#*").split())
    for word, doc_type in _type_words():
        if folded == word or (folded.startswith(word + " ") and len(folded) <= len(word) + 40):
            return doc_type
    return None


def type_line_of(header: list[Line]) -> Line | None:
    return next((line for line in header if _line_type(line)), None)


def span_of(line: Line) -> Span:
    content = line.text.strip(" \t#*")
    start = line.start + line.text.index(content) if content else line.start
    return Span(start=start, end=start + len(content))


def read_type(info: DocumentInfo, folded: str, header: list[Line], type_line: Line | None) -> None:
    """The type word in capitals; else 'V/v'/'Kính gửi' (a công văn); else the enacting clause."""
    if type_line is not None:
        info.doc_type = _line_type(type_line)
        info.evidence["doc_type"] = span_of(type_line)
        return
    for line in header:
        match = re.search(r"(?<!\w)(?:v/v|ve viec)\b|kinh gui\s*:", line.folded)
        if match:
            info.doc_type = "cong_van"
            info.evidence["doc_type"] = Span(start=line.start + match.start(), end=line.start + match.end())
            return
    found = _enacting_type(folded)
    if found:
        info.doc_type, info.evidence["doc_type"] = found


# --------------------------------------------------------------------------- number
def read_number(info: DocumentInfo, text: str, lines: list[Line], before_type: list[Line]) -> None:
    found = _number_in(before_type, text) or _number_in([l for l in lines if l.text.lstrip().startswith("Số")], text)
    if found:
        info.number, info.evidence["number"] = found


def _number_in(lines: list[Line], text: str) -> tuple[str, Span] | None:
    for index, line in enumerate(lines):
        match = NUMBER_LINE.search(line.text)
        if not match:
            continue
        raw, end = match.group(1), line.start + match.end(1)
        if raw.endswith("-") or text[end:end + 1] == "-":  # code broken onto the next line
            raw, end = _continue_code(text, lines, index, raw, end)
        number = clean_number(raw)
        if number:
            return number, Span(start=line.start + match.start(1), end=end)
    return None


def _continue_code(text, lines, index, raw, end):
    raw = raw if raw.endswith("-") else raw + "-"
    if index + 1 < len(lines):
        following = lines[index + 1]
        match = _CODE_CONTINUATION.match(following.text)
        if match and re.search(r"[A-ZĐ]", match.group(1)):
            return raw + match.group(1), following.start + match.end(1)
    return raw.rstrip("-"), end


# ----------------------------------------------------------------------- date, place
def read_date_and_place(info: DocumentInfo, folded: str, lines: list[Line], before_type: list[Line]) -> None:
    for candidates in (before_type, lines):
        for line in candidates:
            found = place_date(line)
            if found and (candidates is before_type or found[2].end - line.start >= len(line.text.rstrip(" ./")) - 1):
                place, place_span, date_span, iso = found
                info.place, info.evidence["place"] = place, place_span
                info.issued_date, info.evidence["issued_date"] = iso, date_span
                return
    match = _ADOPTED.search(folded)
    if match:
        date = DATE_RE.match(folded, match.end())
        if date and match_date(date):
            info.issued_date = match_date(date)
            info.evidence["issued_date"] = Span(start=date.start(), end=date.end())


def place_date(line: Line):
    """(place, its span, date span, ISO date) for a 'Hà Tĩnh, ngày 23 tháng 3 năm 2023' line."""
    for match in re.finditer(r",\s*(?=ngay\s)", line.folded):
        date = DATE_RE.match(line.folded, match.end())
        if not date or not match_date(date):
            continue
        place_start = _place_start(line.text, match.start())
        if place_start is None:
            continue
        place = line.text[place_start:match.start()].strip()
        place_span = Span(start=line.start + place_start, end=line.start + place_start + len(place))
        date_span = Span(start=line.start + date.start(), end=line.start + date.end())
        return place, place_span, date_span, match_date(date)
    return None


def _place_start(text: str, comma: int) -> int | None:
    """Where the capitalised place name before ', ngày' begins (at most six words)."""
    start = None
    for token in reversed(list(_TOKEN.finditer(text, 0, comma))[-6:]):
        if text[token.end():start if start is not None else comma].strip():
            break
        word = token.group()
        if not (word in "-–" or (word[0].isupper() and "/" not in word)):
            break
        start = token.start()
    while start is not None and text[start] in "-– ":
        start += 1
    return start if start is not None and start < comma else None


# ---------------------------------------------------------------------------- title
def read_title(info: DocumentInfo, text: str, header: list[Line], type_line: Line | None) -> None:
    """The subject under the type word, across wrapped lines; for a công văn, 'V/v …'."""
    if type_line is None:
        start_index = next((i for i, l in enumerate(header) if re.match(r"\s*v/v\b", l.folded)), None)
        if start_index is None:
            return
        title_lines = _title_lines(header[start_index:], upper_ok=False)
    else:
        index = header.index(type_line)
        title_lines = _title_lines(header[index + 1:], upper_ok=True)
    if not title_lines:
        return
    span = Span(start=span_of(title_lines[0]).start, end=span_of(title_lines[-1]).end)
    title = " ".join(text[span.start:span.end].replace("**", " ").split())
    info.title = re.sub(r"^(?:V/v|v/v)\s*", "", title) or None
    info.evidence["title"] = span


def _title_lines(lines: list[Line], upper_ok: bool) -> list[Line]:
    out: list[Line] = []
    for line in lines:
        content = line.text.strip(" \t#*")
        if not content:
            if out:
                break
            continue
        if out and _ends_title(line, out, upper_ok):
            break
        out.append(line)
        if len(out) == 8:
            break
    return out


def _ends_title(line: Line, title: list[Line], upper_ok: bool) -> bool:
    """A line after the first title line that no longer belongs to the title."""
    content = line.text.strip(" \t#*")
    upper = all(ch.isupper() for ch in content if ch.isalpha())
    title_upper = all(ch.isupper() for ch in title[0].text if ch.isalpha())
    if upper and not title_upper:
        return True  # 'ỦY BAN THƯỜNG VỤ QUỐC HỘI' enacting body under a lower-case title
    starts_citation = any(line.folded.strip(" *").startswith(w + " so") for w, _ in _type_words())
    return starts_citation and content[:1].isupper() or bool(re.match(r"\s*(?:s[o6]|ngay)\b", line.folded))



@cache
def enacting_pattern() -> re.Pattern:
    """'ban hành Kế hoạch', 'xây dựng Kế hoạch' … with the type word as group 'type'."""
    verbs = data("pipeline.structure", "issuers.json")["enacting_verbs"]
    types = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w, _ in _type_words())
    return re.compile(rf"(?:{verbs})\s+(?P<type>{types})(?!\w)")


def _enacting_type(folded: str) -> tuple[DocType, Span] | None:
    """The type the enacting clause gives the document itself ('… ban hành Kế hoạch …')."""
    match = enacting_pattern().search(folded[:HEADER_MAX * 2])
    if match is None:
        return None
    word = " ".join(match.group("type").split())
    doc_type = next(t for w, t in _type_words() if w == word)
    return doc_type, Span(start=match.start("type"), end=match.end("type"))


@cache
def _code_types() -> dict[str, DocType]:
    return {code.upper(): t["type"] for t in _doc_types()["types"] for code in t["codes"]}


def type_of_number(number: str) -> DocType | None:
    """The document type named by the codes of a number: '157-KH/TU' → ke_hoach.

    The type code is the first lettered segment ('KH', 'NQ', 'TT'); a number whose first
    lettered segment names a body instead ('123/UBND-KGVX') is a công văn; with a year
    segment ('17/2022/UBTVQH15') it is a legal document of a type the number does not say.
    """
    segments = [s for s in re.split(r"[/\-]", number) if re.search(r"[^\W\d_]", s)]
    if not segments:
        return None
    code = re.sub(r"\d+$", "", segments[0]).upper()
    types = _code_types()
    if code in types:
        return types[code]
    has_year = re.search(r"/(?:19|20)\d\d/", number)
    return "cong_van" if "/" in number and not has_year else None


