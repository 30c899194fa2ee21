"""A batch's inputs: folders, files and glob patterns → the files to read, and what is refused.

Link and special-file policy (nothing is dropped silently: whatever is not read gets a line):

* a folder is walked recursively without following symbolic links blindly. A link whose
  target lies inside the input roots (the folders, files and glob prefixes named on the
  command line) is not needed: its target is read under its own name. A link that leads
  outside them is refused (`LinkOutsideInputs`) unless `follow_links`, which reads the file
  or walks the folder it points to;
* a file or folder named on the command line is read even when it is a link (the user named it);
* broken links (`BrokenLink`), links that lead back into a folder being walked or loop among
  themselves (`SymlinkLoop`), named pipes, sockets and devices (`NotARegularFile`), and
  folders that cannot be listed (`PermissionError`, …) are refused with one line each;
* files are opened with O_NONBLOCK (a FIFO swapped in after the listing cannot hang the
  batch) and, unless the listing decided to follow a link there, O_NOFOLLOW (a file replaced
  by a link after the listing is not read through it); the opened file must be regular.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import display_path

READ_BLOCK = 1 << 20  # hashing reads 1 MiB at a time: a large file costs no memory


@dataclass(frozen=True)
class Refused:
    """A path that is not read, and why (becomes one errors.jsonl line)."""

    path: str  # as the user named or the walk found it; may hold bytes that are not UTF-8
    error: str
    message: str


@dataclass
class Listing:
    files: list[tuple[Path, bool]] = field(default_factory=list)  # (path, follow: read through a link)
    refused: list[Refused] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # inputs that match nothing
    matched: list[str] = field(default_factory=list)  # inputs that matched something
    folders: list[Path] = field(default_factory=list)  # folders walked whole (absolute)
    named_files: list[Path] = field(default_factory=list)  # files named on the command line (absolute)


class InputProblem(Exception):
    """A listed file that cannot be read as a regular file now (it vanished, became a link, a FIFO…)."""

    def __init__(self, error: str, message: str):
        super().__init__(message)
        self.error, self.message = error, message


def expand_inputs(inputs: list[str], exclude: Path | None = None, follow_links: bool = False) -> Listing:
    """Folders (recursive), files and glob patterns → sorted unique files, and what is refused."""
    listing = Listing()
    walk = _Walk(_roots(inputs), os.path.realpath(exclude) if exclude is not None else None, follow_links)
    for item in inputs:
        before = walk.hits
        if os.path.lexists(item):
            kind = _kind(item, follow=True)
            if kind == "dir":
                listing.folders.append(Path(os.path.abspath(item)))
                walk.folder(Path(item))
            elif kind == "file":
                listing.named_files.append(Path(os.path.abspath(item)))
                walk.add(Path(item), os.path.islink(item))
            else:
                walk.refuse(item, *_refusal(item, kind))
        else:
            for match in sorted(glob.glob(item, recursive=True)):
                walk.entry(Path(match), descend=False)
        (listing.matched if walk.hits > before else listing.unmatched).append(item)
    listing.files = sorted(walk.found.values(), key=lambda pair: str(pair[0]))
    listing.refused = sorted(walk.refused.values(), key=lambda r: r.path)
    return listing


def _roots(inputs: list[str]) -> list[str]:
    """Real paths under which a link's target counts as inside the inputs."""
    roots = []
    for item in inputs:
        if not os.path.lexists(item):  # a glob: its literal leading folders
            parts = Path(item).parts
            literal = parts[: next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts))]
            item = str(Path(*literal)) if literal else "."
        roots.append(os.path.realpath(item))
    return roots


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


class _Walk:
    """The state of one listing: files found (by real path), refusals, folders being walked."""

    def __init__(self, roots: list[str], skip: str | None, follow_links: bool):
        self.roots, self.skip, self.follow_links = roots, skip, follow_links
        self.found: dict[str, tuple[Path, bool]] = {}  # real path → (path, follow); a plain name wins over a link
        self.refused: dict[str, Refused] = {}
        self.walked: set[str] = set()
        self.hits = 0  # paths met, for telling an input that matched nothing

    def add(self, path: Path, follow: bool) -> None:
        self.hits += 1
        real = os.path.realpath(path)
        if self.skip is not None and _inside(real, self.skip):
            return
        if real not in self.found or (self.found[real][1] and not follow):
            self.found[real] = (path, follow)

    def refuse(self, path: str, error: str, message: str) -> None:
        self.hits += 1
        self.refused.setdefault(path, Refused(path, error, message))

    def folder(self, folder: Path) -> None:
        self.hits += 1
        stack = [folder]
        self.walked.add(os.path.realpath(folder))
        while stack:
            current = stack.pop()
            try:
                with os.scandir(current) as entries:
                    children = sorted(entry.name for entry in entries)
            except OSError as err:
                self.refuse(str(current), type(err).__name__, f"the folder cannot be listed ({err.strerror or err})")
                continue
            for name in children:
                descend = self.entry(current / name)
                if descend is not None:
                    self.walked.add(os.path.realpath(descend))
                    stack.append(descend)

    def entry(self, path: Path, descend: bool = True) -> Path | None:
        """Sort one found path: add a file, refuse what cannot be read; return a folder to walk."""
        name = str(path)
        if not os.path.islink(name):
            kind = _kind(name, follow=False)
            if kind == "dir":
                if self.skip is not None and _inside(os.path.realpath(name), self.skip):
                    return None
                return path if descend else None
            if kind == "file":
                self.add(path, False)
            elif kind != "missing":  # a file deleted while its folder was walked is simply not there
                self.refuse(name, *_refusal(name, kind))
            return None
        kind = _kind(name, follow=True)
        if kind in ("missing", "loop") or kind.startswith("error:"):
            self.refuse(name, *_refusal(name, kind))
            return None
        real = os.path.realpath(name)
        if kind == "dir" and _inside(os.path.realpath(path.parent), real):
            self.refuse(name, "SymlinkLoop", f"a link back to {display_path(real)}, a folder it lies in; not followed")
            return None
        if any(_inside(real, root) for root in self.roots):
            self.hits += 1
            return None  # its target is read under its own name
        if not self.follow_links:
            self.refuse(name, "LinkOutsideInputs", f"a symbolic link to {display_path(real)}, outside the input "
                                                   "folders; not read (pass --follow-links to read it)")
            return None
        if kind == "file":
            self.add(path, True)
        elif kind == "dir":
            self.hits += 1
            return path if descend and real not in self.walked else None
        else:
            self.refuse(name, *_refusal(name, kind))
        return None


def _kind(path: str, follow: bool) -> str:
    try:
        mode = os.stat(path, follow_symlinks=follow).st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as err:
        return "loop" if err.errno == errno.ELOOP else f"error:{err.strerror}"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return _special(mode)


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _refusal(path: str, kind: str) -> tuple[str, str]:
    if kind == "missing":
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return "BrokenLink", f"a symbolic link to {display_path(target)}, which does not exist"
    if kind == "loop":
        return "SymlinkLoop", "symbolic links that lead to each other in a loop; not followed"
    if kind.startswith("error:"):
        return "OSError", f"cannot be examined ({kind[6:]})"
    return "NotARegularFile", f"{kind}, not a regular file; not read"


# ------------------------------------------------------------------------------- reading
def open_regular(path: str | os.PathLike[str], follow: bool) -> tuple[int, os.stat_result]:
    """Open a listed file for reading; raise InputProblem unless it is (still) a regular file."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputProblem("FileNotFoundError", "the file disappeared before it could be read") from None
    except OSError as err:
        if err.errno == errno.ELOOP and not follow:  # O_NOFOLLOW met a link: the name is now a link
            raise InputProblem("LinkOutsideInputs", "the file became a symbolic link after it was listed; "
                                                    "not read (pass --follow-links to read links)") from None
        raise InputProblem(type(err).__name__, f"cannot be read ({err.strerror or err})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise InputProblem("NotARegularFile", f"{_special(info.st_mode)}, not a regular file; not read")
    return fd, info


def read_regular(path: str | os.PathLike[str], follow: bool, limit: int) -> bytes:
    """The bytes of a regular file, in one read; FileTooLarge past `limit` bytes."""
    fd, info = open_regular(path, follow)
    try:
        with os.fdopen(fd, "rb", closefd=True) as handle:
            data = handle.read(limit + 1) if info.st_size <= limit else b""
    except OSError as err:
        raise InputProblem(type(err).__name__, f"cannot be read ({err.strerror or err})") from None
    if info.st_size > limit or len(data) > limit:
        raise InputProblem("FileTooLarge", too_large_message(max(info.st_size, len(data)), limit))
    return data


def hash_regular(path: str | os.PathLike[str], follow: bool) -> tuple[int, str]:
    """(size, SHA-256) of a regular file, read in 1 MiB blocks."""
    fd, info = open_regular(path, follow)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "rb", closefd=True) as handle:
            for block in iter(lambda: handle.read(READ_BLOCK), b""):
                digest.update(block)
    except OSError as err:
        raise InputProblem(type(err).__name__, f"cannot be read ({err.strerror or err})") from None
    return info.st_size, digest.hexdigest()


def too_large_message(size: int, limit: int) -> str:
    return (f"the file is too large ({size / 1e6:.1f} MB > {limit / 1e6:.0f} MB); raise the limit with "
            "--max-file-mb, then rerun with --resume --retry-failed")


def file_sha256(path: Path) -> str:
    return hash_regular(path, follow=True)[1]
