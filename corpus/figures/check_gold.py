#!/usr/bin/env python3
"""Check the figures dev/test set (stdlib only).

Usage: python3 corpus/figures/check_gold.py [--heldout PATH]

Checks that every id in split.json has its .txt and .json in the folder of its
split, that dev and test share no province, that every quote occurs in the text
at least `occurrence` times, that the field values come from the allowed sets,
and (when the held-out address list is present) that no source page is one of
the held-out pages. Prints counts per split. Exits 1 on any error.
"""
import argparse
import collections
import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = {"target", "achieved", "statistic", "budget"}
UNITS = {"person", "percent", "VND", "household", "course", "enterprise", "other"}
METRICS = {"workers_sent", "trained", "jobs", "labour_force", "budget", "quota", "other"}
COMPARATORS = {"=", ">", ">=", "<", "<=", "≈"}
GENRES = {"ke_hoach", "quyet_dinh", "chuong_trinh", "bao_cao", "press"}
FIG_KEYS = {"kind", "quote", "occurrence", "value", "value_max", "unit", "percent_of", "comparator",
            "period_start", "period_end", "per_year", "scope", "metric"}
OPTIONAL_FIG_KEYS = {"note"}
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def norm_url(u):
    u = re.sub(r"^https?://", "", u.strip(), flags=re.I)
    return u.rstrip("/")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heldout", default="/work/shared/heldout/addresses.txt")
    args = ap.parse_args()

    errors = []
    err = errors.append
    split = json.load(open(os.path.join(HERE, "split.json"), encoding="utf-8"))
    by_prov = split["by_province"]
    dev, test = split["dev"], split["test"]
    if set(dev) & set(test):
        err(f"ids in both splits: {sorted(set(dev) & set(test))}")
    if len(set(dev)) != len(dev) or len(set(test)) != len(test):
        err("duplicate ids in split.json")

    held = set()
    if args.heldout and os.path.exists(args.heldout):
        held = {norm_url(l) for l in open(args.heldout, encoding="utf-8") if l.strip() and not l.startswith("#")}

    sources = {}
    tsv = os.path.join(HERE, "sources.tsv")
    if os.path.exists(tsv):
        rows = [l.rstrip("\n").split("\t") for l in open(tsv, encoding="utf-8")][1:]
        sources = {r[0]: r for r in rows if r and r[0]}

    stats = {}
    provinces = {}
    for name, ids in (("dev", dev), ("test", test)):
        kinds = collections.Counter()
        genres = collections.Counter()
        provs = set()
        nfig = 0
        for i in ids:
            base = os.path.join(HERE, name, i)
            if not os.path.exists(base + ".txt") or not os.path.exists(base + ".json"):
                err(f"{name}/{i}: missing .txt or .json")
                continue
            text = open(base + ".txt", encoding="utf-8").read()
            if unicodedata.normalize("NFC", text) != text:
                err(f"{i}: text is not NFC")
            gold = json.load(open(base + ".json", encoding="utf-8"))
            if gold.get("id") != i:
                err(f"{i}: id field is {gold.get('id')!r}")
            prov = gold.get("province")
            provs.add(prov)
            provinces.setdefault(prov, set()).add(name)
            if by_prov.get(prov) != name:
                err(f"{i}: province {prov!r} is assigned to {by_prov.get(prov)!r} in split.json, file is in {name}")
            if gold.get("genre") not in GENRES:
                err(f"{i}: genre {gold.get('genre')!r}")
            genres[gold.get("genre")] += 1
            dd = gold.get("document_date")
            if dd is not None and not DATE.match(dd):
                err(f"{i}: document_date {dd!r}")
            url = gold.get("url") or ""
            if not url.startswith("http"):
                err(f"{i}: url {url!r}")
            if norm_url(url) in held:
                err(f"{i}: source page is a held-out page: {url}")
            if sources:
                if i not in sources:
                    err(f"{i}: not in sources.tsv")
                elif sources[i][4] != url or sources[i][1] != prov:
                    err(f"{i}: sources.tsv disagrees on url or province")
            figs = gold.get("figures") or []
            if not figs:
                err(f"{i}: no figures")
            if not any(f.get("kind") in ("target", "achieved") for f in figs):
                err(f"{i}: no target or achieved figure")
            for n, f in enumerate(figs):
                where = f"{i} figure {n} ({f.get('quote')!r})"
                keys = set(f)
                if FIG_KEYS - keys:
                    err(f"{where}: missing {sorted(FIG_KEYS - keys)}")
                if keys - FIG_KEYS - OPTIONAL_FIG_KEYS:
                    err(f"{where}: unknown keys {sorted(keys - FIG_KEYS - OPTIONAL_FIG_KEYS)}")
                if f.get("kind") not in KINDS:
                    err(f"{where}: kind {f.get('kind')!r}")
                if f.get("unit") not in UNITS:
                    err(f"{where}: unit {f.get('unit')!r}")
                if f.get("metric") not in METRICS:
                    err(f"{where}: metric {f.get('metric')!r}")
                if f.get("comparator") not in COMPARATORS:
                    err(f"{where}: comparator {f.get('comparator')!r}")
                q, occ = f.get("quote"), f.get("occurrence")
                if not isinstance(q, str) or not q or not re.search(r"\d|ba lần|gấp đôi", q):
                    err(f"{where}: quote has no number")
                elif not isinstance(occ, int) or occ < 1 or text.count(q) < occ:
                    err(f"{where}: quote found {text.count(q) if isinstance(q, str) else 0} times, occurrence {occ}")
                v, vm = f.get("value"), f.get("value_max")
                if not isinstance(v, (int, float)) or isinstance(v, bool):
                    err(f"{where}: value {v!r}")
                if vm is not None and (not isinstance(vm, (int, float)) or vm < v):
                    err(f"{where}: value_max {vm!r}")
                if (f.get("unit") == "percent") != (f.get("percent_of") is not None):
                    err(f"{where}: percent_of must be set exactly for percent figures")
                ps, pe = f.get("period_start"), f.get("period_end")
                for p in (ps, pe):
                    if p is not None and not (isinstance(p, int) and 1990 <= p <= 2100):
                        err(f"{where}: period {p!r}")
                if ps is not None and pe is not None and pe < ps:
                    err(f"{where}: period_end before period_start")
                if not isinstance(f.get("per_year"), bool):
                    err(f"{where}: per_year")
                if not f.get("scope"):
                    err(f"{where}: empty scope")
                kinds[f.get("kind")] += 1
                nfig += 1
        stats[name] = dict(texts=len(ids), provinces=len(provs), figures=nfig, kinds=dict(kinds), genres=dict(genres))

    for prov, s in provinces.items():
        if len(s) > 1:
            err(f"province {prov!r} in both splits")
    for name in ("dev", "test"):
        d = os.path.join(HERE, name)
        if os.path.isdir(d):
            listed = set(dev if name == "dev" else test)
            for fn in os.listdir(d):
                if os.path.splitext(fn)[0] not in listed:
                    err(f"{name}/{fn}: not listed in split.json under {name}")

    for name, s in stats.items():
        k = s["kinds"]
        print(f"{name}: {s['texts']} texts, {s['provinces']} provinces, {s['figures']} figures "
              f"(target {k.get('target', 0)}, achieved {k.get('achieved', 0)}, "
              f"statistic {k.get('statistic', 0)}, budget {k.get('budget', 0)}); genres {s['genres']}")
    if errors:
        print(f"{len(errors)} error(s):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
