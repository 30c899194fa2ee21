"""Plain text files (.txt, .md): the encoding detected from the bytes.

A byte-order mark first, then UTF-16 without one (NUL bytes on one side of most pairs),
strict UTF-8, then the single-byte encoding whose decoding reads most like Vietnamese
(Windows-1258, Windows-1252, Latin-1, or charset-normalizer's guess). A file whose lines
are partly UTF-8 and partly in a single-byte encoding (two files pasted together) is read
line by line: UTF-8 where a line is valid UTF-8, the single-byte encoding elsewhere.

Bytes that decode to a text made largely of control characters are not text (an image or
an archive given a .txt name, random bytes on standard input) and are refused.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from ..errors import UnreadableFile

SUFFIXES = {".txt", ".md"}
_BOMS = (  # longest first: a UTF-32 LE BOM starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Single-byte encodings Vietnamese text files are found in, best guess first.
_LEGACY_CANDIDATES = ("cp1258", "cp1252", "latin-1")
_COMBINING_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


@cache
def vietnamese_letters() -> frozenset[str]:
    """Every letter of the Vietnamese alphabet, both cases, precomposed (NFC)."""
    bases = "aăâeêioôơuưy"
    letters = set("abcdefghijklmnopqrstuvwxyzđ")
    for base in bases:
        letters.add(base)
        for tone in _COMBINING_TONES:
            letters.add(unicodedata.normalize("NFC", base + tone))
    return frozenset(letters | {c.upper() for c in letters})


def vietnamese_score(text: str) -> float:
    """Share of letters (after NFC) that belong to the Vietnamese alphabet."""
    letters = [c for c in unicodedata.normalize("NFC", text) if c.isalpha()]
    if not letters:
        return 0.0
    alphabet = vietnamese_letters()
    return sum(c in alphabet for c in letters) / len(letters)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as NUL bytes on one side of most byte pairs."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


MAX_CONTROL_SHARE = 0.05  # control characters (but tab, line and page breaks) in a text file


def decode_text(data: bytes, path: str) -> tuple[str, str]:
    """Decode a text file: BOM, then BOM-less UTF-16, strict UTF-8, then the best-scoring
    single-byte encoding (charset-normalizer's guess among the candidates); refuse bytes
    that are no text."""
    text, encoding = _decode_any(data, path)
    _check_is_text(text, path)
    return text, encoding


def _check_is_text(text: str, path: str) -> None:
    sample = text[:200_000]
    controls = sum(1 for c in sample if (c < " " and c not in "\t\n\r\x0b\x0c") or "\x7f" <= c <= "\x9f")
    if controls > MAX_CONTROL_SHARE * len(sample):
        raise UnreadableFile(path, f"binary data, not text ({controls / len(sample):.0%} control characters)")


def _decode_any(data: bytes, path: str) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom):], encoding.replace("-sig", ""), path), encoding
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _decode(data, utf16, path), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = _mixed_with_utf8(data)
    if mixed:
        return mixed
    return _single_byte(data)


def _mixed_with_utf8(data: bytes) -> tuple[str, str] | None:
    """Lines in UTF-8 among lines in a single-byte encoding, each line decoded its own way;
    None unless some non-ASCII line is valid UTF-8 (a single-byte Vietnamese text almost
    never makes a valid multi-byte UTF-8 sequence)."""
    lines = data.split(b"\n")
    utf8: list[str | None] = []
    for line in lines:
        try:
            utf8.append(line.decode("utf-8") if not line.isascii() else None)
        except UnicodeDecodeError:
            utf8.append(None)
    if not any(utf8):
        return None
    rest = b"\n".join(line for line, text in zip(lines, utf8) if text is None and not line.isascii())
    _, single = _single_byte(rest, guess=False)
    decoded = [text if text is not None else line.decode(single) for line, text in zip(lines, utf8)]
    return "\n".join(decoded), f"utf-8+{single}"


SCORED_CHARS = 1_000_000  # how much of a long text the candidates are scored on


def _single_byte(data: bytes, guess: bool = True) -> tuple[str, str]:
    candidates = list(_LEGACY_CANDIDATES)
    guessed = _charset_normalizer_guess(data) if guess else None
    if guessed and guessed not in candidates:
        candidates.append(guessed)
    decoded = {}
    for encoding in candidates:
        try:
            decoded[encoding] = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    # max() keeps the first of equal scores, so the candidate order breaks ties
    best = max(decoded, key=lambda enc: vietnamese_score(decoded[enc][:SCORED_CHARS]))
    return decoded[best], best


def _decode(data: bytes, encoding: str, path: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise UnreadableFile(path, f"not valid {encoding} text despite its byte-order mark ({err.reason} at byte {err.start})") from None


def _charset_normalizer_guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return best.encoding if best else None
