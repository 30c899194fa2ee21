"""Legacy font encodings (TCVN3, VNI): round trip on the sample plans, detection, capitals."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from pipeline.repair.legacy import decode_legacy, encode_legacy

SAMPLES = Path(__file__).resolve().parents[1] / "corpus" / "samples"
CLEAN = sorted(p for p in SAMPLES.glob("*.txt") if p.name.startswith(("001_", "003_", "004_")))


def sample(path: Path) -> str:
    return unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("encoding", ["TCVN3", "VNI"])
@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name[:3])
def test_round_trip_on_sample_plans(path: Path, encoding: str) -> None:
    text = sample(path)
    legacy = encode_legacy(text, encoding)
    assert legacy != text
    decoded, detected = decode_legacy(legacy)
    assert detected == encoding
    assert decoded == text


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name[:3])
def test_clean_unicode_is_left_alone(path: Path) -> None:
    text = sample(path)
    assert decode_legacy(text) == (text, None)


def test_known_mojibake() -> None:
    assert decode_legacy("ng­êi lao ®éng ViÖt Nam") == ("người lao động Việt Nam", "TCVN3")
    assert decode_legacy("ngöôøi lao ñoäng Vieät Nam") == ("người lao động Việt Nam", "VNI")


def test_plain_ascii_and_latin1_text_is_not_decoded() -> None:
    for text in ("Ha Noi, ngay 12/12/2022", "Café au lait à la mode", "© 2023 Công ty", ""):
        assert decode_legacy(text) == (text, None)


def test_vntimeh_capital_line() -> None:
    # A heading typed in a .VnTimeH-style font: accented capitals come out as lower-case codes.
    heading = "KÕ HO¹CH TRIÓN KHAI THùC HIÖN CHØ THÞ Sè 20-CT/TW"
    assert decode_legacy(heading)[0] == "KẾ HOẠCH TRIỂN KHAI THỰC HIỆN CHỈ THỊ SỐ 20-CT/TW"
    # The seven capitals TCVN3 does have keep their case in an ordinary line.
    assert decode_legacy("§¶ng bé tØnh vµ ¤ng Ba")[0] == "Đảng bộ tỉnh và Ông Ba"


def test_sentence_start_capital_is_inferred() -> None:
    text = "Ban hµnh kÕ ho¹ch.\nñy ban nh©n d©n tØnh chØ ®¹o."
    assert decode_legacy(text)[0] == "Ban hành kế hoạch.\nỦy ban nhân dân tỉnh chỉ đạo."


def test_only_legacy_lines_change_in_mixed_text() -> None:
    text = "Kế hoạch số 71-KH/TU\nViÖc lµm cho ng­êi lao ®éng"
    decoded, detected = decode_legacy(text)
    assert detected == "TCVN3"
    assert decoded == "Kế hoạch số 71-KH/TU\nViệc làm cho người lao động"


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_legacy("Việt Nam", "VISCII")
