"""The output contract of chithi: every field any stage emits is defined here, once.

`chithi schema` writes the JSON Schema of these models to `schemas/`; a test keeps the
committed files in sync. Every extracted item is a `Span` (or has one): `start`/`end`
are character offsets into `DocumentRecord.text`, so `text[start:end]` is the mention.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

SCHEMA_VERSION = "1.0"

Producer = Literal["rule", "model", "both"]
DocType = Literal[
    "ke_hoach", "chi_thi", "cong_van", "chuong_trinh", "nghi_quyet", "quyet_dinh",
    "thong_tu", "nghi_dinh", "bao_cao", "luat", "thong_bao", "huong_dan", "other",
]
Level = Literal["central", "province", "district", "commune"]
IssuerKind = Literal["party", "government", "assembly", "front", "other"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Span(Model):
    """A half-open character interval [start, end) of `DocumentRecord.text`."""

    start: int = Field(ge=0, description="Offset of the first character of the mention.")
    end: int = Field(ge=0, description="Offset one past the last character of the mention.")
    repaired: bool = Field(default=False, description="True when the mention overlaps text changed by the repair stage.")


class Mention(Span):
    text: str = Field(description="The mention as it stands in `text[start:end]`.")


# --------------------------------------------------------------------------- source
class PageInfo(Model):
    number: int = Field(ge=1, description="1-based page number in the source file.")
    method: Literal["text", "ocr"] = Field(description="Text layer (pdfplumber) or Tesseract OCR.")
    ocr_confidence: float | None = Field(
        default=None, description="Mean Tesseract word confidence (0–100) for OCRed pages."
    )
    chars: int = Field(default=0, description="Characters the page contributed before repair.")


class Source(Model):
    path: str | None = Field(description="Input path, or null for text given directly.")
    sha256: str = Field(description="SHA-256 of the input file's bytes (or of the UTF-8 text).")
    index: int = Field(default=0, ge=0, description="Position of this document within the file.")
    count: int = Field(default=1, ge=1, description="Number of documents found in the file.")
    format: str = Field(description="txt, md, docx, pdf, image or text.")
    encoding: str | None = Field(default=None, description="Detected text encoding (text files).")
    legacy_encoding: str | None = Field(
        default=None, description="TCVN3 or VNI when the text was converted from a legacy font encoding."
    )
    pages: int = Field(default=1, ge=0, description="Number of pages (1 for text files).")
    ocr_pages: list[int] = Field(default_factory=list, description="1-based numbers of pages that were OCRed.")
    ocr_confidence: float | None = Field(default=None, description="Mean OCR confidence over OCRed pages.")
    page_info: list[PageInfo] = Field(default_factory=list)
    span: Span | None = Field(
        default=None, description="Where this document lies in the whole file's repaired text."
    )


def doc_key(source: Source | dict) -> str:
    """The key of one document, the same in every output (JSON Lines, Parquet, reports): the
    first 16 hex digits of its file's SHA-256, ':', its index in the file ('a4bcc672f53d7a71:1'
    is the plan a cover letter forwards)."""
    sha256, index = (source.sha256, source.index) if isinstance(source, Source) else (source["sha256"], source.get("index", 0))
    return f"{sha256[:16]}:{index}"


class _Keyed(Model):
    """A model whose `doc_id` is derived from its source: written out, ignored when read back."""

    @model_validator(mode="before")
    @classmethod
    def _derived_doc_id(cls, data: Any) -> Any:
        return {k: v for k, v in data.items() if k != "doc_id"} if isinstance(data, dict) else data


# ------------------------------------------------------------------------- metadata
class Issuer(Model):
    name: str | None = None
    level: Level | None = None
    kind: IssuerKind | None = None


class Signer(Model):
    name: str | None = None
    title: str | None = Field(default=None, description="E.g. 'PHÓ BÍ THƯ', 'CHỦ TỊCH'.")
    on_behalf: str | None = Field(default=None, description="'T/M BAN THƯỜNG VỤ', 'TM. ỦY BAN NHÂN DÂN', 'KT. …'.")


class Recipient(Mention):
    list: Literal["kinh_gui", "noi_nhan"] = Field(description="'Kính gửi' or 'Nơi nhận'.")


class DocumentInfo(Model):
    doc_type: DocType | None = None
    number: str | None = Field(default=None, description="Document code, e.g. '157-KH/TU'.")
    issued_date: str | None = Field(default=None, description="ISO date YYYY-MM-DD.")
    place: str | None = None
    province: str | None = Field(default=None, description="Province the issuer belongs to.")
    issuer: Issuer = Field(default_factory=Issuer)
    title: str | None = Field(default=None, description="The subject line under the document type.")
    signer: Signer = Field(default_factory=Signer)
    recipients: list[Recipient] = Field(default_factory=list)
    evidence: dict[str, Span] = Field(default_factory=dict,
                                      description="Where each metadata field was read: field name → span of its mention.")


class Reference(Mention):
    doc_type: DocType | None = None
    number: str | None = None
    date: str | None = Field(default=None, description="ISO date of the referenced document.")
    issuer: str | None = None


class Section(Span):
    id: str = Field(description="Stable path id such as 'II.3.b'.")
    number: str = Field(description="The marker as written: 'II', '3', '1.2', 'b', '-'.")
    style: Literal["roman", "arabic", "decimal", "letter", "dash", "plus"] = "arabic"
    level: int = Field(ge=1)
    heading: str = Field(default="", description="Heading text after the marker (first line or sentence).")
    heading_start: int | None = None
    heading_end: int | None = None
    role: str | None = Field(
        default=None, description="What the section is about when recognised: purpose, targets, tasks, organisation, funding.")
    children: list[Section] = Field(default_factory=list)


class Repair(Span):
    kind: Literal["legacy_encoding", "diacritics", "ocr_garble", "ocr_vie", "code", "date", "normalize"]
    original: str = Field(description="Text before repair.")
    replacement: str = Field(description="Text after repair: equals text[start:end].")
    confidence: float = Field(ge=0, le=1)


class Repaired(Model):
    """What `pipeline.repair(text)` returns: the repaired text and every change made to it."""

    text: str
    repairs: list[Repair] = Field(default_factory=list)
    legacy_encoding: str | None = Field(default=None, description="TCVN3 or VNI when the text was converted.")


# ----------------------------------------------------------------------- extractors
class Extracted(Span):
    source: Producer = "rule"
    confidence: float = Field(default=1.0, ge=0, le=1)


class Market(Extracted):
    code: str | None = Field(description="ISO 3166-1 alpha-2, a region code (ASEAN, EU, MIDDLE_EAST…), or null for a criterion.")
    kind: Literal["country", "region", "criterion"] = "country"
    name: str = Field(description="Canonical Vietnamese name, or the criterion phrase.")
    mentions: list[Mention] = Field(default_factory=list)


class Quantified(Extracted):
    """What a planned target and a reported figure share: a value with its unit, period and scope."""

    metric: str = Field(description="workers_sent, jobs_created, trained_workers, share_trained, quota, labour_force, "
                                    "budget, … or other")
    value: float | None = None
    value_max: float | None = Field(default=None, description="Upper bound of a range ('1.800 – 2.000 người').")
    comparator: Literal["=", ">", ">=", "<", "<=", "≈"] = "="
    unit: str | None = Field(default=None, description="person, percent, VND, USD, household, course, event, "
                                                        "enterprise, or other (then `counted` says what).")
    counted: str | None = Field(default=None, description="What the number counts, as written ('hộ nghèo', 'tờ rơi').")
    percent_of: str | None = Field(default=None, description="For a percentage: what it is a percent of "
                                                             "('kế hoạch', 'cùng kỳ', 'lao động qua đào tạo').")
    frequency: Literal["year", "month", "quarter"] | None = Field(
        default=None, description="'year' for 'mỗi năm', 'bình quân hằng năm': per year; null: a total over the period.")
    period_start: int | None = None
    period_end: int | None = None
    scope: str | None = Field(default=None, description="Province, district, 'per commune', …")
    text: str = ""
    section_id: str | None = None
    table: int | None = Field(default=None, description="Index of the quota table the row belongs to.")


class Target(Quantified):
    """A commitment: chỉ tiêu, phấn đấu, mục tiêu, giao, kế hoạch, dự kiến, 'đến năm 2025 đạt …'."""


class Figure(Quantified):
    """Any other number worth keeping: a result achieved, a baseline or statistic, a budget."""

    kind: Literal["achieved", "statistic", "budget"] = Field(
        description="achieved: a result (đạt, đã đưa, kết quả, lũy kế, '% kế hoạch'); statistic: a baseline "
                    "(labour force, population, households); budget: money (kinh phí, vốn).")


class InContext(Model):
    before: str = Field(default="", description="Up to 80 characters of its sentence before the number (line breaks as spaces).")
    after: str = Field(default="", description="Up to 80 characters of its sentence after it.")


class TargetInContext(Target, InContext):
    """A target with the words around it, for a reader (`before` + `text` + `after`)."""


class FigureInContext(Figure, InContext):
    """A reported figure with the words around it."""


class PlannedAchieved(Model):
    """One line of the planned-against-achieved view of a document: for one metric, unit, scope
    and year, the targets it sets beside the results it reports (either list may be empty)."""

    metric: str
    unit: str | None = None
    scope: str | None = None
    year: int | None = Field(default=None, description="The year the items end in (period_end, else period_start).")
    planned: list[TargetInContext] = Field(default_factory=list)
    achieved: list[FigureInContext] = Field(default_factory=list)


class Check(Span):
    kind: str = Field(description="E.g. 'quota_sum': table rows add up to the total row.")
    passed: bool
    expected: float | None = None
    actual: float | None = None
    difference: float | None = None
    message: str = ""


class Agency(Extracted):
    name: str = Field(description="Canonical name, abbreviations expanded.")
    level: Level | None = None
    kind: str | None = Field(default=None, description="Body type from the gazetteer (ubnd, so, ban_dang, …).")
    roles: list[Literal["lead", "cooperate", "requested", "report_to", "mentioned"]] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)


class Task(Extracted):
    id: str = Field(description="Section id of the item.")
    section_id: str | None = None
    title: str = ""
    text: str = ""
    lead: list[str] = Field(default_factory=list)
    cooperating: list[str] = Field(default_factory=list)
    deadline: str | None = None


class Deadline(Extracted):
    date: str | None = Field(default=None, description="ISO date when the text gives one.")
    recurrence: str | None = Field(default=None, description="six_monthly, yearly, quarterly, monthly, …")
    what: str | None = None
    agency: str | None = None
    report_to: str | None = None
    text: str = ""


class Funding(Extracted):
    kind: str = Field(description="central_budget, local_budget, enterprise, worker, credit, other_lawful, …")
    amount: float | None = None
    unit: str | None = None
    text: str = ""


class DocumentRecord(_Keyed):
    schema_version: str = SCHEMA_VERSION
    pipeline_version: str = ""
    source: Source
    text: str = Field(description="Final repaired text; every offset points into it.")
    document: DocumentInfo = Field(default_factory=DocumentInfo)
    references: list[Reference] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    repairs: list[Repair] = Field(default_factory=list)
    markets: list[Market] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list, description="Achieved results, statistics and budgets.")
    checks: list[Check] = Field(default_factory=list)
    agencies: list[Agency] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    deadlines: list[Deadline] = Field(default_factory=list)
    funding: list[Funding] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @computed_field(  # type: ignore[prop-decorator]
        description="The document's key: the first 16 hex digits of the file's SHA-256, ':', its index in the file; "
                    "the same `doc_id` as in the Parquet tables.")
    @property
    def doc_id(self) -> str:
        return doc_key(self.source)


# ----------------------------------------------------------------------- comparison
ProvisionStatus = Literal["covered", "partial", "missing", "not_applicable"]


class Evidence(Span):
    section_id: str | None = None
    quote: str = Field(description="The passage as it stands in the plan's text: `text[start:end]`, trimmed of the "
                       "Markdown marks ('### **') at its ends.")
    score: float
    before: str = Field(default="", description="Plan text just before the quote, for showing it in context.")
    after: str = Field(default="", description="Plan text just after the quote.")
    cues: list[str] = Field(default_factory=list, description="Cue phrases of the provision found in the quote.")


class ProvisionResult(Model):
    id: str
    group: str
    title: str
    status: ProvisionStatus = Field(
        description="covered, partial, missing; not_applicable when the provision addresses only bodies that the "
        "plan's issuer does not direct (a Party body, in a government plan) and the plan does not cover it anyway.")
    score: float
    text: str = Field(default="", description="The provision's wording in the reference.")
    addressed_to: list[IssuerKind] = Field(
        default_factory=list, description="The kinds of body the provision asks to act (empty: any plan may carry it).")
    evidence: list[Evidence] = Field(default_factory=list)
    closest: Evidence | None = Field(
        default=None, description="For a provision without evidence: the passage that comes closest (below the partial "
        "threshold), so that a reviewer can check the verdict.")


class Addition(Span):
    section_id: str | None = None
    quote: str
    targets: list[str] = Field(default_factory=list)
    markets: list[str] = Field(default_factory=list)


class GroupCoverage(Model):
    group: str
    title: str = ""
    covered: int
    partial: int
    missing: int
    not_applicable: int = 0
    coverage: float = Field(description="(covered + ½ partial) / the provisions that apply; 0 when none applies.")


class ComparisonSummary(Model):
    overall: float | None = Field(description="Coverage over every provision that applies; null when the document was "
                                  "not scored (see Comparison.relevance).")
    groups: list[GroupCoverage]
    predates_reference: bool | None = None
    plan_date: str | None = None
    reference_date: str | None = None
    dating: Literal["issued_date", "cites_reference", "latest_date_in_plan"] | None = Field(
        default=None, description="How predates_reference was decided: the plan's issue date; the plan cites the reference "
        "(so it cannot predate it); or, undated, the latest year or date the plan mentions in its title and references.")


class Relevance(Model):
    """Whether the document is a plan that answers the reference, decided before any scoring."""

    doc_type: DocType | None = None
    is_plan: bool | None = Field(description="A plan or programme (Kế hoạch, Chương trình); null when the type is unknown.")
    relation: Literal["implements", "cites", "via_plan", "same_subject", "unrelated"] = Field(
        description="implements: cites the reference in its title or opening; cites: only in its body; via_plan: cites a "
        "plan known to implement the reference; same_subject: cites neither but its title or opening is on the "
        "reference's subject; unrelated: none of these.")
    via: str | None = Field(default=None, description="Number of the plan it implements, for via_plan.")
    mentions: list[Mention] = Field(default_factory=list, description="Where the reference (or that plan) is cited.")
    scored: bool = Field(description="Whether the provisions were scored: a plan that is not unrelated, or any "
                         "document when scoring was forced.")
    forced: bool = Field(default=False, description="Scored although it is not a plan for the reference.")


QualityReason = Literal["very_low_ocr_confidence", "low_ocr_confidence", "badly_garbled", "garbled", "much_repaired",
                        "legacy_encoding"]


class Quality(Model):
    """How far the text can be trusted: OCR confidence and the share of the text that repair changed."""

    level: Literal["good", "fair", "poor"]
    reasons: list[QualityReason] = Field(default_factory=list, description="Why the level is not good "
                                         "(legacy_encoding is only noted: its conversion is exact).")
    pages: int = 1
    ocr_pages: int = 0
    ocr_confidence: float | None = Field(default=None, description="Mean Tesseract confidence (0–100) of the OCRed pages.")
    repaired_share: float = Field(description="Share of the document's characters inside repaired spans (0–1).")
    garbled_share: float = Field(default=0.0, description="Share of the characters inside OCR-garble repairs (0–1): "
                                 "text that was unreadable and is chithi's best guess.")
    repairs: dict[str, int] = Field(default_factory=dict, description="Number of repairs of each kind.")


class Provenance(Model):
    file: str | None = Field(description="The input file as named by the user (null for text given directly).")
    sha256: str = Field(description="SHA-256 of the input file's bytes.")
    document_index: int = 0
    document_count: int = 1
    chithi_version: str
    reference: str = Field(description="Reference id or file compared against.")
    reference_sha256: str | None = Field(default=None, description="SHA-256 of the reference's data, when it is a file.")
    created: str = Field(description="When the comparison was made (ISO 8601, UTC).")


class Comparison(_Keyed):
    schema_version: str = SCHEMA_VERSION
    plan: Source
    plan_document: DocumentInfo
    against: str = Field(description="Reference id (e.g. 'directive-20') or the path of another plan.")
    reference_title: str = Field(default="", description="Number and title of the reference document.")
    reference_number: str | None = Field(default=None, description="The reference's number ('20-CT/TW').")
    reference_type: DocType | None = Field(default=None, description="The reference's type (chi_thi).")
    relevance: Relevance | None = Field(default=None, description="Null only in comparisons made before chithi 0.2.")
    quality: Quality | None = None
    provenance: Provenance | None = None
    provisions: list[ProvisionResult] = Field(description="Empty when the document was not scored.")
    additions: list[Addition] = Field(default_factory=list)
    figures: list[PlannedAchieved] = Field(
        default_factory=list, description="The document's targets beside its achieved results (also when not scored).")
    summary: ComparisonSummary

    @computed_field(description="The compared document's key (`DocumentRecord.doc_id`).")  # type: ignore[prop-decorator]
    @property
    def doc_id(self) -> str:
        return doc_key(self.plan)


class ErrorRecord(Model):
    """One line of a batch's errors.jsonl."""

    path: str
    stage: str
    error: str = Field(description="Error class name.")
    message: str


# ------------------------------------------------------------------------ JSON Schema
SCHEMA_MODELS: dict[str, type[Model]] = {
    "document.schema.json": DocumentRecord,
    "comparison.schema.json": Comparison,
    "error.schema.json": ErrorRecord,
}


def schema_files() -> dict[str, str]:
    """File name → JSON Schema of the output (serialization mode: derived fields such as doc_id
    included) for each published model: what `chithi schema` writes."""
    return {name: json.dumps(model.model_json_schema(mode="serialization"), ensure_ascii=False, indent=2) + "\n"
            for name, model in SCHEMA_MODELS.items()}
