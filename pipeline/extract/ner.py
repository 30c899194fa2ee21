"""Stage `ner`: a trained spaCy NER model, merged with the rule extractors' items.

The model (`models/ner/`, trained by `scripts/train_ner.py` on rule-tagged legal text, the
sample plans and noisy copies of both) is `spacy.blank("vi")` with the syllable tokenizer
(`use_pyvi = false`) and a `ner` component that tags AGENCY, MARKET, TARGET and DEADLINE
spans. It reads one line at a time (as it was trained), cut into syllables and punctuation
marks (`syllable_doc`), so every predicted span maps back to exact offsets.

Which lines: on clean text the model finds nothing the rules miss (measured by
`scripts/cv_ner.py`), so by default it reads only the lines that the repair stage changed
(OCR garble, restored diacritics: `record.repairs`), where the residual errors break the
rule grammar. `CHITHI_MODEL_LINES=all` makes it read every line. How its spans are merged
with the rule items: `pipeline.extract.merge`.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

from ..document import Document
from ..errors import ChithiError
from ..registry import stage
from ..resources import model_path
from ..schema import DocumentRecord, Span
from ..text.match import overlap_test
from .merge import merge_agencies, merge_markets, merge_parsed

LABELS = ("AGENCY", "MARKET", "TARGET", "DEADLINE")
DEFAULT_CONFIDENCE = 0.5
DEFAULT_THRESHOLD = 90.0
MAX_TOKENS = 16
NOISY_REPAIRS = {"ocr_garble", "diacritics"}  # repairs after which the text may still be noisy
SURE_REPAIR = 0.95  # … unless the repair is at least this sure (cross-validation: same items at 0.9 and 1.0)
LINES_ENV = "CHITHI_MODEL_LINES"
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


def text_lines(text: str) -> list[tuple[int, int]]:
    """Non-blank lines of `text` as (start, end)."""
    out, start = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((start, start + len(line)))
        start += len(line) + 1
    return out


def lines_to_read(record: DocumentRecord, scope: str | None = None) -> list[tuple[int, int]]:
    """The lines the model reads: those with a repair that may have left noise (any garble
    repair, a restoration below SURE_REPAIR), or all with scope 'all'."""
    scope = scope or os.environ.get(LINES_ENV, "repaired")
    if scope not in ("repaired", "all"):
        raise ChithiError(record.source.path, f"{LINES_ENV} must be 'repaired' or 'all', not {scope!r}",
                          stage="model")
    lines = text_lines(record.text)
    if scope == "all":
        return lines
    noisy = overlap_test((r.start, r.end) for r in record.repairs if r.kind in NOISY_REPAIRS and r.confidence < SURE_REPAIR)
    return [(s, e) for s, e in lines if noisy(s, e)]


# ------------------------------------------------------------------------ model
def model_dir() -> Path:
    return model_path("ner")


@cache
def load_model(path: str | None = None):
    """The trained pipeline (default: models/ner), loaded once; None when no model has been trained."""
    path = str(model_dir()) if path is None else path
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
def calibration(path: str | None = None) -> dict[str, dict[str, float]]:
    """{"confidence": label → precision, "match_threshold": label → fuzzy score} from cv_ner.py."""
    file = Path(str(model_dir()) if path is None else path) / "calibration.json"
    data = json.loads(file.read_text("utf-8")) if file.exists() else {}
    if data and "confidence" not in data:  # the first format: label → precision only
        data = {"confidence": data}
    return {"confidence": data.get("confidence", {}), "match_threshold": data.get("match_threshold", {})}


def predict(nlp, text: str, lines: list[tuple[int, int]] | None = None,
            batch_size: int = 64) -> list[tuple[int, int, str]]:
    """Entity spans (start, end, label) the model finds in `text`, read line by line."""
    lines = text_lines(text) if lines is None else lines
    cuts = [(start, syllable_tokens(text[start:end])) for start, end in lines]
    cuts = [(start, tokens) for start, tokens in cuts if tokens]
    docs = (syllable_doc(nlp.vocab, text[start:start + tokens[-1][1]], tokens) for start, tokens in cuts)
    spans = []
    for (start, tokens), doc in zip(cuts, nlp.pipe(docs, batch_size=batch_size)):
        spans += [(start + tokens[e.start][0], start + tokens[e.end - 1][1], e.label_)
                  for e in doc.ents if len(e) <= MAX_TOKENS and "\t" not in e.text]
    return spans


@stage("ner", requires=("text", "repairs", "sections", "agencies", "markets", "targets", "deadlines"),
       assigns=("agencies", "markets", "targets", "deadlines"))
def ner(doc: Document) -> None:
    lines = lines_to_read(doc.record)
    if not lines:
        return
    nlp = load_model()
    if nlp is None:
        doc.record.warnings.append("ner stage skipped: no trained model under models/ner (run scripts/train_ner.py)")
        return
    apply(doc, nlp, calibration(), lines=lines)


def apply(doc: Document, nlp, calib: dict, *, lines: list[tuple[int, int]] | None = None,
          spans: list[tuple[int, int, str]] | None = None) -> DocumentRecord:
    """Merge the spans `nlp` finds in the document's `lines` (default: all) with its rule items.

    `calib` is `calibration()`'s dict; `spans`, when given, are the model's predictions
    already made (cross-validation tries several thresholds on one prediction). Returns the
    record, changed in place."""
    spans = predict(nlp, doc.text, lines) if spans is None else spans
    by_label = {label: [(s, e) for s, e, l in spans if l == label] for label in LABELS}
    conf = {label: calib.get("confidence", {}).get(label, DEFAULT_CONFIDENCE) for label in LABELS}
    limit = {label: calib.get("match_threshold", {}).get(label, DEFAULT_THRESHOLD) for label in LABELS}
    merge_agencies(doc, by_label["AGENCY"], conf["AGENCY"], limit["AGENCY"])
    merge_markets(doc, by_label["MARKET"], conf["MARKET"], limit["MARKET"])
    merge_parsed(doc, "targets", by_label["TARGET"], conf["TARGET"])
    merge_parsed(doc, "deadlines", by_label["DEADLINE"], conf["DEADLINE"])
    return doc.record


def rule_spans(record: DocumentRecord) -> list[tuple[int, int, str]]:
    """The spans of a record's rule items, labelled as the model labels them."""
    spans = [(m.start, m.end, "AGENCY") for a in record.agencies for m in a.mentions]
    for market in record.markets:
        if market.code:
            places: list[Span] = [*market.mentions] or [market]
            spans += [(s.start, s.end, "MARKET") for s in places]
    spans += [(t.start, t.end, "TARGET") for t in record.targets if t.table is None]
    spans += [(d.start, d.end, "DEADLINE") for d in record.deadlines]
    return spans
