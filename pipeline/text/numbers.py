"""Vietnamese numbers, ranges, years and dates.

Vietnamese writes thousands with a dot and decimals with a comma: "1.800" is 1800,
"2,5" is 2.5, "02" is 2. Dates appear as "20/6/2021", "20-6-2021" or
"ngày 20 tháng 6 năm 2021".
"""

from __future__ import annotations

import re
from datetime import date

# a number: 1.800 / 514.295 / 2,5 / 02 / 80 (thousands groups need exactly three digits)
NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
NUMBER_RE = re.compile(rf"(?<![\d.,/])(?:{NUMBER})(?![\d/]|[.,]\d)")
RANGE_DASH = r"\s*[-–—]\s*|\s+(?:đến|tới)\s+"

SLASH_DATE = re.compile(r"(?<![\d/])(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*((?:19|20)\d{2})(?!\d)")
WORDY_DATE = re.compile(
    r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+((?:19|20)\d{2})(?!\d)", re.IGNORECASE
)
YEAR = r"(?:19|20)\d{2}"


def parse_number(token: str) -> float:
    """'1.800' → 1800.0, '2,5' → 2.5, '02' → 2.0."""
    token = token.strip()
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        token = token.replace(".", "")
    return float(token.replace(",", "."))


def iso_date(day: str | int, month: str | int, year: str | int) -> str | None:
    """ISO date for day/month/year, or None when it is not a calendar date."""
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def find_dates(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """(start, end, ISO date) of every date in `text[start:end]`, in order."""
    end = len(text) if end is None else end
    found = []
    for pattern in (SLASH_DATE, WORDY_DATE):
        for m in pattern.finditer(text, start, end):
            value = iso_date(*m.groups())
            if value:
                found.append((m.start(), m.end(), value))
    return sorted(found)


# periods: "giai đoạn 2021 - 2025", "từ năm 2021 đến năm 2025", "đến năm 2030", "năm 2021"
_PERIOD_PATTERNS = (
    (re.compile(rf"giai\s+đoạn\s+(?:từ\s+)?(?:năm\s+)?({YEAR})\s*(?:[-–—]|đến|tới)\s*(?:năm\s+)?({YEAR})", re.I), "range"),
    (re.compile(rf"từ\s+năm\s+({YEAR})\s+(?:đến|tới)\s+(?:năm\s+)?({YEAR})", re.I), "range"),
    (re.compile(rf"(?:đến|tới|trước|hết)\s+năm\s+({YEAR})", re.I), "until"),
    (re.compile(rf"(?<![/\d])năm\s+({YEAR})(?!\d)", re.I), "year"),
)


def find_period(text: str) -> tuple[int | None, int | None]:
    """(period_start, period_end) named in `text`, the most specific pattern first."""
    for pattern, kind in _PERIOD_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        if kind == "range":
            return int(m.group(1)), int(m.group(2))
        if kind == "until":
            return None, int(m.group(1))
        return int(m.group(1)), int(m.group(1))
    return None, None
