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

Every field read gets its span in `document.evidence` (field name → Span). The header's
type, number, date, place and title are read in `pipeline.structure.header`.
"""

from __future__ import annotations

import re
from functools import cache

from ..document import Document
from ..registry import stage
from ..resources import data
from ..schema import DocumentInfo, Issuer, Recipient, Signer, Span
from ..text.codes import OCR_PARTY_MOTTO
from ..text.fold import fold
from ..text.match import fold_pattern
from ..text.places import Place, PlaceView, most_named_province, places_in, resolve_province
from .header import (
    HEADER_MAX,
    NUMBER_LINE,
    Line,
    enacting_pattern,
    header_lines,
    lines_of,
    place_date,
    read_date_and_place,
    read_number,
    read_title,
    read_type,
    span_of,
    type_line_of,
    type_of_number,
)
from .sections import parse_sections

_SIGNATURE_ZONE = 2500
_ISSUER_LINES = 6
_ON_BEHALF = re.compile(r"(?<![\w/])(?:T\s?/\s?M|TM\.|KT\.|TL\.|TUQ\.)\s*[^\W\d_]{2}")
_PERSON = re.compile(r"[^\W\d_]+(?:[ \t]+[^\W\d_]+){1,4}")


# --------------------------------------------------------------------------- stage
@stage("metadata", requires=("text", "sections"), assigns=("document",))
def metadata(doc: Document) -> None:
    doc.record.document = read_metadata(doc)


def read_metadata(doc: Document | str) -> DocumentInfo:
    """The metadata of one document (with its sections), or of a text, each field with its evidence span."""
    if isinstance(doc, str):
        doc = Document.from_text(doc)
        doc.record.sections = parse_sections(doc.text, doc.folded)
    text = doc.text
    info = DocumentInfo()
    lines = lines_of(text, doc.folded)
    header = header_lines(lines, doc.record.sections)
    type_line = type_line_of(header)
    before_type = header[: header.index(type_line)] if type_line else header
    read_type(info, doc.folded, header, type_line)
    read_number(info, text, lines, before_type)
    read_date_and_place(info, doc.folded, lines, before_type)
    read_title(info, text, header, type_line)
    _read_issuer(info, text, doc.folded, lines, before_type)
    _read_signer(info, text, lines)
    _read_province(info, doc.places)
    info.recipients = read_recipients(text, lines)
    if info.doc_type is None and info.number:
        info.doc_type = type_of_number(info.number)
    return info



# --------------------------------------------------------------------------- issuer
@cache
def _bodies() -> list[tuple[re.Pattern, str, str | None]]:
    table = data("pipeline.structure", "issuers.json")
    return [(re.compile(rf"(?<!\w)(?:{b['pattern']})(?!\w)"), b["kind"], b["level"]) for b in table["bodies"]]


@cache
def _mottos() -> re.Pattern:
    phrases = [fold_pattern(m) for m in data("pipeline.structure", "doc_types.json")["motto"]]
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
    units = data("pipeline.structure", "issuers.json")["units"]
    words = folded[after:].split()
    for size in (5, 3, 2, 1):
        phrase = " ".join(words[:size])
        if phrase in units:
            return units[phrase]
    place = resolve_province(places_in(folded, after), folded)
    if place is not None:
        return "district" if place.district else "province"
    return None


def _read_issuer(info: DocumentInfo, text: str, folded: str, lines: list[Line], before_type: list[Line]) -> None:
    fragments = _issuer_fragments(before_type)
    if fragments:
        span = Span(start=fragments[0][0], end=fragments[-1][1])
        name = " ".join(" ".join(text[s:e] for s, e in fragments).split())
    else:
        found = _enacting_body(text, folded)
        if found is None:
            return
        name, span = found
    kind, level, _ = classify_issuer(name)
    info.issuer = Issuer(name=name, level=level, kind=kind)
    info.evidence["issuer"] = span


def _issuer_fragments(lines: list[Line]) -> list[tuple[int, int]]:
    """Spans of the issuer's name: the left-hand column of the header, cut at the motto."""
    cut: list[tuple[Line, str, bool] | None] = []
    for line in lines:
        if not line.text.strip(" \t*"):
            cut.append(None)
            continue
        if NUMBER_LINE.search(line.text) or place_date(line):
            break
        motto = _mottos().search(line.folded)
        left = line.text[: motto.start()] if motto else line.text
        cut.append((line, left, motto is not None))
    motto_rows = [i for i, row in enumerate(cut) if row and row[2]]
    if not motto_rows:
        present = [row for row in cut if row]
        return [_trimmed(row[0], row[1]) for row in present[:4] if _is_upper(row[1])][:4]
    first = motto_rows[0]
    motto_row = cut[first]
    assert motto_row is not None
    rows: list[tuple[Line, str, bool] | None]
    if _is_upper(motto_row[1]):
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
    spans: list[tuple[int, int]] = []
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


def _trimmed(line: Line, left: str) -> tuple[int, int]:
    content = left.strip(" \t*#")
    start = line.start + left.index(content)
    return start, start + len(content)



def _enacting_body(text: str, folded: str) -> tuple[str, Span] | None:
    """'… ; Ban Thường vụ Huyện ủy xây dựng Kế hoạch …' → the body before the verb."""
    folded = folded[:HEADER_MAX * 2]
    for match in enacting_pattern().finditer(folded):
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


def _read_signer(info: DocumentInfo, text: str, lines: list[Line]) -> None:
    """'T/M BAN THƯỜNG VỤ' / 'PHÓ BÍ THƯ' / 'Cao Trang Trọng' near the end of the text; a
    minister signing in person has no on-behalf line ('BỘ TRƯỞNG' / 'Đào Ngọc Dung')."""
    zone = [l for l in lines if l.end >= len(text) - _SIGNATURE_ZONE]
    index = next((i for i, l in enumerate(zone) if _on_behalf(l.text)), None)
    if index is not None:
        line = zone[index]
        match = _on_behalf(line.text)
        assert match is not None  # the line was chosen for it
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
    return _is_upper(line) and content in {fold(t) for t in data("pipeline.structure", "issuers.json")["signer_titles"]}


def _read_signer_title_and_name(info: DocumentInfo, text: str, zone: list[Line]) -> None:
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
            info.evidence["signer.name"] = span_of(follow)
        break
    if title_line is not None:
        info.signer.title = title_line.text.strip(" \t*")
        info.evidence["signer.title"] = span_of(title_line)


def _issuer_from_signature(info: DocumentInfo, on_behalf: str) -> None:
    kind, level, _ = classify_issuer(on_behalf)
    if kind is None and re.search(r"ban thuong vu|ban chap hanh", fold(on_behalf)):
        kind = "party"
    if kind:
        info.issuer = Issuer(name=info.issuer.name, kind=kind, level=level or info.issuer.level)


# ------------------------------------------------------------------------ province
_PROVINCE_CUES = "tỉnh ủy|thành ủy|tỉnh|thành phố|ubnd tỉnh|ủy ban nhân dân tỉnh"


def _read_province(info: DocumentInfo, text: PlaceView) -> None:
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


def _province_in_issuer(info: DocumentInfo, text: PlaceView) -> Place | None:
    span = info.evidence.get("issuer")
    if span is None:
        return None
    return resolve_province(places_in(text, span.start, span.end), text)


def _province_of_place(info: DocumentInfo, text: PlaceView) -> Place | None:
    span = info.evidence.get("place")
    if span is None:
        return None
    return resolve_province(places_in(text, span.start, span.end), text)


# ---------------------------------------------------------------------- recipients
def read_recipients(text: str, lines: list[Line] | None = None) -> list[Recipient]:
    """Items of the 'Kính gửi:' and 'Nơi nhận:' lists, one Recipient per item."""
    lines = lines_of(text, fold(text)) if lines is None else lines
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
    offset = start + len(text[start:end]) - len(re.sub(r"^[\s*]*[-–•+]?\s*", "", text[start:end]))
    for part in re.split(r"(?<=[,;])\s*[-–•]\s*", text[offset:end]):
        content = part.strip(" \t*;,.:")
        if len(re.sub(r"\W", "", content)) >= 2:
            at = offset + part.index(content)
            items.append(Recipient(start=at, end=at + len(content), text=content, list=kind))
        offset += len(part)
        rest = text[offset:end]
        offset += len(rest) - len(re.sub(r"^\s*[-–•]?\s*", "", rest))
    return items
