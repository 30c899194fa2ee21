"""English-OCR garble repair: real tesseract output of a rendered sentence, codes, dates, offsets."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from pipeline.repair.channel import syllable_candidates
from pipeline.repair.garble import repair_line, repair_lines
from pipeline.repair.garbled_codes import repair_code
from pipeline.text.vietnamese import tone_normalize

# Our own sentences (not from the sample plans), as a provincial plan would word them.
SENTENCES = [
    "Các huyện, thị xã phải báo cáo kết quả thực hiện trước ngày mười lăm hằng tháng",
    "Sở Nội vụ chủ trì, phối hợp với Sở Tài chính rà soát biên chế và kinh phí năm sau",
    "Tăng cường kiểm tra việc tuyển chọn, đào tạo tiếng và giáo dục định hướng cho người đi làm việc",
]
FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"  # Times metrics, every Vietnamese letter


def apply(line: str, edits) -> str:
    for start, end, replacement, _, _ in sorted(edits, reverse=True):
        line = line[:start] + replacement + line[end:]
    return line


def words(text: str) -> list[str]:
    return re.findall(r"\w+", tone_normalize(unicodedata.normalize("NFC", text)).lower())


def accuracy(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    same = sum(s2 - s1 for tag, s1, s2, _, _ in Levenshtein.opcodes(ref, hyp) if tag == "equal")
    return same / len(ref)


def english_ocr(lines: list[str], tmp_path) -> list[str]:
    """Render lines like a slightly blurred scan and read them with the English model only."""
    font = ImageFont.truetype(FONT, 30)
    image = Image.new("L", (1900, 60 * len(lines) + 60), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((40, 30 + 60 * i), line, font=font, fill=0)
    image = image.resize((image.width * 4 // 5, image.height * 4 // 5), Image.BILINEAR)
    image = image.point(lambda p: 255 if p > 150 else 0)
    path = tmp_path / "page.png"
    image.save(path)
    result = subprocess.run(
        ["tesseract", str(path), "stdout", "-l", "eng", "--psm", "6"],
        capture_output=True, text=True, check=True, env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"},
    )
    return [line for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_repairs_real_english_ocr_output(tmp_path) -> None:
    observed = english_ocr(SENTENCES, tmp_path)
    assert len(observed) == len(SENTENCES)
    reference = " ".join(SENTENCES)
    before = accuracy(reference, " ".join(observed))
    repaired = " ".join(apply(line, repair_line(line)) for line in observed)
    after = accuracy(reference, repaired)
    assert before < 0.6, f"the English model should garble Vietnamese (as-is accuracy {before:.2f})"
    assert after >= 0.85, f"repaired accuracy {after:.2f} (as-is {before:.2f}): {repaired}"


@pytest.mark.parametrize(
    ("observed", "expected", "kind"),
    [
        ("2o-cTlTw", "20-CT/TW", "code"),
        ("O2l02l2023", "02/02/2023", "date"),
        ("12/1212022", "12/12/2022", "date"),
        ("0l/QD-UBND", "01/QĐ-UBND", "code"),
        ("15-KHlTU", "15-KH/TU", "code"),
    ],
)
def test_codes_and_dates_are_read_through_the_grammar(observed: str, expected: str, kind: str) -> None:
    text, _, found_kind = repair_code(observed)
    assert (text, found_kind) == (expected, kind)


@pytest.mark.parametrize("token", ["20-CT/TW", "02/02/2023", "2016", "1.000.000", "45/2019/QH14"])
def test_well_formed_or_plain_numbers_are_left_alone(token: str) -> None:
    assert repair_code(token) is None


def test_impossible_dates_are_not_produced() -> None:
    fixed = repair_code("45l13l2022")
    assert fixed is None or fixed[2] != "date"


def test_edits_have_valid_offsets() -> None:
    line = "thgc hiQn chi thi s6 2o-cTlTw, ngity 12/1212022 cia Ban Bi thu v6 tang cudng"
    edits = repair_line(line)
    assert edits, "a garbled line should get edits"
    end_of_previous = 0
    for start, end, replacement, confidence, kind in edits:
        assert end_of_previous <= start < end <= len(line)
        assert line[start:end] != replacement
        assert 0.0 <= confidence <= 1.0
        assert kind in {"ocr_garble", "code", "date"}
        end_of_previous = end
    fixed = apply(line, edits)
    assert "20-CT/TW" in fixed and "12/12/2022" in fixed


def test_odd_characters_do_not_break_the_search() -> None:
    for line in ["gi$ $$ a$b", "t(-ng ~ @ ¢ _ -- //", "", "   ", "2016 1.000.000 50%"]:
        for start, end, _, _, _ in repair_line(line):
            assert 0 <= start < end <= len(line)


def test_batched_lines_repair_as_each_line_alone() -> None:
    lines = ["Ke ho4ch thwc hién Chi thi s6 2o-cTlTw ngay O2l02l2023", "", "ViQt Nam va cac nw6c", "Thanh"]
    assert repair_lines(lines) == [repair_line(line) for line in lines]


def test_search_reads_marks_and_lost_spaces() -> None:
    best = syllable_candidates.__wrapped__("nghi_p", top_k=3)  # uncached: the search itself
    assert best[0][0] == "nghiệp"
    assert any(text.split(" ")[1:] == ["ban"] and starts == (0, 3) for text, _, starts in syllable_candidates.__wrapped__("ctaBan"))


def test_list_labels_stay_and_mark_glyphs_are_read_as_marks() -> None:
    """"b)" opening a line is a list label; "k)" inside a line is "kể" whose mark the OCR
    read as a parenthesis. A ")" that closes a "(" of the line stays a parenthesis."""
    line = "b) Théng tl nay co hilu lc k) tU ngay 1 thang 6 nam 2000"
    repaired = apply(line, repair_line(line))
    assert repaired.startswith("b) ")
    assert "kể từ ngày" in repaired
    line = "cla Bé Van hoa (nay la Bé Van hoa, Thé thao va Du lich)"
    assert apply(line, repair_line(line)).endswith(")")


def test_words_joined_by_a_slash_are_read_but_codes_are_not() -> None:
    line = "CONG BAO/S6 699 + 700/Ngay 09-6-2024"
    assert apply(line, repair_line(line)) == "CÔNG BÁO/Số 699 + 700/Ngày 09-6-2024"
    line = "Ké hoach s6 71-KH/TU ngay 02/02/2023"
    assert "71-KH/TU" in apply(line, repair_line(line))


def test_letters_around_a_glyph_are_one_misread_word() -> None:
    """An English OCR writes a marked vowel as ":", "(" or '"' inside a word; with letters on
    both sides and no space, no punctuation sits there."""
    line = "bao dam tr:t tu an toan xa hoi t(ng bu6c"
    repaired = apply(line, repair_line(line))
    assert "trật tự an toàn xã hội" in repaired
    assert ":" not in repaired and "(" not in repaired
    line = "Ghi chú: các (a) và (b) đều đúng"  # punctuation with spaces stays punctuation
    assert apply(line, repair_line(line)).startswith("Ghi chú: các (a)")


def test_abbreviations_of_running_text_stay_and_code_parts_get_their_marks() -> None:
    line = "tang truong GDP cua tinh dat 8,5%, theo Thong tu s6 26/2016/TT-BLDTBXH cua Bo"
    repaired = apply(line, repair_line(line))
    assert "GDP" in repaired  # not read as a syllable ("GẶP") in a line of small letters
    assert "26/2016/TT-BLĐTBXH" in repaired
    heading = "CONG HOA XA HOI CHU NGHIA VIET NAM QU-C GIA"  # capitals with a mark read as "-"
    assert apply(heading, repair_line(heading)).endswith("QUỐC GIA")


def test_a_lost_space_after_a_full_stop_splits_two_sentences() -> None:
    line = "co hiéu luc tu ngay ky ban hanh van ban nay.Diéu 5 quy dinh"
    assert "này.Điều 5" in apply(line, repair_line(line))


def test_a_poorly_read_token_is_searched_again_wider() -> None:
    """"phaém" (phẩm: ẩ read as "aé") is pruned by the first, narrow search."""
    from pipeline.repair import channel

    narrow = [c for c, _, _ in channel._search("phaém", channel.TOP_K, channel.BEAM, channel.MARGIN)]
    assert "phẩm" not in narrow
    assert "phẩm" in [c for c, _, _ in syllable_candidates.__wrapped__("phaém")]
    line = "quan ly chat lugng san phaém, hang héa"
    assert "sản phẩm, hàng hóa" in apply(line, repair_line(line))


def test_single_letters_joined_by_a_slash_stay_an_abbreviation() -> None:
    line = "V/v tridn khai thvc hi€n Kd hoqch s6 12"
    assert apply(line, repair_line(line)).startswith("V/v triển khai thực hiện")
