"""Stage `targets` (STUB: returns the record unchanged; to be implemented)."""

from __future__ import annotations

from ..registry import stage
from ..schema import DocumentRecord


@stage("targets")
def targets(record: DocumentRecord) -> DocumentRecord:
    return record
