"""The repair stage: routing, diacritic restoration, offsets, lazy model loading."""

import importlib
import subprocess
import sys
from pathlib import Path

from pipeline.repair import repair
from pipeline.repair.edits import Edit
from pipeline.repair.normalize import normalize
from pipeline.text.vietnamese import strip_diacritics, tokenize

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "corpus" / "samples"


def sample(prefix: str) -> str:
    return next(SAMPLES.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def syllable_accuracy(predicted: str, gold: str) -> float:
    pred = [t.text for t in tokenize(predicted) if t.kind == "word"]
    ref = [t.text for t in tokenize(gold) if t.kind == "word"]
    assert len(pred) == len(ref)
    return sum(p == r for p, r in zip(pred, ref)) / len(ref)


def assert_offsets_hold(source: str, fixed):
    """Every repair points at its replacement, and undoing them gives the normalised input."""
    text = fixed.text
    for r in fixed.repairs:
        assert text[r.start:r.end] == r.replacement
        assert strip_diacritics(r.original).lower() == strip_diacritics(r.replacement).lower() or r.kind != "diacritics"
    undone = text
    for r in sorted(fixed.repairs, key=lambda r: -r.start):
        undone = undone[:r.start] + r.original + undone[r.end:]
    assert undone == normalize(source)


# Sentences written for this test in the style of a provincial plan (not from the samples).
GOLD = (
    "Ủy ban nhân dân tỉnh chỉ đạo các sở, ban, ngành và địa phương xây dựng kế hoạch cụ thể,\n"
    "bảo đảm quyền và lợi ích hợp pháp của người lao động đi làm việc ở nước ngoài theo hợp đồng.\n"
    "Tăng cường công tác tuyên truyền, tư vấn, giới thiệu việc làm cho thanh niên ở nông thôn.\n"
)


def test_stripped_text_gets_its_diacritics_back():
    fixed = repair(strip_diacritics(GOLD))
    assert syllable_accuracy(fixed.text, GOLD) >= 0.9
    assert "người lao động" in fixed.text and "nước ngoài" in fixed.text
    assert all(r.kind == "diacritics" and 0 <= r.confidence <= 1 for r in fixed.repairs)
    assert_offsets_hold(strip_diacritics(GOLD), fixed)


def test_repairs_are_merged_into_phrases():
    fixed = repair(strip_diacritics(GOLD))
    assert any(" " in r.replacement for r in fixed.repairs)
    assert len(fixed.repairs) < len([t for t in tokenize(GOLD) if t.kind == "word"]) / 2


def test_capitalisation_codes_and_dates_are_kept():
    line = "KE HOACH so 157-KH/TU ngay 23/3/2023 cua Ban Thuong vu Tinh uy Ha Tinh ve viec trien khai"
    fixed = repair(line).text
    assert fixed.startswith("KẾ HOẠCH số 157-KH/TU ngày 23/3/2023 của Ban Thường vụ")
    assert "Hà Tĩnh" in fixed


def test_clean_sample_passes_unchanged():
    text = sample("001")
    fixed = repair(text)
    assert fixed.text == normalize(text)
    assert fixed.repairs == []


def test_wrong_marks_inside_a_stripped_line_are_redecoded():
    line = "Thuc hién ke hoach cua Tinh uy ve cong tac dua nguoi lao dong di lam viec o nuoc ngoai"
    fixed = repair(line)
    assert fixed.text.startswith("Thực hiện kế hoạch của Tỉnh ủy")
    assert_offsets_hold(line, fixed)


def test_offsets_hold_on_a_repaired_sample():
    text = "\n".join(sample("000").split("\n")[:60])  # the header and first sections: fast
    fixed = repair(text)
    assert fixed.repairs
    assert_offsets_hold(text, fixed)
    assert fixed.text.count("\n") == normalize(text).count("\n")


def test_importing_repair_does_not_load_the_model():
    code = "import pipeline.repair, pipeline.repair.lm as lm; print(lm.load_shipped.cache_info().currsize)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "0"


def test_language_model_decode_interface():
    from pipeline.repair.lm import get_lm

    lm = get_lm()
    lattice = [
        [("thuc", -1.0), ("thực", 0.0), ("thức", 0.0)],
        [("hiện", 0.0), ("hiên", 0.0)],
        [("chỉ thị", 0.0), ("chi thi", -1.0)],  # a split/merged OCR token: two syllables
        [("20-CT/TW", 0.0)],
        [(".", 0.0)],
    ]
    best = lm.decode(lattice)
    assert [c for c, _ in best] == ["thực", "hiện", "chỉ thị", "20-CT/TW", "."]
    assert all(0.0 <= conf <= 1.0 for _, conf in best)
    assert best[3][1] == 1.0
    assert lm.decode_many([lattice, [], lattice[:2]]) == [best, [], lm.decode(lattice[:2])]
    assert lm.logprob(["người", "lao", "động"]) > lm.logprob(["động", "lao", "người"])


def test_empty_lattice_position_is_an_error():
    import pytest

    from pipeline.repair.lm import get_lm

    with pytest.raises(ValueError, match="position 1"):
        get_lm().decode([[("a", 0.0)], []])


def test_stripped_abbreviations_get_their_marks_back_but_not_in_clean_lines():
    stripped = "Thuc hien Quyet dinh so 12/2023/QD-UBND cua UBND tinh va Nghi quyet cua HDND tinh"
    fixed = repair(stripped).text
    assert "12/2023/QĐ-UBND" in fixed and "của UBND tỉnh" in fixed and "của HĐND tỉnh" in fixed
    clean = "Căn cứ Nghị quyết của HDND tỉnh về việc điều chỉnh kế hoạch"
    assert repair(clean).text == clean


def test_words_joined_by_a_slash_or_hyphen_and_mixed_case_codes_are_restored():
    stripped = "Ong/Ba co y kien ve phat trien kinh te-xa hoi theo Quyet dinh so 24/2021/QD-TTg cua Thu tuong"
    fixed = repair(stripped)
    assert fixed.text.startswith("Ông/Bà có ý kiến về phát triển kinh tế-xã hội")
    assert "24/2021/QĐ-TTg của Thủ tướng" in fixed.text
    assert_offsets_hold(stripped, fixed)
    clean = "Ông/Bà Nguyễn Văn Hải phản ánh về phát triển kinh tế-xã hội theo Quyết định số 24/2021/QĐ-TTg"
    assert repair(clean).text == clean


def test_garbled_tokens_of_a_stripped_line_take_the_garble_repairers_edit(monkeypatch):
    repair_module = importlib.import_module("pipeline.repair")  # `pipeline.repair` is the function

    line = "Thuc hien Chi thi s6 20-CT/TW cua Ban Bi thu ve tang cuong cong tac"

    asked = []

    def fake_repair_lines(texts, spans, keep=None):
        asked.extend(text[s:e] for text, line_spans in zip(texts, spans) for s, e in line_spans)
        s6, ban = line.index("s6"), line.index("Ban")
        return [[Edit(s6, s6 + 2, "số", 0.9, "ocr_garble"), Edit(ban, ban + 3, "Bàn", 0.9, "ocr_garble")] for _ in texts]

    monkeypatch.setattr(repair_module, "repair_lines", fake_repair_lines)
    fixed = repair_module.repair(line)
    assert fixed.text.startswith("Thực hiện Chỉ thị số 20-CT/TW của Ban Bí thư")  # "Ban" edit ignored
    assert [r.kind for r in fixed.repairs if r.replacement == "số"] == ["ocr_garble"]
    assert asked == ["s6"]  # only the garbled word is read by the garble repairer
    assert_offsets_hold(line, fixed)


def test_a_line_with_stray_ocr_marks_in_a_stripped_document_is_restored_whole():
    # A scan whose OCR lost most marks but put a stray acute on some words: the line
    # has marks on about a third of its words, which alone would make it look clean.
    gold_lines = [
        "Ủy ban nhân dân tỉnh chỉ đạo các sở, ngành triển khai thực hiện kế hoạch",
        "đưa người lao động đi làm việc ở nước ngoài theo hợp đồng trong năm nay",
        "góp phần phát triển kinh tế xã hội, giải quyết việc làm, tăng thu nhập cho người lao động",
    ]
    lines = [strip_diacritics(line) for line in gold_lines]
    lines[2] = "gop phan phét trién kinh té xa hoi, giai quyét viéc lam, tang thu nhap cho nguoi lao dong"
    fixed = repair("\n".join(lines))
    restored = fixed.text.split("\n")[2]
    unmarked = [i for i, w in enumerate(lines[2].split()) if w.isascii()]
    right = [i for i in unmarked if restored.split()[i] == gold_lines[2].split()[i]]
    assert len(right) >= 0.9 * len(unmarked), restored  # the words the OCR left unmarked
    assert syllable_accuracy(restored, gold_lines[2]) >= 0.85
    assert_offsets_hold("\n".join(lines), fixed)
    # the same line in a clean document is left to clean-mode restoration (no stripped words read)
    clean = "\n".join(gold_lines[:2] + [lines[2]])
    assert "gop phan" in repair(clean).text


def test_short_lines_of_an_english_ocr_document_are_read_as_garble():
    # Capitals that are no syllable do not count as words, so the heading counts three
    # words: too few to judge on its own, it takes the class of the garbled document.
    lines = [
        "DANG CQNG SAN VIDT NAM",
        "Thgc hiQn K6 ho4ch cia Ban Thuong vq Tinh riy vé tSng cudng cong t6c",
        "dua ngudi lao dQng ViQt Nam di ldm viQc 6 nu6c ngodi trong tinh hinh mdi,",
        "Uy ban nhAn ddn huyQn xdy dgng k6 ho4ch tri6n khai thgc hiQn trén dia ban.",
    ]
    fixed = repair("\n".join(lines))
    assert fixed.text.split("\n")[0].endswith("CỘNG SẢN VIỆT NAM")
    assert_offsets_hold("\n".join(lines), fixed)


def test_a_stripped_word_no_model_word_is_spelled_like_goes_to_the_garble_repairer():
    # "Pang" is a well-formed syllable (p onset) but no word of the language model: the
    # OCR read Đ as P, which restoration cannot undo and the garble channel can.
    line = "Thuc hien chu truong cua Pang va chinh sach, phap luat cua Nha nuoc ve cong tac nay"
    fixed = repair(line)
    assert "của Đảng và chính sách" in fixed.text
    assert_offsets_hold(line, fixed)


def test_a_line_mixing_garble_stripped_and_intact_words_gets_each_treatment():
    # English OCR that kept some Latin-1 accents, read digits for vowels, and one word
    # already right ("huyện": a letter no English model writes), among lines like it.
    lines = [
        "Uy ban nhan dan tinh giao S6 Tai chinh chi tri, phéi hop véi cac so, nganh lién quan",
        "dong sé phan b6 chi tiéu cho cac huyện, thi xa, TP. Tong kinh phi dy kién thuc hién hon",
        "tham muu Uy ban nhan dan tinh bé tri kinh phi thuc hién Ké hoach theo quy dinh.",
    ]
    fixed = repair("\n".join(lines))
    second = fixed.text.split("\n")[1]
    assert "phân bổ chỉ tiêu cho các huyện, thị xã" in second
    assert "Tổng kinh phí dự kiến thực hiện" in second
    start = "\n".join(lines).index("huyện")
    assert not any(r.start <= start < r.end for r in fixed.repairs)  # the intact word is no repair
    assert_offsets_hold("\n".join(lines), fixed)


def test_garbled_words_inside_a_clean_line_are_read_and_the_rest_stays():
    line = "Ủy ban nhân dân tỉnh chỉ đạo các sở tăng cường công tác đưa người lao động ra nuéc ngoài"
    fixed = repair(line)
    assert fixed.text == line.replace("nuéc", "nước")
    assert [r.original for r in fixed.repairs] == ["nuéc"]
    clean = "Diện tích 500 m2 đất của công ty Nestlé Việt Nam; virus H5N1, COVID-19, cổ phiếu13 và điểm a, b, c, đ khoản 1"
    assert repair(clean).text == clean


def test_english_ocr_is_not_taken_for_a_legacy_font():
    # "é" is the one accented letter an English OCR writes for most marked vowels; TCVN3 reads
    # it as "ộ", which turns "céc", "déi", "nuéc" into syllables, with no other letter to show.
    text = ("Ban Thuong vu Tinh uy chi dao céc cap uy déng tang cudng céng tac déi véi\n"
            "nguoi lao déng di lam viéc & nuéc ngoai, bao dam quyén loi hop phép cua ho\n"
            "va thuc hién tét céng tac tuyén truyén, phé bién chinh séch phap luat.")
    fixed = repair(text)
    assert fixed.legacy_encoding is None
    assert "người lao động đi làm việc & nước ngoài" in fixed.text
    assert "phổ biến chính sách pháp luật" in fixed.text
