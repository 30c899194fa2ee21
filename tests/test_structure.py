"""Section tree and document split, on the samples, the gazette PDFs and texts made here."""

from __future__ import annotations

import unicodedata

from pipeline.document import Document
from pipeline.structure.metadata import read_metadata
from pipeline.structure.sections import find_section, parse_sections, sections, walk
from pipeline.structure.split import split_documents
from tests.structure_helpers import gold, text_of

OUTLINE = """KẾ HOẠCH
I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
1.1. Quán triệt nội dung Chỉ thị.
a) Tổ chức tuyên truyền.
- Trên báo chí;
+ báo in;
+ báo điện tử.
- Trên mạng xã hội.
b) Kiểm tra, đôn đốc.
2. Yêu cầu
II. TỔ CHỨC THỰC HIỆN
1. Sở Lao động - Thương binh và Xã hội chủ trì.

Nơi nhận:
- Bộ Lao động - Thương binh và Xã hội;
"""


def _document(text: str) -> Document:
    doc = Document.from_text(text)
    sections(doc)
    return doc


def test_ids_styles_and_nesting():
    tree = parse_sections(OUTLINE)
    ids = [(s.id, s.style, s.level) for s in walk(tree)]
    assert ids == [
        ("I", "roman", 1), ("I.1", "arabic", 2), ("I.1.1", "decimal", 3), ("I.1.1.a", "letter", 4),
        ("I.1.1.a.-1", "dash", 5), ("I.1.1.a.-1.+1", "plus", 6), ("I.1.1.a.-1.+2", "plus", 6),
        ("I.1.1.a.-2", "dash", 5), ("I.1.1.b", "letter", 4), ("I.2", "arabic", 2),
        ("II", "roman", 1), ("II.1", "arabic", 2),
    ]


def test_spans_run_to_the_next_sibling_or_ancestor_and_stop_at_the_distribution_list():
    tree = parse_sections(OUTLINE)
    first, second = tree
    assert OUTLINE[first.start:first.end].startswith("I. MỤC ĐÍCH") and OUTLINE[first.end:].lstrip().startswith("II.")
    assert OUTLINE[first.start:first.end].rstrip().endswith("2. Yêu cầu")
    assert OUTLINE[second.start:second.end].endswith("chủ trì.")
    for section in walk(tree):
        for child in section.children:
            assert section.start <= child.start and child.end <= section.end


def test_headings_roles_and_their_offsets():
    tree = parse_sections(OUTLINE)
    assert [(s.heading, s.role) for s in tree] == [("MỤC ĐÍCH, YÊU CẦU", "purpose"), ("TỔ CHỨC THỰC HIỆN", "organisation")]
    for section in walk(tree):
        assert " ".join(OUTLINE[section.heading_start:section.heading_end].split()) == section.heading


def test_roles_and_stable_ids_on_a_sample():
    text = text_of("corpus/samples/003_a67a80a96aa55b50.txt")
    tree = parse_sections(text)
    assert [(s.id, s.role) for s in tree] == [("I", "purpose"), ("II", "tasks"), ("III", "funding"), ("IV", "organisation")]
    ids = [s.id for s in walk(tree)]
    assert len(ids) == len(set(ids)) and ids == [s.id for s in walk(parse_sections(text))]
    assert "IV.1.đ" in ids and find_section(parse_sections(text), "IV.9.d").heading.startswith("Tăng cường quản lý")


def test_section_at_gives_the_deepest_section():
    text = text_of("corpus/samples/003_a67a80a96aa55b50.txt")
    doc = _document(text)
    offset = text.index("Nguồn tài chính khác theo quy định")
    assert doc.section_id_at(offset) == "III.1.c"
    assert doc.section_path(0) == []


def test_chapters_and_articles_of_a_gazette_pdf():
    tree = parse_sections(text_of("corpus/pdf/thong-tu-lien-tich-so-01-2022-ttlt-vksndtc-tandtc-bca-bqp-bldtbxh-36844.pdf"))
    assert [s.id for s in tree] == [f"Chuong-{n}" for n in ("I", "II", "III", "IV", "V", "VI")]
    assert tree[0].heading == "QUY ĐỊNH CHUNG" and tree[0].children[0].id == "Chuong-I.Dieu-1"
    assert tree[-1].children[-1].number == "Điều 27" and tree[-1].children[-1].role == "organisation"


# ---------------------------------------------------------------------------- split
COVER = (
    "HUYỆN ỦY ĐỨC TRỌNG ĐẢNG CỘNG SẢN VIỆT NAM\nSố 120-CV/HU Đức Trọng, ngày 10 tháng 02 năm 2023\n"
    "V/v triển khai Kế hoạch số 71-KH/TU\n\nKính gửi: - Ủy ban nhân dân huyện.\n\n"
    "Thường trực Huyện ủy có ý kiến như sau: triển khai Kế hoạch số 71-KH/TU.\n\n"
    "Nơi nhận: T/M BAN THƯỜNG VỤ\n- Như kính gửi,\n- Lưu Văn phòng Huyện ủy.\n"
)
PLAN = (
    "TỈNH ỦY LÂM ĐỒNG ĐẢNG CỘNG SẢN VIỆT NAM\n*\nSố 71-KH/TU Lâm Đồng, ngày 02 tháng 02 năm 2023\n\n"
    "KẾ HOẠCH\nthực hiện Chỉ thị số 20-CT/TW ngày 12/12/2022 của Ban Bí thư\n\nI. MỤC ĐÍCH, YÊU CẦU\n- Quán triệt.\n"
)


def test_a_cover_letter_and_the_plan_it_forwards_are_two_documents():
    text = COVER + PLAN
    assert split_documents(text) == [(0, len(COVER)), (len(COVER), len(text))]


def test_one_document_stays_one():
    for relative in ("corpus/samples/001_37247e5e6a15016d.txt", "corpus/samples/003_a67a80a96aa55b50.txt"):
        text = text_of(relative)
        assert split_documents(text) == [(0, len(text))]
    assert split_documents(PLAN + "\nNơi nhận:\n- Lưu.\n") == [(0, len(PLAN) + len("\nNơi nhận:\n- Lưu.\n"))]


def test_gazette_pdfs_are_not_over_split():
    for doc in gold():
        if doc["set"] == "pdf":
            text = text_of(doc["file"])
            assert len(split_documents(text)) == 1, doc["file"]


def test_split_of_the_ocr_sample_before_repair():
    text = text_of("corpus/samples/002_955c3a1dec05bd6a.txt")
    (_, cut), (start, end) = split_documents(text)
    assert cut == start and end == len(text)
    assert text[start:].lstrip().startswith("TINH UY LAM DONG")


def _strip_diacritics(text: str) -> str:
    """The text as an OCR engine without Vietnamese leaves it: same case, no marks."""
    marks = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    return marks.replace("đ", "d").replace("Đ", "D")


def test_split_and_metadata_without_diacritics():
    cover, plan = _strip_diacritics(COVER), _strip_diacritics(PLAN)
    text = cover + plan
    assert split_documents(text) == [(0, len(cover)), (len(cover), len(text))]
    letter, forwarded = (read_metadata(text[s:e]) for s, e in split_documents(text))
    assert (letter.doc_type, letter.number, letter.issued_date) == ("cong_van", "120-CV/HU", "2023-02-10")
    assert (letter.issuer.level, letter.issuer.kind, letter.province) == ("district", "party", "Lâm Đồng")
    assert (forwarded.doc_type, forwarded.number, forwarded.province) == ("ke_hoach", "71-KH/TU", "Lâm Đồng")


def test_outline_of_the_sample_without_diacritics():
    tree = parse_sections(text_of("corpus/samples/000_e0987cef3229b2fa.txt"))  # its 'II.' reads 'I1.'
    assert [(s.id, s.role) for s in tree] == [("I", "purpose"), ("II", "tasks"), ("III", "organisation")]
    assert [c.id for c in tree[1].children] == ["II.1", "II.2", "II.3", "II.4", "II.5"]
