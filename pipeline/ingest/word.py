"""Word files (.docx): paragraphs and tables in document order (python-docx).

A .docx is a ZIP archive; python-docx unzips every part into memory and parses the XML
ones, so the sizes the archive declares are checked first (`check_archive`): a few hundred
kilobytes can unzip to gigabytes. Python's zipfile stops at the declared size of a member
(and fails its checksum), so a member cannot unzip to more than it declares.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ..errors import EncryptedFile, UnreadableFile
from .limits import DEFAULT_LIMITS, MB, Limits, megabytes, over

SUFFIXES = {".docx"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, or an encrypted .docx


def check_archive(path: Path, data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a .docx whose parts would unzip to more than the limits allow."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise UnreadableFile(str(path), f"damaged .docx ({err})") from None
    xml = sum(m.file_size for m in members if m.filename.endswith((".xml", ".rels")))
    if xml > limits.max_unzipped_mb * MB:
        raise over(path, "the Word document's XML, unzipped,", megabytes(xml), megabytes(limits.max_unzipped_mb * MB),
                   "--max-unzipped-mb")
    total = sum(m.file_size for m in members)
    if total > limits.max_file_mb * MB:
        raise over(path, "the Word document, unzipped,", megabytes(total), megabytes(limits.max_file_mb * MB),
                   "--max-file-mb")


def read_docx(path: Path, data: bytes | None = None, limits: Limits = DEFAULT_LIMITS) -> str:
    """Paragraphs and tables in document order; a table row is its cells joined by a tab.
    `data`: the file's bytes when already read."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    data = path.read_bytes() if data is None else data
    head = data[:8]
    if head == _OLE_MAGIC:
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
            raise EncryptedFile(str(path), "the Word document is password-protected")
        raise UnreadableFile(str(path), "this is an old binary Word (.doc) file, not .docx; save it as .docx")
    if not head.startswith(b"PK"):
        raise UnreadableFile(str(path), "not a Word .docx file (no ZIP container)")
    check_archive(path, data, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as err:
        raise UnreadableFile(str(path), f"damaged .docx ({err})") from None
    except Exception as err:  # zipfile.BadZipFile, lxml errors: all mean a damaged package
        raise UnreadableFile(str(path), f"damaged .docx ({type(err).__name__}: {err})") from None
    blocks = []
    for block in document.iter_inner_content():
        blocks.append(_table_text(block) if isinstance(block, Table) else block.text)
    return "\n".join(blocks)


def _table_text(table) -> str:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell repeats; keep it once
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        rows.append("\t".join(cells))
    return "\n".join(rows)
