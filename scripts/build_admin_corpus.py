"""Build corpus/admin/ (train/heldout split by site) from collected page excerpts.

    /work/main/.venv/bin/python scripts/build_admin_corpus.py STAGING_DIR [--seed 7]

Input: text files of records, each opened by a line
    @@ url=<page address> genre=<ke_hoach|bao_cao|cong_van|quyet_dinh> issuer=<issuing body>
followed by the document text as the stored page gave it (site furniture such as menus,
metadata tables and "loading" lines left out when the excerpt was transcribed).

What it does:
  * NFC; trailing spaces dropped; runs of blank lines cut to one; the excerpt's last word
    dropped when the page excerpt stops in the middle of it (no final punctuation);
  * refuses any address listed in /work/shared/heldout/addresses.txt (compared without
    http/https, "www." and a trailing slash) and any document whose text is stripped of marks;
  * drops exact duplicates (same normalised text);
  * site = the registrable part of the host (m.thuvienphapluat.vn → thuvienphapluat.vn;
    hethongphapluat.vn and ls1.hethongphapluat.com are one site "hethongphapluat"; every
    *.gov.vn host of one province is that province's site, e.g. vpubnd.quangnam.gov.vn and
    skhdt.quangnam.gov.vn → "quangnam.gov.vn", and *.hue.gov.vn counts as
    *.thuathienhue.gov.vn, the same portals renamed), so held-out documents share no site
    with training documents;
  * split: whole sites go to heldout; among 200,000 seeded random site subsets it keeps the
    one closest to 30 % of the syllables in heldout for every genre (squared error of each
    genre's share, plus the total's), requiring every genre to have heldout documents;
  * writes corpus/admin/{train,heldout}/<genre>/<id>.txt and corpus/admin/sources.tsv.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "corpus" / "admin"
HELDOUT_LIST = Path("/work/shared/heldout/addresses.txt")
GENRES = ("ke_hoach", "bao_cao", "cong_van", "quyet_dinh")
WORD = re.compile(r"\w+")
HEADER = re.compile(r"^@@ url=(\S+) genre=(\w+) issuer=(.*)$")
# Hosts that are one operator under several names.
SITE_ALIASES = {"hethongphapluat.com": "hethongphapluat", "hethongphapluat.vn": "hethongphapluat",
                "hue.gov.vn": "thuathienhue.gov.vn"}  # Huế's portals moved from thuathienhue.gov.vn
TWO_LEVEL = ("com.vn", "org.vn", "net.vn", "edu.vn", "gov.vn")


def address_key(url: str) -> str:
    url = re.sub(r"^https?://", "", url.strip())
    url = re.sub(r"^www\.", "", url)
    return url.rstrip("/")


def site_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    host = host.lower().removeprefix("www.")
    parts = host.split(".")
    if host.endswith(".gov.vn") and len(parts) >= 3:
        return ".".join(parts[-3:])  # a province (or ministry) portal and all its sub-sites
    for suffix in TWO_LEVEL:
        if host.endswith("." + suffix):
            key = ".".join(parts[-3:])
            break
    else:
        key = ".".join(parts[-2:])
    return SITE_ALIASES.get(key, key)


def syllables(text: str) -> int:
    return sum(1 for w in WORD.findall(text) if any(ch.isalpha() for ch in w))


def is_stripped(text: str) -> bool:
    """No Vietnamese marks at all in a text of some length: a stripped copy, not wanted."""
    letters = [ch for ch in unicodedata.normalize("NFD", text) if ch.isalpha() or unicodedata.combining(ch)]
    marked = sum(1 for ch in letters if unicodedata.combining(ch)) + text.count("đ") + text.count("Đ")
    return len(letters) > 200 and marked / len(letters) < 0.02


def clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    lines = [l.rstrip() for l in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    if out and not re.search(r"[.;:!?)\"”’/|]$", out[-1]):
        last = out[-1].rsplit(None, 1)
        out[-1] = last[0] if len(last) == 2 else ""
        while out and not out[-1].strip():
            out.pop()
    return "\n".join(out) + "\n"


def read_staging(folder: Path, forbidden: set[str]):
    docs, skipped, seen = [], Counter(), set()
    for path in sorted(folder.glob("*.txt")):
        record = None
        for line in path.read_text(encoding="utf-8").split("\n") + ["@@ end"]:
            if line.startswith("@@"):
                if record is not None:
                    docs.append(record)
                m = HEADER.match(line)
                record = None if m is None else {"url": m[1], "genre": m[2], "issuer": m[3].strip(), "lines": []}
                if line != "@@ end" and m is None:
                    raise SystemExit(f"{path}: bad header {line!r}")
            elif record is not None:
                record["lines"].append(line)
    out = []
    for d in docs:
        if d["genre"] not in GENRES:
            raise SystemExit(f"unknown genre {d['genre']} for {d['url']}")
        if address_key(d["url"]) in forbidden:
            skipped["held-out address list"] += 1
            continue
        text = clean("\n".join(d["lines"]))
        if is_stripped(text):
            skipped["stripped of marks"] += 1
            continue
        key = hashlib.sha1(text.encode()).hexdigest()
        if key in seen or address_key(d["url"]) in seen:
            skipped["duplicate"] += 1
            continue
        seen.update({key, address_key(d["url"])})
        d["text"] = text
        d["site"] = site_of(d["url"])
        d["syllables"] = syllables(text)
        d["id"] = f"{d['genre']}_{hashlib.sha1(d['url'].encode()).hexdigest()[:10]}"
        out.append(d)
    return out, skipped


def choose_split(docs, seed: int, share: float = 0.30, tries: int = 200_000):
    per_site: dict[str, Counter] = defaultdict(Counter)
    for d in docs:
        per_site[d["site"]][d["genre"]] += d["syllables"]
    sites = sorted(per_site)
    totals = Counter()
    for c in per_site.values():
        totals.update(c)
    grand = sum(totals.values())
    rng = random.Random(seed)
    best, best_score = None, float("inf")
    for _ in range(tries):
        p = rng.uniform(0.1, 0.5)
        pick = [s for s in sites if rng.random() < p]
        held = Counter()
        for s in pick:
            held.update(per_site[s])
        if any(held[g] == 0 for g in GENRES if totals[g]):
            continue
        score = sum((held[g] / totals[g] - share) ** 2 for g in GENRES if totals[g])
        score += (sum(held.values()) / grand - share) ** 2
        if score < best_score:
            best, best_score = set(pick), score
    return best or set()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("staging", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    forbidden = {address_key(l) for l in HELDOUT_LIST.read_text(encoding="utf-8").splitlines()
                 if l.strip() and not l.startswith("#")}
    docs, skipped = read_staging(args.staging, forbidden)
    held_sites = choose_split(docs, args.seed)
    for split in ("train", "heldout"):
        for g in GENRES:
            folder = OUT / split / g
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.txt"):
                old.unlink()
    rows = []
    for d in sorted(docs, key=lambda d: (d["genre"], d["id"])):
        split = "heldout" if d["site"] in held_sites else "train"
        d["split"] = split
        (OUT / split / d["genre"] / f"{d['id']}.txt").write_text(d["text"], encoding="utf-8")
        rows.append("\t".join([d["id"], d["genre"], d["issuer"], d["url"], split, str(d["syllables"])]))
    (OUT / "sources.tsv").write_text("id\tgenre\tissuer\turl\tsplit\tsyllables\n" + "\n".join(rows) + "\n",
                                     encoding="utf-8")
    table = Counter()
    ndocs = Counter()
    for d in docs:
        table[(d["genre"], d["split"])] += d["syllables"]
        ndocs[(d["genre"], d["split"])] += 1
    print("genre        train docs/syll   heldout docs/syll   heldout share")
    for g in GENRES:
        tr, he = table[(g, "train")], table[(g, "heldout")]
        print(f"{g:12} {ndocs[(g, 'train')]:4d} {tr:7d}   {ndocs[(g, 'heldout')]:4d} {he:7d}   "
              f"{he / max(1, tr + he):.2f}")
    print(f"total {len(docs)} documents, {sum(table.values())} syllables; "
          f"{len({d['site'] for d in docs})} sites, heldout sites: {sorted(held_sites)}")
    print(f"skipped: {dict(skipped)}")


if __name__ == "__main__":
    main()
