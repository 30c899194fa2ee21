"""Make the hostile-input suite of issue 19 in a folder (scripts/hostile_table.py runs it).

    .venv/bin/python scripts/make_hostile_inputs.py /tmp/hostile          # make the cases, list them
    .venv/bin/python scripts/hostile_table.py /tmp/hostile --full         # … run them, print the table

Every file is made here, with a fixed seed, from the repository's own samples and PDFs
(nothing is committed, nothing downloaded). `make_cases` returns the cases: the chithi
command to run on each, the exit codes that are correct for it and, for a success, a check
of the result (`verify`). tests/test_hostile.py runs the suite at small sizes; `--full` uses
the sizes of the issue (a 50 MB text, a 5-million-character line, a 120-page scan, a .docx
whose XML unzips to 200 MB).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "corpus" / "samples"
PDFS = ROOT / "corpus" / "pdf"
GAZETTE = PDFS / "thong-tu-so-01-2025-tt-bldtbxh-43956.pdf"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

Verify = Callable[[bytes], str]  # stdout of a successful run → a short note ("ok: …"), or raises


@dataclass
class Case:
    name: str
    args: list[str | bytes]  # chithi's arguments
    expect: frozenset[int]  # exit codes that are correct
    message: str = ""  # what the one line on stderr must say (a failure), or ""
    stdin: bytes | None = None
    verify: Verify | None = None
    about: str = ""


def sample_text(prefix: str = "001") -> str:
    return next(SAMPLES.glob(f"{prefix}_*.txt")).read_text("utf-8")


# ------------------------------------------------------------------------ checks
def records(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines() if line.strip()]


def words_right(expected: str) -> Verify:
    """The share of the expected words that came back (the records' texts, in order)."""
    def check(stdout: bytes) -> str:
        got = unicodedata.normalize("NFC", " ".join(r["text"] for r in records(stdout))).split()
        want = unicodedata.normalize("NFC", expected).split()
        from rapidfuzz.distance import Levenshtein

        same = sum(b - a for tag, a, b, _, _ in Levenshtein.opcodes(want, got) if tag == "equal")
        legacy = {r["source"].get("legacy_encoding") for r in records(stdout)}
        return f"{same / len(want):.1%} of words right, legacy {'/'.join(map(str, legacy))}"
    return check


def has_warning(text: str) -> Verify:
    def check(stdout: bytes) -> str:
        warnings = [w for r in records(stdout) for w in r["warnings"]]
        pages = records(stdout)[0]["source"]["ocr_pages"]
        assert any(text in w for w in warnings), warnings
        return f"OCRed pages {pages}; warning: {text}"
    return check


def repairs_of_kind(kind: str, at_least: int) -> Verify:
    def check(stdout: bytes) -> str:
        found = [r for rec in records(stdout) for r in rec["repairs"] if r["kind"] == kind]
        assert len(found) >= at_least, found
        assert not any(c in rec["text"] for rec in records(stdout) for c in "\x00\x07\x1b\u202e")
        return f"{len(found)} '{kind}' repairs, none left in the text"
    return check


def lines_kept(lines: list[str]) -> Verify:
    def check(stdout: bytes) -> str:
        text = "\n".join(r["text"] for r in records(stdout))
        missing = [line for line in lines if line not in text]
        assert not missing, missing
        return f"{len(lines)} English/code lines unchanged"
    return check


def escaped_name(stdout: bytes) -> str:
    path = records(stdout)[0]["source"]["path"]
    assert "\\xff" in path, path
    return f"path kept as {path!r}"


def pages_read(count: int) -> Verify:
    def check(stdout: bytes) -> str:
        got = records(stdout)[0]["source"]
        assert got["pages"] == count and len(got["ocr_pages"]) == count, got["ocr_pages"]
        return f"{count} pages OCRed, mean confidence {got['ocr_confidence']}"
    return check


def some_record(stdout: bytes) -> str:
    got = records(stdout)
    return f"{len(got)} record(s), {sum(len(r['text']) for r in got):,} characters"


# ------------------------------------------------------------------------ makers
def _pdf_with(pages: list[tuple[float, float, Callable]], path: Path) -> Path:
    """A PDF made with pdfium: (width pt, height pt, fill(pdf, page)) per page."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for width, height, fill in pages:
        page = pdf.new_page(width, height)
        fill(pdf, page)
        page.gen_content()
    pdf.save(str(path))
    return path


def _image_object(pdf, page, image, box: tuple[float, float, float, float]) -> None:
    import pypdfium2 as pdfium

    left, bottom, width, height = box
    obj = pdfium.PdfImage.new(pdf)
    obj.set_bitmap(pdfium.PdfBitmap.from_pil(image))
    obj.set_matrix(pdfium.PdfMatrix().scale(width, height).translate(left, bottom))
    page.insert_obj(obj)


def _invisible_text(pdf, page, lines: list[str]) -> None:
    """A text layer that is not drawn (as an OCRed "searchable" PDF has)."""
    import ctypes

    import pypdfium2.raw as raw

    for row, line in enumerate(lines):
        obj = raw.FPDFPageObj_NewTextObj(pdf.raw, b"Helvetica", ctypes.c_float(11))
        buffer = ctypes.create_string_buffer((line + "\x00").encode("utf-16-le"))
        raw.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR)))
        raw.FPDFTextObj_SetTextRenderMode(obj, raw.FPDF_TEXTRENDERMODE_INVISIBLE)
        raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 60, 780 - 16 * row)
        raw.FPDFPage_InsertObject(page.raw, obj)


def mojibake_layer_pdf(path: Path, legacy: bool = False) -> tuple[Path, str]:
    """A scanned page whose invisible text layer is its own text, UTF-8 read as Windows-1252
    ("Káº¿ hoáº¡ch"): a layer of ordinary characters that does not read as Vietnamese. With
    `legacy`, the layer is in TCVN3 codes instead ("KÕ ho¹ch"), which a legacy decoding reads."""
    from scripts.make_scans import page_texts, render_pages

    text = "\n".join(sample_text("003").splitlines()[:60])
    image, shown = render_pages(text, max_pages=1)[0], page_texts(text, max_pages=1)[0]
    if legacy:
        garbled = [to_tcvn3_bytes(line).decode("cp1252", "replace") for line in shown.splitlines()]
    else:
        garbled = [line.encode("utf-8").decode("cp1252", "replace") for line in shown.splitlines()]
    return _pdf_with([(595, 842, lambda pdf, page: (_image_object(pdf, page, image, (0, 0, 595, 842)),
                                                    _invisible_text(pdf, page, garbled)))], path), shown


def scanned_pdf(path: Path, pages: int) -> Path:
    """An image-only PDF of `pages` pages (three typeset pages over and over)."""
    from scripts.make_scans import render_pages, save_pdf

    typeset = render_pages(sample_text("001"), max_pages=3)
    return save_pdf([typeset[i % len(typeset)] for i in range(pages)], path)


def docx_bomb(path: Path, megabytes: float) -> Path:
    """A .docx whose document.xml unzips to `megabytes` MB (a few hundred KB zipped)."""
    import docx

    buffer = io.BytesIO()
    docx.Document().save(buffer)
    paragraph = '<w:p><w:r><w:t>Kế hoạch thực hiện Chỉ thị số 20-CT/TW của Ban Bí thư.</w:t></w:r></w:p>'.encode()
    source = zipfile.ZipFile(buffer)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                out.writestr(item, source.read(item))
                continue
            head, tail = source.read(item).split(b"<w:body>")
            with out.open("word/document.xml", "w", force_zip64=True) as stream:
                stream.write(head + b"<w:body>")
                chunk = paragraph * 10_000
                for _ in range(max(1, math.ceil(megabytes * 1e6 / len(chunk)))):
                    stream.write(chunk)
                stream.write(tail.split(b"</w:body>", 1)[0].split(b"<w:sectPr", 1)[0] + b"</w:body></w:document>")
    return path


def huge_png(path: Path, width: int, height: int) -> Path:
    """A PNG that declares width × height pixels of 1 bit (only its header matters: the
    first rows are stored, the rest of the file is cut)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = zlib.compress(b"\x00" + b"\xff" * ((width + 7) // 8) * 10)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b""))
    return path


def huge_page_pdf(path: Path, inches: float) -> Path:
    """One page of inches × inches holding a small picture and no text: it must be OCRed."""
    from PIL import Image

    side = inches * 72
    return _pdf_with([(side, side, lambda pdf, page: _image_object(pdf, page, Image.new("L", (50, 50), 0),
                                                                    (72, 72, 144, 144)))], path)


def to_tcvn3_bytes(text: str) -> bytes:
    """A text as the TCVN3 (ABC) font stores it, one byte per code."""
    from pipeline.repair.legacy import encode_legacy

    return encode_legacy(text, "TCVN3").encode("cp1252", "replace")


def to_cp1258(text: str) -> bytes:
    """What a Windows-1258 editor writes: precomposed â ê ô ă ơ ư đ, tones as combining marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    clusters: list[list[str]] = []  # [base letter with its shape marks, its tone marks]
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and clusters:
            clusters[-1][char in tones] += char
        else:
            clusters.append([char, ""])
    return "".join(unicodedata.normalize("NFC", base) + tone for base, tone in clusters).encode("cp1258", "replace")


def big_text(megabytes: float, one_line: bool = False) -> bytes:
    block = sample_text("001")
    if one_line:
        block = " ".join(block.split())
    data = (block.encode("utf-8") * (int(megabytes * 1e6) // len(block.encode("utf-8")) + 1))[: int(megabytes * 1e6)]
    return data.decode("utf-8", "ignore").encode("utf-8")


# ------------------------------------------------------------------------ the suite
ENGLISH_LINES = [
    "root:x:0:0:root:/root:/bin/bash",
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
    "The Ministry of Labour will send the report to the committee before the end of the year.",
    "See https://example.com/reports?id=42 for the details.",
]
RANDOM_SUFFIXES = (".txt", ".md", ".docx", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


def make_cases(folder: Path, *, full: bool = False, seed: int = 19) -> list[Case]:
    """Write the inputs into `folder`; the cases that run chithi on them."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    big_mb, line_mb, scan_pages, bomb_mb = (50, 6.5, 120, 200) if full else (2, 0.5, 3, 6)
    plan = sample_text("001")
    plan_file = folder / "ke-hoach.txt"
    plan_file.write_text(plan, "utf-8")
    cases: list[Case] = []

    def add(name: str, args: list[str | bytes], expect: set[int], **kw) -> None:
        cases.append(Case(name, args, frozenset(expect), **kw))

    def file(name: str | bytes, data: bytes) -> str | bytes:
        path = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else os.fsencode(name))
        with open(path, "wb") as handle:
            handle.write(data)
        return path if isinstance(name, bytes) else os.fsdecode(path)

    # special files
    fifo = folder / "fifo.txt"
    if not fifo.exists():
        os.mkfifo(fifo)
    add("FIFO named .txt", ["extract", str(fifo)], {3}, message="named pipe")
    add("FIFO, repair", ["repair", str(fifo)], {3}, message="named pipe")
    zero = folder / "zero.txt"
    if not zero.is_symlink():
        zero.symlink_to("/dev/zero")
    add("link to /dev/zero", ["extract", str(zero)], {3}, message="character device")
    loop_a, loop_b = folder / "loop-a.txt", folder / "loop-b.txt"
    for link, target in ((loop_a, loop_b), (loop_b, loop_a)):
        if not link.is_symlink():
            link.symlink_to(target.name)
    add("symlink loop", ["extract", str(loop_a)], {3}, message="symbolic link loop")
    add("name not UTF-8 (0xff 0xfe)", ["extract", file(b"ke-hoach-\xff\xfe.txt", plan.encode())], {0},
        verify=escaped_name)
    add("empty file", ["extract", file("rong.txt", b"")], {3}, message="empty")
    for suffix in RANDOM_SUFFIXES:
        add(f"random bytes {suffix}", ["extract", file(f"ngau-nhien{suffix}", rng.randbytes(30_000))], {3})
    # PDFs
    gazette = GAZETTE.read_bytes()
    add("truncated PDF", ["extract", file("cut-cut.pdf", gazette[: len(gazette) // 3])], {0, 3})
    add("encrypted PDF", ["extract", file("mat-khau.pdf", _encrypted(gazette))], {3}, message="password")
    moji, shown = mojibake_layer_pdf(folder / "mojibake-layer.pdf")
    add("PDF text layer in mojibake", ["extract", "--no-model", str(moji)], {0},
        verify=has_warning("does not read as Vietnamese"))
    tcvn3_layer, shown = mojibake_layer_pdf(folder / "tcvn3-layer.pdf", legacy=True)
    add("PDF text layer in TCVN3", ["extract", "--no-model", str(tcvn3_layer)], {0}, verify=words_right(shown))
    add("PDF with zero pages", ["extract", str(_pdf_with([], folder / "khong-trang.pdf"))], {3}, message="no pages")
    add("PDF page 200 × 200 inches", ["extract", str(huge_page_pdf(folder / "trang-lon.pdf", 200))], {3},
        message="--max-pixels")
    add(f"scanned PDF, {scan_pages} pages", ["extract", "--no-model", str(scanned_pdf(folder / "scan.pdf", scan_pages))],
        {0}, verify=pages_read(scan_pages))
    # other formats
    bomb = str(docx_bomb(folder / "bom.docx", bomb_mb))  # at small size, a small limit makes it go off
    add(f"DOCX zip bomb ({bomb_mb} MB of XML)", ["extract", bomb] if full else ["extract", "--max-unzipped-mb", "2", bomb],
        {3}, message="--max-unzipped-mb")
    add("PNG of 30000 × 30000 pixels", ["extract", str(huge_png(folder / "anh-lon.png", 30000, 30000))], {3},
        message="--max-pixels")
    # text encodings and characters
    add("UTF-16 without BOM", ["extract", "--no-model", file("utf16.txt", plan.encode("utf-16-le"))], {0},
        verify=words_right(plan))
    lines = plan.splitlines()
    half = len(lines) // 2
    mixed = "\n".join(lines[:half]).encode("utf-8") + b"\n" + to_cp1258("\n".join(lines[half:]))
    add("mixed UTF-8 and cp1258 lines", ["extract", "--no-model", file("tron-ma.txt", mixed)], {0},
        verify=words_right(plan))
    nul = plan[:400] + "\x00\x00" + plan[400:800] + "\x00" + plan[800:]
    add("NUL bytes in a text", ["extract", "--no-model", file("nul.txt", nul.encode())], {0},
        verify=repairs_of_kind("normalize", 2))
    controls = plan[:300] + "\u202e" + plan[300:600] + "\x07\x1b" + plan[600:]
    add("control and bidi-override characters", ["extract", "--no-model", file("dieu-khien.txt", controls.encode())],
        {0}, verify=repairs_of_kind("normalize", 2))
    tcvn3 = to_tcvn3_bytes(plan)
    add("TCVN3 bytes (.txt)", ["extract", "--no-model", file("tcvn3.txt", tcvn3)], {0}, verify=words_right(plan))
    add("TCVN3 saved via cp1252", ["extract", "--no-model", file("tcvn3-cp1252.txt", tcvn3.decode("cp1252", "replace").encode())],
        {0}, verify=words_right(plan))
    add("TCVN3 saved via cp1258", ["extract", "--no-model", file("tcvn3-cp1258.txt", tcvn3.decode("cp1258", "replace").encode())],
        {0}, verify=words_right(plan))
    english = plan[:600] + "\n" + "\n".join(ENGLISH_LINES) + "\n" + plan[600:]
    add("English and code lines", ["extract", "--no-model", file("tieng-anh.txt", english.encode())], {0},
        verify=lines_kept(ENGLISH_LINES))
    # size
    big = file(f"lon-{big_mb}MB.txt", big_text(big_mb))
    add(f"{big_mb} MB text, default limits", ["extract", big], {0, 3} if not full else {3}, message="" if not full else "--max-text-mb")
    add(f"{big_mb} MB text, --max-text-mb 60", ["extract", "--max-text-mb", "60", big], {0}, verify=some_record)
    line = file("mot-dong.txt", big_text(line_mb, one_line=True))
    add(f"one line of {line_mb} MB", ["extract", line], {0}, verify=some_record)
    # standard input and outputs
    add("repair - with binary stdin", ["repair", "-"], {3}, message="binary data", stdin=rng.randbytes(20_000))
    add("-o is a folder", ["extract", str(plan_file), "-o", str(folder)], {4}, message="is a folder")
    add("-o in a read-only place", ["extract", str(plan_file), "-o", "/proc/chithi-out.jsonl"], {4},
        message="cannot write")
    add("-o under a regular file", ["extract", str(plan_file), "-o", str(plan_file / "out.jsonl")], {4},
        message="cannot write")
    add("compare -o in a read-only place", ["compare", str(plan_file), "-o", "/proc/chithi-out.json"], {4},
        message="cannot write")
    return cases


def _encrypted(pdf: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(pdf)).pages[0])
    writer.encrypt(user_password="mat-khau", owner_password="chu-so-huu")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--full", action="store_true", help="The issue's sizes (50 MB text, 120 pages, …).")
    args = parser.parse_args()
    for case in make_cases(args.folder, full=args.full):
        print(f"{'/'.join(map(str, sorted(case.expect))):5s} {case.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
