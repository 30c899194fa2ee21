"""A notice while the repair stage's compiled kernels are compiled, on their first use.

numba compiles `lm_kernels` and `garble_kernels` the first time they run after an install
(about 20 s; `make setup` does it once) and caches the machine code on disk. A repair that
waits that long without a word looks hung, so the first call of each kernel in a process
says on stderr what is happening if it has not returned within a couple of seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

NOTICE_AFTER_SECONDS = 2.0
_seen: set[str] = set()
log = logging.getLogger("chithi")


def _notice() -> None:
    if "notice" not in _seen:  # one notice, whichever kernel is compiled first
        _seen.add("notice")
        log.warning("compiling the repair stage's kernels (first use after an install; about 20 s)…")


@contextmanager
def compiling_notice(kernel: str) -> Iterator[None]:
    """Around a call of `kernel`: on its first call in this process, a notice if it is slow."""
    if kernel in _seen:
        yield
        return
    timer = threading.Timer(NOTICE_AFTER_SECONDS, _notice)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        _seen.add(kernel)
