"""Stage `metadata`: type, number, date, place, province, issuer, title, signer, recipients.

Vietnamese administrative documents open with a two-column header: the issuing body on the
left, the national (or Party) motto on the right, then 'Số: 157-KH/TU' beside
'Hà Tĩnh, ngày 23 tháng 3 năm 2023', then the type word ('KẾ HOẠCH') and the subject line.
Text extraction often interleaves the two columns on one line ('TỈNH ỦY HÀ TĨNH ĐẢNG CỘNG
SẢN VIỆT NAM'), so the header is read line by line and each line is cut at the motto.
Gazette (Công báo) running headers are skipped, so a gazette PDF gives the document's own
number, not the gazette's. What the header lacks is looked for where documents also say it:
the enacting clause ('Ủy ban nhân dân tỉnh ban hành Kế hoạch'), the authentication block at
the end ('Số: 469/VBHN-BLĐTBXH Hà Nội, ngày …'), 'thông qua ngày …', the signature.

Every field read gets its span in `document.evidence` (field name → Span).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .places import Place, most_named_province, places_in, resolve_province
from .registry import stage
from .schema import DocumentInfo, DocumentRecord, Issuer, Recipient, Signer, Span
from .structure import parse_sections
from .textmatch import (
    DATE_RE,
    NUMBER,
    OCR_PARTY_MOTTO,
    clean_number,
    fold,
    fold_pattern,
    iso_date,
    load_data,
    type_of_number,
)

_HEADER_MAX = 3000
_SIGNATURE_ZONE = 2500
_ISSUER_LINES = 6
_BODY_START = re.compile(r"(?:can cu|thuc hien|theo de nghi|xet de nghi|kinh gui)\b")
# 'Số: 157-KH/TU', 'S6 157-KH/TU' (OCR), 'Nghị quyết số: 17/2022/UBTVQH15'; a lower-case
# 'số' without a colon is a citation in running text, not the document's own number.
_NUMBER_LINE = re.compile(rf"(?<![\w/])(?:S[ốoô6ö]\s*[:.]?|SỐ\s*[:.]?|SO\s*[:.]?|số\s*:)\s*({NUMBER})")
_CODE_CONTINUATION = re.compile(r"[ \t]*([0-9A-ZĐƠƯÂĂÊÔ][0-9A-ZĐƠƯÂĂÊÔ\-]*)")
_ON_BEHALF = re.compile(r"(?<![\w/])(?:T\s?/\s?M|TM\.|KT\.|TL\.|TUQ\.)\s*[^\W\d_]{2}")
_PERSON = re.compile(r"[^\W\d_]+(?:[ \t]+[^\W\d_]+){1,4}")
_ADOPTED = re.compile(r"thong\s+qua\s+ngay\s+")
_TOKEN = re.compile(r"\S+")


@dataclass
class _Line:
    start: int
    end: int
    text: str
    folded: str


# --------------------------------------------------------------------------- stage
@stage("metadata")
def metadata(record: DocumentRecord) -> DocumentRecord:
    record.document = read_metadata(record.text)
    return record


def read_metadata(text: str) -> DocumentInfo:
    """The metadata of one document's text, each field with its evidence span."""
    info = DocumentInfo()
    lines = _lines(text)
    header = _header(text, lines)
    type_line = _type_line(header)
    before_type = header[: header.index(type_line)] if type_line else header
    _read_type(info, text, header, type_line)
    _read_number(info, text, lines, before_type)
    _read_date_and_place(info, text, lines, before_type)
    _read_title(info, text, header, type_line)
    _read_issuer(info, text, lines, before_type)
    _read_signer(info, text, lines)
    _read_province(info, text)
    info.recipients = read_recipients(text, lines)
    if info.doc_type is None and info.number:
        info.doc_type = type_of_number(info.number)
    return info


# ----------------------------------------------------------------------- the header
def _lines(text: str) -> list[_Line]:
    folded = fold(text)
    out, start = [], 0
    for raw in text.split("\n"):
        end = start + len(raw)
        out.append(_Line(start, end, raw, folded[start:end]))
        start = end + 1
    return out


@cache
def _doc_data() -> dict:
    return load_data("doc_types.json")


def _is_gazette_line(line: _Line) -> bool:
    head = line.folded.strip()
    return any(head.startswith(fold(g)) for g in _doc_data()["gazette_lines"])


def _header(text: str, lines: list[_Line]) -> list[_Line]:
    """The lines before the body begins ('Căn cứ', 'Thực hiện', a first section marker)."""
    header = []
    first_section = _first_section_start(text)
    for line in lines:
        stripped = line.folded.lstrip(" \t#*")
        starts_upper = line.text.lstrip(" \t#*")[:1].isupper()
        if line.start >= min(_HEADER_MAX, first_section):
            break
        if header and starts_upper and _BODY_START.match(stripped) and not _follows_type_line(header):
            break
        if not _is_gazette_line(line):
            header.append(line)
    return header


def _follows_type_line(header: list[_Line]) -> bool:
    """True right after the type word, where the subject may open with 'Thực hiện …'."""
    previous = next((line for line in reversed(header) if line.text.strip(" \t#*")), None)
    return previous is not None and _line_type(previous) is not None


def _first_section_start(text: str) -> int:
    sections = parse_sections(text[:_HEADER_MAX])
    return sections[0].start if sections else _HEADER_MAX


@cache
def _type_words() -> list[tuple[str, str]]:
    """(folded type word, doc_type), longest first."""
    pairs = [(fold(w), t["type"]) for t in _doc_data()["types"] for w in t["words"]]
    return sorted(pairs, key=lambda p: len(p[0]), reverse=True)


def _line_type(line: _Line) -> str | None:
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


def _type_line(header: list[_Line]) -> _Line | None:
    return next((line for line in header if _line_type(line)), None)


def _span(line: _Line) -> Span:
    content = line.text.strip(" \t#*")
    start = line.start + line.text.index(content) if content else line.start
    return Span(start=start, end=start + len(content))


def _read_type(info: DocumentInfo, text: str, header: list[_Line], type_line: _Line | None) -> None:
    """The type word in capitals; else 'V/v'/'Kính gửi' (a công văn); else the enacting clause."""
    if type_line is not None:
        info.doc_type = _line_type(type_line)
        info.evidence["doc_type"] = _span(type_line)
        return
    for line in header:
        match = re.search(r"(?<!\w)(?:v/v|ve viec)\b|kinh gui\s*:", line.folded)
        if match:
            info.doc_type = "cong_van"
            info.evidence["doc_type"] = Span(start=line.start + match.start(), end=line.start + match.end())
            return
    found = _enacting_type(text)
    if found:
        info.doc_type, info.evidence["doc_type"] = found


# --------------------------------------------------------------------------- number
def _read_number(info: DocumentInfo, text: str, lines: list[_Line], before_type: list[_Line]) -> None:
    found = _number_in(before_type, text) or _number_in([l for l in lines if l.text.lstrip().startswith("Số")], text)
    if found:
        info.number, info.evidence["number"] = found


def _number_in(lines: list[_Line], text: str) -> tuple[str, Span] | None:
    for index, line in enumerate(lines):
        match = _NUMBER_LINE.search(line.text)
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
def _read_date_and_place(info: DocumentInfo, text: str, lines: list[_Line], before_type: list[_Line]) -> None:
    for candidates in (before_type, lines):
        for line in candidates:
            found = _place_date(line)
            if found and (candidates is before_type or found[2].end - line.start >= len(line.text.rstrip(" ./")) - 1):
                place, place_span, date_span, iso = found
                info.place, info.evidence["place"] = place, place_span
                info.issued_date, info.evidence["issued_date"] = iso, date_span
                return
    match = _ADOPTED.search(fold(text))
    if match:
        date = DATE_RE.match(fold(text), match.end())
        if date and iso_date(date):
            info.issued_date = iso_date(date)
            info.evidence["issued_date"] = Span(start=date.start(), end=date.end())


def _place_date(line: _Line):
    """(place, its span, date span, ISO date) for a 'Hà Tĩnh, ngày 23 tháng 3 năm 2023' line."""
    for match in re.finditer(r",\s*(?=ngay\s)", line.folded):
        date = DATE_RE.match(line.folded, match.end())
        if not date or not iso_date(date):
            continue
        place_start = _place_start(line.text, match.start())
        if place_start is None:
            continue
        place = line.text[place_start:match.start()].strip()
        place_span = Span(start=line.start + place_start, end=line.start + place_start + len(place))
        date_span = Span(start=line.start + date.start(), end=line.start + date.end())
        return place, place_span, date_span, iso_date(date)
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
def _read_title(info: DocumentInfo, text: str, header: list[_Line], type_line: _Line | None) -> None:
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
    span = Span(start=_span(title_lines[0]).start, end=_span(title_lines[-1]).end)
    title = " ".join(text[span.start:span.end].replace("**", " ").split())
    info.title = re.sub(r"^(?:V/v|v/v)\s*", "", title) or None
    info.evidence["title"] = span


def _title_lines(lines: list[_Line], upper_ok: bool) -> list[_Line]:
    out: list[_Line] = []
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


def _ends_title(line: _Line, title: list[_Line], upper_ok: bool) -> bool:
    """A line after the first title line that no longer belongs to the title."""
    content = line.text.strip(" \t#*")
    upper = all(ch.isupper() for ch in content if ch.isalpha())
    title_upper = all(ch.isupper() for ch in title[0].text if ch.isalpha())
    if upper and not title_upper:
        return True  # 'ỦY BAN THƯỜNG VỤ QUỐC HỘI' enacting body under a lower-case title
    starts_citation = any(line.folded.strip(" *").startswith(w + " so") for w, _ in _type_words())
    return starts_citation and content[:1].isupper() or bool(re.match(r"\s*(?:s[o6]|ngay)\b", line.folded))


# --------------------------------------------------------------------------- issuer
@cache
def _bodies() -> list[tuple[re.Pattern, str, str | None]]:
    data = load_data("issuers.json")
    return [(re.compile(rf"(?<!\w)(?:{b['pattern']})(?!\w)"), b["kind"], b["level"]) for b in data["bodies"]]


@cache
def _mottos() -> re.Pattern:
    phrases = [fold_pattern(m) for m in _doc_data()["motto"]]
    return re.compile("|".join(phrases) + "|" + OCR_PARTY_MOTTO)


def classify_issuer(name: str) -> tuple[str | None, str | None, int]:
    """(kind, level, end of the body words) of the body named first in `name`."""
    folded = fold(name)
    best = None
    for pattern, kind, level in _bodies():
        match = pattern.search(folded)
        if match and (best is None or match.start() < best[0].start()):
            best = (match, kind, level)
    if best is None:
        return None, None, 0
    match, kind, level = best
    return kind, level or _unit_level(folded, match.end()), match.end()


def _unit_level(folded: str, after: int) -> str | None:
    units = load_data("issuers.json")["units"]
    words = folded[after:].split()
    for size in (5, 3, 2, 1):
        phrase = " ".join(words[:size])
        if phrase in units:
            return units[phrase]
    place = resolve_province(places_in(folded, after), folded)
    if place is not None:
        return "district" if place.district else "province"
    return None


def _read_issuer(info: DocumentInfo, text: str, lines: list[_Line], before_type: list[_Line]) -> None:
    fragments = _issuer_fragments(before_type)
    if fragments:
        span = Span(start=fragments[0][0], end=fragments[-1][1])
        name = " ".join(" ".join(text[s:e] for s, e in fragments).split())
    else:
        found = _enacting_body(text)
        if found is None:
            return
        name, span = found
    kind, level, _ = classify_issuer(name)
    info.issuer = Issuer(name=name, level=level, kind=kind)
    info.evidence["issuer"] = span


def _issuer_fragments(lines: list[_Line]) -> list[tuple[int, int]]:
    """Spans of the issuer's name: the left-hand column of the header, cut at the motto."""
    cut = []
    for line in lines:
        if not line.text.strip(" \t*"):
            cut.append(None)
            continue
        if _NUMBER_LINE.search(line.text) or _place_date(line):
            break
        motto = _mottos().search(line.folded)
        left = line.text[: motto.start()] if motto else line.text
        cut.append((line, left, motto is not None))
    motto_rows = [i for i, row in enumerate(cut) if row and row[2]]
    if not motto_rows:
        rows = [row for row in cut if row]
        return [_trimmed(row[0], row[1]) for row in rows[:4] if _is_upper(row[1])][:4]
    first = motto_rows[0]
    if _is_upper(cut[first][1]):
        rows = cut[first:]
    else:  # the motto on a line of its own: the issuer is the block of lines just above
        above: list = []
        for row in reversed(cut[:first]):
            if row is None:
                continue
            if not _is_upper(row[1]) or any(row[1].strip() == kept[1].strip() for kept in above):
                break  # body text, or the gazette's index heading repeating the issuer
            above.insert(0, row)
        rows = above + cut[first + 1:]
    spans = []
    for row in rows:
        if row is None or not any(ch.isalpha() for ch in row[1]):
            continue
        if not _is_upper(row[1]) or re.search(r"\d", row[1]) or len(spans) == _ISSUER_LINES:
            break  # the issuer column has ended (body text, a garbled number line)
        spans.append(_trimmed(row[0], row[1]))
    return spans


def _is_upper(fragment: str) -> bool:
    letters = [ch for ch in fragment if ch.isalpha()]
    return len(letters) >= 2 and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)


def _trimmed(line: _Line, left: str) -> tuple[int, int]:
    content = left.strip(" \t*#")
    start = line.start + left.index(content)
    return start, start + len(content)


@cache
def _enacting() -> re.Pattern:
    """'ban hành Kế hoạch', 'xây dựng Kế hoạch' … with the type word as group 'type'."""
    verbs = load_data("issuers.json")["enacting_verbs"]
    types = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w, _ in _type_words())
    return re.compile(rf"(?:{verbs})\s+(?P<type>{types})(?!\w)")


def _enacting_type(text: str) -> tuple[str, Span] | None:
    """The type the enacting clause gives the document itself ('… ban hành Kế hoạch …')."""
    match = _enacting().search(fold(text)[:_HEADER_MAX * 2])
    if match is None:
        return None
    word = " ".join(match.group("type").split())
    doc_type = next(t for w, t in _type_words() if w == word)
    return doc_type, Span(start=match.start("type"), end=match.end("type"))


def _enacting_body(text: str) -> tuple[str, Span] | None:
    """'… ; Ban Thường vụ Huyện ủy xây dựng Kế hoạch …' → the body before the verb."""
    folded = fold(text)[:_HEADER_MAX * 2]
    for match in _enacting().finditer(folded):
        clause_start = max(folded.rfind(p, 0, match.start()) for p in (";", ".", ",", ")", "\n")) + 1
        if match.start() - clause_start > 120:
            continue
        name = text[clause_start:match.start()].strip()
        kind, _, _ = classify_issuer(name)
        if kind is None:
            continue
        start = clause_start + text[clause_start:match.start()].index(name)
        return name, Span(start=start, end=start + len(name))
    return None


# -------------------------------------------------------------------------- signer
def _on_behalf(line: str) -> re.Match | None:
    """'T/M BAN THƯỜNG VỤ', 'TM. ỦY BAN NHÂN DÂN', 'KT. BỘ TRƯỞNG' in capitals on a line."""
    match = _ON_BEHALF.search(line)
    return match if match and _is_upper(line[match.start():]) else None


def _read_signer(info: DocumentInfo, text: str, lines: list[_Line]) -> None:
    """'T/M BAN THƯỜNG VỤ' / 'PHÓ BÍ THƯ' / 'Cao Trang Trọng' near the end of the text; a
    minister signing in person has no on-behalf line ('BỘ TRƯỞNG' / 'Đào Ngọc Dung')."""
    zone = [l for l in lines if l.end >= len(text) - _SIGNATURE_ZONE]
    index = next((i for i, l in enumerate(zone) if _on_behalf(l.text)), None)
    if index is not None:
        line = zone[index]
        match = _on_behalf(line.text)
        on_behalf = line.text[match.start():].strip(" *")
        start = line.start + match.start()
        info.signer = Signer(on_behalf=on_behalf)
        info.evidence["signer.on_behalf"] = Span(start=start, end=start + len(on_behalf))
        _read_signer_title_and_name(info, text, zone[index + 1:])
        if info.issuer.kind is None:
            _issuer_from_signature(info, on_behalf)
        return
    titles = [i for i, l in enumerate(zone) if _is_signer_title(l.text)]
    if titles:
        _read_signer_title_and_name(info, text, zone[titles[-1]:])


def _is_signer_title(line: str) -> bool:
    content = fold(line.strip(" \t*"))
    return _is_upper(line) and content in {fold(t) for t in load_data("issuers.json")["signer_titles"]}


def _read_signer_title_and_name(info: DocumentInfo, text: str, zone: list[_Line]) -> None:
    title_line = None
    for follow in zone:
        content = follow.text.strip(" \t*")
        if not content:
            continue
        if _is_upper(content) and len(content) < 60:
            if not _on_behalf(content):
                title_line = follow
            continue
        if title_line is not None and _PERSON.fullmatch(content) and content[0].isupper() and len(content) < 40:
            info.signer.name = content
            info.evidence["signer.name"] = _span(follow)
        break
    if title_line is not None:
        info.signer.title = title_line.text.strip(" \t*")
        info.evidence["signer.title"] = _span(title_line)


def _issuer_from_signature(info: DocumentInfo, on_behalf: str) -> None:
    kind, level, _ = classify_issuer(on_behalf)
    if kind is None and re.search(r"ban thuong vu|ban chap hanh", fold(on_behalf)):
        kind = "party"
    if kind:
        info.issuer = Issuer(name=info.issuer.name, kind=kind, level=level or info.issuer.level)


# ------------------------------------------------------------------------ province
_PROVINCE_CUES = "tỉnh ủy|thành ủy|tỉnh|thành phố|ubnd tỉnh|ủy ban nhân dân tỉnh"


def _read_province(info: DocumentInfo, text: str) -> None:
    """The issuer's province: from its name, else the header's place, else the province
    the text names most often after 'tỉnh'/'Tỉnh ủy'/'thành phố' (a local body only)."""
    if info.issuer.level == "central":
        return
    place = _province_in_issuer(info, text) or _province_of_place(info, text)
    if place is None and (info.issuer.level in ("province", "district", "commune") or info.issuer.kind is None):
        place = most_named_province(text, _PROVINCE_CUES)
        if place is None and info.issuer.level in ("district", "commune"):
            place = most_named_province(text, "huyện|quận|thị xã")
    if place is not None:
        info.province = place.province
        info.evidence["province"] = Span(start=place.start, end=place.end)
    if info.issuer.level is None and info.issuer.kind and place is not None and "issuer" in info.evidence:
        issuer = info.evidence["issuer"]
        if issuer.start <= place.start < issuer.end:
            info.issuer.level = "district" if place.district else "province"


def _province_in_issuer(info: DocumentInfo, text: str) -> Place | None:
    span = info.evidence.get("issuer")
    if span is None:
        return None
    return resolve_province(places_in(text, span.start, span.end), text)


def _province_of_place(info: DocumentInfo, text: str) -> Place | None:
    span = info.evidence.get("place")
    if span is None:
        return None
    return resolve_province(places_in(text, span.start, span.end), text)


# ---------------------------------------------------------------------- recipients
def read_recipients(text: str, lines: list[_Line] | None = None) -> list[Recipient]:
    """Items of the 'Kính gửi:' and 'Nơi nhận:' lists, one Recipient per item."""
    lines = lines if lines is not None else _lines(text)
    out: list[Recipient] = []
    for index, line in enumerate(lines):
        match = re.search(r"(kinh gui|noi nhan)\s*:", line.folded)
        if not match:
            continue
        kind = "kinh_gui" if match.group(1) == "kinh gui" else "noi_nhan"
        first = line.start + match.end()
        if not _on_behalf(text[first:line.end]):
            out.extend(_items(text, first, line.end, kind))
        for follow in lines[index + 1:]:
            content = follow.text.strip()
            if not content:
                continue
            if not re.match(r"[-–•+]", content):
                break
            out.extend(_items(text, follow.start, follow.end, kind))
    return out


def _items(text: str, start: int, end: int, kind: str) -> list[Recipient]:
    """Recipients in text[start:end]: a '- A;' line, or '- A,- B' run on one line."""
    items = []
    lead = re.match(r"[\s*]*[-–•+]?\s*", text[start:end])
    offset = start + lead.end()
    for part in re.split(r"(?<=[,;])\s*[-–•]\s*", text[offset:end]):
        content = part.strip(" \t*;,.:")
        if len(re.sub(r"\W", "", content)) >= 2:
            at = offset + part.index(content)
            items.append(Recipient(start=at, end=at + len(content), text=content, list=kind))
        offset += len(part)
        offset += len(re.match(r"\s*[-–•]?\s*", text[offset:end]).group())
    return items
