"""Progress of a batch: a rich progress bar on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .work import FileResult

PLAIN_PROGRESS_SECONDS = 5.0


class Progress:
    """A rich progress bar on a terminal, a plain line every few seconds otherwise (nothing
    shown when not `enabled`; the counts are kept either way)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, enabled: bool = True):
        self.total, self.stream, self.enabled = total, stream, enabled
        self.files = self.documents = self.pages = self.errors = self.skipped = 0
        self.started = time.perf_counter()
        self._last_line = self.started
        self._bar = None
        if enabled and stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("[bold]chithi batch"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[pages]} pages · {task.fields[rate]} docs/s · "
                           "[red]{task.fields[errors]} errors"),
                TimeRemainingColumn(), console=Console(file=stream), transient=False,
            )
            self._task = self._bar.add_task("files", total=total, pages=0, rate="0.0", errors=0)
            self._bar.start()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def rate(self) -> float:
        return self.documents / self.elapsed if self.elapsed > 0 else 0.0

    def update(self, result: FileResult) -> None:
        self.files += 1
        self.skipped += result.skipped
        self.documents += len(result.documents)
        self.pages += result.pages
        self.errors += bool(result.errors)
        if self._bar is not None:
            self._bar.update(self._task, completed=self.files, pages=self.pages,
                             rate=f"{self.rate():.1f}", errors=self.errors)
        elif self.enabled and time.perf_counter() - self._last_line >= PLAIN_PROGRESS_SECONDS:
            self._last_line = time.perf_counter()
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        done = self.files - self.skipped
        left = self.total - self.files
        eta = f"{left * self.elapsed / done:.0f} s" if done else "?"
        return (f"chithi batch: {self.files}/{self.total} files, {self.documents} documents, "
                f"{self.pages} pages, {self.errors} failed, {self.rate():.1f} docs/s, ETA {eta}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
