"""Relevance: is the document a plan that answers the reference? Decided before any scoring.

A Thông tư, a Nghị quyết or a cover letter (Công văn) is not a plan, and scoring it against
Directive 20 would give a small, meaningless coverage; a plan on another subject neither.
The relation of a document to the reference, strongest first:

    implements    it cites the reference in its title or opening ("Thực hiện Chỉ thị số 20-CT/TW …")
    cites         it cites the reference only in its body
    via_plan      it cites a plan known to implement the reference (a district plan that
                  answers its province's plan without naming the directive)
    same_subject  it cites neither, but its title or opening names the reference's subject
                  (a 2021 plan on sending workers abroad, before the directive)
    unrelated     none of these

Only plans (compare/data/compare.json, "plan_doc_types") that are not unrelated are scored,
unless scoring is forced; a document whose type is unknown gets the benefit of the doubt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..schema import DocumentRecord, Mention, Relevance
from ..text.fold import fold, plain_words
from .reference import ReferenceDocument
from .settings import settings


def number_key(number: str | None) -> str:
    """A document number compared without case, diacritics or spaces: '20-CT/TW' → '20-ct/tw'."""
    return re.sub(r"\s+", "", fold(number or ""))


def opening_end(record: DocumentRecord) -> int:
    """Where the opening (header, title and preamble) ends: at the first top-level section, else
    after `opening_chars` characters."""
    limit = settings()["relevance"]["opening_chars"]
    if record.sections:
        return min(s.start for s in record.sections)
    return min(len(record.text), limit)


def citations(record: DocumentRecord, number: str | None, type_words: Iterable[str] = ()) -> list[Mention]:
    """Where the document cites the document `number`: the references stage's citations, the
    number itself anywhere in the folded text (a citation the stage could not read whole), and
    OCR-garbled citations after one of `type_words` ("Chỉ thị số ZO-CfffW")."""
    key = number_key(number)
    if not key:
        return []
    found = {(r.start, r.end): Mention(start=r.start, end=r.end, text=r.text, repaired=r.repaired)
             for r in record.references if number_key(r.number) == key}
    folded = fold(record.text)
    pattern = re.compile(r"(?<![\w/])" + r"\s*".join(re.escape(ch) for ch in key) + r"(?![\w])")
    matches = [(m.start(), m.end()) for m in pattern.finditer(folded)] + _garbled(folded, key, type_words)
    for start, end in matches:
        if not any(s <= start < e or start <= s < end for s, e in found):
            found[(start, end)] = Mention(start=start, end=end, text=record.text[start:end])
    return [found[k] for k in sorted(found)]


# Characters an OCR reads for a digit: 'ZO' for '20', 'l2' for '12'.
_AS_DIGIT = str.maketrans({"o": "0", "z": "2", "l": "1", "i": "1", "|": "1", "s": "5", "b": "6", "g": "9"})


def _garbled(folded: str, key: str, type_words: Iterable[str]) -> list[tuple[int, int]]:
    """Spans of 'chỉ thị số ZO-CfffW'-like citations of `key` ('20-ct/tw'): after a type word and
    'số', a token whose leading digits, read through OCR look-alikes, are the number's, and
    whose code starts and ends with the letters of the number's code ('c…w'). A plain
    '20/CT-TTg' or '20-KH/TU' is another document."""
    digits = re.match(r"\d+", key)
    letters = re.findall(r"[a-z]", key[digits.end():]) if digits else []
    words = [plain_words(w) for w in type_words if plain_words(w)]
    if not digits or not letters or not words:
        return []
    spans = []
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
                         + r")\s+so\s+([0-9ozli|sbg]{1,4})[\s\-/.]*([a-z][\w/\-]*)")
    for match in pattern.finditer(folded):
        code = re.findall(r"[a-z]", match.group(2))
        if match.group(1).translate(_AS_DIGIT) == digits.group() and code and (code[0], code[-1]) == (letters[0], letters[-1]):
            spans.append((match.start(), match.end()))
    return spans


def relevance_of(record: DocumentRecord, reference: ReferenceDocument, implementing: Iterable[str] = (),
                 force: bool = False) -> Relevance:
    """The document's relation to the reference and whether to score it.

    `implementing`: numbers of plans known to implement the reference (the workbench passes
    the plans it holds that cite it), for the via_plan relation."""
    conf = settings()["relevance"]
    doc_type = record.document.doc_type
    is_plan = None if doc_type is None else doc_type in settings()["plan_doc_types"]
    end = opening_end(record)
    via = None
    mentions = citations(record, reference.number, reference.type_words)
    if mentions:
        relation = "implements" if any(m.start < end for m in mentions) else "cites"
    else:
        known = {number_key(n) for n in implementing} - {""}
        cited = [r for r in record.references if number_key(r.number) in known]
        if cited:
            relation, via = "via_plan", cited[0].number
            mentions = [Mention(start=r.start, end=r.end, text=r.text, repaired=r.repaired) for r in cited]
        elif _names_subject(record, reference, end):
            relation = "same_subject"
        else:
            relation = "unrelated"
    scored = is_plan is not False and relation != "unrelated"
    return Relevance(doc_type=doc_type, is_plan=is_plan, relation=relation, via=via,
                     mentions=mentions[:conf["max_mentions"]], scored=scored or force, forced=force and not scored)


def _names_subject(record: DocumentRecord, reference: ReferenceDocument, end: int) -> bool:
    opening = f" {plain_words((record.document.title or '') + ' ' + record.text[:end])} "
    return any(f" {phrase} " in opening for phrase in reference.subject if phrase)
