"""chithi: Vietnamese directive and plan documents → grounded, normalised JSON.

The Python API mirrors the command line:

    >>> import pipeline
    >>> records = pipeline.extract("corpus/samples/001_37247e5e6a15016d.txt")
    >>> records[0].document.number
    '...'

Heavy modules and models load lazily, on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "extract", "repair", "compare"]


def extract(source, **kwargs):
    """Run the pipeline on a path or a text; returns a list of `DocumentRecord`, one per document."""
    from .core import extract as _extract

    return _extract(source, **kwargs)


def repair(text: str):
    """Repair a text (normalisation, legacy encodings, diacritics, OCR garble); returns `Repaired`."""
    from .repair import repair as _repair

    return _repair(text)


def compare(plan, against: str = "directive-20", **kwargs):
    """Compare a plan (path, text or DocumentRecord) with Directive 20 or another plan."""
    from .compare import compare as _compare

    return _compare(plan, against=against, **kwargs)
