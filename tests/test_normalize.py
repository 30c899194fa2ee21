"""Normalisation and Vietnamese orthography helpers."""

import unicodedata
from pathlib import Path

import pytest

from pipeline.repair.normalize import normalize
from pipeline.text.vietnamese import is_syllable, strip_diacritics, syllables, tokenize, tone_normalize

SAMPLES = Path(__file__).resolve().parent.parent / "corpus" / "samples"


def sample(prefix: str) -> str:
    return next(SAMPLES.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def test_nfd_input_becomes_nfc():
    text = unicodedata.normalize("NFD", "Người lao động đi làm việc ở nước ngoài")
    assert normalize(text) == "Người lao động đi làm việc ở nước ngoài"


@pytest.mark.parametrize("old, new", [
    ("hoà bình", "hòa bình"), ("khoẻ mạnh", "khỏe mạnh"), ("thuỷ lợi", "thủy lợi"),
    ("Uỷ ban", "Ủy ban"), ("HOÀ NHẬP", "HÒA NHẬP"), ("qúy", "quý"), ("tuỳ theo", "tùy theo"),
])
def test_tone_marks_move_to_one_position(old, new):
    assert normalize(old) == new


@pytest.mark.parametrize("word", ["hoàng", "ngoài", "quý", "giữ", "thuở", "khuyến", "người", "Quốc"])
def test_tone_placement_keeps_words_already_in_place(word):
    assert tone_normalize(word) == word


def test_pdf_hyphenation_is_joined_only_when_it_makes_a_syllable():
    assert normalize("đẩy mạnh công tác tuyê-\nn truyền, phổ biến") == \
        "đẩy mạnh công tác tuyên truyền, phổ biến"
    assert normalize("Chỉ thị số 20-\nCT/TW của Ban Bí thư") == "Chỉ thị số 20-CT/TW của Ban Bí thư"
    kept = "phát triển kinh tế -\nxã hội; Hà-\nNội"
    assert normalize(kept) == kept


def test_invisible_characters_spaces_and_line_ends():
    text = "Kế\u00a0hoạch\u200b số 5\r\nTỉnh ủy   \r\nNơi nhận:\ufeff"
    assert normalize(text) == "Kế hoạch số 5\nTỉnh ủy\nNơi nhận:"


def test_compatibility_forms_become_plain_letters():
    assert normalize("Ⅱ. NHIỆM VỤ, ＡＳＥＡＮ, ﬁ") == "II. NHIỆM VỤ, ASEAN, fi"
    assert normalize("“Nơi nhận” – dấu") == "“Nơi nhận” – dấu"  # typographic quotes and dashes kept


def test_clean_sample_keeps_its_lines_and_is_idempotent():
    text = sample("001")
    once = normalize(text)
    assert once.count("\n") == text.replace("\r\n", "\n").count("\n")
    assert normalize(once) == once
    assert strip_diacritics(once) == strip_diacritics(tone_normalize(unicodedata.normalize("NFC", once)))


def test_syllable_structure():
    for word in ["người", "Nghệ", "khuya", "quyết", "giữ", "ĐẢNG", "thủy", "oán"]:
        assert is_syllable(word), word
    for word in ["hién", "ddi", "thw", "ciia", "cé", "ngé", "tap̀", "Wang"]:
        assert not is_syllable(word), word
    inventory = syllables()
    assert "nghiệp" in inventory and "nghiêp" not in inventory and "ngiệp" not in inventory
    assert all(w == tone_normalize(w) for w in ["hòa", "thủy", "khỏe"])


def test_strip_diacritics_keeps_case_and_length():
    text = "Đảng ủy TỈNH HÀ TĨNH thực hiện"
    assert strip_diacritics(text) == "Dang uy TINH HA TINH thuc hien"


def test_tokens_protect_codes_dates_and_numbers():
    toks = tokenize("Số 157-KH/TU ngày 23/3/2023, 2,5 triệu NĐ-CP")
    kinds = {t.text: t.kind for t in toks}
    assert kinds["157-KH/TU"] == "code" and kinds["NĐ-CP"] == "code"
    assert kinds["23/3/2023"] == "num" and kinds["2,5"] == "num"
    assert all(toks[i].end <= toks[i + 1].start for i in range(len(toks) - 1))
