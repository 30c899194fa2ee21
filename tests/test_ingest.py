"""Ingestion of text, Word and PDF files, and the errors users see for bad input."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from pathlib import Path

import docx
import pytest

from pipeline.errors import ChithiError, EmptyDocument, EncryptedFile, UnreadableFile, UnsupportedFormat
from pipeline.ingest import ingest_path
from pipeline.ingest.pdf import text_layer_quality
from pipeline.ingest.plaintext import decode_text, vietnamese_score

from .conftest import PDFS, sample

CHITHI = [sys.executable, "-m", "pipeline.cli"]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@pytest.fixture(scope="module")
def plan() -> str:
    return sample("001").read_text("utf-8")


# ---------------------------------------------------------------- text encodings


@pytest.mark.parametrize(
    ("encoding", "bom", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf-16-le", b"\xff\xfe", "utf-16-le"),
        ("utf-16-be", b"\xfe\xff", "utf-16-be"),
        ("utf-16-le", b"", "utf-16-le"),
        ("utf-16-be", b"", "utf-16-be"),
    ],
)
def test_unicode_text_files_come_back_exactly(tmp_path, plan, encoding, bom, expected):
    path = tmp_path / "plan.txt"
    path.write_bytes(bom + plan.encode(encoding))
    got = ingest_path(path)
    assert got.encoding == expected
    assert got.text == plan
    assert got.format == "txt" and got.pages[0].method == "text"


TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def to_cp1258(text: str) -> bytes:
    """What a Windows-1258 editor writes: precomposed â ê ô ă ơ ư đ, tones as combining marks."""
    clusters: list[list[str]] = []  # [base letter with its shape marks, its tone marks]
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and clusters:
            clusters[-1][char in TONES] += char
        else:
            clusters.append([char, ""])
    return "".join(unicodedata.normalize("NFC", base) + tones for base, tones in clusters).encode("cp1258")


def test_windows_1258_is_detected_and_decoded(tmp_path, plan):
    path = tmp_path / "plan.md"
    path.write_bytes(to_cp1258(plan))
    got = ingest_path(path)
    assert got.encoding == "cp1258"
    assert got.format == "md"
    assert nfc(got.text) == nfc(plan)


def test_vietnamese_score_prefers_the_right_single_byte_decoding(plan):
    data = to_cp1258(plan)
    assert vietnamese_score(data.decode("cp1258")) > vietnamese_score(data.decode("cp1252"))
    text, encoding = decode_text(data, "x.txt")
    assert encoding == "cp1258" and "Chỉ thị" in nfc(text)


# ---------------------------------------------------------------- docx


def test_docx_keeps_paragraphs_and_table_rows_in_order(tmp_path, plan):
    paragraphs = [p for p in plan.splitlines() if p.strip()][:6]
    document = docx.Document()
    for paragraph in paragraphs[:3]:
        document.add_paragraph(paragraph)
    table = document.add_table(rows=3, cols=3)
    rows = [("Thị trường", "Năm 2023", "Năm 2024"), ("Nhật Bản", "120", "150"), ("Hàn Quốc", "80", "95")]
    for row, values in zip(table.rows, rows):
        for cell, value in zip(row.cells, values):
            cell.text = value
    for paragraph in paragraphs[3:]:
        document.add_paragraph(paragraph)
    path = tmp_path / "plan.docx"
    document.save(path)

    got = ingest_path(path)
    lines = got.text.splitlines()
    table_lines = ["\t".join(r) for r in rows]
    assert lines == paragraphs[:3] + table_lines + paragraphs[3:]
    assert got.format == "docx"


def test_docx_merged_cells_are_not_repeated(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "Chỉ tiêu đưa lao động đi làm việc ở nước ngoài"
    for cell, value in zip(table.rows[1].cells, ("Tổng", "500", "người")):
        cell.text = value
    path = tmp_path / "quota.docx"
    document.save(path)
    assert ingest_path(path).text.splitlines() == ["Chỉ tiêu đưa lao động đi làm việc ở nước ngoài", "Tổng\t500\tngười"]


# ---------------------------------------------------------------- pdf text layer


def test_gazette_pdf_gives_its_text_layer_page_by_page():
    path = PDFS / "thong-tu-so-01-2025-tt-bldtbxh-43956.pdf"
    got = ingest_path(path)
    assert got.format == "pdf"
    assert len(got.pages) == len(got.page_texts) == 4
    assert {p.method for p in got.pages} == {"text"}
    assert got.ocr_confidence is None
    first = got.page_texts[0]
    assert first.startswith("CÔNG BÁO/Số 231 + 232/Ngày 01-02-2025")  # the running header is kept
    assert "Số: 01/2025/TT-BLĐTBXH" in first
    assert [p.chars for p in got.pages] == [len(t) for t in got.page_texts]


def test_gazette_pdf_text_layers_are_judged_usable(pdfs):
    for path in pdfs[::5]:  # a spread of the 16 (all of them take ~40 s on 2 shared cores)
        got = ingest_path(path)
        assert all(p.method == "text" for p in got.pages), path.name


def test_glyph_codes_make_a_text_layer_unusable():
    assert text_layer_quality("(cid:12)(cid:45)(cid:3) (cid:9)(cid:10)(cid:11) (cid:20)") < 0.2
    assert text_layer_quality("\ue001\ue002\ue003 \ue004\ue005") == 0.0
    assert text_layer_quality("Điều 1. Phạm vi điều chỉnh và đối tượng áp dụng") > 0.9


# ---------------------------------------------------------------- errors


def make_encrypted_pdf(tmp_path: Path) -> Path:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=PDFS / "thong-tu-so-01-2025-tt-bldtbxh-43956.pdf")
    writer.encrypt("mật khẩu")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    return path


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, type[ChithiError], str]]:
    gazette = (PDFS / "thong-tu-so-01-2025-tt-bldtbxh-43956.pdf").read_bytes()
    files = {
        "truncated.pdf": gazette[: len(gazette) // 3],
        "random.pdf": bytes(range(256)) * 20,
        "empty.txt": b"",
        "blank.md": b"  \n\n \t\n",
        "plan.odt": "Kế hoạch".encode(),
        "notword.docx": b"Day khong phai tep Word",
        "notimage.png": b"\x89PNG but not really",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return {
        "missing": (tmp_path / "khong-co.txt", ChithiError, "file not found"),
        "truncated": (tmp_path / "truncated.pdf", UnreadableFile, "damaged or truncated PDF"),
        "random": (tmp_path / "random.pdf", UnreadableFile, "not a PDF"),
        "empty": (tmp_path / "empty.txt", EmptyDocument, "empty"),
        "blank": (tmp_path / "blank.md", EmptyDocument, "empty"),
        "extension": (tmp_path / "plan.odt", UnsupportedFormat, "unsupported format '.odt'"),
        "docx": (tmp_path / "notword.docx", UnreadableFile, "not a Word .docx file"),
        "image": (tmp_path / "notimage.png", UnreadableFile, "not an image"),
    }


def test_bad_inputs_raise_clear_errors(tmp_path):
    for case, (path, error, message) in bad_inputs(tmp_path).items():
        with pytest.raises(error) as caught:
            ingest_path(path)
        assert message in str(caught.value), case
        assert str(path) in str(caught.value), case


def test_encrypted_pdf_is_reported(tmp_path):
    path = make_encrypted_pdf(tmp_path)
    with pytest.raises(EncryptedFile, match="password-protected"):
        ingest_path(path)


def test_cli_reports_each_bad_file_on_one_line_without_traceback(tmp_path):
    cases = bad_inputs(tmp_path)
    paths = [str(path) for path, _, _ in cases.values()]
    run = subprocess.run([*CHITHI, "extract", *paths], capture_output=True, text=True, timeout=120)
    assert run.returncode == 3  # input errors
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == len(cases)
    for line, (path, _, message) in zip(lines, cases.values()):
        assert line == f"chithi: {path}: " + line.split(f"{path}: ", 1)[1]
        assert message in line


def test_old_word_and_encrypted_word_files_are_told_apart(tmp_path):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    legacy, locked = tmp_path / "old.docx", tmp_path / "locked.docx"
    legacy.write_bytes(ole + "WordDocument".encode("utf-16-le"))
    locked.write_bytes(ole + "EncryptedPackage".encode("utf-16-le"))
    with pytest.raises(UnreadableFile, match=r"old binary Word \(.doc\)"):
        ingest_path(legacy)
    with pytest.raises(EncryptedFile, match="password-protected"):
        ingest_path(locked)
