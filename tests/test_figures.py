"""Planned targets, achieved results, statistics and budgets: kinds and attachments.

The texts are written here in the manner of provincial plans and reports; none is taken from
the figures development or test sets (corpus/figures), which are scored by
scripts/eval_figures.py.
"""

from __future__ import annotations

import json
import re

import pipeline
from pipeline.runner import run_stages

from .conftest import ROOT


def figures_of(text: str, stages=("sections", "metadata", "targets")):
    (record,) = run_stages(text, stages=list(stages))
    return record


def test_a_result_is_no_target_and_a_percentage_says_of_what():
    rec = figures_of("Năm 2022, toàn tỉnh đã đưa 1.205 người đi làm việc ở nước ngoài theo hợp đồng, "
                     "đạt 41% kế hoạch năm.\n")
    assert rec.targets == []
    by_value = {f.value: f for f in rec.figures}
    assert by_value[1205].kind == "achieved" and by_value[1205].unit == "person"
    share = by_value[41]
    assert (share.kind, share.unit, share.percent_of) == ("achieved", "percent", "kế hoạch năm")
    assert (share.period_start, share.period_end) == (2022, 2022)


def test_the_period_of_a_number_is_the_one_named_in_its_own_clause():
    rec = figures_of("Năm 2023, chỉ tiêu đưa người lao động đi làm việc ở nước ngoài là 1.700 người, "
                     "phấn đấu giai đoạn 2021 - 2025 đưa 8.000 người đi làm việc ở nước ngoài.\n")
    periods = {t.value: (t.period_start, t.period_end) for t in rec.targets}
    assert periods == {1700: (2023, 2023), 8000: (2021, 2025)}


def test_a_year_compared_with_is_not_the_period():
    rec = figures_of("Năm 2023, số lao động được đào tạo nghề là 5.230 người, tăng 3,1% so với năm 2022.\n")
    assert {(f.value, f.period_end) for f in rec.figures} == {(5230, 2023), (3.1, 2023)}
    assert next(f for f in rec.figures if f.value == 3.1).percent_of == "năm 2022"


def test_relative_years_resolve_against_the_documents_date():
    rec = figures_of("UBND TỈNH NGHỆ AN\nSố: 45/KH-UBND\nNghệ An, ngày 10 tháng 3 năm 2024\nKẾ HOẠCH\n"
                     "Năm nay phấn đấu đưa 500 lao động đi làm việc ở nước ngoài.\n")
    (target,) = rec.targets
    assert (target.value, target.period_start, target.period_end) == (500, 2024, 2024)


def test_a_repeated_sentence_gives_its_targets_once():
    sentence = "Năm 2024 phấn đấu đưa 500 lao động đi làm việc ở nước ngoài."
    rec = figures_of(f"{sentence}\nI. MỤC TIÊU\n{sentence}\n")
    assert [t.value for t in rec.targets] == [500]


def test_an_allocation_written_inline_gives_one_target_per_place():
    rec = figures_of("Tỉnh giao chỉ tiêu năm 2025 cho các huyện, trong đó Quỳnh Lưu được giao cao nhất với "
                     "300 chỉ tiêu, tiếp đến lần lượt là Diễn Châu 250, Yên Thành 200, Nghi Lộc 150.\n")
    got = [(t.scope, t.value, t.period_end, t.metric) for t in rec.targets]
    assert got == [("Quỳnh Lưu", 300, 2025, "quota"), ("Diễn Châu", 250, 2025, "quota"),
                   ("Yên Thành", 200, 2025, "quota"), ("Nghi Lộc", 150, 2025, "quota")]
    for target in rec.targets:
        assert rec.text[target.start:target.end] == target.text


def test_a_year_by_year_list_details_the_target_before_it():
    rec = figures_of("Mục tiêu giai đoạn 2021 - 2025 đưa 9.800 người đi làm việc ở nước ngoài. "
                     "Cụ thể, năm 2021: 1.800 người; năm 2022: 2.000 người; năm 2023: 2.000 người.\n")
    got = [(t.value, t.period_start, t.period_end, t.metric) for t in rec.targets]
    assert got == [(9800, 2021, 2025, "workers_sent"), (1800, 2021, 2021, "workers_sent"),
                   (2000, 2022, 2022, "workers_sent"), (2000, 2023, 2023, "workers_sent")]
    assert rec.figures == []


def test_fractions_give_the_result_and_the_plan():
    rec = figures_of("Năm 2020, xuất khẩu lao động đạt 454/1.800 người (25,22%).\n")
    values = {f.value for f in rec.figures} | {t.value for t in rec.targets}
    assert {454, 1800, 25.22} <= values
    assert next(f for f in rec.figures if f.value == 454).kind == "achieved"


def test_every_figure_is_grounded_and_the_record_validates():
    import jsonschema

    (record,) = pipeline.extract(ROOT / "corpus" / "samples" / "004_25d161ea6312a357.txt")
    schema = json.loads((ROOT / "schemas" / "document.schema.json").read_text("utf-8"))
    jsonschema.validate(json.loads(record.model_dump_json()), schema)
    for item in [*record.targets, *record.figures]:
        assert item.text and item.text in record.text[item.start:item.end + len(item.text)]


REPORT = ("Năm 2023, tỉnh phấn đấu đưa 1.500 người lao động đi làm việc ở nước ngoài theo hợp đồng. "
          "Kết quả, năm 2023 toàn tỉnh đã đưa 1.620 người lao động đi làm việc ở nước ngoài, đạt 108% kế hoạch.\n")


def test_planned_and_achieved_stand_side_by_side_with_their_words():
    from pipeline.extract.side_by_side import planned_vs_achieved, value_text

    rec = figures_of(REPORT)
    rows = {(r.metric, r.unit, r.year): r for r in planned_vs_achieved(rec)}
    people = rows[("workers_sent", "person", 2023)]
    assert [t.value for t in people.planned] == [1500] and [f.value for f in people.achieved] == [1620]
    for item in people.planned + people.achieved:
        assert rec.text[item.start:item.end] == item.text
        assert (item.before + item.text + item.after) in " ".join(rec.text.split())
    assert value_text(rows[("workers_sent", "percent", 2023)].achieved[0]) == "108% kế hoạch"


def test_compare_report_and_cli_show_the_planned_beside_the_achieved(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = pipeline.compare(REPORT)
    assert any(r.planned and r.achieved for r in result.figures)
    page = pipeline.compare.render(result, "html")
    table = page[page.index('id="figures"'):]
    assert "Kế hoạch (chỉ tiêu)" in table and "<mark>1.500 người" in table and "<mark>1.620 người" in table
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    out = CliRunner().invoke(app, ["extract", str(path), "--figures"]).stdout
    line = next(line for line in out.splitlines() if re.match(r"workers_sent +2023 ", line))
    assert "1.500 người @" in line and "1.620 người @" in line
