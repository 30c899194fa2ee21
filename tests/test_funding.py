from __future__ import annotations

from functools import cache

from pipeline import extract
from pipeline.runner import run_stages

from .conftest import sample


@cache
def kinds(prefix: str) -> set[str]:
    return {f.kind for f in extract(sample(prefix))[0].funding}


def funding_of(text: str):
    (rec,) = run_stages(text, stages=["funding"])
    return rec.funding


def test_003_sources():
    assert kinds("003") == {"state_budget", "contributions", "other_lawful", "credit"}


def test_004_sources():
    assert kinds("004") == {"state_budget", "contributions", "local_budget", "credit"}


def test_plans_without_a_funding_section():
    assert kinds("001") == set()


def test_amount_attached_and_span_grounded():
    text = "IV. KINH PHÍ\nNgân sách tỉnh bố trí 164 tỉ đồng; lồng ghép các chương trình mục tiêu quốc gia.\n"
    by_kind = {f.kind: f for f in funding_of(text)}
    assert set(by_kind) == {"local_budget", "programme"}
    assert by_kind["local_budget"].amount == 164e9 and by_kind["local_budget"].unit == "VND"
    assert text[by_kind["local_budget"].start:by_kind["local_budget"].end] == "Ngân sách tỉnh"


def test_contribution_words_outside_money_matters_are_not_funding():
    assert funding_of("Đoàn viên đóng góp, hỗ trợ ý kiến xây dựng Đảng.\n") == []
