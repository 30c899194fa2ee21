"""Write the TCVN3 (ABC) and VNI-Windows conversion tables to pipeline/data/{tcvn3,vni}.json.

Sources: TCVN 5712:1993 "VN3" (the ABC font set: lower-case letters plus seven capitals; its
.VnTimeH-style capital fonts reuse the lower-case codes) and the VNI-Windows font layout
(a base letter followed by a diacritic/tone byte). Codes are written as the characters a
PDF text layer or a Windows-1252 reader produces for those bytes (Latin-1 code points).

    nice -n 10 .venv/bin/python scripts/make_legacy_tables.py --docs 300
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "pipeline" / "data"

# Unicode letter -> TCVN3 byte, in the standard's order (the ABC table).
TCVN3_LETTERS = "àáảãạ ăằắẳẵặ âầấẩẫậ đ èéẻẽẹ êềếểễệ ìíỉĩị òóỏõọ ôồốổỗộ ơờớởỡợ ùúủũụ ưừứửữự ỳýỷỹỵ ĂÂĐÊÔƠƯ"
TCVN3_BYTES = [
    0xB5, 0xB8, 0xB6, 0xB7, 0xB9,
    0xA8, 0xBB, 0xBE, 0xBC, 0xBD, 0xC6,
    0xA9, 0xC7, 0xCA, 0xC8, 0xC9, 0xCB,
    0xAE,
    0xCC, 0xD0, 0xCE, 0xCF, 0xD1,
    0xAA, 0xD2, 0xD5, 0xD3, 0xD4, 0xD6,
    0xD7, 0xDD, 0xD8, 0xDC, 0xDE,
    0xDF, 0xE3, 0xE1, 0xE2, 0xE4,
    0xAB, 0xE5, 0xE8, 0xE6, 0xE7, 0xE9,
    0xAC, 0xEA, 0xED, 0xEB, 0xEC, 0xEE,
    0xEF, 0xF3, 0xF1, 0xF2, 0xF4,
    0xAD, 0xF5, 0xF8, 0xF6, 0xF7, 0xF9,
    0xFA, 0xFD, 0xFB, 0xFC, 0xFE,
    0xA1, 0xA2, 0xA7, 0xA3, 0xA4, 0xA5, 0xA6,
]

# VNI: tone bytes (grave, acute, hook, tilde, dot) after a plain vowel, and after a vowel
# carrying a circumflex or breve; lower-case forms, capitals use the upper-case byte.
VNI_TONES = {"\u0300": "ø", "\u0301": "ù", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
VNI_CIRCUMFLEX_TONES = {"": "â", "\u0300": "à", "\u0301": "á", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
VNI_BREVE_TONES = {"": "ê", "\u0300": "è", "\u0301": "é", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
VNI_SINGLE = {"ơ": "ô", "ư": "ö", "đ": "ñ", "ì": "ì", "í": "í", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ỵ": "î"}
VIETNAMESE_VOWELS = "aăâeêioôơuưy"


def tcvn3_table() -> dict[str, str]:
    letters = TCVN3_LETTERS.replace(" ", "")
    assert len(letters) == len(TCVN3_BYTES)
    return {chr(code): letter for letter, code in zip(letters, TCVN3_BYTES)}


def vni_lower(letter: str) -> str:
    """The VNI spelling of one lower-case Vietnamese letter."""
    if letter in VNI_SINGLE:
        return VNI_SINGLE[letter]
    decomposed = unicodedata.normalize("NFD", letter)
    base, marks = decomposed[0], decomposed[1:]
    tone = next((m for m in marks if m in VNI_TONES), "")
    shape = marks.replace(tone, "")
    if shape == "\u0302":  # circumflex
        return base + VNI_CIRCUMFLEX_TONES[tone]
    if shape == "\u0306":  # breve
        return base + VNI_BREVE_TONES[tone]
    if shape == "\u031b":  # horn: ơ ư carry the tone after them
        return VNI_SINGLE[unicodedata.normalize("NFC", base + shape)] + VNI_TONES.get(tone, "")
    return base + VNI_TONES.get(tone, "")


def vni_table() -> dict[str, str]:
    """VNI code sequence -> Unicode letter, for every letter with a diacritic, both cases."""
    table = {}
    for vowel in VIETNAMESE_VOWELS + "đ":
        forms = [vowel] if vowel == "đ" else [
            unicodedata.normalize("NFC", vowel + tone) for tone in ("", *VNI_TONES)
        ]
        for letter in forms:
            code = vni_lower(letter)
            if code != letter:
                table[code] = letter
                table[code.upper()] = letter.upper()
    return table


def tcvn3_capitalised(limit_docs: int) -> dict[str, int]:
    """Words (or word pairs) that TCVN3 cannot tell apart by case and that training text writes
    capitalised in mid-sentence most of the time ("Ủy ban", "Úc"), with how often.

    An accented capital outside the seven TCVN3 capitals (Ă Â Đ Ê Ô Ơ Ư) shares its code with
    the small letter, so the case must come from usage.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ocr_common import corpus_documents  # not the sample plans: the round trip is measured on them

    representable = set(TCVN3_LETTERS.replace(" ", ""))
    ambiguous = {c.upper() for c in TCVN3_LETTERS.replace(" ", "") if c.islower() and c.upper() not in representable}
    word = re.compile(r"(?<=[^\W\d_,] )(\w+)(?: (\w+))?")  # a word after a word: mid-sentence
    upper, lower = Counter(), Counter()
    documents = []
    for index, document in enumerate(corpus_documents("train")):
        if index >= limit_docs:
            break
        documents.append(document)
    for _, text in documents:
        for match in word.finditer(text):
            first, second = match.group(1), (match.group(2) or "").lower()
            if first[0].upper() not in ambiguous and first[0] not in ambiguous:
                continue
            if first[0] in ambiguous and not first.isupper():
                upper[f"{first.lower()} {second}"] += 1
                upper[first.lower()] += 1
            elif first[0].islower():
                lower[f"{first.lower()} {second}"] += 1
                lower[first.lower()] += 1
    # a word pair when the pair decides; a single word only when it is never written in small letters
    return {
        key: n for key, n in sorted(upper.items())
        if n >= 5 and n > 2 * lower[key] and not key.endswith(" ") and (" " in key or not lower[key])
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300, help="training documents read for capitalisation")
    args = parser.parse_args()
    for name, table, note in (
        ("tcvn3", tcvn3_table(), "TCVN 5712:1993 VN3 (ABC fonts such as .VnTime): code character -> Unicode. "
         "capitalised: words/word pairs written capitalised mid-sentence in training text (see make_legacy_tables.py)."),
        ("vni", vni_table(), "VNI-Windows fonts: code sequence (base letter + diacritic byte) -> Unicode."),
    ):
        path = DATA / f"{name}.json"
        content = {"_comment": note, "table": table}
        if name == "tcvn3":
            content["capitalised"] = tcvn3_capitalised(args.docs)
        path.write_text(json.dumps(content, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{path}: {len(table)} entries")


if __name__ == "__main__":
    main()
