"""Normalisation: NFC, one tone-mark placement, whitespace and PDF hyphenation.

STUB: NFC only; the repair helper replaces this module.
"""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    return unicodedata.normalize("NFC", text)
