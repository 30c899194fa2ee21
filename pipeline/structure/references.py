"""Stage `references`: citations of other documents anywhere in the text.

A citation is a type word, an optional name (laws: 'Luật Người lao động … số 69/2020/QH14'),
'số', a document number, and optionally its date ('ngày 12/12/2022', 'ngày 23 tháng 5 năm
2023') and its issuer ('của Ban Bí thư', 'của Tỉnh ủy Lai Châu'). Type words and the words
that end an issuer's name live in structure/data/doc_types.json. Matching runs on the folded text
(no diacritics, lower case), so OCR text that lost its accents is still read; offsets are
those of the original. The document's own number in its header is not a reference.
"""

from __future__ import annotations

import re
from functools import cache

from ..document import Document
from ..registry import stage
from ..resources import data
from ..schema import Reference
from ..text.codes import DATE_RE, NUMBER_RE, clean_number, match_date
from ..text.fold import fold

_NAME_MAX = 160
_ISSUER_MAX_WORDS = 12


@stage("references", requires=("text", "document"), assigns=("references",))
def references(doc: Document) -> None:
    own = doc.record.document.evidence.get("number")
    found = find_references(doc.text, doc.folded)
    if own is not None:
        found = [r for r in found if not (r.start < own.end and own.start < r.end)]
    doc.record.references = found


def find_references(text: str, folded: str | None = None) -> list[Reference]:
    """Every 'Type [name] số NUMBER [ngày DATE] [của ISSUER]' citation in `text` (`folded`:
    `fold(text)` when the caller has it)."""
    folded = fold(text) if folded is None else folded
    found: list[Reference] = []
    for match in _citation().finditer(folded):
        number_match = NUMBER_RE.match(text, match.end())
        number = clean_number(number_match.group()) if number_match else None
        if number_match is None or number is None or (found and match.start() < found[-1].end):
            continue
        if match.group("law") and not text[match.start()].isupper():
            continue  # 'pháp luật …' is not the title of a law
        end = number_match.end()
        date, end = _date_after(folded, end)
        issuer, end = _issuer_after(text, folded, end)
        found.append(
            Reference(
                start=match.start(),
                end=end,
                text=text[match.start():end],
                doc_type=_type_of(match.group("type")),
                number=number,
                date=date,
                issuer=issuer,
            )
        )
    return found


@cache
def _citation() -> re.Pattern:
    """Type word, an optional name for laws, then 'số' (optional for the other types)."""
    words = sorted({fold(w) for t in data("pipeline.structure", "doc_types.json")["types"] for w in t["words"]}, key=len, reverse=True)
    laws = "|".join(re.escape(w) for w in words if w.endswith("luat"))
    others = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words if not w.endswith("luat"))
    return re.compile(
        rf"(?<!\w)(?:(?P<type>{others})\s+(?:s[o6]\s*:?\s*)?"
        rf"|(?P<law>{laws})(?:\s+[^\n.;:()]{{1,{_NAME_MAX}}}?)?\s+s[o6]\s*:?\s*)(?=\d)"
    )


@cache
def _types() -> dict[str, str]:
    return {fold(w): t["type"] for t in data("pipeline.structure", "doc_types.json")["types"] for w in t["words"]}


def _type_of(word: str | None) -> str:
    return _types().get(" ".join(word.split()), "other") if word else "luat"


def _date_after(folded: str, end: int) -> tuple[str | None, int]:
    match = re.compile(r",?\s*(?=ngay\s)").match(folded, end)
    if match is None:
        return None, end
    date = DATE_RE.match(folded, match.end())
    if date is None or match_date(date) is None:
        return None, end
    return match_date(date), date.end()


@cache
def _issuer_stop() -> re.Pattern:
    stops = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in data("pipeline.structure", "doc_types.json")["reference_issuer_stops"])
    next_citation = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in _types())
    return re.compile(rf"\s(?:{stops})(?!\w)|\s+va\s+(?:{next_citation})(?!\w)|[,;.:()\"“”]|\n\s*\n|\n\s*\d")


def _issuer_after(text: str, folded: str, end: int) -> tuple[str | None, int]:
    """'của Tỉnh ủy Lai Châu về …' → 'Tỉnh ủy Lai Châu' (at most twelve words)."""
    match = re.compile(r"\s+cua\s+").match(folded, end)
    if match is None:
        return None, end
    start = _skip_running_headers(folded, match.end())
    stop = _issuer_stop().search(folded, start, start + 200)
    issuer_end = stop.start() if stop else min(len(text), start + 120)
    words = list(re.finditer(r"\S+", text[start:issuer_end]))[:_ISSUER_MAX_WORDS]
    if not words:
        return None, end
    issuer_end = start + words[-1].end()
    return " ".join(text[start:issuer_end].split()), issuer_end


def _skip_running_headers(folded: str, start: int) -> int:
    """Past a gazette page header ('CÔNG BÁO/Số 359 + 360/Ngày …') that a page break left
    between 'của' and the issuer."""
    gazette = tuple(fold(g) for g in data("pipeline.structure", "doc_types.json")["gazette_lines"])
    while folded.startswith(gazette, start):
        line_end = folded.find("\n", start)
        if line_end == -1:
            return start
        start = line_end
        while start < len(folded) and folded[start].isspace():
            start += 1
    return start
