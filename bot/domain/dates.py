"""Reading a calendar date someone typed: 2025-12-31, 2025/12/31, 2025.12.31, 2025年12月31日,
and without the year 12-31 or 12月31日.

Only these. Python's `date.fromisoformat` also takes ISO week dates (2027-W01-1), ordinal dates
(2027-001) and digit runs (20270101), which nobody means as a deadline.
"""

from __future__ import annotations

import re
from datetime import date

_FULL = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"),
)
_NO_YEAR = (
    re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"),
    re.compile(r"(\d{1,2})-(\d{1,2})"),
)
# In running text a date stands apart: no digit, letter or date separator right before or after
# it, so neither "2027-W01-1" nor "12027-01-015" yields a date.
_BEFORE = r"(?<![0-9A-Za-z\-/.])"
_AFTER = r"(?![0-9A-Za-z\-/月])"  # "3-4月" is a span of months, not 4 March
# Full-width digits and separators (２０２５－１２－３１) as typed on Chinese keyboards, one
# character for one, so positions in the normalised text are positions in the original.
_HALF = str.maketrans("０１２３４５６７８９－／．", "0123456789-/.")


def _normal(text: str) -> str:
    return text.translate(_HALF)


def _make(year: int | None, month: int, day: int, today: date | None) -> date | None:
    if year is None:
        if today is None:
            return None
        try:
            when = date(today.year, month, day)
        except ValueError:
            when = None  # 02-29 outside a leap year: perhaps the next year has it
        if when is None or when < today:
            try:
                when = date(today.year + 1, month, day)
            except ValueError:
                return None
        return when
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str, today: date | None = None) -> date | None:
    """The date `text` is, as a whole, or None. A date without its year is the next such day on or
    after `today`; without `today` only dates with a year are accepted."""
    text = _normal(text).strip()
    for pattern in _FULL:
        match = pattern.fullmatch(text)
        if match:
            return _make(int(match.group(1)), int(match.group(2)), int(match.group(3)), today)
    for pattern in _NO_YEAR:
        match = pattern.fullmatch(text)
        if match:
            return _make(None, int(match.group(1)), int(match.group(2)), today)
    return None


def find_date(text: str, today: date | None = None) -> tuple[date | None, str]:
    """The first date in running text and the text without it; (None, text) when there is none,
    or when what looks like a date is not a real day (2025-02-30)."""
    normal = _normal(text)
    for pattern in (*_FULL, *_NO_YEAR):
        match = re.search(_BEFORE + pattern.pattern + _AFTER, normal)
        if match is None:
            continue
        groups = [int(g) for g in match.groups()]
        year = groups[0] if len(groups) == 3 else None
        when = _make(year, groups[-2], groups[-1], today)
        if when is None:
            return None, text.strip()
        return when, (text[: match.start()] + text[match.end() :]).strip(" ，,。:：;；")
    return None, text.strip()
