"""The notices that come before a comparison's verdicts, as plain Vietnamese text: is the
document a plan for the reference (relevance), can its text be trusted (scan quality), and
where the result comes from (provenance). The HTML and Markdown reports and the workbench
all show these same sentences (labels in compare/data/report.json)."""

from __future__ import annotations

from ..resources import data
from ..schema import Comparison
from .quotes import md_text


def labels() -> dict:
    return data("pipeline.compare", "report.json")


def reference_name(result: Comparison) -> str:
    """'Chỉ thị số 20-CT/TW': the reference's type and number, else its title."""
    if result.reference_number:
        kind = labels()["doc_types"].get(result.reference_type or "", "văn bản")
        return f"{kind} số {result.reference_number}"
    return result.reference_title or result.against


def doc_type_name(doc_type: str | None) -> str:
    names = labels()["doc_types"]
    return names.get(doc_type or "unknown", names["other"])


def relevance_notice(result: Comparison) -> tuple[str, str]:
    """(sentence, css class: ok / warn / stop) about the document's relation to the reference."""
    relevance, text = result.relevance, labels()["relevance"]
    if relevance is None:
        return "", "ok"
    values = {"reference": reference_name(result), "via": relevance.via or "", "doc_type": doc_type_name(relevance.doc_type)}
    if relevance.forced:
        return text["forced"].format(**values), "warn"
    if not relevance.scored:
        key = "not_plan" if relevance.is_plan is False else "unrelated"
        return text[key].format(**values) + " " + text["not_scored"], "stop"
    css = "ok" if relevance.relation in ("implements", "cites", "via_plan") else "warn"
    return text[relevance.relation].format(**values), css


def quality_notice(result: Comparison) -> tuple[str, list[str], str]:
    """(level label, reasons as sentences, css class: good / fair / poor)."""
    quality, text = result.quality, labels()["quality"]
    if quality is None:
        return "", [], "good"
    values = {
        "ocr_confidence": f"{quality.ocr_confidence:.0f}" if quality.ocr_confidence is not None else "?",
        "garbled": f"{round(100 * quality.garbled_share)}%", "repaired": f"{round(100 * quality.repaired_share)}%",
        "legacy": result.plan.legacy_encoding or "",
    }
    reasons = [text["reasons"][r].format(**values) for r in quality.reasons]
    return text["levels"][quality.level], reasons, quality.level


def provenance_rows(result: Comparison) -> list[tuple[str, str]]:
    """(label, value) pairs of the provenance block."""
    p, text = result.provenance, labels()["provenance"]
    if p is None:
        return []
    rows = [(text["file"], p.file or "—"), (text["sha256"], p.sha256)]
    if p.document_count > 1:
        rows.append((text["document"].format(index=p.document_index + 1, count=p.document_count), ""))
    rows += [(text["version"], p.chithi_version), (text["reference"], f"{reference_name(result)} ({p.reference})"),
             (text["created"], p.created)]
    return rows


def markdown_notices(result: Comparison) -> str:
    """The notices as Markdown lines, before the Markdown report (or alone, for a document
    that was not scored)."""
    text = labels()
    message, _ = relevance_notice(result)
    out = [f"> **{text['relevance_heading']}** {md_text(message)}"]
    level, reasons, css = quality_notice(result)
    if reasons and css != "good":
        out.append(f"> **{text['quality']['heading']}: {level}.** {md_text('; '.join(reasons))}. {text['quality']['advice']}")
    rows = provenance_rows(result)
    if rows:
        out.append(f"> _{text['provenance']['heading']}:_ " + " · ".join(f"{k}: {md_text(v)}" if v else k for k, v in rows))
    return "\n>\n".join(out) + "\n\n"
