"""chithi: Vietnamese directive and plan documents → grounded, normalised JSON.

The Python API mirrors the command line:

    >>> import pipeline
    >>> records = pipeline.extract("corpus/samples/004_25d161ea6312a357.txt")
    >>> records[0].document.province
    'Thừa Thiên Huế'
    >>> pipeline.repair("Thuc hien Chi thi so 20").text
    'Thực hiện Chỉ thị số 20'

The stages are subpackages, in the order data flows: `ingest` → `repair` → `structure`
→ `extract` → `compare`, and `batch` for archives. `pipeline.extract`, `pipeline.repair`
and `pipeline.compare` are those packages, and calling one runs its main function
(pipeline/_callable.py). Nothing is imported or loaded until it is used: `import pipeline`
is cheap, and models load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

__all__ = [
    "__version__", "extract", "repair", "compare", "to_spacy", "Document", "ChithiError",
    "DocumentRecord", "Source", "PageInfo", "DocumentInfo", "Issuer", "Signer", "Recipient", "Span", "Mention",
    "Reference", "Section", "Repair", "Repaired", "Market", "Target", "Figure", "Check", "Agency", "Task", "Deadline",
    "Funding", "Comparison", "ProvisionResult", "Evidence", "Addition", "ComparisonSummary", "ErrorRecord",
    "Relevance", "Quality", "Provenance",
]
# Where each name of __all__ is defined; a stage package ("pipeline.repair") is the name itself.
_SOURCES = {
    "extract": "pipeline.extract", "repair": "pipeline.repair", "compare": "pipeline.compare",
    "to_spacy": "pipeline.spacy_export", "Document": "pipeline.document", "ChithiError": "pipeline.errors",
}

if TYPE_CHECKING:  # for type checkers and editors; at run time the names load lazily
    from .document import Document
    from .errors import ChithiError
    from .schema import (
        Addition,
        Agency,
        Check,
        Comparison,
        ComparisonSummary,
        Deadline,
        DocumentInfo,
        DocumentRecord,
        ErrorRecord,
        Evidence,
        Figure,
        Funding,
        Issuer,
        Market,
        Mention,
        PageInfo,
        Provenance,
        ProvisionResult,
        Quality,
        Recipient,
        Reference,
        Relevance,
        Repair,
        Repaired,
        Section,
        Signer,
        Source,
        Span,
        Target,
        Task,
    )
    from .spacy_export import to_spacy


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    module = _SOURCES.get(name, "pipeline.schema")
    loaded = importlib.import_module(module)
    return loaded if module == f"pipeline.{name}" else getattr(loaded, name)
