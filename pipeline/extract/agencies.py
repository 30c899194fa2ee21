"""Stage `agencies`: administrative bodies named in a plan, with their roles.

A mention is recognised by grammar over a gazetteer of body *types*
(`extract/data/agency_types.json`), never by a list of particular names:

    [prefix] head [domain] [qualifier]
    Chi nhánh  Ngân hàng Chính sách xã hội   tỉnh
               Sở  Lao động - Thương binh và Xã hội
               Ban Tuyên giáo   Huyện ủy          (qualifier is itself a body)
               UBND   các huyện, thị xã, thành phố Huế

Abbreviations are expanded first (`extract/data/abbreviations.json`), so `UBND huyện` and
`Ủy ban nhân dân huyện` share one canonical name. Each mention takes a role from the
words of its clause (`extract/data/agency_roles.json`, see `pipeline.extract.roles`): `phối hợp với X` → cooperate,
`X chủ trì` → lead, `đề nghị X` → requested, `báo cáo X` → report_to; a body that heads
a numbered assignment ("1. Sở Tư pháp:") or is the subject of an item in the tasks or
organisation sections is the lead. Mentions of one body are merged into one `Agency`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Generic, NamedTuple, TypeVar

from ..document import Document
from ..registry import stage
from ..resources import data
from ..schema import Agency, Mention
from ..text.fold import fold, word_key
from ..text.match import any_of

GOLD_KEY: tuple[str, ...] = ("name", "roles")
ROLE_ORDER = ("lead", "cooperate", "requested", "report_to", "mentioned")
_DASHES = {"-", "–", "—"}
_BLANK_LINE = re.compile(r"\n[ \t*#]*\n")


# ------------------------------------------------------------------------ data
def _load(name: str) -> dict:
    return data("pipeline.extract", name)


class Word(NamedTuple):
    """One word of the text; a named tuple, since a document has thousands of them."""

    norm: str
    start: int
    end: int
    cap: bool
    surface: str
    breaks: bool = False  # a blank line separates this word from the one before


def _words_of(text: str, abbreviations: dict[str, str], loose: bool = False) -> list[Word]:
    """Words with offsets; abbreviations become the words of their expansion."""
    pattern = _token_pattern(tuple(sorted(abbreviations, key=len, reverse=True)))
    words: list[Word] = []
    previous_end = 0
    for m in pattern.finditer(text):
        token = m.group()
        if token in _DASHES:
            continue
        start, end = m.span()
        breaks = "\n" in text[previous_end:start] and _BLANK_LINE.search(text, previous_end, start) is not None
        previous_end = end
        if m.lastgroup:  # the only named group: an abbreviation, read as the words of its expansion
            for part in re.findall(r"\w+|[^\w\s]", abbreviations[token]):
                if part not in _DASHES:
                    norm = fold(word_key(part)) if loose else word_key(part)
                    words.append(Word(norm, start, end, part[0].isupper(), part, breaks))
                    breaks = False
            continue
        norm = "và" if token == "&" else word_key(token)
        if loose:
            norm = fold(norm)
        words.append(Word(norm, start, end, token[0].isupper(), token, breaks))
    return words


@cache
def _token_pattern(abbreviations: tuple[str, ...]) -> re.Pattern:
    """Abbreviations (not inside a document code such as 01/QĐ-UBND), words, punctuation."""
    return re.compile(rf"(?P<abbr>(?<![\w/-])(?:{any_of(abbreviations)})(?![\w/]))|\w+|[^\w\s]")


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(w.norm for w in _words_of(text, {}))


@dataclass(frozen=True)
class BodyType:
    kind: str
    canonical: str | None
    qualifier: str
    domain: str | None
    level: str | None
    requires_qualifier: bool


V = TypeVar("V")


class Lexicon(dict[tuple[str, ...], V], Generic[V]):
    """Phrases (tuples of normalised words) → values, with every leading run of words of
    every phrase (`prefixes`), so a longest-match walk stops as soon as none can match."""

    def __init__(self, entries: Iterable[tuple[tuple[str, ...], V]]) -> None:
        super().__init__(entries)
        self.prefixes = frozenset(key[:n] for key in self for n in range(1, len(key) + 1))


@dataclass(frozen=True)
class Gazetteer:
    heads: Lexicon[tuple[str, BodyType]]
    domains: dict[str, Lexicon[str]]
    places: Lexicon[tuple[str, str | None]]
    prefixes: Lexicon[str]
    not_heads: Lexicon[str]
    party_levels: Lexicon[str | None]
    name_stops: Lexicon[str]
    abbreviations: dict[str, str]


@cache
def gazetteer(loose: bool = False) -> Gazetteer:
    """The body-type gazetteer; `loose` keys ignore diacritics (for text the repair missed)."""
    if loose:
        return _loosened(gazetteer())
    spec = _load("agency_types.json")
    heads = []
    for entry in spec["types"]:
        body = BodyType(
            kind=entry["kind"],
            canonical=entry.get("canonical"),
            qualifier=entry.get("qualifier", "none"),
            domain=entry.get("domain"),
            level=entry.get("level"),
            requires_qualifier=entry.get("requires_qualifier", False),
        )
        heads += [(_phrase(head), (head, body)) for head in entry["heads"]]
    return Gazetteer(
        heads=Lexicon(heads),
        domains={name: Lexicon((_phrase(d), d) for d in values) for name, values in spec["domains"].items()},
        places=Lexicon((_phrase(p), (p, level)) for p, level in spec["places"].items()),
        prefixes=Lexicon((_phrase(p), p) for p in spec["prefixes"]),
        not_heads=Lexicon((_phrase(p), p) for p in spec["not_heads"]),
        party_levels=Lexicon((_phrase(p), level) for p, level in spec["party_levels"].items()),
        name_stops=Lexicon((_phrase(p), p) for p in spec["name_stops"]),
        abbreviations=_load("abbreviations.json")["abbreviations"],
    )


def _loosened(g: Gazetteer) -> Gazetteer:
    def keys(table: Lexicon[V]) -> Lexicon[V]:
        return Lexicon((tuple(fold(w) for w in key), value) for key, value in table.items())

    return Gazetteer(
        heads=keys(g.heads),
        domains={name: keys(table) for name, table in g.domains.items()},
        places=keys(g.places),
        prefixes=keys(g.prefixes),
        not_heads=keys(g.not_heads),
        party_levels=keys(g.party_levels),
        name_stops=keys(g.name_stops),
        abbreviations=g.abbreviations,
    )


# --------------------------------------------------------------------- matching
def _longest(words: list[Word], i: int, table: Lexicon[V]) -> tuple[int, V] | None:
    """The longest entry of `table` (of at most 8 words) whose words start at `i`: (end index, value)."""
    prefixes = table.prefixes
    best: tuple[int, V] | None = None
    key: tuple[str, ...] = ()
    for word in words[i:i + 8]:
        key += (word.norm,)
        if key not in prefixes:
            break  # no entry starts with these words, so no longer one matches either
        if key in table:
            best = (i + len(key), table[key])
    return best


def _proper_name(words: list[Word], i: int, g: Gazetteer, limit: int = 4) -> int:
    """End index of a run of capitalised alphabetic words starting at `i`."""
    j = i
    while j < len(words) and j - i < limit and words[j].cap and words[j].surface.isalpha() and not words[j].breaks:
        if _longest(words, j, g.heads) is not None or _longest(words, j, g.name_stops) is not None:
            break
        j += 1
    return j


def _titled(words: list[Word]) -> str:
    return " ".join(w.surface.title() if w.surface.isupper() and len(w.surface) > 1 else w.surface for w in words)


@dataclass
class Found:
    start: int
    end: int
    name: str
    kind: str
    level: str | None
    roles: set[str] = field(default_factory=set)


def _place_phrase(words: list[Word], i: int, g: Gazetteer) -> tuple[int, str, str | None] | None:
    """`[các] place [Name] ((,|và) [các] place [Name])*` → (end, canonical text, level).

    A list of places is written in the gazetteer's order ("thành phố Huế, các thị xã và
    các huyện" and "các huyện, thị xã, thành phố Huế" name the same bodies).
    """
    parts, plural, j = [], False, i
    while True:
        hit, k = _longest(words, j, g.places), j
        if not hit and j < len(words) and words[j].norm == "các":
            hit, k = _longest(words, j + 1, g.places), j + 1
        if not hit or _longest(words, k, g.party_levels):
            break
        end, (place, place_level) = hit
        name_end = _proper_name(words, end, g)
        name = " " + _titled(words[end:name_end]) if name_end > end else ""
        parts.append((place, name, place_level))
        plural = plural or k > j
        j = nxt = name_end
        while nxt < len(words) and words[nxt].norm in {",", "và"}:
            nxt += 1
        probe = nxt + 1 if nxt < len(words) and words[nxt].norm == "các" else nxt
        if nxt == j or not _longest(words, probe, g.places) or _longest(words, probe, g.party_levels):
            break
        j = nxt
    if not parts:
        return None
    if len(parts) == 1:
        place, name, level = parts[0]
        return j, ("các " if plural else "") + place + name, level
    order = list(g.places.values())
    parts.sort(key=lambda p: [v[0] for v in order].index(p[0]))
    return j, "các " + ", ".join(place + name for place, name, _ in parts), parts[0][2]


def body_is_heading(words: list[Word], start: int, end: int) -> bool:
    """An all-capitals head ('BÁO CÁO') is a heading word, not a body that needs a name."""
    return all(w.surface.isupper() and len(w.surface) > 1 for w in words[start:end])


def match_at(words: list[Word], i: int, g: Gazetteer, *, nested: bool = False) -> tuple[int, Found] | None:
    """The agency mention starting at word `i`, as (end word index, Found)."""
    prefix, j = "", i
    if not nested and (prefix_hit := _longest(words, i, g.prefixes)):
        j, prefix = prefix_hit[0], prefix_hit[1] + " "
    if j >= len(words) or not words[j].cap:
        return None
    hit = _longest(words, j, g.heads)
    if not hit:
        return None
    other = _longest(words, j, g.not_heads)  # "Bộ trưởng" is a title, "Bộ đội Biên phòng" a body
    if other and other[0] >= hit[0]:
        return None
    if body_is_heading(words, j, hit[0]) and hit[1][1].requires_qualifier:
        return None
    j, (head, body) = hit
    parts = [prefix + (body.canonical or head)]
    level = body.level
    if body.domain:
        domain = _longest(words, j, g.domains[body.domain])
        if domain:
            j = domain[0]
            parts.append(domain[1])
        else:
            end = _proper_name(words, j, g)
            if end == j:
                return None
            parts.append(_titled(words[j:end]))
            j = end
    qualified = False
    if body.qualifier == "agency":
        inner = match_at(words, j, g, nested=True)
        if inner:
            j, found = inner
            parts.append(found.name)
            level, qualified = found.level or level, True
    if body.qualifier in {"place", "agency", "place_or_name"} and not qualified:
        place = _place_phrase(words, j, g)
        if place:
            j, text, place_level = place
            parts.append(text)
            level, qualified = place_level or level, True
    if body.qualifier == "name" or body.qualifier == "place_or_name" and not qualified:
        end = _proper_name(words, j, g)
        if end > j:
            parts.append(_titled(words[j:end]))
            j, qualified = end, True
        head_key = _phrase(head)
        if head_key in gazetteer().party_levels:
            level = gazetteer().party_levels[head_key]
    if body.requires_qualifier and not qualified:
        return None
    name = re.sub(r"\s+", " ", " ".join(parts)).strip()
    return j, Found(words[i].start, words[j - 1].end, name, body.kind, level)


def find_mentions(text: str, *, loose: bool = False) -> list[Found]:
    """Every agency mention in `text`, left to right, without roles.

    `loose` matches the gazetteer without diacritics: for spans the model marks in text
    that the repair stage left without its tone marks. A document's mentions are parsed
    once (`Document.agency_parse`)."""
    g = gazetteer(loose)
    words = _words_of(text, g.abbreviations, loose)
    # A mention starts with a capitalised word or with the first word of a prefix ("các",
    # "Thường trực"); `match_at` is not asked about any other word.
    prefix_starts = g.prefixes.prefixes
    found, i = [], 0
    while i < len(words):
        word = words[i]
        hit = match_at(words, i, g) if word.cap or (word.norm,) in prefix_starts else None
        if hit:
            i, mention = hit
            found.append(mention)
        else:
            i += 1
    return found


def copy_mentions(mentions: Iterable[Found]) -> list[Found]:
    """Copies that a caller may rename and give roles without touching the originals."""
    return [replace(m, roles=set(m.roles)) for m in mentions]


# ------------------------------------------------------------------------ stage
@stage("agencies", requires=("text", "sections"), assigns=("agencies",))
def agencies(doc: Document) -> None:
    doc.record.agencies = merge(doc.text, copy_mentions(doc.agency_mentions))


def _fold_short_names(mentions: list[Found]) -> None:
    """'Tỉnh ủy' is 'Tỉnh ủy Đồng Nai' when the document names only one such body (in place)."""
    names = {m.name for m in mentions}
    for m in mentions:
        longer = [n for n in names if n.startswith(m.name + " ") and n[len(m.name) + 1:][:1].isupper()]
        if len(longer) == 1:
            m.name = longer[0]


def merge(text: str, mentions: list[Found]) -> list[Agency]:
    """One `Agency` per canonical name, holding all its mentions and roles."""
    _fold_short_names(mentions)
    grouped: dict[str, list[Found]] = {}
    for m in mentions:
        grouped.setdefault(name_key(m.name), []).append(m)
    agencies = []
    for group in grouped.values():
        roles = set().union(*(m.roles for m in group)) or {"mentioned"}
        first = group[0]
        agencies.append(Agency(
            start=first.start,
            end=first.end,
            name=first.name,
            level=next((m.level for m in group if m.level), None),
            kind=first.kind,
            roles=[r for r in ROLE_ORDER if r in roles],
            mentions=[Mention(start=m.start, end=m.end, text=text[m.start:m.end]) for m in group],
        ))
    return sorted(agencies, key=lambda a: a.start)


def name_key(name: str) -> str:
    """The form under which two spellings of one canonical name compare equal."""
    return " ".join(word_key(w) for w in name.split())
