from __future__ import annotations

from functools import cache

from pipeline import extract
from pipeline.runner import run_stages

from .conftest import sample


@cache
def record(prefix: str):
    return extract(sample(prefix))[0]


def deadlines_of(text: str):
    (rec,) = run_stages(text, stages=["agencies", "deadlines"])
    return rec.deadlines


def test_004_dated_reports_with_recurrence_and_recipient():
    dated = {d.date: d for d in record("004").deadlines if d.date}
    assert set(dated) == {"2021-06-20", "2021-11-30", "2021-06-30", "2021-12-05"}
    assert dated["2021-06-20"].recurrence == "six_monthly"
    assert dated["2021-11-30"].recurrence == "yearly"
    assert "Bộ Lao động - Thương binh và Xã hội" in dated["2021-12-05"].report_to
    assert dated["2021-12-05"].agency == "Sở Lao động - Thương binh và Xã hội"
    assert "tỉnh" in dated["2021-06-20"].report_to.lower()


def test_004_quarterly_review_and_no_issue_or_citation_dates():
    deadlines = record("004").deadlines
    assert any(d.recurrence == "quarterly" and d.date is None for d in deadlines)
    assert "2021-01-01" not in {d.date for d in deadlines}  # the date of a cited decision


def test_001_six_monthly_and_yearly_reports_to_the_standing_committee():
    deadlines = record("001").deadlines
    assert {d.recurrence for d in deadlines} == {"six_monthly", "yearly"}
    assert all(d.report_to == "Ban Thường vụ Huyện ủy" for d in deadlines)


def test_due_date_in_a_cover_letter():
    text = (
        "Hà Tĩnh, ngày 02 tháng 02 năm 2023\n"
        "Giao Ủy ban nhân dân huyện xây dựng kế hoạch; dự thảo văn bản gửi về Thường trực Huyện ủy "
        "trước ngày 15/02/2023.\n"
    )
    (deadline,) = deadlines_of(text)
    assert deadline.date == "2023-02-15" and deadline.recurrence is None
    assert text[deadline.start:deadline.end].endswith("15/02/2023")


def test_annual_plans_are_not_report_schedules():
    text = "Các cơ quan cụ thể hóa chỉ tiêu vào kế hoạch hàng năm phù hợp với chức năng, nhiệm vụ.\n"
    assert deadlines_of(text) == []


def test_bare_periodic_reporting():
    (deadline,) = deadlines_of("Ban cán sự đảng Ủy ban nhân dân tỉnh định kỳ sơ kết, tổng kết, báo cáo Ban Thường vụ Tỉnh ủy.\n")
    assert deadline.recurrence == "periodic" and deadline.date is None


def test_conditions_with_dates_are_not_deadlines_and_brackets_do_not_hide_the_verb():
    text = (
        "Giao Ủy ban nhân dân huyện dự thảo văn bản gửi về Thường trực Huyện ủy (qua Văn phòng Huyện ủy) "
        "trước ngày 15/02/2023.\nNgười nghỉ hưu trước ngày 01/01/1995 được hưởng trợ cấp hằng tháng.\n"
    )
    assert [(d.date, d.report_to) for d in deadlines_of(text)] == [("2023-02-15", "Thường trực Huyện ủy")]
