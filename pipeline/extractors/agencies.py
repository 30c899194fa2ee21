"""Stage `agencies`: administrative bodies named in a plan, with their roles.

A mention is recognised by grammar over a gazetteer of body *types*
(`data/agency_types.json`), never by a list of particular names:

    [prefix] head [domain] [qualifier]
    Chi nhánh  Ngân hàng Chính sách xã hội   tỉnh
               Sở  Lao động - Thương binh và Xã hội
               Ban Tuyên giáo   Huyện ủy          (qualifier is itself a body)
               UBND   các huyện, thị xã, thành phố Huế

Abbreviations are expanded first (`data/abbreviations.json`), so `UBND huyện` and
`Ủy ban nhân dân huyện` share one canonical name. Each mention takes a role from the
words of its clause (`data/agency_roles.json`): `phối hợp với X` → cooperate,
`X chủ trì` → lead, `đề nghị X` → requested, `báo cáo X` → report_to; a body that heads
a numbered assignment ("1. Sở Tư pháp:") or is the subject of an item in the tasks or
organisation sections is the lead. Mentions of one body are merged into one `Agency`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from importlib import resources
from typing import NamedTuple

from ..registry import stage
from ..schema import Agency, DocumentRecord, Mention, Section
from ..textmatch import any_of
from ..textmatch import fold as strip_marks  # ủy → uy, đoàn → doan, for garbled text

GOLD_KEY: tuple[str, ...] = ("name", "roles")
ROLE_ORDER = ("lead", "cooperate", "requested", "report_to", "mentioned")
LEAD_SECTION_ROLES = {"tasks", "organisation"}
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_DASHES = {"-", "–", "—"}
_BLANK_LINE = re.compile(r"\n[ \t*#]*\n")


# ------------------------------------------------------------------------ data
def _load(name: str) -> dict:
    return json.loads(resources.files("pipeline").joinpath(f"data/{name}").read_text("utf-8"))


@lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """Case-fold a syllable and place its tone mark one way (uỷ → ủy, hoà → hòa)."""
    word = unicodedata.normalize("NFC", word).casefold()
    decomposed = unicodedata.normalize("NFD", word)
    tones = [c for c in decomposed if c in _TONES]
    if len(tones) != 1:
        return word
    base = "".join(c for c in decomposed if c not in _TONES)
    if re.search(r"(?<!q)(oa|oe|uy)$", base):
        return unicodedata.normalize("NFC", base[:-1] + tones[0] + base[-1])
    return word


class Word(NamedTuple):
    """One word of the text; a named tuple, since a document has thousands of them."""

    norm: str
    start: int
    end: int
    cap: bool
    surface: str
    breaks: bool = False  # a blank line separates this word from the one before


_new_word = tuple.__new__  # Word's own __new__ is a Python function; this builds the same tuple in C


def _words_of(text: str, abbreviations: dict[str, str], loose: bool = False) -> list[Word]:
    """Words with offsets; abbreviations become the words of their expansion."""
    pattern = _token_pattern(tuple(sorted(abbreviations, key=len, reverse=True)))
    words, previous_end = [], 0
    append, find = words.append, text.find  # a document has thousands of words: the loop is kept lean
    for m in pattern.finditer(text):
        token = m.group()
        if token in _DASHES:
            continue
        start, end = m.span()
        breaks = find("\n", previous_end, start) != -1 and _BLANK_LINE.search(text, previous_end, start) is not None
        previous_end = end
        if m.lastgroup:  # the only named group: an abbreviation, read as the words of its expansion
            for part in re.findall(r"\w+|[^\w\s]", abbreviations[token]):
                if part not in _DASHES:
                    norm = strip_marks(fold(part)) if loose else fold(part)
                    append(_new_word(Word, (norm, start, end, part[0].isupper(), part, breaks)))
                    breaks = False
            continue
        norm = "và" if token == "&" else fold(token)
        if loose:
            norm = strip_marks(norm)
        append(_new_word(Word, (norm, start, end, token[0].isupper(), token, breaks)))
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


@dataclass(frozen=True)
class Gazetteer:
    heads: dict[tuple[str, ...], tuple[str, BodyType]]
    domains: dict[str, dict[tuple[str, ...], str]]
    places: dict[tuple[str, ...], tuple[str, str | None]]
    prefixes: dict[tuple[str, ...], str]
    not_heads: dict[tuple[str, ...], str]
    party_levels: dict[tuple[str, ...], str | None]
    name_stops: dict[tuple[str, ...], str]
    abbreviations: dict[str, str]


@cache
def gazetteer(loose: bool = False) -> Gazetteer:
    """The body-type gazetteer; `loose` keys ignore diacritics (for text the repair missed)."""
    if loose:
        return _loosened(gazetteer())
    spec = _load("agency_types.json")
    heads = {}
    for entry in spec["types"]:
        body = BodyType(
            kind=entry["kind"],
            canonical=entry.get("canonical"),
            qualifier=entry.get("qualifier", "none"),
            domain=entry.get("domain"),
            level=entry.get("level"),
            requires_qualifier=entry.get("requires_qualifier", False),
        )
        for head in entry["heads"]:
            heads[_phrase(head)] = (head, body)
    return Gazetteer(
        heads=heads,
        domains={name: {_phrase(d): d for d in values} for name, values in spec["domains"].items()},
        places={_phrase(p): (p, level) for p, level in spec["places"].items()},
        prefixes={_phrase(p): p for p in spec["prefixes"]},
        not_heads={_phrase(p): p for p in spec["not_heads"]},
        party_levels={_phrase(p): level for p, level in spec["party_levels"].items()},
        name_stops={_phrase(p): p for p in spec["name_stops"]},
        abbreviations=_load("abbreviations.json")["abbreviations"],
    )


def _loosened(g: Gazetteer) -> Gazetteer:
    def keys(table: dict) -> dict:
        return {tuple(strip_marks(w) for w in key): value for key, value in table.items()}

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


@cache
def role_words() -> tuple[re.Pattern, dict[str, str | None], re.Pattern, dict[str, str]]:
    spec = _load("agency_roles.json")
    before, after = spec["before"], spec["after"]

    def alternation(words) -> re.Pattern:
        return re.compile(rf"(?<!\w)(?:{any_of(words)})(?!\w)")

    return alternation(before), before, alternation(after), after


# --------------------------------------------------------------------- matching
def _longest(words: list[Word], i: int, table: dict[tuple[str, ...], object]) -> tuple[int, object] | None:
    """The longest entry of `table` (of at most 8 words) whose words start at `i`: (end index, value)."""
    prefixes = _prefixes(table)
    best, key = None, ()
    for word in words[i:i + 8]:
        key += (word.norm,)
        if key not in prefixes:
            break  # no entry starts with these words, so no longer one matches either
        if key in table:
            best = (i + len(key), table[key])
    return best


_PREFIXES: dict[int, tuple[dict, frozenset]] = {}


def _prefixes(table: dict[tuple[str, ...], object]) -> frozenset[tuple[str, ...]]:
    """Every leading run of words of every key of `table`; tables are the cached
    gazetteer's, so each is computed once (the table is held, so its id stays its own)."""
    held = _PREFIXES.get(id(table))
    if held is None or held[0] is not table:
        held = (table, frozenset(key[:n] for key in table for n in range(1, len(key) + 1)))
        _PREFIXES[id(table)] = held
    return held[1]


def _proper_name(words: list[Word], i: int, g: Gazetteer, limit: int = 4) -> int:
    """End index of a run of capitalised alphabetic words starting at `i`."""
    j = i
    while j < len(words) and j - i < limit and words[j].cap and words[j].surface.isalpha() and not words[j].breaks:
        if _longest(words, j, g.heads) or _longest(words, j, g.name_stops):
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
    if not nested and (hit := _longest(words, i, g.prefixes)):
        j, prefix = hit[0], hit[1] + " "
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
    that the repair stage left without its tone marks. The agencies, tasks and model stages
    all ask for the mentions of the same text: it is parsed once, and every caller gets its
    own copies (they add roles and rename in place).
    """
    return [replace(m, roles=set(m.roles)) for m in _parsed_mentions(text, loose)]


@lru_cache(maxsize=32)
def _parsed_mentions(text: str, loose: bool) -> tuple[Found, ...]:
    return tuple(_match_all(text, loose))


def _match_all(text: str, loose: bool) -> list[Found]:
    g = gazetteer(loose)
    words = _words_of(text, g.abbreviations, loose)
    # A mention starts with a capitalised word or with the first word of a prefix ("các",
    # "Thường trực"); `match_at` is not asked about any other word.
    prefix_starts = _prefixes(g.prefixes)
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


# ------------------------------------------------------------------------ roles
_CLAUSE_END = re.compile(r"[.;:\n!?]")
_MARKER = re.compile(r"\s*(?:#+\s*)?(?:\*\*)?(?:[0-9]+(?:\.[0-9]+)*[.)]|[IVXLC]+[.)]|[a-zđ][.)]|[-+•*])?\s*")
_NUMBERED = re.compile(r"\s*(?:#+\s*)?(?:\*\*)?(?:[0-9]+(?:\.[0-9]+)*[.)]|[IVXLC]+[.)]|[a-zđ][.)])")
_LIST_ONLY = re.compile(r"^(?:\s|X|,|và|các|cùng|đề nghị)*$")


def _masked(text: str, start: int, end: int, mentions: list[Found]) -> str:
    """text[start:end] case-folded, other mentions replaced by 'X'."""
    pieces, cursor = [], start
    for m in mentions:
        if m.end <= start or m.start >= end:
            continue
        pieces.append(text[cursor:max(cursor, m.start)].casefold())
        pieces.append(" X ")
        cursor = max(cursor, m.end)
    pieces.append(text[cursor:end].casefold())
    return " ".join("".join(pieces).split())


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _CLAUSE_END.finditer(text, max(0, start - 400), start)), default=0)
    # a list marker "1." or "a)" opens a clause rather than closing one
    line_start = text.rfind("\n", 0, start) + 1
    marker = _MARKER.match(text, line_start)
    if marker and left <= marker.end() <= start and line_start <= left:
        left = line_start
    right = _CLAUSE_END.search(text, end)
    return left, right.start() if right else len(text)


def _section_role_at(sections: list[Section], offset: int) -> str | None:
    role = None
    for section in sections:
        if section.start <= offset < section.end:
            inner = _section_role_at(section.children, offset)
            return inner or section.role or role
    return role


def _subject_list(opening: str) -> bool:
    """Whether the words before a mention are only other subjects of the same clause."""
    if _LIST_ONLY.match(opening):
        return True
    chunks = [c.strip() for c in re.split(r",| và ", opening) if c.strip()]
    return all(c == "X" or _starts_with_subject_word(c) and len(c.split()) <= 7 for c in chunks)


def _starts_with_subject_word(chunk: str) -> bool:
    return any(chunk == w or chunk.startswith(w + " ") for w in subject_words())


@cache
def subject_words() -> tuple[str, ...]:
    return tuple(_load("agency_roles.json")["subject_words"])


def _heading_tail(trailing: str) -> bool:
    """What may follow the bodies named in an assignment heading: nothing, or 'and others'."""
    return trailing == "" or re.fullmatch(r"(?:và )?các [\w\s,-]{0,60}", trailing) is not None


def assign_roles(text: str, mentions: list[Found], sections: list[Section]) -> None:
    """Give each mention its roles from the words of its clause (in place)."""
    before_re, before, after_re, after = role_words()
    for index, m in enumerate(mentions):
        left, right = _clause_bounds(text, m.start, m.end)
        others = mentions[:index] + mentions[index + 1:]
        before_text = _masked(text, left, m.start, others)
        after_text = _masked(text, m.end, right, others)
        triggers = list(before_re.finditer(before_text))
        if triggers:
            last = max(triggers, key=lambda t: (t.end(), t.end() - t.start()))
            gap = before_text[last.end():]
            if before[last.group()] and len(gap) <= 100:
                m.roles.add(before[last.group()])
        follow = re.match(r"^(?:\s|X|,|và)*", after_text)
        trailing = after_text[follow.end():].strip("* ")
        for word, role in after.items():
            if trailing.startswith(word):
                m.roles.add(role)
        opening = _MARKER.sub("", before_text, count=1)
        if not _subject_list(opening):
            continue
        line_start = text.rfind("\n", 0, m.start) + 1
        heads_item = _NUMBERED.match(text, line_start) is not None
        if heads_item and text[right:right + 1] in {":", "\n", ""} and _heading_tail(trailing):
            m.roles.add("lead")
        elif trailing[:1].isalpha() and not trailing.startswith(("phối hợp", "của", "thuộc", "trên")):
            if _section_role_at(sections, m.start) in LEAD_SECTION_ROLES:
                m.roles.add("lead")


# ------------------------------------------------------------------------ stage
def record_mentions(record: DocumentRecord) -> list[Found]:
    """Agency mentions of a record with their roles; the tasks stage reuses them."""
    mentions = find_mentions(record.text)
    assign_roles(record.text, mentions, record.sections)
    return mentions


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
    return " ".join(fold(w) for w in name.split())


@stage("agencies")
def agencies(record: DocumentRecord) -> DocumentRecord:
    record.agencies = merge(record.text, record_mentions(record))
    return record
