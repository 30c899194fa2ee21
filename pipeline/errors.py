"""Errors that reach users: one clear line naming the file and the cause."""

from __future__ import annotations


class ChithiError(Exception):
    """A problem with an input that the user can act on (never a bug in chithi)."""

    def __init__(self, path: str | None, message: str, stage: str = "ingest"):
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
