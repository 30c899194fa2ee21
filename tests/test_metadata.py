"""Metadata and references, checked on the samples, the gazette PDFs and texts made here."""

from __future__ import annotations

import pytest

from pipeline.document import Document
from pipeline.structure.metadata import read_metadata, read_recipients
from pipeline.structure.references import find_references, references
from tests.structure_helpers import gold, text_of

FIELDS = ("number", "issued_date", "doc_type", "province")
HEADER = (
    "{issuer} ĐẢNG CỘNG SẢN VIỆT NAM\n*\n"
    "Số 157-KH/TU {place}, ngày 23 tháng 3 năm 2023\n\n"
    "KẾ HOẠCH\n"
    "thực hiện Chỉ thị số 20-CT/TW ngày 12/12/2022 của Ban Bí thư\n"
    "về công tác đưa người lao động đi làm việc ở nước ngoài\n\n"
    "Thực hiện Chỉ thị số 20-CT/TW, Ban Thường vụ ban hành Kế hoạch như sau:\n\n"
    "I. MỤC ĐÍCH, YÊU CẦU\n- Quán triệt sâu sắc nội dung Chỉ thị.\n\n"
    "Nơi nhận:\n- Ban Bí thư Trung ương Đảng;\n- Lưu Văn phòng.\n\n"
    "T/M BAN THƯỜNG VỤ\nPHÓ BÍ THƯ\n\nNguyễn Văn An\n"
)


def _clean_and_pdf():
    return [g for g in gold() if g["set"] in ("clean", "pdf")]


@pytest.mark.parametrize("doc", _clean_and_pdf(), ids=lambda g: g["file"].rsplit("/", 1)[-1][:32])
def test_metadata_matches_gold(doc):
    info = read_metadata(text_of(doc["file"]))
    for field in FIELDS:
        assert getattr(info, field) == doc[field], field
    assert info.issuer.level == doc["issuer"]["level"]
    assert info.issuer.kind == doc["issuer"]["kind"]


@pytest.mark.parametrize("doc", _clean_and_pdf(), ids=lambda g: g["file"].rsplit("/", 1)[-1][:32])
def test_every_field_read_has_evidence_in_the_text(doc):
    text = text_of(doc["file"])
    info = read_metadata(text)
    for field in ("number", "issued_date", "place", "title"):
        if getattr(info, field):
            span = info.evidence[field]
            assert 0 <= span.start < span.end <= len(text)
    if info.number and "\n" not in text[info.evidence["number"].start:info.evidence["number"].end]:
        assert text[info.evidence["number"].start:info.evidence["number"].end] == info.number
    if info.place:
        assert text[info.evidence["place"].start:info.evidence["place"].end] == info.place


def test_interleaved_two_column_header_is_read():
    text = HEADER.format(issuer="TỈNH ỦY HÀ TĨNH", place="Hà Tĩnh")
    info = read_metadata(text)
    assert (info.doc_type, info.number, info.issued_date, info.place) == ("ke_hoach", "157-KH/TU", "2023-03-23", "Hà Tĩnh")
    assert info.issuer.model_dump() == {"name": "TỈNH ỦY HÀ TĨNH", "level": "province", "kind": "party"}
    assert info.province == "Hà Tĩnh"
    assert info.title.startswith("thực hiện Chỉ thị số 20-CT/TW") and info.title.endswith("ở nước ngoài")
    assert info.signer.model_dump() == {"name": "Nguyễn Văn An", "title": "PHÓ BÍ THƯ", "on_behalf": "T/M BAN THƯỜNG VỤ"}
    issuer = info.evidence["issuer"]
    assert text[issuer.start:issuer.end] == "TỈNH ỦY HÀ TĨNH"


def test_a_district_issuer_gives_its_province():
    info = read_metadata(HEADER.format(issuer="HUYỆN ỦY TAM ĐƯỜNG", place="Tam Đường"))
    assert (info.issuer.level, info.issuer.kind, info.province) == ("district", "party", "Lai Châu")


def test_ministry_and_standing_committee_are_central():
    for name, kind in (("BỘ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "government"), ("ỦY BAN THƯỜNG VỤ QUỐC HỘI", "assembly")):
        info = read_metadata(HEADER.format(issuer=name, place="Hà Nội").replace("ĐẢNG CỘNG SẢN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA"))
        assert (info.issuer.kind, info.issuer.level, info.province) == (kind, "central", None)


def test_gazette_running_header_is_not_the_number():
    info = read_metadata(text_of("corpus/pdf/nghi-quyet-so-17-2022-ubtvqh15-36956.pdf"))
    assert info.number == "17/2022/UBTVQH15"


def test_recipients_of_the_distribution_list():
    text = text_of("corpus/samples/001_37247e5e6a15016d.txt")
    recipients = read_recipients(text)
    assert [r.text for r in recipients][:3] == ["Tỉnh ủy Lai Châu", "TT Huyện ủy, HĐND huyện", "Lãnh đạo UBND huyện"]
    assert all(r.list == "noi_nhan" and text[r.start:r.end] == r.text for r in recipients)


def test_kinh_gui_items_on_one_line():
    text = "V/v triển khai Kế hoạch\n\nKính gửi: - Ủy ban nhân dân huyện,- Các phòng, ban huyện.\n\nNội dung."
    assert [(r.text, r.list) for r in read_recipients(text)] == [
        ("Ủy ban nhân dân huyện", "kinh_gui"), ("Các phòng, ban huyện", "kinh_gui")]
    assert read_metadata(text).doc_type == "cong_van"


# ---------------------------------------------------------------------- references
def test_references_with_exact_offsets():
    text = text_of("corpus/samples/001_37247e5e6a15016d.txt")
    first = find_references(text)[0]
    mention = "Chỉ thị số 20-CT/TW ngày 12/12/2022 của Ban Bí thư"
    assert (first.start, first.end) == (text.index(mention), text.index(mention) + len(mention))
    assert (first.doc_type, first.number, first.date, first.issuer) == ("chi_thi", "20-CT/TW", "2022-12-12", "Ban Bí thư")
    assert all(text[r.start:r.end] == r.text for r in find_references(text))


def test_reference_kinds_dates_and_issuers():
    text = (
        "Căn cứ Luật Người lao động Việt Nam đi làm việc ở nước ngoài theo hợp đồng số 69/2020/QH14;\n"
        "Căn cứ Nghị định số 112/2021/NĐ-CP ngày 10 tháng 11 năm 2021 của Chính\nphủ quy định chi tiết;\n"
        "Kế hoạch số 258-KH/TU ngày 23 tháng 5 năm 2023 của Tỉnh ủy về thực hiện pháp luật của Nhà nước số 5.\n"
    )
    found = [(r.doc_type, r.number, r.date, r.issuer) for r in find_references(text)]
    assert found == [
        ("luat", "69/2020/QH14", None, None),
        ("nghi_dinh", "112/2021/NĐ-CP", "2021-11-10", "Chính phủ"),
        ("ke_hoach", "258-KH/TU", "2023-05-23", "Tỉnh ủy"),
    ]


def test_own_number_is_not_a_reference():
    text = text_of("corpus/pdf/nghi-quyet-so-17-2022-ubtvqh15-36956.pdf")
    doc = Document.from_text(text)
    doc.record.document = read_metadata(text)
    references(doc)
    numbers = [r.number for r in doc.record.references]
    assert "17/2022/UBTVQH15" not in numbers and "45/2019/QH14" in numbers


def test_a_gazette_page_break_inside_a_citation():
    text = "theo Nghị định số 52/2016/NĐ-CP ngày 13 tháng 6 năm 2016 của\n\nCÔNG BÁO/Số 359 + 360/Ngày 27-02-2025 77\nChính phủ quy định"
    (found,) = find_references(text)
    assert (found.number, found.date, found.issuer) == ("52/2016/NĐ-CP", "2016-06-13", "Chính phủ")
    assert found.text.endswith("Chính phủ")


def test_without_a_header_the_enacting_clause_gives_type_and_issuer():
    text = (
        "Căn cứ Chỉ thị số 20-CT/TW ngày 12/12/2022 của Ban Bí thư; Ủy ban nhân dân tỉnh ban hành\n"
        "Kế hoạch thực hiện như sau:\n\nI. MỤC ĐÍCH, YÊU CẦU\n1. Nâng cao nhận thức.\n"
    )
    info = read_metadata(text)
    assert (info.doc_type, info.issuer.name, info.issuer.kind, info.issuer.level) == (
        "ke_hoach", "Ủy ban nhân dân tỉnh", "government", "province")
    span = info.evidence["doc_type"]
    assert text[span.start:span.end] == "Kế hoạch"


def test_a_cong_van_of_a_provincial_people_committee():
    text = (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nTỈNH ĐỒNG NAI Độc lập - Tự do - Hạnh phúc\n"
        "Số: 1234/UBND-KGVX Đồng Nai, ngày 05 tháng 4 năm 2023\n"
        "V/v triển khai Kế hoạch số 258-KH/TU\n\n"
        "Kính gửi: Sở Lao động - Thương binh và Xã hội.\n\nỦy ban nhân dân tỉnh có ý kiến như sau.\n"
    )
    info = read_metadata(text)
    assert (info.doc_type, info.number, info.issued_date, info.province) == ("cong_van", "1234/UBND-KGVX", "2023-04-05", "Đồng Nai")
    assert info.issuer.model_dump() == {"name": "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", "level": "province", "kind": "government"}
    assert info.title == "triển khai Kế hoạch số 258-KH/TU"
    assert [(r.text, r.list) for r in info.recipients] == [("Sở Lao động - Thương binh và Xã hội", "kinh_gui")]
