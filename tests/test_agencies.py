"""Agencies: grammar over the body-type gazetteer, canonical names, levels, kinds and roles."""

from __future__ import annotations

import json
from functools import cache

from pipeline.extract.agencies import GOLD_KEY, find_mentions
from pipeline.runner import run_stages
from tests.conftest import ROOT, sample

STAGES = ["sections", "agencies"]


@cache
def records(prefix: str):
    return run_stages(sample(prefix), stages=STAGES)


def by_name(record):
    return {a.name: a for a in record.agencies}


def test_mentions_are_grounded_in_the_text():
    for prefix in ("001", "003", "004"):
        for record in records(prefix):
            assert record.agencies
            for agency in record.agencies:
                assert record.text[agency.start:agency.end] == agency.mentions[0].text
                for mention in agency.mentions:
                    assert record.text[mention.start:mention.end] == mention.text


def test_abbreviations_expanded_and_level_from_the_place_word():
    agencies = by_name(records("001")[0])
    ubnd = agencies["Ủy ban nhân dân huyện"]
    assert ubnd.kind == "ubnd" and ubnd.level == "district"
    assert {m.text for m in ubnd.mentions} == {"UBND huyện"}
    assert agencies["Hội đồng nhân dân huyện"].mentions[0].text == "HĐND huyện"


def test_roles_from_the_clause():
    agencies = by_name(records("001")[0])
    assert agencies["Ban Tuyên giáo Huyện ủy"].roles == ["lead"]          # "… chủ trì"
    assert agencies["Văn phòng Huyện ủy"].roles == ["cooperate"]          # "phối hợp với …"
    assert agencies["Ban Thường vụ Huyện ủy"].roles == ["report_to"]      # "báo cáo …"
    assert agencies["Ban Bí thư"].roles == ["mentioned"]


def test_assignment_headings_lead_and_requests():
    agencies = by_name(records("004")[0])
    labour = agencies["Sở Lao động - Thương binh và Xã hội"]
    assert labour.kind == "so" and labour.level == "province"
    assert labour.roles == ["lead", "cooperate"]
    assert agencies["Công an tỉnh"].kind == "cong_an"
    assert agencies["Hội Nông dân tỉnh"].roles == ["lead", "requested"]  # "8. Đề nghị … Hội Nông dân tỉnh"
    assert agencies["Báo Thừa Thiên Huế"].kind == "bao_dai"
    # two spellings of one list of districts are one body
    huyen = agencies["Ủy ban nhân dân các huyện, thị xã, thành phố Huế"]
    assert len({m.text for m in huyen.mentions}) >= 2


def test_written_text_variants():
    text = ("Sở GD&ĐT chủ trì, phối hợp với Uỷ ban MTTQ tỉnh và UBND các xã, phường, thị trấn "
            "triển khai Kế hoạch; theo Quyết định số 15/QĐ-UBND, định kỳ báo cáo về UBND tỉnh Lâm Đồng.\n")
    (record,) = run_stages(text, stages=STAGES)
    agencies = by_name(record)
    assert agencies["Sở Giáo dục và Đào tạo"].roles == ["lead"]
    assert agencies["Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"].roles == ["cooperate"]
    assert agencies["Ủy ban nhân dân các xã, phường, thị trấn"].level == "commune"
    assert agencies["Ủy ban nhân dân tỉnh Lâm Đồng"].roles == ["report_to"]
    assert "Ủy ban nhân dân" not in agencies  # "QĐ-UBND" is a document code, not a body


def test_no_body_without_a_head_or_a_domain():
    assert find_mentions("các sở, ban, ngành và chính quyền địa phương phối hợp thực hiện") == []
    assert find_mentions("CHẾ ĐỘ BÁO CÁO") == []


def test_gold_agreement_on_clean_samples():
    """Name and roles against corpus/gold (own reading of the plans)."""
    for prefix, floor in (("003", 0.8), ("004", 0.8)):
        gold = {(g["doc"], g["name"].casefold(), tuple(sorted(g["roles"])))
                for g in json.loads((ROOT / "corpus/gold" / prefix / "agencies.json").read_text("utf-8"))}
        found = {(r.source.index, a.name.casefold(), tuple(sorted(a.roles))) for r in records(prefix) for a in r.agencies}
        tp = len(gold & found)
        f1 = 2 * tp / (len(gold) + len(found))
        assert f1 >= floor, (prefix, f1, sorted(gold - found), sorted(found - gold))
    assert GOLD_KEY == ("name", "roles")


def test_gazette_pdf():
    (record,) = run_stages(ROOT / "corpus/pdf/thong-tu-so-02-2023-tt-bldtbxh-39230.pdf", stages=STAGES)
    agencies = by_name(record)
    ministry = agencies["Bộ Lao động - Thương binh và Xã hội"]
    assert ministry.kind == "bo" and ministry.level == "central"
    assert "Thủ tướng Chính phủ" in agencies
    assert not any("Trưởng" in name for name in agencies)  # "BỘ TRƯỞNG" signs, it is not a body
