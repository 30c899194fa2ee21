"""Stage `model`: a trained spaCy NER model, merged with the rule extractors' items.

The model (`models/ner/`, trained by `scripts/train_ner.py` on rule-tagged legal text, the
sample plans and noisy copies of both) is `spacy.blank("vi")` with the syllable tokenizer
(`use_pyvi = false`) and a `ner` component that tags AGENCY, MARKET, TARGET and DEADLINE
spans. It reads one line at a time (as it was trained), cut into syllables and punctuation
marks (`syllable_doc`), so every predicted span maps back to exact offsets.

Which lines: on clean text the model finds nothing the rules miss (measured by
`scripts/cv_ner.py`), so by default it reads only the lines that the repair stage changed
(OCR garble, restored diacritics: `record.repairs`), where the residual errors break the
rule grammar. `CHITHI_MODEL_LINES=all` makes it read every line.

Merging: a model span that overlaps a rule item (or one of its mentions) marks that item
`source="both"`. A model-only span becomes a new item with `source="model"` when it can be
normalised: an AGENCY span by the agency grammar, or else by fuzzy match (rapidfuzz, on
unmarked text) to a body name — one the rules found elsewhere in the same document, or one
composed from the body-type gazetteer; a MARKET span by the markets stage or by fuzzy match
to a country/region variant of its gazetteer; a TARGET or DEADLINE span by the rule parser
of its sentence. A model AGENCY span that extends a rule mention whose grammar stopped at
a garbled word ("Ban Thường vụ Tỉnh ấy") renames that mention when its fuzzy name scores
higher. The fuzzy thresholds and the confidence of model-only items were measured under
cross-validation (`models/ner/calibration.json`, written by `scripts/cv_ner.py`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from functools import cache
from pathlib import Path

from ..errors import ChithiError
from ..registry import get_stage, stage
from ..schema import DocumentRecord, Mention, Span
from ..textmatch import fold, load_data, overlap_test
from . import agencies as agency_rules

LABELS = ("AGENCY", "MARKET", "TARGET", "DEADLINE")
MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "ner"
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
def calibration(path: str = str(MODEL_DIR)) -> dict[str, dict[str, float]]:
    """{"confidence": label → precision, "match_threshold": label → fuzzy score} from cv_ner.py."""
    file = Path(path) / "calibration.json"
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


# ------------------------------------------------------------- fuzzy matching
def _unmarked(text: str) -> str:
    return " ".join(fold(text).split())


def closest(text: str, candidates: list[str]) -> tuple[str, float] | None:
    """The candidate nearest to `text` on unmarked, case-folded text (rapidfuzz ratio, 0-100);
    ties go to the earlier candidate."""
    from rapidfuzz import fuzz, process

    if not candidates:
        return None
    best = process.extractOne(_unmarked(text), [_unmarked(c) for c in candidates], scorer=fuzz.ratio)
    return (candidates[best[2]], best[1]) if best else None


@cache
def composed_bodies() -> tuple[str, ...]:
    """Body names composed from the type gazetteer (head [domain] [place word | party body]),
    kept when the agency grammar reads them whole: candidates for normalising noisy spans."""
    spec = agency_rules._load("agency_types.json")
    places = [p for p in spec["places"] if len(p.split()) <= 2]
    tails = {"place": places, "place_or_name": places, "agency": [*spec["party_levels"], *places]}
    names = []
    for entry in spec["types"]:
        domains = spec["domains"].get(entry.get("domain"), [""])
        cores = [f"{head} {domain}".strip() for head in entry["heads"] for domain in domains]
        names += [f"{core} {tail}".strip() for core in cores for tail in ["", *tails.get(entry.get("qualifier"), [])]]
    return tuple(dict.fromkeys(n for n in names if _reads_whole(n)))


def _reads_whole(name: str) -> bool:
    found = agency_rules.find_mentions(name)
    return len(found) == 1 and found[0].start == 0 and found[0].end == len(name)


def normalise_agency(text: str, document_names: list[str], threshold: float):
    """A `Found` for a model AGENCY span (offsets within `text`), or None.

    The grammar first (exact, then without diacritics), when it reads the whole span; else
    the nearest of the document's own rule names, else the nearest composed gazetteer name,
    if it scores at least `threshold` and has no more words than the span (a match may
    correct words, never add one: "Ban Chỉ đạo" is not "Ban Chỉ đạo xã").
    Returns (found, score); the score is 100 for a grammar reading.
    """
    for loose in (False, True):
        parsed = agency_rules.find_mentions(text, loose=loose)
        if len(parsed) == 1 and parsed[0].start == 0 and parsed[0].end == len(text):
            return parsed[0], 100.0
    words, places = len(text.split()), _places_read_in(text)
    for candidates in (document_names, composed_bodies()):
        # never add words, nor turn a word into an administrative place ("Mặt trận TỔ quốc và"
        # is not "Mặt trận Tổ quốc xã", "Ban Chỉ đạo công" not "Ban Chỉ đạo phường")
        best = closest(text, [c for c in candidates if len(c.split()) <= words and not _invents_a_place(c, places)])
        if best and best[1] >= threshold:
            (found,) = agency_rules.find_mentions(best[0])
            return replace(found, start=0, end=len(text)), best[1]
    return None


@cache
def _place_words() -> frozenset[str]:
    """The words of the gazetteer's administrative places (tỉnh, huyện, xã, phường, …), folded."""
    places = agency_rules._load("agency_types.json")["places"]
    return frozenset(w for place in places for w in fold(place).lower().split())


def _places_read_in(text: str) -> frozenset[str]:
    """The place words that some word of `text` may be a reading of (a garbled "huyn" still
    reads as "huyện")."""
    from rapidfuzz import fuzz

    seen = fold(text).lower().split()
    return frozenset(w for w in _place_words() if any(fuzz.ratio(w, s) >= 75 for s in seen))


def _invents_a_place(candidate: str, places_read: frozenset[str]) -> bool:
    """Whether `candidate` names a place word that is not among `places_read`."""
    return any(w in _place_words() and w not in places_read for w in fold(candidate).lower().split())


# ---------------------------------------------------------------------- merging
def _overlaps(span: Span, start: int, end: int) -> bool:
    return span.start < end and start < span.end


def _merge_agencies(record: DocumentRecord, spans: list[tuple[int, int]], confidence: float,
                    threshold: float) -> None:
    """Mark rule agencies the model also found; add or rename mentions the model normalises."""
    text = record.text
    mentions = agency_rules.find_mentions(text)
    names = [a.name for a in record.agencies]
    seen, made = set(), {}
    for start, end in map(_trimmed(text), spans):
        inside = [m for m in mentions if m.start < end and start < m.end]
        seen.update((m.start, m.end) for m in inside)
        if len(inside) > 1 or (inside and start >= inside[0].start and end <= inside[0].end):
            continue  # the rules read it (or read more): nothing to add
        rule = inside[0] if inside else None
        others = [n for n in names if not rule or agency_rules.name_key(n) != agency_rules.name_key(rule.name)]
        normalised = normalise_agency(text[start:end], others, threshold)
        if normalised is None:
            continue
        found, score = normalised
        found = replace(found, start=start + found.start, end=start + found.end, roles=set())
        if rule:  # the model reads further than the grammar did: rename when that scores better
            if agency_rules.name_key(found.name) == agency_rules.name_key(rule.name) or \
                    score <= closest(text[start:end], [rule.name])[1]:
                continue
            mentions.remove(rule)
        mentions.append(found)
        made[(found.start, found.end)] = found
    if not made:
        _mark_both(record, seen)
        return
    _rebuild_agencies(record, mentions, seen, made, confidence)


def _trimmed(text: str):
    """A function that moves a span's ends inward past spaces and punctuation."""
    def trim(span: tuple[int, int]) -> tuple[int, int]:
        start, end = span
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        return start, end
    return trim


def _mark_both(record: DocumentRecord, seen: set[tuple[int, int]]) -> None:
    for agency in record.agencies:
        if agency.source == "rule" and any((m.start, m.end) in seen for m in agency.mentions):
            agency.source = "both"


def _rebuild_agencies(record, mentions, seen, made, confidence: float) -> None:
    """Roles and merging redone over the rule mentions plus the model's, as the rule stage does."""
    mentions.sort(key=lambda m: m.start)
    agency_rules.assign_roles(record.text, mentions, record.sections)
    rebuilt = agency_rules.merge(record.text, mentions)
    for agency in rebuilt:
        spans = {(m.start, m.end) for m in agency.mentions}
        if not spans & made.keys():
            agency.source = "both" if spans & seen else "rule"
        elif spans - made.keys():
            agency.source = "both"
        else:
            agency.source, agency.confidence = "model", confidence
    record.agencies = rebuilt


@cache
def market_variants() -> tuple[str, ...]:
    """Every written form of a country or region in the markets gazetteer."""
    return tuple(v for entry in load_data("countries.json")["markets"] for v in entry["variants"])


def _market_of(record: DocumentRecord, text: str, threshold: float):
    """The one coded market the markets stage reads in `text`, else in its nearest variant."""
    markets_stage = get_stage("markets")
    for probe_text in (text, (closest(text, list(market_variants())) or ("", 0))):
        if isinstance(probe_text, tuple):
            if probe_text[1] < threshold:
                return None
            probe_text = probe_text[0]
        named = [m for m in markets_stage(DocumentRecord(source=record.source, text=probe_text)).markets if m.code]
        if len(named) == 1:
            return named[0]
    return None


def _merge_markets(record: DocumentRecord, spans: list[tuple[int, int]], confidence: float,
                   threshold: float) -> None:
    for start, end in spans:
        hit = next((m for m in record.markets for x in [m, *m.mentions] if _overlaps(x, start, end)), None)
        if hit:
            hit.source = "both" if hit.source == "rule" else hit.source
            continue
        market = _market_of(record, record.text[start:end], threshold)
        if market is None:
            continue  # not in the markets gazetteer: drop rather than invent a code
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
    lines = lines_to_read(record)
    if not lines:
        return record
    nlp = load_model()
    if nlp is None:
        record.warnings.append("model stage skipped: no trained model under models/ner (run scripts/train_ner.py)")
        return record
    return apply(record, nlp, calibration(), lines=lines)


def apply(record: DocumentRecord, nlp, calib: dict, *, lines: list[tuple[int, int]] | None = None,
          spans: list[tuple[int, int, str]] | None = None) -> DocumentRecord:
    """Merge the spans `nlp` finds in the record's `lines` (default: all) with its rule items.

    `calib` is `calibration()`'s dict; `spans`, when given, are the model's predictions
    already made (cross-validation tries several thresholds on one prediction)."""
    spans = predict(nlp, record.text, lines) if spans is None else spans
    by_label = {label: [(s, e) for s, e, l in spans if l == label] for label in LABELS}
    conf = {label: calib.get("confidence", {}).get(label, DEFAULT_CONFIDENCE) for label in LABELS}
    limit = {label: calib.get("match_threshold", {}).get(label, DEFAULT_THRESHOLD) for label in LABELS}
    _merge_agencies(record, by_label["AGENCY"], conf["AGENCY"], limit["AGENCY"])
    _merge_markets(record, by_label["MARKET"], conf["MARKET"], limit["MARKET"])
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
