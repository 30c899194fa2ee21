"""Diacritic restoration by genre, on held-out documents: chithi, underthesea (if it can), as-is.

    PYTHONPATH=. /work/main/.venv/bin/python scripts/eval_restore_genre.py
    PYTHONPATH=. /work/main/.venv/bin/python scripts/eval_restore_genre.py --genres statute,cong_van --max-words-per-genre 5000

Genres and their held-out documents:
  statute      vlc-laws documents listed in corpus/admin/statute_heldout_ids.txt, read at run
               time from /work/shared/corpora/legal/vlc-laws.jsonl.gz (never committed). They are
               the vlc-laws documents that scripts/train_lm.py holds out (sha1("vlc-laws/" + id)
               % 50 == 0; checked here), so the LM never trained on them. A statute is long, so
               each is cut into units of whole lines of about --statute-unit-words words; the
               units play the part of documents (sampling, bootstrap).
  ke_hoach, bao_cao, cong_van, quyet_dinh
               corpus/admin/heldout/<genre>/*.txt (sites none of the train documents come from;
               see corpus/admin/README.md). The current LM was trained on neither split.

For each document (unit): reference = pipeline.repair(text).text (normalisation, public API
only); input = strip(reference) (NFD, combining marks dropped, đ→d, Đ→D, NFC); output =
pipeline.repair(input).text. Words are the \\w+ tokens that contain a letter. A word is right
when its canonical form equals the reference word's: canonical = NFC with the tone mark
(grave, acute, hook, tilde, dot below) taken off and kept beside the toneless spelling, so a
tone written on another vowel of the syllable ("hoà"/"hòa", "thuỷ"/"thủy") does not count as
an error, while any other difference (tone, vowel quality, đ, case) does. Output words are
aligned with reference words on their stripped lower-case forms (difflib); a reference word
without a counterpart is wrong. "as-is" scores the stripped input itself (a word with no marks
to restore is right as it stands).

Intervals: 95 % percentile bootstrap over documents (units), seeded. Document samples per
genre are seeded too (--seed), taken in a shuffled order until --max-words-per-genre words.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import hashlib
import json
import random
import re
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pipeline  # public API only: pipeline.repair (the package is being restructured)

GENRES = ("statute", "ke_hoach", "bao_cao", "cong_van", "quyet_dinh")
ADMIN = ROOT / "corpus" / "admin"
VLC_LAWS = Path("/work/shared/corpora/legal/vlc-laws.jsonl.gz")
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
WORD = re.compile(r"\w+")


def strip_marks(text: str) -> str:
    """Every diacritic off: NFD, combining marks dropped, đ→d, Đ→D, back to NFC."""
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", text.replace("đ", "d").replace("Đ", "D"))


def canonical(word: str) -> tuple[str, str]:
    """(spelling without the tone mark, the tone mark): the same for hoà and hòa."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = "".join(ch for ch in decomposed if ch in TONE_MARKS)
    base = "".join(ch for ch in decomposed if ch not in TONE_MARKS)
    return unicodedata.normalize("NFC", base), tones


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(unicodedata.normalize("NFC", text)) if any(ch.isalpha() for ch in w)]


def score(reference: list[str], output: list[str]) -> int:
    """Reference words whose aligned output word has the same canonical form."""
    if len(reference) == len(output) and all(
        strip_marks(a).lower() == strip_marks(b).lower() for a, b in zip(reference, output)
    ):
        pairs = zip(reference, output)
    else:
        keys_r = [strip_marks(w).lower() for w in reference]
        keys_o = [strip_marks(w).lower() for w in output]
        matcher = difflib.SequenceMatcher(None, keys_r, keys_o, autojunk=False)
        pairs = []
        for block in matcher.get_matching_blocks():
            pairs.extend((reference[block.a + k], output[block.b + k]) for k in range(block.size))
    return sum(canonical(a) == canonical(b) for a, b in pairs)


# ---------------------------------------------------------------- documents


def held_out_id(doc_id: str) -> bool:
    """scripts/train_lm.py's rule, restated here (that script imports pipeline submodules)."""
    return int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 50 == 0


def statute_units(unit_words: int) -> list[tuple[str, str]]:
    ids = [l.strip() for l in (ADMIN / "statute_heldout_ids.txt").read_text(encoding="utf-8").splitlines()
           if l.strip() and not l.startswith("#")]
    for doc_id in ids:
        if not held_out_id(f"vlc-laws/{doc_id}"):
            raise SystemExit(f"{doc_id} is not in train_lm.py's held-out split")
    texts = {}
    with gzip.open(VLC_LAWS, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["id"] in ids:
                texts[rec["id"]] = rec["text"]
    missing = [i for i in ids if i not in texts]
    if missing:
        raise SystemExit(f"not found in {VLC_LAWS}: {missing}")
    units = []
    for doc_id in ids:
        lines, count, n = [], 0, 0
        for line in texts[doc_id].split("\n"):
            lines.append(line)
            count += len(words(line))
            if count >= unit_words:
                units.append((f"{doc_id}#{n}", "\n".join(lines)))
                lines, count, n = [], 0, n + 1
        if count:
            units.append((f"{doc_id}#{n}", "\n".join(lines)))
    return units


def admin_docs(genre: str) -> list[tuple[str, str]]:
    folder = ADMIN / "heldout" / genre
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.txt"))]


def sample(docs: list[tuple[str, str]], max_words: int, rng: random.Random) -> list[tuple[str, str]]:
    docs = list(docs)
    rng.shuffle(docs)
    out, total = [], 0
    for doc in docs:
        if total >= max_words:
            break
        out.append(doc)
        total += len(words(doc[1]))
    return out


# ---------------------------------------------------------------- restorers


def underthesea_restorer():
    """underthesea's diacritic restorer if the installed version has one that runs offline."""
    try:
        import underthesea
    except Exception as exc:  # noqa: BLE001
        return None, f"underthesea not importable ({type(exc).__name__})"
    version = getattr(underthesea, "__version__", "?")
    for name in ("restore_diacritics", "add_accent", "add_diacritics", "accent", "diacritic_restore"):
        fn = getattr(underthesea, name, None)
        if callable(fn):
            return fn, f"underthesea {version}: {name}"
    return None, (f"underthesea {version} has no diacritic-restoration function (its public API: "
                  "word_tokenize, pos_tag, chunk, ner, classify, sentiment, lang_detect, "
                  "dependency_parse, translate, text_normalize, ...)")


def bootstrap(rows: list[tuple[int, int]], iters: int, seed: int) -> tuple[float, float]:
    rng = random.Random(seed)
    n = len(rows)
    stats = []
    for _ in range(iters):
        pick = [rows[rng.randrange(n)] for _ in range(n)]
        total = sum(w for w, _ in pick)
        stats.append(sum(r for _, r in pick) / total if total else 0.0)
    stats.sort()
    return stats[int(0.025 * iters)], stats[min(iters - 1, int(0.975 * iters))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genres", default=",".join(GENRES), help="Comma-separated, from: " + ", ".join(GENRES))
    ap.add_argument("--max-words-per-genre", type=int, default=30000)
    ap.add_argument("--statute-unit-words", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20260)
    ap.add_argument("--bootstrap", type=int, default=1000)
    args = ap.parse_args()
    genres = [g.strip() for g in args.genres.split(",") if g.strip()]
    unknown = [g for g in genres if g not in GENRES]
    if unknown:
        raise SystemExit(f"unknown genres: {unknown}")

    uts, uts_note = underthesea_restorer()
    t0 = time.time()
    results = []
    for genre in genres:
        rng = random.Random(f"{args.seed}/{genre}")
        docs = statute_units(args.statute_unit_words) if genre == "statute" else admin_docs(genre)
        docs = sample(docs, args.max_words_per_genre, rng)
        rows_chithi, rows_asis, rows_uts, normalised_changed = [], [], [], 0
        for _, text in docs:
            original = unicodedata.normalize("NFC", text)
            reference = pipeline.repair(original).text
            normalised_changed += len(words(original)) - score(words(original), words(reference))
            stripped = strip_marks(reference)
            ref_words = words(reference)
            n = len(ref_words)
            if not n:
                continue
            rows_chithi.append((n, score(ref_words, words(pipeline.repair(stripped).text))))
            rows_asis.append((n, score(ref_words, words(stripped))))
            if uts is not None:
                rows_uts.append((n, score(ref_words, words(uts(stripped)))))
        results.append((genre, len(rows_chithi), rows_chithi, rows_asis, rows_uts, normalised_changed))
        print(f"{genre}: {len(rows_chithi)} documents, {sum(n for n, _ in rows_chithi)} words "
              f"({time.time() - t0:.0f}s)", file=sys.stderr, flush=True)

    def cell(rows, seed):
        if not rows:
            return "n/a"
        acc = sum(r for _, r in rows) / sum(n for n, _ in rows)
        lo, hi = bootstrap(rows, args.bootstrap, seed)
        return f"{100 * acc:.2f} % [{100 * lo:.2f}, {100 * hi:.2f}]"

    print("| genre | documents | words | chithi | underthesea | as-is (stripped) |")
    print("| --- | ---: | ---: | --- | --- | --- |")
    for i, (genre, ndocs, rc, ra, ru, _) in enumerate(results):
        print(f"| {genre}{' (held out of LM training)' if genre == 'statute' else ''} | {ndocs} | "
              f"{sum(n for n, _ in rc)} | {cell(rc, args.seed + i)} | {cell(ru, args.seed + i)} | "
              f"{cell(ra, args.seed + i)} |")
    print()
    print("Accuracy: share of words (letter-bearing \\w+ tokens) restored exactly, tone placement "
          f"aside; [95 % bootstrap over documents, {args.bootstrap} resamples, seed {args.seed}].")
    print(f"underthesea: {uts_note}.")
    print("Words that pipeline.repair changed in the clean held-out text itself (the reference is "
          "its output): " + ", ".join(f"{g} {c}" for g, _, _, _, _, c in results) + ".")
    print(f"Options: --max-words-per-genre {args.max_words_per_genre} --statute-unit-words "
          f"{args.statute_unit_words} --seed {args.seed}; {time.time() - t0:.0f}s.")


if __name__ == "__main__":
    main()
