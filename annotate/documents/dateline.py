"""Reading the dateline at the top of an article: "PARIS, March 4, 2025 —",
"Paris, le 4 mars 2025", "4 March 2025", "Mar. 4, 2025 (Reuters) -".

Only the first few lines are read, and only a date that sits near the start of its line:
a date quoted in the body of the article is not its publication date.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

FIRST_LINES = 3
NEAR_START = 60

MONTHS: dict[str, int] = {
    # English, full and abbreviated
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
    # French
    "janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "mars": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "août": 8,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
    "decembre": 12, "déc": 12,
}  # fmt: skip

_MONTH = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
MONTH_FIRST = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
DAY_FIRST = re.compile(rf"\b(\d{{1,2}})(?:er|st|nd|rd|th)?\s+({_MONTH})\.?,?\s+(\d{{4}})\b", re.I)


def _date(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), MONTHS[month.lower()], int(day))
    except (ValueError, KeyError):
        return None


def _first_lines(text: str, count: int) -> list[str]:
    """The first `count` non-blank lines of `text.splitlines()`, split from a growing
    prefix of the text rather than from all of it (an article can be megabytes long)."""
    size = 4096
    while True:
        lines = text[:size].splitlines()
        whole = size >= len(text)
        if not whole:
            lines.pop()  # it may go on past the cut
        found = [line for line in lines if line.strip()][:count]
        if len(found) == count or whole:
            return found
        size *= 4


def dateline_date(text: str) -> tuple[dt.date | None, Literal["day"] | None]:
    """The date of the article's dateline, with its precision, or (None, None)."""
    lines = _first_lines(text, FIRST_LINES)
    for line in lines:
        found = []
        for match in MONTH_FIRST.finditer(line):
            found.append((match.start(), _date(match[3], match[1], match[2])))
        for match in DAY_FIRST.finditer(line):
            found.append((match.start(), _date(match[3], match[2], match[1])))
        for start, date in sorted(found, key=lambda f: f[0]):
            if start <= NEAR_START and date is not None:
                return date, "day"
    return None, None
