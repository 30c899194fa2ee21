"""The reference a plan is measured against: Directive 20, or another plan made into one.

A reference document is a list of provisions, each with its wording, group, cue phrases,
the phrases that must name its subject (`require`) and the components a joint provision
needs (`parts`). References shipped with chithi live in `compare/data/references/`
(`directive-20.json`); a JSON file of the same shape can be given by path; and a provincial
plan becomes a reference for its district plans by `reference_from_plan`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import ChithiError
from ..schema import DocumentRecord, Section
from ..text.fold import plain_words
from .passages import ROMAN_HEADING, body_range, flatten, passages_of, strip_stop_phrases, terms
from .settings import settings


@dataclass(frozen=True)
class Provision:
    id: str
    group: str
    title: str
    text: str
    cues: tuple[str, ...]
    require: tuple[str, ...] = ()
    parts: tuple[tuple[str, ...], ...] = ()
    addressed_to: tuple[str, ...] = ()  # kinds of body asked to act; empty: any plan may carry it


@dataclass(frozen=True)
class ReferenceDocument:
    id: str
    title: str
    date: str | None
    number: str | None
    groups: dict[str, str]
    provisions: tuple[Provision, ...]
    stop_phrases: tuple[str, ...]
    subject: tuple[str, ...] = ()  # plain-word phrases naming the reference's subject
    directs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # issuer kind → kinds of body it directs
    sha256: str | None = None  # of the reference's data file
    type_words: tuple[str, ...] = ()  # how a citation names its type ("chỉ thị")
    doc_type: str | None = None


def known_references() -> list[str]:
    """Ids of the references shipped with chithi ("directive-20")."""
    folder = resources.files("pipeline.compare").joinpath("data").joinpath("references")
    return sorted(entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json"))


def is_reference_id(name: str) -> bool:
    return name in known_references()


@cache
def load_reference(name: str) -> ReferenceDocument:
    """A shipped reference by id ("directive-20"), or a reference JSON file by path."""
    if is_reference_id(name):
        source = resources.files("pipeline.compare").joinpath("data").joinpath("references").joinpath(f"{name}.json")
    else:
        source = Path(name)
        if source.suffix != ".json" or not source.is_file():
            raise ChithiError(name, f"no such reference or plan file (known references: {', '.join(known_references())})",
                              "compare")
    try:
        raw = source.read_bytes()
        return _reference_from_data(json.loads(raw.decode("utf-8")), hashlib.sha256(raw).hexdigest())
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as err:
        raise ChithiError(name, f"not a valid reference file ({type(err).__name__}: {err})", "compare") from None


def _reference_from_data(data: dict, sha256: str | None = None) -> ReferenceDocument:
    doc = data.get("document", {})
    provisions = tuple(
        Provision(p["id"], p["group"], p["title"], p["text"], tuple(p.get("cues", ())), tuple(p.get("require", ())),
                  tuple(tuple(part) for part in p.get("parts", ())), tuple(p.get("addressed_to", ())))
        for p in data["provisions"]
    )
    directs = (data.get("applicability") or {}).get("issuer_directs", {})
    return ReferenceDocument(
        id=data["id"],
        title=" ".join(x for x in (doc.get("number"), doc.get("title")) if x),
        date=doc.get("issued_date"),
        number=doc.get("number"),
        groups={g["id"]: g["title"] for g in data.get("groups", [])},
        provisions=provisions,
        stop_phrases=tuple(plain_words(s) for s in data.get("stop_phrases", ())),
        subject=tuple(plain_words(s) for s in data.get("subject", ())),
        directs={kind: tuple(kinds) for kind, kinds in directs.items()},
        sha256=sha256,
        type_words=type_words(doc.get("doc_type")),
        doc_type=doc.get("doc_type"),
    )


def type_words(doc_type: str | None) -> tuple[str, ...]:
    """The words that name a document type in a citation ("chỉ thị" for chi_thi), from the
    structure stage's table of types."""
    from ..resources import data

    return next((tuple(t["words"]) for t in data("pipeline.structure", "doc_types.json")["types"] if t["type"] == doc_type), ())


@cache
def _directive() -> ReferenceDocument:
    """Directive 20, whose fixed wording and subject are reused when another plan is the reference."""
    return load_reference("directive-20")



def reference_from_plan(record: DocumentRecord, name: str) -> ReferenceDocument:
    """Turn a (provincial) plan into a reference: the items of its body become provisions.

    Items are the leaf sections of its task and target sections when the structure stage
    recognised them, else every leaf section before the closing formula, else list items
    found by their markers. Each item's group is the section right above it; its cue
    phrases are its most distinctive bigrams.
    """
    end = _closing_offset(record)
    tagged = [s for s in flatten(record.sections) if s.role in {"tasks", "targets"}]
    roots = tagged or record.sections
    pairs = [(leaf, parent) for root in roots for leaf, parent in _leaves_with_parent(root, None) if leaf.start < end]
    if pairs:
        groups = {(p or leaf).id: _heading(p or leaf) for leaf, p in pairs}
        units = [(leaf.id, (p or leaf).id, leaf.heading, record.text[leaf.start:min(leaf.end, end)]) for leaf, p in pairs]
    else:
        groups, units = _blocks_as_units(record, end)
    stops = _directive().stop_phrases
    all_terms = [terms(strip_stop_phrases(plain_words(text), stops)) for *_, text in units]
    provisions = tuple(
        Provision(pid, group, heading or _first_words(text), text, _auto_cues(i, all_terms))
        for i, (pid, group, heading, text) in enumerate(units)
        if len(plain_words(text).split()) >= 8
    )
    title = " ".join(x for x in (record.document.number, record.document.title) if x) or name
    return ReferenceDocument(name, title, record.document.issued_date, record.document.number, groups, provisions, stops,
                             subject=_directive().subject, sha256=record.source.sha256,
                             type_words=type_words(record.document.doc_type), doc_type=record.document.doc_type)


def _closing_offset(record: DocumentRecord) -> int:
    """Where the closing formula ('Trên đây là…', 'Nơi nhận') starts, or the end of the text."""
    passages = passages_of(record)
    _, last = body_range(record, passages)
    return passages[last].start if last < len(passages) else len(record.text)


def _leaves_with_parent(section: Section, parent: Section | None) -> list[tuple[Section, Section | None]]:
    if not section.children:
        return [(section, parent)]
    return [pair for child in section.children for pair in _leaves_with_parent(child, section)]


def _heading(section: Section) -> str:
    return section.heading or section.id


def _first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


def _blocks_as_units(record: DocumentRecord, end: int) -> tuple[dict[str, str], list[tuple[str, str, str, str]]]:
    """Without sections: list items of the body, grouped under the roman-numbered heading above them."""
    text = record.text[:end]
    starts = [m.start() for m in re.finditer(r"(?m)^[ \t#*]*(?:[IVX]+\.|\d+(?:\.\d+)*\.|[a-zđ]\)|[-+•])[ \t]", text)]
    groups: dict[str, str] = {}
    units: list[tuple[str, str, str, str]] = []
    group = "0"
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(text)
        block = text[start:end].strip()
        first_line = block.splitlines()[0] if block else ""
        if ROMAN_HEADING.match(first_line):
            group = first_line.strip(" #*").split(".")[0]
            groups[group] = first_line.strip(" #*")
            continue
        units.append((f"{group}.{len(units) + 1}", group, "", block))
    return groups, units


def _auto_cues(index: int, all_terms: list[Counter], n: int | None = None) -> tuple[str, ...]:
    """The unit's most distinctive bigrams (rare in the other units), as folded phrases."""
    n = n or settings()["auto_cues"]
    total = len(all_terms)
    df: Counter = Counter()
    for unit_terms in all_terms:
        df.update(t for t in unit_terms if "_" in t)
    own = [t for t in all_terms[index] if "_" in t and not any(ch.isdigit() for ch in t)]
    ranked = sorted(own, key=lambda t: (-(math.log((total + 1) / (df[t] + 1)) * all_terms[index][t]), t))
    return tuple(t.replace("_", " ") for t in ranked[:n])
