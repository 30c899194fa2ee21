"""Merging the NER model's spans with the rule extractors' items.

A model span that overlaps a rule item (or one of its mentions) marks that item
`source="both"`. A model-only span becomes a new item with `source="model"` when it can be
normalised: an AGENCY span by the agency grammar, or else by fuzzy match (rapidfuzz, on
unmarked text) to a body name — one the rules found elsewhere in the same document, or one
composed from the body-type gazetteer; a MARKET span by the markets rules or by fuzzy match
to a country/region variant of its gazetteer; a TARGET or DEADLINE span by the rule parser
of its sentence (the extractors' functions, called on the sentence alone). A model AGENCY
span that extends a rule mention whose grammar stopped at a garbled word ("Ban Thường vụ
Tỉnh ấy") renames that mention when its fuzzy name scores higher. The fuzzy thresholds and
the confidence of model-only items were measured under cross-validation
(`models/ner/calibration.json`, written by `scripts/cv_ner.py`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from ..document import Document
from ..resources import data
from ..schema import Mention, Span
from ..text.fold import fold
from . import agencies as agency_rules
from .deadlines import find_deadlines
from .markets import find_markets
from .roles import assign_roles
from .targets import find_targets


# ------------------------------------------------------------- fuzzy matching
def _unmarked(text: str) -> str:
    return " ".join(fold(text).split())


def closest(text: str, candidates: list[str]) -> tuple[str, float] | None:
    """The candidate nearest to `text` on unmarked, case-folded text (rapidfuzz ratio, 0-100);
    ties go to the earlier candidate."""
    from rapidfuzz import fuzz, process

    if not candidates:
        return None
    best = process.extractOne(_unmarked(text), [_unmarked(c) for c in candidates], scorer=fuzz.ratio)
    return (candidates[best[2]], best[1]) if best else None


@cache
def composed_bodies() -> tuple[str, ...]:
    """Body names composed from the type gazetteer (head [domain] [place word | party body]),
    kept when the agency grammar reads them whole: candidates for normalising noisy spans."""
    spec = data("pipeline.extract", "agency_types.json")
    places = [p for p in spec["places"] if len(p.split()) <= 2]
    tails = {"place": places, "place_or_name": places, "agency": [*spec["party_levels"], *places]}
    names = []
    for entry in spec["types"]:
        domains = spec["domains"].get(entry.get("domain"), [""])
        cores = [f"{head} {domain}".strip() for head in entry["heads"] for domain in domains]
        names += [f"{core} {tail}".strip() for core in cores for tail in ["", *tails.get(entry.get("qualifier"), [])]]
    return tuple(dict.fromkeys(n for n in names if _reads_whole(n)))


def _reads_whole(name: str) -> bool:
    found = agency_rules.find_mentions(name)
    return len(found) == 1 and found[0].start == 0 and found[0].end == len(name)


def normalise_agency(text: str, document_names: list[str], threshold: float):
    """A `Found` for a model AGENCY span (offsets within `text`), or None.

    The grammar first (exact, then without diacritics), when it reads the whole span; else
    the nearest of the document's own rule names, else the nearest composed gazetteer name,
    if it scores at least `threshold` and has no more words than the span (a match may
    correct words, never add one: "Ban Chỉ đạo" is not "Ban Chỉ đạo xã").
    Returns (found, score); the score is 100 for a grammar reading.
    """
    for loose in (False, True):
        parsed = agency_rules.find_mentions(text, loose=loose)
        if len(parsed) == 1 and parsed[0].start == 0 and parsed[0].end == len(text):
            return parsed[0], 100.0
    words, places = len(text.split()), _places_read_in(text)
    for candidates in (document_names, composed_bodies()):
        # never add words, nor turn a word into an administrative place ("Mặt trận TỔ quốc và"
        # is not "Mặt trận Tổ quốc xã", "Ban Chỉ đạo công" not "Ban Chỉ đạo phường")
        best = closest(text, [c for c in candidates if len(c.split()) <= words and not _invents_a_place(c, places)])
        if best and best[1] >= threshold:
            (found,) = agency_rules.find_mentions(best[0])
            return replace(found, start=0, end=len(text)), best[1]
    return None


@cache
def _place_words() -> frozenset[str]:
    """The words of the gazetteer's administrative places (tỉnh, huyện, xã, phường, …), folded."""
    places = data("pipeline.extract", "agency_types.json")["places"]
    return frozenset(w for place in places for w in fold(place).lower().split())


def _places_read_in(text: str) -> frozenset[str]:
    """The place words that some word of `text` may be a reading of (a garbled "huyn" still
    reads as "huyện")."""
    from rapidfuzz import fuzz

    seen = fold(text).lower().split()
    return frozenset(w for w in _place_words() if any(fuzz.ratio(w, s) >= 75 for s in seen))


def _invents_a_place(candidate: str, places_read: frozenset[str]) -> bool:
    """Whether `candidate` names a place word that is not among `places_read`."""
    return any(w in _place_words() and w not in places_read for w in fold(candidate).lower().split())


# ---------------------------------------------------------------------- merging
def _overlaps(span: Span, start: int, end: int) -> bool:
    return span.start < end and start < span.end


def merge_agencies(doc: Document, spans: list[tuple[int, int]], confidence: float, threshold: float) -> None:
    """Mark rule agencies the model also found; add or rename mentions the model normalises."""
    record, text = doc.record, doc.text
    mentions = agency_rules.copy_mentions(doc.agency_parse)
    names = [a.name for a in record.agencies]
    seen: set[tuple[int, int]] = set()
    made: dict[tuple[int, int], agency_rules.Found] = {}
    for start, end in map(_trimmed(text), spans):
        inside = [m for m in mentions if m.start < end and start < m.end]
        seen.update((m.start, m.end) for m in inside)
        if len(inside) > 1 or (inside and start >= inside[0].start and end <= inside[0].end):
            continue  # the rules read it (or read more): nothing to add
        rule = inside[0] if inside else None
        others = [n for n in names if not rule or agency_rules.name_key(n) != agency_rules.name_key(rule.name)]
        normalised = normalise_agency(text[start:end], others, threshold)
        if normalised is None:
            continue
        found, score = normalised
        found = replace(found, start=start + found.start, end=start + found.end, roles=set())
        if rule:  # the model reads further than the grammar did: rename when that scores better
            rule_score = (closest(text[start:end], [rule.name]) or ("", 0.0))[1]
            if agency_rules.name_key(found.name) == agency_rules.name_key(rule.name) or score <= rule_score:
                continue
            mentions.remove(rule)
        mentions.append(found)
        made[(found.start, found.end)] = found
    if not made:
        _mark_both(record, seen)
        return
    _rebuild_agencies(record, mentions, seen, made, confidence)


def _trimmed(text: str):
    """A function that moves a span's ends inward past spaces and punctuation."""
    def trim(span: tuple[int, int]) -> tuple[int, int]:
        start, end = span
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        return start, end
    return trim


def _mark_both(record, seen: set[tuple[int, int]]) -> None:
    for agency in record.agencies:
        if agency.source == "rule" and any((m.start, m.end) in seen for m in agency.mentions):
            agency.source = "both"


def _rebuild_agencies(record, mentions, seen, made, confidence: float) -> None:
    """Roles and merging redone over the rule mentions plus the model's, as the rule stage does."""
    mentions.sort(key=lambda m: m.start)
    assign_roles(record.text, mentions, record.sections)
    rebuilt = agency_rules.merge(record.text, mentions)
    for agency in rebuilt:
        spans = {(m.start, m.end) for m in agency.mentions}
        if not spans & made.keys():
            agency.source = "both" if spans & seen else "rule"
        elif spans - made.keys():
            agency.source = "both"
        else:
            agency.source, agency.confidence = "model", confidence
    record.agencies = rebuilt


@cache
def market_variants() -> tuple[str, ...]:
    """Every written form of a country or region in the markets gazetteer."""
    return tuple(v for entry in data("pipeline.extract", "countries.json")["markets"] for v in entry["variants"])


def _market_of(text: str, threshold: float):
    """The one coded market the markets rules read in `text`, else in its nearest variant."""
    for probe_text in (text, (closest(text, list(market_variants())) or ("", 0))):
        if isinstance(probe_text, tuple):
            if probe_text[1] < threshold:
                return None
            probe_text = probe_text[0]
        named = [m for m in find_markets(probe_text) if m.code]
        if len(named) == 1:
            return named[0]
    return None


def merge_markets(doc: Document, spans: list[tuple[int, int]], confidence: float, threshold: float) -> None:
    record = doc.record
    for start, end in spans:
        hit = next((m for m in record.markets for x in [m, *m.mentions] if _overlaps(x, start, end)), None)
        if hit:
            hit.source = "both" if hit.source == "rule" else hit.source
            continue
        market = _market_of(record.text[start:end], threshold)
        if market is None:
            continue  # not in the markets gazetteer: drop rather than invent a code
        mention = Mention(start=start, end=end, text=record.text[start:end])
        same = next((m for m in record.markets if m.code == market.code), None)
        if same:
            same.mentions.append(mention)
            same.source = "both"
        else:
            record.markets.append(market.model_copy(update={
                "start": start, "end": end, "mentions": [mention], "source": "model", "confidence": confidence,
            }))


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(c, 0, start) for c in ".;\n") + 1
    rights = [i for i in (text.find(c, end) for c in ".;\n") if i != -1]
    return left, min(rights) if rights else len(text)


def merge_parsed(doc: Document, field: str, spans: list[tuple[int, int]], confidence: float) -> None:
    """TARGET/DEADLINE: mark overlapping rule items; parse model-only spans' sentences by rule."""
    record = doc.record
    items = getattr(record, field)
    for start, end in spans:
        hit = next((item for item in items if _overlaps(item, start, end)), None)
        if hit:
            hit.source = "both" if hit.source == "rule" else hit.source
            continue
        left, right = _sentence(record.text, start, end)
        for item in _parse_sentence(doc, field, left, right):
            if left + item.start < end and start < left + item.end:
                moved = {"start": left + item.start, "end": left + item.end, "source": "model", "confidence": confidence}
                items.append(item.model_copy(update=moved))
                break




def _parse_sentence(doc: Document, field: str, start: int, end: int) -> list:
    """What the targets or deadlines rules read in text[start:end] on its own."""
    sentence = doc.text[start:end]
    if field == "targets":
        return find_targets(Document.from_text(sentence, doc.record.source))[0]
    return find_deadlines(sentence, [])
