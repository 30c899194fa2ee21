"""Export: JSON Schema of the output contract (and, later, JSONL/Parquet/HTML writers)."""

from __future__ import annotations

import json

from .schema import Comparison, DocumentRecord, ErrorRecord

SCHEMA_MODELS = {
    "document.schema.json": DocumentRecord,
    "comparison.schema.json": Comparison,
    "error.schema.json": ErrorRecord,
}


def schema_files() -> dict[str, str]:
    """File name → JSON Schema text for each published model."""
    return {
        name: json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2) + "\n"
        for name, model in SCHEMA_MODELS.items()
    }
