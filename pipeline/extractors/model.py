"""Stage `model`: a trained spaCy NER model, merged with the rule extractors' items.

The model (`models/ner/`, trained by `scripts/train_ner.py`) is `spacy.blank("vi")` with
the syllable tokenizer (`use_pyvi = false`) and a `ner` component that tags AGENCY,
MARKET, TARGET and DEADLINE spans. Its input is the record's text cut into syllables and
punctuation marks (`syllable_doc`), so every predicted span maps back to exact offsets.

Merging: a model span that overlaps a rule item (or one of its mentions) marks that item
`source="both"`. A model-only span becomes a new item with `source="model"` only when it
can be normalised like a rule item: an AGENCY span through the agency grammar (its
canonical name, kind, level and roles in context), a MARKET span through the markets
stage's gazetteer (no code → dropped), a TARGET or DEADLINE span through the rule parser
of its sentence. Its confidence is the label's precision measured under cross-validation
(`models/ner/calibration.json`, written by `scripts/cv_ner.py`).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from ..errors import ChithiError
from ..registry import get_stage, stage
from ..schema import Agency, DocumentRecord, Mention, Span
from . import agencies as agency_rules

LABELS = ("AGENCY", "MARKET", "TARGET", "DEADLINE")
MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "ner"
DEFAULT_CONFIDENCE = 0.5
MAX_TOKENS = 16
_TOKEN = re.compile(r"\w+(?:[.,/&'’-]\w+)*|[^\w\s]")


# ------------------------------------------------------------------ tokenisation
def syllable_tokens(text: str) -> list[tuple[int, int]]:
    """Syllables and punctuation marks of `text` as (start, end) offsets."""
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]


def syllable_doc(vocab, text: str, tokens: list[tuple[int, int]] | None = None):
    """A spaCy Doc of the syllables of `text`; token i is text[tokens[i][0]:tokens[i][1]]."""
    from spacy.tokens import Doc

    tokens = syllable_tokens(text) if tokens is None else tokens
    words = [text[s:e] for s, e in tokens]
    spaces = [i + 1 < len(tokens) and tokens[i + 1][0] > e for i, (_, e) in enumerate(tokens)]
    return Doc(vocab, words=words, spaces=spaces)


def token_range(tokens: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """Indices [i, j) of the tokens that overlap the character span [start, end)."""
    inside = [i for i, (s, e) in enumerate(tokens) if s < end and start < e]
    return (inside[0], inside[-1] + 1) if inside else None


# ------------------------------------------------------------------------ model
@cache
def load_model(path: str = str(MODEL_DIR)):
    """The trained pipeline, loaded once; None when no model has been trained."""
    if not (Path(path) / "meta.json").exists():
        return None
    import spacy

    try:
        nlp = spacy.load(path)
    except (OSError, ValueError, KeyError) as error:
        raise ChithiError(path, f"the NER model cannot be loaded ({error}); retrain it with scripts/train_ner.py",
                          stage="model") from None
    _use_numpy_matmul(nlp)
    return nlp


def _use_numpy_matmul(nlp) -> None:
    """Run the model's matrix products through numpy (OpenBLAS) instead of blis.

    thinc's default CPU ops multiply with blis, which on the CPUs we run on is about 3-4×
    slower than OpenBLAS for the tok2vec's (tokens × 288) · (288 × 288) products, the bulk
    of the stage's time. The weights and the arithmetic are the same; scripts/bench_stages.py
    measures the gain.
    """
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for _, component in nlp.pipeline:
        for node in component.model.walk():
            node.ops = ops


@cache
def calibration(path: str = str(MODEL_DIR)) -> dict[str, float]:
    file = Path(path) / "calibration.json"
    return json.loads(file.read_text("utf-8")) if file.exists() else {}


def predict(nlp, text: str) -> list[tuple[int, int, str]]:
    """Entity spans (start, end, label) the model finds in `text`."""
    tokens = syllable_tokens(text)
    if not tokens:
        return []
    doc = syllable_doc(nlp.vocab, text, tokens)
    for _, component in nlp.pipeline:
        doc = component(doc)
    spans = [(tokens[e.start][0], tokens[e.end - 1][1], e.label_, len(e)) for e in doc.ents]
    # like the training data: no entity runs across a line or table cell, none is overlong
    return [(s, e, label) for s, e, label, n in spans
            if n <= MAX_TOKENS and not any(c in text[s:e] for c in "\n\t")]


# ---------------------------------------------------------------------- merging
def _overlaps(span: Span, start: int, end: int) -> bool:
    return span.start < end and start < span.end


def _merge_agencies(record: DocumentRecord, spans: list[tuple[int, int]], confidence: float) -> None:
    text = record.text
    new = []
    for start, end in spans:
        hit = next((a for a in record.agencies for m in a.mentions if _overlaps(m, start, end)), None)
        if hit:
            hit.source = "both" if hit.source == "rule" else hit.source
            continue
        parsed = agency_rules.find_mentions(text[start:end]) or agency_rules.find_mentions(text[start:end], loose=True)
        if len(parsed) != 1:
            continue  # the grammar cannot name it: no canonical name, so no item
        found = parsed[0]
        found.start, found.end = start + found.start, start + found.end
        new.append(found)
    if not new:
        return
    context = agency_rules.find_mentions(text) + new
    context.sort(key=lambda m: m.start)
    agency_rules.assign_roles(text, context, record.sections)
    by_name = {agency_rules.name_key(a.name): a for a in record.agencies}
    for agency in agency_rules.merge(text, new):
        existing = by_name.get(agency_rules.name_key(agency.name))
        if existing:
            existing.mentions = sorted(existing.mentions + agency.mentions, key=lambda m: m.start)
            existing.roles = _union_roles(existing.roles, agency.roles)
            existing.source = "both"
        else:
            record.agencies.append(agency.model_copy(update={"source": "model", "confidence": confidence}))
    record.agencies.sort(key=lambda a: a.start)


def _union_roles(a: list[str], b: list[str]) -> list[str]:
    roles = (set(a) | set(b)) - ({"mentioned"} if len(set(a) | set(b)) > 1 else set())
    return [r for r in agency_rules.ROLE_ORDER if r in roles]


def _merge_markets(record: DocumentRecord, spans: list[tuple[int, int]], confidence: float) -> None:
    markets_stage = get_stage("markets")
    for start, end in spans:
        hit = next((m for m in record.markets for x in [m, *m.mentions] if _overlaps(x, start, end)), None)
        if hit:
            hit.source = "both" if hit.source == "rule" else hit.source
            continue
        probe = markets_stage(DocumentRecord(source=record.source, text=record.text[start:end]))
        named = [m for m in probe.markets if m.code]
        if len(named) != 1:
            continue  # not in the markets gazetteer: drop rather than invent a code
        market = named[0]
        mention = Mention(start=start, end=end, text=record.text[start:end])
        same = next((m for m in record.markets if m.code == market.code), None)
        if same:
            same.mentions.append(mention)
            same.source = "both"
        else:
            record.markets.append(market.model_copy(update={
                "start": start, "end": end, "mentions": [mention], "source": "model", "confidence": confidence,
            }))


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    left = max(text.rfind(c, 0, start) for c in ".;\n") + 1
    rights = [i for i in (text.find(c, end) for c in ".;\n") if i != -1]
    return left, min(rights) if rights else len(text)


def _merge_parsed(record: DocumentRecord, field: str, spans: list[tuple[int, int]], confidence: float) -> None:
    """TARGET/DEADLINE: mark overlapping rule items; parse model-only spans' sentences by rule."""
    items = getattr(record, field)
    for start, end in spans:
        hit = next((item for item in items if _overlaps(item, start, end)), None)
        if hit:
            hit.source = "both" if hit.source == "rule" else hit.source
            continue
        left, right = _sentence(record.text, start, end)
        probe = get_stage(field)(DocumentRecord(source=record.source, text=record.text[left:right]))
        for item in getattr(probe, field):
            if left + item.start < end and start < left + item.end:
                moved = {"start": left + item.start, "end": left + item.end, "source": "model", "confidence": confidence}
                items.append(item.model_copy(update=moved))
                break


@stage("model")
def model(record: DocumentRecord) -> DocumentRecord:
    nlp = load_model()
    if nlp is None:
        record.warnings.append("model stage skipped: no trained model under models/ner (run scripts/train_ner.py)")
        return record
    return apply(record, nlp, calibration())


def apply(record: DocumentRecord, nlp, calib: dict[str, float]) -> DocumentRecord:
    """Merge the spans `nlp` finds in the record with the record's rule items."""
    spans = predict(nlp, record.text)
    by_label = {label: [(s, e) for s, e, l in spans if l == label] for label in LABELS}
    conf = {label: calib.get(label, DEFAULT_CONFIDENCE) for label in LABELS}
    _merge_agencies(record, by_label["AGENCY"], conf["AGENCY"])
    _merge_markets(record, by_label["MARKET"], conf["MARKET"])
    _merge_parsed(record, "targets", by_label["TARGET"], conf["TARGET"])
    _merge_parsed(record, "deadlines", by_label["DEADLINE"], conf["DEADLINE"])
    return record


def rule_spans(record: DocumentRecord) -> list[tuple[int, int, str]]:
    """The spans of a record's rule items, labelled as the model labels them."""
    spans = [(m.start, m.end, "AGENCY") for a in record.agencies for m in a.mentions]
    spans += [(m.start, m.end, "MARKET") for x in record.markets if x.code for m in (x.mentions or [x])]
    spans += [(t.start, t.end, "TARGET") for t in record.targets if t.table is None]
    spans += [(d.start, d.end, "DEADLINE") for d in record.deadlines]
    return spans
