from __future__ import annotations

import json
from functools import cache

from typer.testing import CliRunner

from pipeline import extract
from pipeline.cli import app
from pipeline.runner import run_stages

from .conftest import sample


@cache
def records(prefix: str):
    return extract(sample(prefix))


def codes(record) -> set[str]:
    return {m.code for m in record.markets if m.kind != "criterion"}


def markets_of(text: str):
    (record,) = run_stages(text, stages=["markets"])
    return record


def test_cli_taiwan_with_china_in_brackets_and_radio_station_is_taiwan_only(tmp_path):
    path = tmp_path / "ke_hoach.txt"
    path.write_text(
        "Sở Thông tin và Truyền thông, Đài Phát thanh - Truyền hình tỉnh phối hợp tuyên truyền "
        "về chương trình đưa lao động sang Đài Loan (Trung Quốc) làm việc.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["extract", str(path)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[0])
    assert [m["code"] for m in record["markets"] if m["kind"] != "criterion"] == ["TW"]
    (taiwan,) = [m for m in record["markets"] if m["code"] == "TW"]
    assert taiwan["mentions"][0]["text"] == "Đài Loan (Trung Quốc)"


def test_names_inside_other_proper_names_and_words_are_not_markets():
    record = markets_of(
        "Đồng chí Nguyễn Minh Đức, Phó Giám đốc, làm việc tại tỉnh Lào Cai vào Chủ Nhật; "
        "giáo dục đạo đức, lối sống.\nIII. NHIỆM VỤ VÀ GIẢI PHÁP\nBan Kinh tế Trung ương chỉ đạo.\n"
    )
    assert codes(record) == set()


def test_variants_map_to_one_market_with_every_mention():
    text = "Đưa lao động sang CHLB Đức, Cộng hòa Liên bang Đức và Romania, Rumani; thị trường Nhật.\n"
    record = markets_of(text)
    by_code = {m.code: m for m in record.markets}
    assert set(by_code) == {"DE", "RO", "JP"}
    assert [m.text for m in by_code["DE"].mentions] == ["CHLB Đức", "Cộng hòa Liên bang Đức"]
    assert by_code["RO"].name == "Rumani" and len(by_code["RO"].mentions) == 2
    for market in record.markets:
        assert (market.start, market.end) == (market.mentions[0].start, market.mentions[0].end)
        for mention in market.mentions:
            assert text[mention.start:mention.end] == mention.text


def test_generic_phrases_are_criteria_without_code():
    record = markets_of("Ưu tiên thị trường lao động có thu nhập cao, an toàn và thị trường mới.\n")
    criteria = {m.name for m in record.markets if m.kind == "criterion"}
    assert criteria == {"thị trường có thu nhập cao", "thị trường an toàn", "thị trường mới"}
    assert all(m.code is None for m in record.markets)


def test_regions():
    record = markets_of("Mở rộng sang các nước ASEAN, Trung Đông và Liên minh châu Âu.\n")
    assert {(m.code, m.kind) for m in record.markets} == {("ASEAN", "region"), ("MIDDLE_EAST", "region"), ("EU", "region")}


def test_sample_001_markets_exact():
    assert codes(records("001")[0]) == {"JP", "KR", "TW", "SG", "AU", "DE", "RO"}


def test_sample_004_markets_exact():
    (record,) = records("004")
    assert codes(record) == {"JP", "KR", "TW", "RO", "DE"}
    assert all(m.source in {"rule", "both"} and 0 < m.confidence <= 1 for m in record.markets)  # "both": the model agrees


def test_ocr_garbled_names_match_with_lower_confidence_and_places_do_not():
    record = markets_of(
        "các nước có chung đường biên giới (Lào, Thái Lần, Campuchia, Trung Quédc), Pai Loan.\n"
        "Thành phố Đông Hà, tỉnh Quảng Trị; đồng chí Nguyễn Trung Dung; Hà Nội, Thái Bình.\n"
    )
    by_code = {m.code: m for m in record.markets}
    assert set(by_code) == {"LA", "TH", "KH", "CN", "TW"}
    assert by_code["CN"].mentions[0].text == "Trung Quédc" and by_code["CN"].confidence < 0.8
    assert by_code["KH"].confidence > by_code["TH"].confidence


def test_sample_000_markets_after_repair():
    assert codes(records("000")[0]) == {"ASEAN", "KR", "JP", "TW", "LA", "TH", "KH", "CN", "DE"}
