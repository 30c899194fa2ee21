"""Errors that reach users: one clear line naming the file and the cause."""

from __future__ import annotations

import os


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as text that JSON and terminals can carry: bytes of a name that are not UTF-8
    (a file named on another system) are written as \\xNN escapes, so the name is kept
    without loss and never breaks a record."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


class ChithiError(Exception):
    """A problem with an input that the user can act on (never a bug in chithi)."""

    def __init__(self, path: str | None, message: str, stage: str = "ingest"):
        path = display_path(path) if path is not None else None
        self.path = path
        self.message = message
        self.stage = stage
        super().__init__(f"{path}: {message}" if path else message)


class UnsupportedFormat(ChithiError):
    pass


class EmptyDocument(ChithiError):
    pass


class UnreadableFile(ChithiError):
    pass


class EncryptedFile(ChithiError):
    pass
