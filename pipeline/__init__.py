"""chithi: Vietnamese directive and plan documents → grounded, normalised JSON.

The Python API mirrors the command line:

    >>> import pipeline
    >>> records = pipeline.extract("corpus/samples/004_25d161ea6312a357.txt")
    >>> records[0].document.province
    'Thừa Thiên Huế'
    >>> pipeline.repair("Thuc hien Chi thi so 20").text
    'Thực hiện Chỉ thị số 20'

Models load lazily, on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "extract", "repair", "compare"]

# The stage modules `pipeline/repair.py` and `pipeline/compare.py` share their names with the
# API functions below. Python binds a package attribute to a submodule when it first loads
# it, which would replace the function; loading them here, before the functions are
# defined, keeps `pipeline.repair` and `pipeline.compare` callable. (Both modules are light:
# their models load lazily, on first use.)
from . import compare as _compare_module  # noqa: E402
from . import repair as _repair_module  # noqa: E402


def extract(source, **kwargs):
    """Run the pipeline on a path or a text; returns a list of `DocumentRecord`, one per document."""
    from .core import extract as _extract

    return _extract(source, **kwargs)


def repair(text: str):
    """Repair a text (normalisation, legacy encodings, diacritics, OCR garble); returns `Repaired`."""
    return _repair_module.repair(text)


def compare(plan, against: str = "directive-20", **kwargs):
    """Compare a plan (path, text or DocumentRecord) with Directive 20 or another plan."""
    return _compare_module.compare(plan, against=against, **kwargs)
