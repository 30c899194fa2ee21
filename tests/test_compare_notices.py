"""What a reviewer must see besides the verdicts: relevance (is it a plan for Directive 20?),
not applicable provisions, scan quality, closest passages, clean quotes, no titles as
additions, provenance; and the HTML report that shows them."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import datetime

import pytest

import pipeline
from pipeline.compare import compare_record, load_reference, relevance_of, render, settings
from pipeline.compare.quotes import heading_spans, plain
from pipeline.runner import compare

from .conftest import PDFS, ROOT, sample

CIRCULAR = PDFS / "thong-tu-so-02-2023-tt-bldtbxh-39230.pdf"


@pytest.fixture(scope="module")
def reference():
    return load_reference("directive-20")


@pytest.fixture(scope="module")
def records_002():
    return pipeline.extract(sample("002"))


@pytest.fixture(scope="module")
def result_004():
    return compare(sample("004"))


def test_the_cover_letter_is_flagged_and_not_scored(records_002, reference):
    letter, plan = records_002
    result = compare_record(letter, reference, "directive-20")
    assert result.relevance.doc_type == "cong_van" and result.relevance.is_plan is False
    assert not result.relevance.scored
    assert result.provisions == [] and result.summary.overall is None
    html = render(result, "html")
    assert "Không phải kế hoạch thực hiện Chỉ thị số 20-CT/TW" in html and "Công văn" in html
    assert 'class="checklist"' not in html


def test_the_plan_after_the_cover_letter_implements_the_directive_despite_ocr(records_002, reference):
    plan = records_002[1]
    relevance = relevance_of(plan, reference)
    assert relevance.relation == "implements" and relevance.scored
    # Its opening cites the directive only as 'Chỉ thị số ZO-CfffW' (OCR); that is read as a citation.
    assert any("ZO" in m.text for m in relevance.mentions)


def test_a_circular_is_not_a_plan_for_the_directive():
    result = compare(CIRCULAR)
    assert result.relevance.doc_type == "thong_tu" and not result.relevance.scored
    assert result.summary.overall is None
    forced = compare(CIRCULAR, force=True)
    assert forced.relevance.forced and forced.provisions and forced.summary.overall is not None


def test_a_plan_before_the_directive_is_on_the_same_subject(result_004):
    assert result_004.relevance.relation == "same_subject" and result_004.relevance.scored


def test_a_plan_that_answers_a_known_plan_is_relevant_through_it(reference):
    text = ("KẾ HOẠCH\nThực hiện Kế hoạch số 71-KH/TU ngày 02/02/2023 của Ban Thường vụ Tỉnh ủy\n\n"
            "I. NHIỆM VỤ\n\n1. Tuyên truyền, phổ biến kế hoạch đến cán bộ, đảng viên và Nhân dân trên địa bàn huyện.\n")
    (record,) = pipeline.extract(text)
    assert relevance_of(record, reference).relation == "unrelated"
    assert not relevance_of(record, reference).scored
    through = relevance_of(record, reference, implementing=["71-KH/TU"])
    assert through.relation == "via_plan" and through.via == "71-KH/TU" and through.scored


def test_party_plans_carry_every_provision():
    result = compare(sample("001"))  # a district Party committee's plan
    assert result.plan_document.issuer.kind == "party"
    assert not [p.id for p in result.provisions if p.status == "not_applicable"]
    assert {p.id: p.status for p in result.provisions}["D20-4.2"] == "missing"


def test_not_applicable_provisions_leave_the_coverage(result_004):
    na = [p for p in result_004.provisions if p.status == "not_applicable"]
    assert na and all(p.addressed_to and "government" not in p.addressed_to for p in na)
    applicable = [p for p in result_004.provisions if p.status != "not_applicable"]
    covered = sum(p.status == "covered" for p in applicable) + 0.5 * sum(p.status == "partial" for p in applicable)
    assert result_004.summary.overall == pytest.approx(covered / len(applicable), abs=0.001)


def test_a_missing_provision_shows_its_closest_passage(result_004):
    record = pipeline.runner.load_plan(sample("004"))
    missing = [p for p in result_004.provisions if p.status == "missing"]
    assert missing
    for provision in missing:
        assert provision.closest is not None
        assert provision.closest.score < settings()["thresholds"]["partial"]
        assert record.text[provision.closest.start:provision.closest.end] == provision.closest.quote


def test_quotes_carry_no_markdown_marks_at_their_ends():
    result = compare(sample("003"))  # a Markdown conversion: '### **1. Tuyên truyền …**'
    quotes = [e.quote for p in result.provisions for e in p.evidence] + [a.quote for a in result.additions]
    assert quotes
    for quote in quotes:
        assert not quote.startswith(("#", "*")) and not quote.endswith("*")
        assert "**" not in plain(quote) and not re.search(r"(?m)^#", plain(quote))


@pytest.mark.parametrize("prefix", ["001", "003", "004"])
def test_titles_are_never_additions(prefix):
    record = pipeline.runner.load_plan(sample(prefix))
    result = compare(record)
    titles = [record.text[s:e].strip(" #*:\n") for s, e in heading_spans(record)]
    assert any(t.startswith(("2. Sở Tài chính", "2.3. Nâng cao", "1.2. Một số chỉ tiêu", "2. Sở Tài ch")) for t in titles)
    for addition in result.additions:
        assert not any(plain(addition.quote).strip().startswith(t) for t in titles if t), addition.quote


def test_scan_quality_banner(records_002):
    plan = records_002[1]
    quality = compare(plan).quality
    assert quality.level == "poor" and "badly_garbled" in quality.reasons
    assert compare(sample("003")).quality.level == "good"
    scanned = plan.model_copy(update={"source": plan.source.model_copy(update={"ocr_confidence": 52.0})})
    assert "very_low_ocr_confidence" in compare(scanned).quality.reasons
    html = render(compare(plan), "html")
    assert "Chất lượng văn bản: Kém" in html


def test_provenance_names_file_hash_version_and_date():
    path = sample("003")
    result = compare(path)
    p = result.provenance
    assert p.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert p.chithi_version == pipeline.__version__ and p.reference == "directive-20"
    assert p.reference_sha256 and datetime.fromisoformat(p.created).tzinfo is not None


def test_html_report_starts_with_relevance_and_links_its_checklist():
    html = render(compare(sample("003")), "html")
    assert html.index('class="notice relevance') < html.index('class="summary"') < html.index('class="checklist"')
    assert '<a href="#D20-3.4">' in html and 'id="D20-3.4"' in html
    for label in ("Đã đề cập", "Đề cập một phần", "Chưa đề cập", "Không áp dụng"):
        assert label in html[html.index('class="legend"'):]
    assert "Nguồn gốc kết quả" in html and "###" not in html


def test_cli_flags_a_circular_and_scores_it_on_request(tmp_path):
    run = subprocess.run([sys.executable, "-m", "pipeline.cli", "compare", str(CIRCULAR)],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["relevance"]["scored"] is False
    assert "not scored" in run.stderr
    forced = subprocess.run([sys.executable, "-m", "pipeline.cli", "compare", str(CIRCULAR), "--score-non-plans",
                             "--format", "md"], capture_output=True, text=True, cwd=ROOT)
    assert forced.returncode == 0 and "Đã chấm điểm theo yêu cầu" in forced.stdout
