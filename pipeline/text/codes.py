"""Document numbers ('157-KH/TU', '38/2012/NQ-HĐND') and dates as headers write them, on folded text.

Matching runs on folded text (`pipeline.text.fold.fold`), which tolerates OCR that lost
diacritics; offsets are those of the original.
"""

from __future__ import annotations

import re
from datetime import date

# 'ĐẢNG CỘNG SẢN VIỆT NAM' as OCR may leave it, on folded text: 'PANG CONG SAN VIET NAM',
# 'DANG CQNG SAN VIDT NAM' (a letter misread in 'cộng' and 'việt').
OCR_PARTY_MOTTO = r"[dp]ang\s+c\w{2}g\s+san\s+vi\w[t]\s+nam"


# -------------------------------------------------------------------------- numbers
# A document number: digits, then '/' or '-' separated segments, at least one with letters:
# '157-KH/TU', '38/2012/NQ-HĐND', '07/2022/TT-BLĐTBXH', '29-CTr/TU'. A code broken at a
# line end after its hyphen ('27/2016/TT-\nBLĐTBXH') is one number.
NUMBER = r"\d{1,5}(?:(?:[/\-]|-[ \t]*\n[ \t]*)[0-9A-Za-zĐđƠơƯưÂâĂăÊêÔô]+)+"
NUMBER_RE = re.compile(NUMBER)


def clean_number(raw: str) -> str | None:
    """The number without line breaks, or None when no segment has letters."""
    number = re.sub(r"\s+", "", raw)
    return number if re.search(r"[^\W\d_]", number) else None


# ---------------------------------------------------------------------------- dates
# On folded text: 'ngay 23 thang 3 nam 2023', '23/3/2023', '23-3-2023', '23.3.2023'.
DATE_WORDS = r"(\d{1,2})\s+thang\s+(\d{1,2})\s+n\w?m\s+(\d{4})"  # 'ndm': a misread 'năm'
DATE_DIGITS = r"(\d{1,2})\s?(?P<sep>[/.\-])\s?(\d{1,2})\s?(?P=sep)\s?(\d{4})"
DATE_RE = re.compile(rf"(?:ngay\s+)?(?:{DATE_WORDS}|{DATE_DIGITS})")


def match_date(match: re.Match) -> str | None:
    """ISO form of a DATE_RE match, or None when it is not a real calendar date."""
    g = match.groups()
    day, month, year = (g[0], g[1], g[2]) if g[0] else (g[3], g[5], g[6])
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None
