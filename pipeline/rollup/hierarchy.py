"""The plan hierarchy of an archive: which plan answers which, from the documents they cite.

A district plan cites its province's plan ("Thực hiện Kế hoạch số 45/KH-UBND ngày 10/3/2024
của UBND tỉnh …"). A citation is resolved inside the archive by its number: the document
with the same number, and the same date when the citation gives one; numbers repeat across
provinces ("12/KH-UBND"), so among several the one of the citing plan's province is kept,
and a citation that stays ambiguous is not linked. A cited plan (Kế hoạch, Chương trình)
that is not in the archive is listed as missing; cited statutes and central directives are
not expected in an archive of local plans and are not listed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from .queries import PLAN_TYPES, Archive, Table


@dataclass
class Link:
    child: str  # the citing plan's doc_id
    parent: str | None  # the cited document's doc_id, None when it is not in the archive
    number: str | None
    date: str | None
    issuer: str | None
    doc_type: str | None


def _key(number: str | None) -> str:
    return re.sub(r"\s+", "", number or "").upper()


def resolve(archive: Archive) -> list[Link]:
    documents = archive.numbers()
    by_number: dict[str, list[tuple[str, str | None, str | None]]] = defaultdict(list)
    province_of: dict[str, str | None] = {}
    for doc_id, number, date, _, province in documents:
        province_of[doc_id] = province
        if number:
            by_number[_key(number)].append((doc_id, date, province))
    links = []
    for child, doc_type, number, date, issuer in archive.references():
        candidates = [c for c in by_number.get(_key(number), []) if c[0] != child]
        if date:
            candidates = [c for c in candidates if c[1] in (date, None)]
        if len(candidates) > 1:
            candidates = [c for c in candidates if c[2] == province_of.get(child)]
        parent = candidates[0][0] if len(candidates) == 1 else None
        if parent is None and doc_type not in PLAN_TYPES:
            continue  # a statute or a central directive: not expected in the archive
        links.append(Link(child, parent, number, date, issuer, doc_type))
    return links


def tree(links: list[Link]) -> dict[str | None, list[str]]:
    """Parent doc_id → the plans that cite it (None: plans that cite no plan of the archive)."""
    children: dict[str | None, list[str]] = defaultdict(list)
    for link in links:
        if link.parent is not None and link.child not in children[link.parent]:
            children[link.parent].append(link.child)
    return children


def table(links: list[Link], titles: dict[str, str]) -> Table:
    rows = [(link.child, titles.get(link.child, ""), link.parent or "", titles.get(link.parent or "", ""),
             link.number or "", link.date or "", link.issuer or "",
             "có trong kho" if link.parent else "không có trong kho") for link in links]
    return Table("he_thong", "Kế hoạch và văn bản chúng thực hiện",
                 ["Mã kế hoạch", "Kế hoạch", "Mã văn bản được dẫn", "Văn bản được dẫn", "Số", "Ngày", "Cơ quan",
                  "Tình trạng"], rows)
