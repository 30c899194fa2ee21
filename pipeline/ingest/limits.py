"""What one input may cost, and reading a file within it.

Every limit has a default that real plans stay far below and an option to raise it
(`chithi extract --max-file-mb …`, or `Limits(...)` in Python); an input over a limit is
refused with one line naming the file, the size found and the option. docs/ingest.md lists
them with what they cost when raised.

| limit | default | guards against |
|---|---|---|
| `max_file_mb` | 200 | bytes read from one file (a link to /dev/zero, a huge archive) |
| `max_text_mb` | 15 | text handed to the stages (UTF-8); their time and memory grow with it |
| `max_pages` | 2000 | pages of a PDF or frames of a TIFF |
| `max_pixels` | 100 M | an image, an image inside a PDF, or a PDF page rendered for OCR |
| `max_unzipped_mb` | 50 | the XML of a .docx once unzipped (a zip bomb); unzipped media count against `max_file_mb` |

`pipeline.batch` takes the same `Limits` (its `--max-file-mb` is `max_file_mb`).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import ChithiError, EmptyDocument, UnreadableFile

MB = 1_000_000


@dataclass(frozen=True)
class Limits:
    max_file_mb: float = 200.0
    max_text_mb: float = 15.0
    max_pages: int = 2000
    max_pixels: int = 100_000_000
    max_unzipped_mb: float = 50.0


DEFAULT_LIMITS = Limits()


class TooLarge(UnreadableFile):
    """An input over one of the `Limits`."""


def over(path: str | os.PathLike[str] | None, what: str, found: str, limit: str, option: str) -> TooLarge:
    """The error for an input over a limit: what, how much, the limit and the option to raise it."""
    return TooLarge(str(path) if path is not None else None, f"{what} is {found}, over the limit of {limit} ({option} to raise it)")


def megabytes(size: float) -> str:
    return f"{size / MB:.1f} MB" if size < 10 * MB else f"{size / MB:.0f} MB"


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a regular file, at most `limits.max_file_mb`. Named pipes, devices and
    sockets are refused before they are opened for reading (a FIFO would block, /dev/zero
    never end), and so are symbolic-link loops and links that lead nowhere."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise UnreadableFile(str(path), f"broken symbolic link (to {os.readlink(path)!r})") from None
        raise ChithiError(str(path), "file not found") from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UnreadableFile(str(path), "symbolic link loop") from None
        raise UnreadableFile(str(path), f"cannot be read ({err.strerror})") from None
    kind = _not_regular(info.st_mode)
    if kind == "a folder":
        raise UnreadableFile(str(path), "is a folder, not a file")
    if kind:
        raise UnreadableFile(str(path), f"is {kind}, not a regular file")
    limit = int(limits.max_file_mb * MB)
    if info.st_size > limit:
        raise over(path, "the file", megabytes(info.st_size), megabytes(limit), "--max-file-mb")
    try:
        # O_NONBLOCK: should the name have become a FIFO since stat, opening does not hang
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        raise UnreadableFile(str(path), f"cannot be read ({err.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        kind = _not_regular(os.fstat(fd).st_mode)
        if kind:
            raise UnreadableFile(str(path), f"is {kind}, not a regular file")
        try:
            data = handle.read(limit + 1)
        except OSError as err:
            raise UnreadableFile(str(path), f"cannot be read ({err.strerror})") from None
    if len(data) > limit:  # it grew since stat
        raise over(path, "the file", f"over {megabytes(limit)}", megabytes(limit), "--max-file-mb")
    if not data.strip():
        raise EmptyDocument(str(path), "the file is empty" if not data else "the file is empty (only blank space)")
    return data


def check_text(path: str | os.PathLike[str] | None, text: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a text the stages would take too long over (`max_text_mb`, in UTF-8 bytes)."""
    limit = int(limits.max_text_mb * MB)
    if len(text) * 4 <= limit:  # a character takes at most 4 bytes
        return
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise over(path, "the text", megabytes(size), megabytes(limit), "--max-text-mb")
