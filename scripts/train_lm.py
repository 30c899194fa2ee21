"""Train the syllable trigram language model (interpolated Kneser-Ney) into models/lm/.

    nice -n 10 .venv/bin/python scripts/train_lm.py                 # full model
    nice -n 10 .venv/bin/python scripts/train_lm.py --limit 100     # quick subset
    .venv/bin/python scripts/train_lm.py --variants /tmp/lm-variants   # + comparison models
    .venv/bin/python scripts/train_lm.py --no-domain --out /tmp/lm-nodomain

Data: /work/shared/corpora/legal/*.jsonl.gz (public-domain legal text), normalised with
`pipeline.repair.normalize`, exact-duplicate documents and repeated lines (the same law in two
sources) dropped, plus domain data: the clean sample plans 001/003/004 (weighted by
--domain-weight) and the training split of the administrative corpus, corpus/admin/train
(Kế hoạch, Báo cáo, Công văn, Quyết định of provincial bodies; weighted by --admin-weight;
corpus/admin/heldout is never read). Documents whose id hashes to 0 mod 50 (2 %) are held
out and never trained on; lines of held-out documents are also removed from training
documents.
Beside the model goes abbreviations.json: capitalised abbreviations whose marks stripped
text loses (HDND → HĐND), learned from the same training documents.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.repair.lm import BOS, EOS, SPECIALS, UNK, lm_tokens  # noqa: E402
from pipeline.repair.normalize import normalize  # noqa: E402

CORPORA = Path("/work/shared/corpora/legal")
SOURCES = ("vlc-laws", "congbao", "phapdien")
CLEAN_SAMPLES = ("001", "003", "004")
ADMIN_TRAIN = ROOT / "corpus" / "admin" / "train"  # corpus/admin/heldout is for evaluation only
ADMIN = "admin"  # the domain key of the administrative corpus
SHIFT = 21


def is_held_out(doc_id: str) -> bool:
    return int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 50 == 0


def read_corpus(limit: int | None, keep=None):
    """Yield (source, id, normalised text) for every corpus document (whose id `keep`s)."""
    for source in SOURCES:
        with gzip.open(CORPORA / f"{source}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for n, line in enumerate(fh):
                if limit is not None and n >= limit:
                    break
                rec = json.loads(line)
                if keep is not None and not keep(f"{source}/{rec['id']}"):
                    continue
                yield source, f"{source}/{rec['id']}", normalize(rec["text"])


def sample_texts(exclude: set[str]) -> list[tuple[str, str]]:
    out = []
    for name in CLEAN_SAMPLES:
        if name in exclude:
            continue
        path = next((ROOT / "corpus" / "samples").glob(f"{name}_*.txt"))
        out.append((path.name, normalize(path.read_text(encoding="utf-8"))))
    return out


def admin_texts() -> list[tuple[str, str]]:
    """(id, normalised text) of the administrative corpus's training documents."""
    return [(path.stem, normalize(path.read_text(encoding="utf-8"))) for path in sorted(ADMIN_TRAIN.glob("*/*.txt"))]


def line_key(line: str) -> bytes:
    return hashlib.blake2b(line.strip().encode(), digest_size=8).digest()


def training_lines(args) -> tuple[list[list[str]], dict[str, list[list[str]]], dict]:
    """Tokenised corpus sentences (one per line), sample sentences by sample, statistics."""
    docs = list(read_corpus(args.limit))
    held = [d for d in docs if is_held_out(d[1])]
    held_lines = {line_key(l) for _, _, text in held for l in text.split("\n") if len(l.strip()) > 20}
    seen_docs, seen_lines = set(), set(held_lines)
    sentences, stats = [], Counter()
    for _, doc_id, text in docs:
        if is_held_out(doc_id):
            stats["held_out_docs"] += 1
            continue
        digest = hashlib.sha1(text.encode()).digest()
        if digest in seen_docs:
            stats["duplicate_docs"] += 1
            continue
        seen_docs.add(digest)
        stats["train_docs"] += 1
        for line in text.split("\n"):
            if len(line.strip()) > 20:
                key = line_key(line)
                if key in seen_lines:
                    stats["duplicate_lines"] += 1
                    continue
                seen_lines.add(key)
            toks = [sys.intern(t) for t in lm_tokens(line)]
            if toks:
                sentences.append(toks)
    domain = {}
    for name, text in sample_texts(set(args.exclude_sample)):
        domain[name[:3]] = [toks for toks in map(lm_tokens, text.split("\n")) if toks]
    if not args.no_admin:
        domain[ADMIN] = [toks for _, text in admin_texts() for toks in map(lm_tokens, text.split("\n")) if toks]
    stats["corpus_sentences"] = len(sentences)
    stats["corpus_tokens"] = sum(map(len, sentences))
    stats["domain_tokens"] = {k: sum(map(len, v)) for k, v in domain.items()}
    return sentences, domain, dict(stats)


def build_vocab(sentences, min_count: int) -> list[str]:
    counts = Counter(t for s in sentences for t in s)
    words = sorted((w for w, c in counts.items() if c >= min_count and w not in SPECIALS), key=lambda w: -counts[w])
    return list(SPECIALS) + words


def id_stream(sentences, vocab) -> np.ndarray:
    """<s> <s> w1 … wn </s> for every sentence, as one id array."""
    index = {w: i for i, w in enumerate(vocab)}
    bos, eos, unk = index[BOS], index[EOS], index[UNK]
    out = []
    for s in sentences:
        out.extend((bos, bos))
        out.extend(index.get(t, unk) for t in s)
        out.append(eos)
    return np.array(out, dtype=np.int64)


def discount(counts: np.ndarray) -> float:
    n1, n2 = np.sum(counts == 1), np.sum(counts == 2)
    return float(n1 / (n1 + 2 * n2)) if n1 + n2 else 0.5


def group_sums(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique sorted keys, the sum of values and the number of entries per key."""
    uniq, inv, n = np.unique(keys, return_inverse=True, return_counts=True)
    return uniq, np.bincount(inv, weights=values), n


def estimate(ids: np.ndarray, V: int, bos: int, eos: int, min_tri: int, min_bi: int) -> dict:
    """Interpolated Kneser-Ney estimates with count pruning, as lookup arrays."""
    u, v, w = ids[:-2], ids[1:-1], ids[2:]
    ok = (w != bos) & (u != eos) & (v != eos)
    tri, c3 = np.unique((u[ok] << 2 * SHIFT) | (v[ok] << SHIFT) | w[ok], return_counts=True)
    mask = (1 << SHIFT) - 1

    # Order 3: raw counts.
    d3 = discount(c3)
    ctx3 = tri >> SHIFT
    ctx_keys, ctx_total, ctx_types = group_sums(ctx3, c3.astype(np.float64))
    pos = np.searchsorted(ctx_keys, ctx3)
    a3 = np.maximum(c3 - d3, 0) / ctx_total[pos]
    keep3 = c3 >= min_tri
    kept_mass = np.bincount(pos[keep3], weights=a3[keep3], minlength=len(ctx_keys))
    ctx_g = 1.0 - kept_mass

    # Order 2: continuation counts N1+(. v w); contexts (<s> w) use raw counts.
    bi_all = tri & ((1 << 2 * SHIFT) - 1)
    bi, cc2 = np.unique(bi_all, return_counts=True)
    first = (bi >> SHIFT) == bos
    if first.any():
        sel = (tri >> 2 * SHIFT) == bos
        raw = np.bincount(np.searchsorted(bi, bi_all[sel]), weights=c3[sel], minlength=len(bi))
        cc2 = np.where(first, raw, cc2)
    d2 = discount(cc2)
    v2 = bi >> SHIFT
    tot2 = np.bincount(v2, weights=cc2, minlength=V)
    a2 = np.maximum(cc2 - d2, 0) / tot2[v2]
    keep2 = cc2 >= min_bi
    g2 = 1.0 - np.bincount(v2[keep2], weights=a2[keep2], minlength=V)
    g2[tot2 == 0] = 1.0

    # Order 1: continuation counts N1+(. w), interpolated with the uniform distribution.
    cc1 = np.bincount(bi & mask, minlength=V).astype(np.float64)
    d1 = discount(cc1[cc1 > 0])
    p1 = np.maximum(cc1 - d1, 0) / cc1.sum() + d1 * np.count_nonzero(cc1) / cc1.sum() / V

    return {
        "p1": p1.astype(np.float32),
        "g2": g2.astype(np.float32),
        "bi_keys": bi[keep2],
        "bi_a": a2[keep2].astype(np.float32),
        "tri_keys": tri[keep3],
        "tri_a": a3[keep3].astype(np.float32),
        "ctx_keys": ctx_keys[ctx_g < 1 - 1e-9],
        "ctx_g": ctx_g[ctx_g < 1 - 1e-9].astype(np.float32),
        "discounts": [d1, d2, d3],
        "types": [int(np.count_nonzero(cc1)), int(len(bi)), int(len(tri))],
    }


_CAPITALS = re.compile(r"(?<![\w])[A-ZĐÂĂÊÔƠƯ]{2,10}(?![\w])")


def abbreviation_table(min_count: int = 5, min_share: float = 0.95) -> dict[str, str]:
    """Capitalised abbreviations whose marks are lost when text is stripped (HĐND → HDND):
    stripped form → the form written in the training documents, when one form dominates."""
    from pipeline.text.vietnamese import is_stripped_syllable, strip_diacritics

    forms: dict[str, Counter] = {}
    for source in SOURCES:
        with gzip.open(CORPORA / f"{source}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if is_held_out(f"{source}/{rec['id']}"):
                    continue
                for word in _CAPITALS.findall(unicodedata.normalize("NFC", rec["text"])):
                    if not is_stripped_syllable(word):  # "DIEU" is ĐIỀU, left to the LM
                        forms.setdefault(strip_diacritics(word), Counter())[word] += 1
    for _, text in admin_texts():  # administrative abbreviations (LĐVP, ĐT) the statutes lack
        for word in _CAPITALS.findall(text):
            if not is_stripped_syllable(word):
                forms.setdefault(strip_diacritics(word), Counter())[word] += 1
    table = {}
    for key, counts in forms.items():
        form, n = counts.most_common(1)[0]
        if form != key and n >= min_count and n >= min_share * sum(counts.values()):
            table[key] = form
    return dict(sorted(table.items()))


def unigram_only(model: dict) -> dict:
    """The unigram baseline: every higher-order table emptied."""
    empty = np.zeros(0, dtype=np.int64)
    return {**model, "g2": np.ones_like(model["g2"]), "bi_keys": empty, "bi_a": np.zeros(0, np.float32),
            "tri_keys": empty, "tri_a": np.zeros(0, np.float32), "ctx_keys": empty, "ctx_g": np.zeros(0, np.float32)}


def save(out: Path, vocab: list[str], model: dict, meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    arrays = {k: v for k, v in model.items() if isinstance(v, np.ndarray)}
    np.savez(out / "lm.npz", **arrays)
    (out / "vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "lm")
    ap.add_argument("--limit", type=int, default=None, help="Documents per corpus file (quick runs).")
    ap.add_argument("--no-domain", action="store_true", help="Leave out the clean sample plans.")
    ap.add_argument("--exclude-sample", action="append", default=[], help="Leave out one sample (e.g. 001).")
    ap.add_argument("--domain-weight", type=int, default=3, help="Times each sample line is counted.")
    ap.add_argument("--admin-weight", type=int, default=3, help="Times each line of corpus/admin/train is counted.")
    ap.add_argument("--no-admin", action="store_true", help="Leave out corpus/admin/train.")
    ap.add_argument("--min-count", type=int, default=2, help="Vocabulary: minimum token count.")
    ap.add_argument("--min-tri", type=int, default=1,
                    help="Keep trigrams seen at least this often (1: all; 2 drops singletons, -0.25 points on garble dev pages).")
    ap.add_argument("--min-bi", type=int, default=1, help="Keep bigrams with this continuation count.")
    ap.add_argument("--unigram", action="store_true", help="Save the unigram baseline instead.")
    ap.add_argument("--variants", type=Path, default=None,
                    help="Also write the comparison models (no-domain, leave-one-sample-out, unigram) here.")
    ap.add_argument("--abbreviations-only", action="store_true",
                    help="Only (re)write abbreviations.json (stripped abbreviation → written form).")
    args = ap.parse_args()

    t0 = time.time()
    abbreviations = abbreviation_table()
    print(f"{len(abbreviations)} abbreviations in {time.time() - t0:.0f}s", flush=True)
    if args.abbreviations_only:
        save_abbreviations(args.out, abbreviations)
        return
    corpus, domain, stats = training_lines(args)
    print(f"read {stats} in {time.time() - t0:.0f}s", flush=True)
    if args.variants:
        variants = {
            "main": sorted(domain),
            "no-domain": [],
            **{f"no-{name}": [k for k in sorted(domain) if k != name] for name in domain},
        }
        for name, samples in variants.items():
            fit_and_save(args, corpus, domain, samples, args.variants / name, False, stats, t0)
            save_abbreviations(args.variants / name, abbreviations)
        fit_and_save(args, corpus, domain, sorted(domain), args.variants / "unigram", True, stats, t0)
        save_abbreviations(args.variants / "unigram", abbreviations)
    else:
        samples = [] if args.no_domain else sorted(domain)
        fit_and_save(args, corpus, domain, samples, args.out, args.unigram, stats, t0)
        save_abbreviations(args.out, abbreviations)


def save_abbreviations(out: Path, table: dict[str, str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "abbreviations.json").write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def fit_and_save(args, corpus, domain, samples: list[str], out: Path, unigram: bool, stats: dict, t0: float) -> None:
    """Estimate one model from the corpus plus the named samples and save it to `out`."""
    weight = {name: args.admin_weight if name == ADMIN else args.domain_weight for name in samples}
    sentences = corpus + [toks for name in samples for toks in domain[name] for _ in range(weight[name])]
    vocab = build_vocab(sentences, args.min_count)
    ids = id_stream(sentences, vocab)
    model = estimate(ids, len(vocab), vocab.index(BOS), vocab.index(EOS), args.min_tri, args.min_bi)
    if unigram:
        model = unigram_only(model)
    meta = {
        "kind": "unigram" if unigram else "trigram-interpolated-kneser-ney",
        "vocab": len(vocab),
        "bigrams": int(len(model["bi_keys"])),
        "trigrams": int(len(model["tri_keys"])),
        "discounts": model["discounts"],
        "ngram_types_before_pruning": model["types"],
        "domain_samples": samples,
        "training_tokens": int(len(ids)),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "data": stats,
    }
    save(out, vocab, model, meta)
    size = sum(f.stat().st_size for f in out.iterdir()) / 1e6
    print(json.dumps({k: meta[k] for k in ("kind", "vocab", "bigrams", "trigrams", "domain_samples", "training_tokens")},
                     ensure_ascii=False))
    print(f"saved {out} ({size:.1f} MB) at {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
