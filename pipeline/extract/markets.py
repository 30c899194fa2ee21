"""Stage `markets`: destination countries, regions and market criteria.

Country and region names come from `extract/data/countries.json` (Vietnamese names, variants and
foreign spellings → ISO 3166-1 alpha-2 or a region code). A name is matched on whole
syllables, longest first, and kept only when its context says it is a place name:

* its last syllable is capitalised ("Đức", not the "đức" of "đạo đức");
* it is not glued to a neighbouring capitalised syllable on the same line, which would make
  it part of a longer proper name ("Lào Cai", "Đức Thọ", "Nguyễn Văn Đức", "Chủ Nhật",
  "Cơ quan Hợp tác Quốc tế Nhật Bản") — unless that neighbour is a trigger word that
  merely starts the sentence ("Sang Nhật Bản …");
* a one-syllable name ("Đức", "Úc", "Pháp") also needs a trigger word before it or a
  neighbour in a list of accepted markets.

Names of two syllables or more that OCR garbled ("Pai Loạn", "Trung Quédc") are found by
a second, tone-insensitive fuzzy pass with a lower confidence.

Generic criteria ("thị trường có thu nhập cao", "thị trường truyền thống") come from
`extract/data/markets_criteria.json` and give `Market(kind="criterion", code=None)`.
"""

from __future__ import annotations

import re
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ..document import Document
from ..registry import stage
from ..resources import data
from ..schema import Market, Mention
from ..text.fold import fold, lower
from ..text.phrases import Match, PhraseMatcher, Syllable, joined, phrase_key, syllables

GOLD_KEY: tuple[str, ...] = ("kind", "code", "name")

_SAME_LINE_GAP = re.compile(r"[ \t]+")
_CLAUSE_BREAK = re.compile(r"[.;:!?]|\n\s*\n")  # a single line break is only layout


@cache
def _countries() -> tuple[PhraseMatcher, frozenset[str]]:
    table = data("pipeline.extract", "countries.json")
    phrases = {variant: entry for entry in table["markets"] for variant in entry["variants"]}
    triggers = frozenset(lower(word) for word in table.get("triggers", []))
    return PhraseMatcher(phrases), triggers


@cache
def _criteria() -> tuple[tuple[tuple[str, ...], ...], int, PhraseMatcher]:
    table = data("pipeline.extract", "markets_criteria.json")
    nouns = tuple(phrase_key(n) for n in table["nouns"])
    cues = {cue: (c, c.get("window", table["window"])) for c in table["criteria"] for cue in c["cues"]}
    return nouns, table["window"], PhraseMatcher(cues)


@stage("markets", requires=("text",), assigns=("markets",))
def markets(doc: Document) -> None:
    doc.record.markets = find_markets(doc.text, doc.syllables)


def find_markets(text: str, sylls: list[Syllable] | None = None) -> list[Market]:
    """The named markets and market criteria of `text` (`sylls`: its syllables, when known)."""
    sylls = syllables(text) if sylls is None else sylls
    return _named_markets(text, sylls) + _criterion_markets(text, sylls)


# ------------------------------------------------------------------- named markets
def _named_markets(text: str, sylls: list[Syllable]) -> list[Market]:
    matcher, triggers = _countries()
    by_code: dict[str, Market] = {}
    exact = matcher.find(text, sylls)
    fuzzy = _fuzzy_matches(text, sylls, exact)
    found = sorted(exact + fuzzy, key=lambda m: m.start)
    for match in _accepted(text, sylls, found, triggers):
        entry = match.value
        end = _close_bracket(text, match.start, match.end)
        mention = Mention(start=match.start, end=end, text=text[match.start:end])
        market = by_code.get(entry["code"])
        if market is None:
            by_code[entry["code"]] = Market(
                code=entry["code"], kind=entry["kind"], name=entry["name"],
                start=mention.start, end=mention.end, mentions=[mention],
                confidence=FUZZY_CONFIDENCE if match in fuzzy else _confidence(match, sylls, triggers),
            )
        else:
            market.mentions.append(mention)
            if match not in fuzzy:
                market.confidence = max(market.confidence, _confidence(match, sylls, triggers))
    return list(by_code.values())


FUZZY_CONFIDENCE = 0.6
FUZZY_MIN_LENGTH = 8  # short names ('Đông Á', 'Ba Lan') are too close to ordinary words
FUZZY_MAX_DISTANCE = 0.2  # normalised Levenshtein distance on unaccented, case-folded syllables


def _fuzzy_matches(text: str, sylls: list[Syllable], exact: list[Match]) -> list[Match]:
    """OCR-garbled names of two syllables or more ("Pai Loan", "Trung Quédc", "Cộng hòa Liên
    bang Bic"), left where the exact pass found nothing. Compared without tone marks, each
    window of syllables against the variants with as many syllables, first and last syllable
    capitalised; lower confidence."""
    taken = {i for m in exact for i in range(m.first, m.last + 1)}
    by_length = _unaccented_variants()
    lengths, choices = sorted(by_length, reverse=True), {n: list(v) for n, v in by_length.items()}
    capitalised = [s.capitalised for s in sylls]
    found, i = [], 0
    while i < len(sylls):
        if not capitalised[i]:  # every window must start capitalised
            i += 1
            continue
        match = None
        for n in lengths:
            # the cheap tests first: the last syllable capitalised too, none already matched
            if i + n > len(sylls) or not capitalised[i + n - 1]:
                continue
            if any(j in taken for j in range(i, i + n)) or not joined(text, sylls[i:i + n]):
                continue
            window = sylls[i:i + n]
            key = " ".join(fold(s.text) for s in window)
            best = process.extractOne(
                key, choices[n], scorer=Levenshtein.normalized_distance,
                score_cutoff=FUZZY_MAX_DISTANCE,
            )
            if best is not None:
                match = Match(window[0].start, window[-1].end, i, i + n - 1, by_length[n][best[0]])
                break
        if match is None:
            i += 1
        else:
            found.append(match)
            i = match.last + 1
    return found


@cache
def _unaccented_variants() -> dict[int, dict[str, dict]]:
    by_length: dict[int, dict[str, dict]] = {}
    for entry in data("pipeline.extract", "countries.json")["markets"]:
        for variant in entry["variants"]:
            parts = [fold(s.text) for s in syllables(variant)]
            if len(parts) >= 2 and len(" ".join(parts)) >= FUZZY_MIN_LENGTH:
                by_length.setdefault(len(parts), {}).setdefault(" ".join(parts), entry)
    return by_length


def _accepted(text: str, sylls: list[Syllable], matches: list[Match], triggers: frozenset[str]) -> list[Match]:
    """Place names in context. A one-syllable name ("Đức", "Pháp", "Úc") also needs a cue:
    a trigger word before it ("sang Đức", "thị trường Nhật") or a neighbour in a list of
    accepted markets ("Singapore, Úc, Đức, Rumani"); so "Ủy ban Pháp luật" is no market."""
    places = [m for m in matches if _is_place_name(text, sylls, m, triggers)]
    sure = {id(m) for m in places if m.last > m.first or _cued(sylls, m, triggers)}
    changed = True
    while changed:
        changed = False
        for left, right in zip(places, places[1:]):
            if (id(left) in sure) != (id(right) in sure) and _LIST_GAP.fullmatch(text[left.end:right.start]):
                sure.update((id(left), id(right)))
                changed = True
    return [m for m in places if id(m) in sure]


_LIST_GAP = re.compile(r"\s*(?:[,;/-]|và|hoặc)\s*|\s*\)?\s*[,;]\s*\(?\s*")


def _cued(sylls: list[Syllable], match: Match, triggers: frozenset[str]) -> bool:
    before = [s.key for s in sylls[max(0, match.first - 2):match.first]]
    return bool(before) and (before[-1] in triggers or " ".join(before) in triggers)


def _is_place_name(text: str, sylls: list[Syllable], match: Match, triggers: frozenset[str]) -> bool:
    last = sylls[match.last]
    if not last.capitalised:
        return False
    shouting = text[match.start:match.end].isupper()
    if shouting and match.first == match.last and len(last.text) > 1:
        # an all-caps heading says nothing about proper names: a lone syllable ("PHÁP" of
        # "GIẢI PHÁP") needs a trigger word right before it, unless it is an acronym ("EU")
        if last.text in match.value["variants"]:
            return True
        return match.first > 0 and sylls[match.first - 1].key in triggers
    after = sylls[match.last + 1] if match.last + 1 < len(sylls) else None
    if after and _glued(text, last, after) and after.capitalised and not (shouting and after.text.isupper()):
        return False
    before = sylls[match.first - 1] if match.first > 0 else None
    if before and _glued(text, before, sylls[match.first]) and before.capitalised:
        if shouting and before.text.isupper():
            return True
        return before.key in triggers and _starts_sentence(text, sylls, match.first - 1)
    return True


def _glued(text: str, left: Syllable, right: Syllable) -> bool:
    return bool(_SAME_LINE_GAP.fullmatch(text[left.end:right.start]))


def _starts_sentence(text: str, sylls: list[Syllable], index: int) -> bool:
    if index == 0:
        return True
    gap = text[sylls[index - 1].end:sylls[index].start]
    return bool(re.search(r"[.;:!?\n]|^\s*[-+•]\s*$", gap))


def _close_bracket(text: str, start: int, end: int) -> int:
    """Include the closing bracket of 'Đài Loan (Trung Quốc)' in the mention."""
    if text.count("(", start, end) > text.count(")", start, end) and text[end:end + 1] == ")":
        return end + 1
    return end


def _confidence(match: Match, sylls: list[Syllable], triggers: frozenset[str]) -> float:
    """Multi-syllable names are near-certain; a bare 'Nhật' or 'Đức' less so without a cue."""
    if match.last > match.first:
        return 0.95
    return 0.9 if _cued(sylls, match, triggers) else 0.8


# ----------------------------------------------------------------------- criteria
def _criterion_markets(text: str, sylls: list[Syllable]) -> list[Market]:
    nouns, window, cues = _criteria()
    keys = [s.key for s in sylls]
    found: dict[str, Market] = {}
    first_words = {n[0] for n in nouns if n}
    for i in range(len(sylls)):
        if keys[i] not in first_words and () not in nouns:
            continue
        noun = next((n for n in nouns if tuple(keys[i:i + len(n)]) == n), None)
        if noun is None:
            continue
        head = i + len(noun)
        reach = _clause_reach(text, sylls, head - 1, window)
        for match in cues.find(text, sylls[head:reach]):
            criterion, limit = match.value
            if match.first >= limit:
                continue
            start, end = sylls[i].start, match.end
            mention = Mention(start=start, end=end, text=text[start:end])
            market = found.get(criterion["id"])
            if market is None:
                found[criterion["id"]] = Market(
                    code=None, kind="criterion", name=criterion["name"],
                    start=start, end=end, mentions=[mention], confidence=0.8,
                )
            else:
                market.mentions.append(mention)
    return list(found.values())


def _clause_reach(text: str, sylls: list[Syllable], index: int, window: int) -> int:
    """Index one past the last syllable within `window` after `index`, inside one clause."""
    stop = min(len(sylls), index + 1 + window)
    for j in range(index + 1, stop):
        if _CLAUSE_BREAK.search(text[sylls[j - 1].end:sylls[j].start]):
            return j
    return stop
