"""Provinces and districts of Viet Nam (before the 2025 reform): find them in text.

The gazetteer is `text/data/admin_units.json` (built by scripts/build_admin_units.py). Names
are matched whole-word on the lower-cased text, or on its diacritic-free fold when the text
has lost its diacritics; offsets are those of the original text either way. A `PlaceView`
holds that searchable copy; a `Document` keeps the one of its text (`Document.places`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from ..resources import data
from .fold import fold
from .match import any_of, mostly_unaccented


@dataclass(frozen=True)
class Place:
    province: str
    district: str | None
    start: int
    end: int


@cache
def _names(folded: bool) -> tuple[re.Pattern, dict[str, list[tuple[str, str | None]]]]:
    """One regex over every province and district name, and name → [(province, district)]."""
    key = fold if folded else str.lower
    owners: dict[str, list[tuple[str, str | None]]] = {}
    for province in data("pipeline.text", "admin_units.json")["provinces"]:
        for name in [province["name"], *province["aliases"]]:
            owners.setdefault(key(name), []).insert(0, (province["name"], None))
        for district in province["districts"]:
            owners.setdefault(key(district["name"]), []).append((province["name"], district["name"]))
    return re.compile(rf"(?<!\w)(?:{any_of(owners)})(?!\w)"), owners


@dataclass(frozen=True)
class PlaceView:
    """A text as place names are searched in it: lower-cased, or folded when it lost its marks."""

    text: str
    searchable: str
    folded: bool


def place_view(text: str) -> PlaceView:
    folded = mostly_unaccented(text)
    return PlaceView(text, fold(text) if folded else text.lower(), folded)


def places_in(text: str | PlaceView, start: int = 0, end: int | None = None, cue: str | None = None) -> list[Place]:
    """Places named in text[start:end]; with `cue` (a regex on the lower-cased or folded
    text, e.g. 'tỉnh|tỉnh ủy'), only names right after the cue word. A district name shared
    by several provinces gives one Place per province."""
    view = text if isinstance(text, PlaceView) else place_view(text)
    pattern, owners = _names(view.folded)
    cue_re = re.compile(rf"(?:{fold(cue) if view.folded else cue})\s+$") if cue else None
    found = []
    searchable = view.searchable
    for match in pattern.finditer(searchable, start, len(view.text) if end is None else end):
        if cue_re and not cue_re.search(searchable, max(0, match.start() - 30), match.start()):
            continue
        for province, district in owners[match.group()]:
            found.append(Place(province, district, match.start(), match.end()))
    return found


def known_prefix(name: str) -> str | None:
    """The longest run of leading words of `name` that names a province or district
    ('Thăng Bình được' → 'Thăng Bình'; 'Trần Văn Tân', a person, → None)."""
    exact, folded = _names(False)[1], _names(True)[1]
    words = name.split()
    for n in range(len(words), 0, -1):
        head = " ".join(words[:n])
        if head.lower() in exact or fold(head) in folded:
            return head
    return None


def resolve_province(places: list[Place], text: str | PlaceView) -> Place | None:
    """The province the places point to: a province name first, else a district whose
    province is unambiguous or is the province most named in the whole text."""
    if not places:
        return None
    provinces = [p for p in places if p.district is None]
    if provinces:
        return provinces[0]
    candidates = {p.province for p in places}
    if len(candidates) == 1:
        return places[0]
    counts = Counter(p.province for p in places_in(text) if p.district is None and p.province in candidates)
    if not counts:
        return None
    best = counts.most_common(1)[0][0]
    return next(p for p in places if p.province == best)


def most_named_province(text: str | PlaceView, cue: str) -> Place | None:
    """The province named most often after a cue word ('tỉnh', 'tỉnh ủy', 'huyện' …)."""
    places = places_in(text, cue=cue)
    counts = Counter(p.province for p in places if p.district is None)
    if not counts:
        district_counts = Counter(p.province for p in places)
        if not district_counts:
            return None
        counts = district_counts
    best = counts.most_common(1)[0][0]
    return next(p for p in places if p.province == best)
