"""Comparison with Directive 20-CT/TW: statuses, grounded evidence, additions, reports, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest

import pipeline
from pipeline.compare import load_reference, render, summarize
from pipeline.compare.passages import split_passages
from pipeline.errors import ChithiError
from pipeline.runner import compare
from pipeline.schema import Comparison
from pipeline.text.fold import plain_words

from .conftest import ROOT, sample

PROPAGANDA = (
    "Đẩy mạnh công tác tuyên truyền, giáo dục nhằm nâng cao nhận thức, trách nhiệm của cấp ủy, "
    "chính quyền, cán bộ, đảng viên và toàn xã hội về vai trò, tầm quan trọng của công tác đưa người "
    "lao động đi làm việc ở nước ngoài."
)
SEASONAL = (
    "Phối hợp với các địa phương của Hàn Quốc tổ chức chương trình lao động thời vụ trong lĩnh vực "
    "nông nghiệp cho 200 lao động của huyện mỗi năm."
)


def small_plan(*sentences: str) -> str:
    body = "\n\n".join(f"{i}. {s}" for i, s in enumerate(sentences, start=1))
    return f"KẾ HOẠCH\nThực hiện Chỉ thị số 20-CT/TW\n\nI. NHIỆM VỤ, GIẢI PHÁP\n\n{body}\n"


@pytest.fixture(scope="module")
def record_003():
    (record,) = pipeline.extract(sample("003"))
    return record


@pytest.fixture(scope="module")
def result_003(record_003) -> Comparison:
    return compare(record_003)


def by_id(result: Comparison) -> dict:
    return {p.id: p for p in result.provisions}


def test_reference_has_groups_dates_and_cues():
    reference = load_reference("directive-20")
    assert reference.date == "2022-12-12"
    assert len(reference.provisions) == 25
    assert {p.group for p in reference.provisions} == set(reference.groups)
    assert all(p.cues and p.text for p in reference.provisions)


def test_every_provision_gets_a_status_and_grounded_evidence(record_003, result_003):
    assert len(result_003.provisions) == 25
    for provision in result_003.provisions:
        assert provision.status in {"covered", "partial", "missing", "not_applicable"}
        if provision.status == "missing":
            assert not provision.evidence
        if not provision.evidence:
            assert provision.status in {"missing", "not_applicable"}
        for evidence in provision.evidence + ([provision.closest] if provision.closest else []):
            assert record_003.text[evidence.start:evidence.end] == evidence.quote


def test_003_covers_the_database_provision_and_party_members_do_not_apply(result_003):
    provisions = by_id(result_003)
    database = provisions["D20-3.4"]
    assert database.status == "covered"
    assert "cơ sở dữ liệu" in database.evidence[0].quote
    assert "cơ sở dữ liệu" in database.evidence[0].cues
    # A provincial People's Committee does not direct the Party: managing Party members abroad
    # is not applicable to its plan (the plan never mentions them).
    assert result_003.plan_document.issuer.kind == "government"
    assert provisions["D20-4.2"].status == "not_applicable"
    assert provisions["D20-4.2"].addressed_to == ["party"]


def test_summary_counts_every_provision_once(result_003):
    groups = result_003.summary.groups
    assert sum(g.covered + g.partial + g.missing + g.not_applicable for g in groups) == 25
    assert [g.group for g in groups] == ["1", "2", "3", "4", "5"]
    assert 0.5 < result_003.summary.overall <= 1


def test_a_one_sentence_plan_covers_one_provision_only():
    result = compare(small_plan(PROPAGANDA))
    provisions = by_id(result)
    assert provisions["D20-1.1"].status == "covered"
    assert sum(p.status != "missing" for p in result.provisions) <= 5
    assert result.summary.overall < 0.25


def test_matching_survives_stripped_diacritics():
    stripped = plain_words(PROPAGANDA).replace(" d ", " đ ")  # the plan as an OCR without diacritics reads it
    result = compare(small_plan(stripped))
    assert by_id(result)["D20-1.1"].status == "covered"


def test_a_local_programme_is_reported_as_an_addition():
    text = small_plan(PROPAGANDA, SEASONAL)
    result = compare(text)
    quotes = [a.quote for a in result.additions]
    assert any("thời vụ" in q for q in quotes)
    assert not any("tuyên truyền" in q for q in quotes)


def test_additions_of_a_district_plan_carry_its_targets_and_markets():
    additions = compare(sample("001")).additions
    assert any(a.targets for a in additions), "the yearly quotas of the district are beyond the directive"
    assert any("Nhật Bản" in a.markets for a in additions)


def test_predating_plan_is_flagged():
    reference = load_reference("directive-20")
    assert summarize([], reference, "2021-03-01").predates_reference is True
    assert summarize([], reference, "2023-03-23").predates_reference is False
    assert summarize([], reference, None).predates_reference is None


def test_the_2021_plan_predates_the_directive():
    summary = compare(sample("004")).summary
    assert summary.predates_reference is True
    assert summary.reference_date == "2022-12-12"


def test_compare_with_another_plan_uses_its_sections(record_003):
    result = compare(record_003, against=str(sample("003")))
    assert result.provisions, "the provincial plan's task sections become provisions"
    covered = sum(p.status == "covered" for p in result.provisions)
    assert covered / len(result.provisions) > 0.8  # a plan restates itself


def test_passages_split_at_sentences_and_list_items():
    text = "I. MỤC ĐÍCH\n\n1. Tuyên truyền sâu rộng cho người dân. Hỗ trợ vay vốn cho người lao động.\na) Kiểm tra định kỳ hằng năm tại các xã"
    pieces = [text[s:e] for s, e in split_passages(text)]
    assert "Hỗ trợ vay vốn cho người lao động." in pieces
    assert any(p.startswith("a) Kiểm tra") for p in pieces)


def test_json_report_follows_the_published_schema(result_003):
    schema = json.loads((ROOT / "schemas" / "comparison.schema.json").read_text("utf-8"))
    jsonschema.validate(json.loads(render(result_003, "json")), schema)


def test_markdown_report_has_vietnamese_labels(result_003):
    markdown = render(result_003, "md")
    assert "Đã đề cập" in markdown and "Chưa đề cập" in markdown
    assert "D20-3.4" in markdown


def test_html_report_escapes_document_text():
    hostile = PROPAGANDA + " <script>alert('x')</script> <b>đậm</b>"
    html = render(compare(small_plan(hostile)), "html")
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<mark>" in html
    assert "http://" not in html and "https://" not in html  # no external assets


def test_unknown_reference_is_a_clear_error():
    with pytest.raises(ChithiError, match="no such reference"):
        compare(small_plan(PROPAGANDA), against="directive-99")


def test_cli_reports_bad_reference_without_traceback(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text(small_plan(PROPAGANDA), "utf-8")
    run = subprocess.run([sys.executable, "-m", "pipeline.cli", "compare", str(plan), "--against", "directive-99"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 3  # an input error (the reference named does not exist)
    assert "directive-99" in run.stderr and "Traceback" not in run.stderr


def test_cli_writes_html(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text(small_plan(PROPAGANDA, SEASONAL), "utf-8")
    out = tmp_path / "report.html"
    run = subprocess.run([sys.executable, "-m", "pipeline.cli", "compare", str(plan), "--format", "html", "-o", str(out)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
