"""A batch's inputs: folders, files and glob patterns expanded to files, and their hashes."""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path


def expand_inputs(inputs: list[str], exclude: Path | None = None) -> tuple[list[Path], list[str]]:
    """Folders (recursive), files and glob patterns → sorted unique files, and the unmatched inputs."""
    found: dict[str, Path] = {}
    unmatched = []
    skip = exclude.resolve() if exclude is not None else None
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            matches = [p for p in path.rglob("*") if p.is_file()]
        elif path.is_file():
            matches = [path]
        else:
            matches = [Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file()]
        matches = [p for p in matches if skip is None or skip not in p.resolve().parents]
        if not matches:
            unmatched.append(item)
        for match in matches:
            found.setdefault(str(match.resolve()), match)
    return sorted(found.values(), key=str), unmatched


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
