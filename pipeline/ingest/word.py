"""Word files (.docx): paragraphs and tables in document order (python-docx)."""

from __future__ import annotations

from pathlib import Path

from ..errors import EncryptedFile, UnreadableFile

SUFFIXES = {".docx"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, or an encrypted .docx


def read_docx(path: Path) -> str:
    """Paragraphs and tables in document order; a table row is its cells joined by a tab."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    head = path.read_bytes()[:8]
    if head == _OLE_MAGIC:
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in path.read_bytes():
            raise EncryptedFile(str(path), "the Word document is password-protected")
        raise UnreadableFile(str(path), "this is an old binary Word (.doc) file, not .docx; save it as .docx")
    if not head.startswith(b"PK"):
        raise UnreadableFile(str(path), "not a Word .docx file (no ZIP container)")
    try:
        document = docx.Document(str(path))
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
