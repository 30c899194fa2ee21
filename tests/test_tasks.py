"""Tasks: leaf items of the tasks and organisation sections with their lead bodies."""

from __future__ import annotations

from functools import cache

from pipeline.runner import run_stages
from tests.conftest import sample

STAGES = ["sections", "agencies", "deadlines", "tasks"]


@cache
def record(prefix: str):
    return run_stages(sample(prefix), stages=STAGES)[0]


def tasks_by_id(prefix: str):
    return {t.id: t for t in record(prefix).tasks}


def test_items_are_grounded_and_only_from_task_sections():
    for prefix in ("001", "003", "004"):
        rec = record(prefix)
        assert rec.tasks
        for task in rec.tasks:
            assert rec.text[task.start:task.end] == task.text
            assert task.id.split(".")[0] not in {"I", "IV"} or prefix == "003" and task.id.startswith("IV")


def test_lead_inherited_from_the_assignment_heading():
    tasks = tasks_by_id("004")
    for letter in "abcde":
        assert tasks[f"V.1.{letter}"].lead == ["Sở Lao động - Thương binh và Xã hội"]
    assert tasks["V.2.b"].lead == ["Sở Tài chính"]
    assert tasks["V.2.b"].cooperating == ["Sở Lao động - Thương binh và Xã hội", "Ngân hàng Chính sách xã hội"]
    assert tasks["V.1.b"].section_id == "V.1"
    assert "IV.1" not in tasks  # funding section, not a task


def test_lead_from_the_subject_of_an_organisation_item():
    tasks = tasks_by_id("001")
    assert tasks["III.2"].lead == ["Ủy ban nhân dân huyện"]
    assert tasks["III.3"].lead == ["Ban Tuyên giáo Huyện ủy"]
    assert tasks["III.3"].cooperating == ["Văn phòng Huyện ủy"]


def test_a_plan_written_for_the_test():
    text = (
        "KẾ HOẠCH\nThực hiện Chỉ thị số 20-CT/TW\n"
        "I. MỤC ĐÍCH, YÊU CẦU\nNâng cao nhận thức của cán bộ, đảng viên.\n"
        "II. TỔ CHỨC THỰC HIỆN\n"
        "1. Sở Tư pháp:\n"
        "a) Chủ trì, phối hợp với Công an tỉnh cấp lý lịch tư pháp cho người lao động.\n"
        "b) Tổng hợp kết quả, báo cáo UBND tỉnh trước ngày 30/6/2024.\n"
        "2. UBND các huyện xây dựng kế hoạch của địa phương.\n"
    )
    rec = run_stages(text, stages=STAGES)[0]
    tasks = {t.id: t for t in rec.tasks}
    assert set(tasks) == {"II.1.a", "II.1.b", "II.2"}
    assert tasks["II.1.a"].lead == ["Sở Tư pháp"] and tasks["II.1.a"].cooperating == ["Công an tỉnh"]
    assert tasks["II.1.b"].deadline == "2024-06-30"
    assert tasks["II.2"].lead == ["Ủy ban nhân dân các huyện"]
