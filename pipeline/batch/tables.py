"""The Parquet tables of a batch, derived from the output models in pipeline/schema.py.

Each list field of a `DocumentRecord` that a researcher queries (targets, markets, …) is a
table with one row per item: the document's key and province, then every field of the
item's model that is flat (text, number, flag, list of text or numbers), in the model's order, and
`mention_count` where the item has mentions. `documents` has one row per document: the flat
fields of its `Source`, `DocumentInfo`, `Issuer` (as `issuer_*`) and `Signer` (`signer_*`),
and how many items each list holds. `comparisons` has one row per provision. A field added
to a model is a column of the next batch; no column is listed by hand.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from ..schema import DocumentInfo, DocumentRecord, Issuer, ProvisionResult, Signer, Source, doc_key

STRING, INT, FLOAT, BOOL, STRINGS, INTS = "string", "int64", "float64", "bool", "list<string>", "list<int64>"
Column = tuple[str, str]  # name, Arrow type
KEY: list[Column] = [("doc_id", STRING), ("province", STRING)]


def column_type(annotation: Any) -> str | None:
    """The Arrow type of a model field, or None when it is not flat (a nested model, a list of them)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        present = [a for a in get_args(annotation) if a is not type(None)]
        return column_type(present[0]) if len(present) == 1 else None
    if origin is Literal:
        return STRING if all(isinstance(v, str) for v in get_args(annotation)) else None
    if origin is list:
        return {STRING: STRINGS, INT: INTS}.get(column_type(get_args(annotation)[0]) or "")
    return {str: STRING, int: INT, float: FLOAT, bool: BOOL}.get(annotation)


def flat_fields(model: type[BaseModel], exclude: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(field name, Arrow type) of the model's flat fields, in the model's order."""
    out = []
    for name, info in model.model_fields.items():
        kind = column_type(info.annotation)
        if kind is not None and name not in exclude:
            out.append((name, kind))
    return out


def item_model(list_field: str, owner: type[BaseModel] = DocumentRecord) -> type[BaseModel]:
    """The model of the items of a list field ('targets' → Target)."""
    (model,) = get_args(owner.model_fields[list_field].annotation)
    return model


@dataclass(frozen=True)
class Table:
    """One Parquet table: its columns, and the rows one JSON object (a record) gives."""

    name: str
    columns: list[Column]
    rows: Callable[[dict], Iterator[dict]]


@dataclass(frozen=True)
class ItemTable:
    """A table of the items of one list field of the document record."""

    name: str  # the list field of DocumentRecord
    renames: dict[str, str] = field(default_factory=dict)  # a field whose name is an SQL word ('table')

    def table(self) -> Table:
        model = item_model(self.name)
        fields = flat_fields(model)
        counted = "mentions" in model.model_fields
        columns = KEY + [(self.renames.get(n, n), kind) for n, kind in fields] + ([("mention_count", INT)] if counted else [])

        def rows(record: dict) -> Iterator[dict]:
            key, province = doc_key(record["source"]), (record.get("document") or {}).get("province")
            for item in record.get(self.name) or []:
                row = {"doc_id": key, "province": province}
                row.update({self.renames.get(n, n): item.get(n) for n, _ in fields})
                if counted:
                    row["mention_count"] = len(item.get("mentions") or [])
                yield row

        return Table(self.name, columns, rows)


ITEM_TABLES = (
    ItemTable("tasks", {"id": "task_id"}), ItemTable("agencies"), ItemTable("markets"),
    ItemTable("targets", {"table": "table_index"}), ItemTable("figures", {"table": "table_index"}),
    ItemTable("checks"), ItemTable("deadlines"), ItemTable("references"), ItemTable("funding"),
)
COUNTED = tuple(t.name for t in ITEM_TABLES) + ("sections", "repairs", "warnings")

# documents: (the part of the record, its model, renamed fields, prefix of the others)
_PARTS: tuple[tuple[tuple[str, ...], type[BaseModel], dict[str, str], str], ...] = (
    (("source",), Source, {"index": "doc_index", "count": "doc_count"}, ""),
    (("document",), DocumentInfo, {}, ""),
    (("document", "issuer"), Issuer, {"name": "issuer"}, "issuer_"),
    (("document", "signer"), Signer, {"name": "signer"}, "signer_"),
)


def _documents_table() -> Table:
    parts = [(path, [(name, renames.get(name, prefix + name), kind) for name, kind in flat_fields(model)])
             for path, model, renames, prefix in _PARTS]
    columns = [("doc_id", STRING)] + [(column, kind) for _, fields in parts for _, column, kind in fields]
    columns += [("ocr_page_count", INT), ("text_chars", INT), ("pipeline_version", STRING)]
    columns += [(f"n_{name}", INT) for name in COUNTED]

    def rows(record: dict) -> Iterator[dict]:
        row: dict[str, Any] = {"doc_id": doc_key(record["source"])}
        for path, fields in parts:
            part = record
            for step in path:
                part = part.get(step) or {}
            row.update({column: part.get(name) for name, column, _ in fields})
        row.update(ocr_page_count=len(record["source"].get("ocr_pages") or []), text_chars=len(record.get("text", "")),
                   pipeline_version=record.get("pipeline_version"))
        row.update({f"n_{name}": len(record.get(name) or []) for name in COUNTED})
        yield row

    return Table("documents", columns, rows)


def _comparisons_table() -> Table:
    """One row per provision of each comparison (the provision's wording stays in the reference)."""
    fields = flat_fields(ProvisionResult, exclude=frozenset({"text"}))
    renames = {"id": "provision_id", "group": "provision_group", "title": "provision_title"}
    columns = KEY + [("against", STRING), ("overall", FLOAT), ("scored", BOOL)]
    columns += [(renames.get(n, n), kind) for n, kind in fields] + [("evidence_count", INT)]

    def rows(comparison: dict) -> Iterator[dict]:
        relevance = comparison.get("relevance") or {}
        head = {"doc_id": doc_key(comparison["plan"]), "province": (comparison.get("plan_document") or {}).get("province"),
                "against": comparison.get("against"), "overall": (comparison.get("summary") or {}).get("overall"),
                "scored": relevance.get("scored", True)}
        for provision in comparison.get("provisions") or []:
            row = dict(head)
            row.update({renames.get(n, n): provision.get(n) for n, _ in fields})
            row["evidence_count"] = len(provision.get("evidence") or [])
            yield row

    return Table("comparisons", columns, rows)


DOCUMENT_TABLES: dict[str, Table] = {"documents": _documents_table(), **{t.name: t.table() for t in ITEM_TABLES}}
COMPARISON_TABLE = _comparisons_table()


def describe() -> str:
    """The tables and their columns as a Markdown table (docs/batch.md carries it; a test keeps it in sync)."""
    lines = ["| table | columns (`[]`: a list) |", "|---|---|"]
    for table in [*DOCUMENT_TABLES.values(), COMPARISON_TABLE]:
        names = " ".join(name + ("[]" if kind.startswith("list") else "") for name, kind in table.columns)
        lines.append(f"| `{table.name}` | `{names}` |")
    return "\n".join(lines)
