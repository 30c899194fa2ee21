"""Split a file's text into documents (a cover letter followed by the plan it forwards).

STUB: one document per file; the structure helper replaces this module.
"""

from __future__ import annotations


def split_documents(text: str) -> list[tuple[int, int]]:
    return [(0, len(text))]
