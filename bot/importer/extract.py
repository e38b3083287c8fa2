"""Per-task extraction: deadlines, reporting rhythm, quantitative targets."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from .text import cn_to_int

_BOOK = re.compile(r"《[^《》]*》")


def mask_titles(text: str) -> str:
    """Blank out 《…》 titles (dates/numbers inside cited document names are not targets)."""
    return _BOOK.sub(lambda m: "《" + "　" * (len(m.group(0)) - 2) + "》", text)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _safe(fn, *args) -> date | None:
    try:
        return fn(*args)
    except (ValueError, TypeError, OverflowError):
        return None


_NUM = r"(\d{1,3}|[一二两三四五六七八九十百]{1,4})"
_BEFORE = r"(?:前|之前|以前)"
DUE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ymd", re.compile(rf"(\d{{4}})年(\d{{1,2}})月(\d{{1,2}})日{_BEFORE}")),
    ("ym_end", re.compile(rf"(\d{{4}})年(\d{{1,2}})月(?:底|末){_BEFORE}?")),
    ("ym_before", re.compile(rf"(\d{{4}})年(\d{{1,2}})月{_BEFORE}")),
    ("yq", re.compile(rf"(\d{{4}})年(?:第)?([一二三四1-4])季度(?:末|底)?{_BEFORE}?")),
    ("yh1", re.compile(rf"(\d{{4}})年上半年(?:底|末)?{_BEFORE}?")),
    ("y_end", re.compile(rf"(\d{{4}})年(?:年)?(?:底|末)(?:{_BEFORE})?")),
    ("y_before", re.compile(rf"(\d{{4}})年{_BEFORE}")),
    ("by_y", re.compile(r"(?:到|至|于|在)(\d{4})年(?![\d底末上下第一二三四五六七八九十0-9月])")),
    ("md", re.compile(rf"(?<![\d年])(\d{{1,2}})月(\d{{1,2}})日{_BEFORE}")),
    ("m_end", re.compile(rf"(?<![\d年])(\d{{1,2}})月(?:底|末){_BEFORE}?")),
    (
        "relative",
        re.compile(rf"(?:印发|发布|公布|下发|实施|施行)(?:之日起|后|起){_NUM}(个)?(日|天|工作日|周|月)内"),
    ),
    ("year_end", re.compile(rf"(?<![\d〇零一二三四五六七八九])(?:年底|年末){_BEFORE}?|年内")),
    ("h1", re.compile(rf"(?<![\d年])上半年(?:底|末)?{_BEFORE}?")),
]


def _add_working_days(start: date, n: int) -> date:
    day = start
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def _first_month_end_on_or_after(month: int, day: int | None, ref: date) -> date | None:
    for year in (ref.year, ref.year + 1):
        candidate = _safe(date, year, month, day) if day else _safe(_month_end, year, month)
        if candidate and candidate >= ref:
            return candidate
    return None


def find_due(text: str, issued_on: date | None) -> tuple[date | None, str | None, bool]:
    """Earliest deadline in ``text`` → (date, phrase, needs_issue_date_but_missing)."""
    masked = mask_titles(text)
    found: list[tuple[date, int, str]] = []
    taken: list[tuple[int, int]] = []
    missing_issue = False
    for kind, pattern in DUE_PATTERNS:
        for m in pattern.finditer(masked):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            g = m.groups()
            value: date | None = None
            if kind == "ymd":
                value = _safe(date, int(g[0]), int(g[1]), int(g[2]))
            elif kind == "ym_end":
                value = _safe(_month_end, int(g[0]), int(g[1]))
            elif kind == "ym_before":
                y, mo = int(g[0]), int(g[1])
                value = _safe(_month_end, y - 1, 12) if mo == 1 else _safe(_month_end, y, mo - 1)
            elif kind == "yq":
                q = cn_to_int(g[1]) if not g[1].isdigit() else int(g[1])
                value = _safe(_month_end, int(g[0]), 3 * q) if q else None
            elif kind == "yh1":
                value = _safe(date, int(g[0]), 6, 30)
            elif kind in ("y_end", "y_before", "by_y"):
                value = _safe(date, int(g[0]), 12, 31)
            elif kind in ("md", "m_end", "relative", "year_end", "h1"):
                if issued_on is None:
                    missing_issue = True
                    taken.append(m.span())
                    continue
                if kind == "md":
                    value = _first_month_end_on_or_after(int(g[0]), int(g[1]), issued_on)
                elif kind == "m_end":
                    value = _first_month_end_on_or_after(int(g[0]), None, issued_on)
                elif kind == "year_end":
                    value = date(issued_on.year, 12, 31)
                elif kind == "h1":
                    value = date(issued_on.year, 6, 30)
                else:
                    n = cn_to_int(g[0]) or 0
                    unit = g[2]
                    if unit in ("日", "天"):
                        value = issued_on + timedelta(days=n)
                    elif unit == "工作日":
                        value = _add_working_days(issued_on, n)
                    elif unit == "周":
                        value = issued_on + timedelta(weeks=n)
                    else:
                        month_index = issued_on.month - 1 + n
                        y, mo = issued_on.year + month_index // 12, month_index % 12 + 1
                        value = date(y, mo, min(issued_on.day, calendar.monthrange(y, mo)[1]))
            taken.append(m.span())
            if value is not None:
                found.append((value, m.start(), text[m.start() : m.end()]))
    if not found:
        return None, None, missing_issue
    value, _, phrase = min(found)
    return value, phrase, False


_RHYTHM = re.compile(r"每半年|每季度|按季度|每个?季|每个?月|按月|每周|每星期|每一?年度?|按年度|长期坚持")


def find_rhythm(text: str) -> str | None:
    m = _RHYTHM.search(text)
    if not m:
        return None
    word = m.group(0)
    if word == "每半年":
        return "semiannual"
    if "季" in word:
        return "quarterly"
    if "月" in word:
        return "monthly"
    if "周" in word or "星期" in word:
        return "weekly"
    if word == "长期坚持":
        return "ongoing"
    return "yearly"


_QUAL = (
    r"最高不超过|最低不低于|不低于|不少于|不超过|不高于|不多于|最高|最低|至少|超过|达到|突破|力争|累计|新增|"
    r"投资|产值|营收|营业收入|规模|提高|提升|增长|降低|下降|减少|培育|打造|建成|引进|创建|超|达|约|近"
)
_UNIT = (
    r"个百分点|万千瓦时|千瓦时|万千瓦|千瓦|GWh|GW|MWh|MW|万亿元|亿元|万元|元|万吨|吨|%|％|家|个|项|户|座|所|名|"
    r"万人|人次|人|万亩|亩|平方米|公里|倍|条|台|辆|套|件"
)
_TARGET = re.compile(
    rf"((?:{_QUAL}){{0,2}})"
    rf"(\d+(?:\.\d+)?(?:万|亿)?|[一二两三四五六七八九十百千]+(?:万|亿)?)"
    rf"({_UNIT})"
    r"(以上|以下|左右|以内)?"
)


def find_targets(text: str) -> list[str]:
    """Quantitative phrases: 不低于200万元, 投资10亿元以上, 超100亿元, 达到30%, 5家 …"""
    masked = mask_titles(text)
    out: dict[str, None] = {}
    for m in _TARGET.finditer(masked):
        qual, number = m.group(1), m.group(2)
        if not number[0].isdigit() and not qual:
            continue  # Chinese numerals need a qualifier ("培育五家"), else "两个方面" would count
        start = m.start()
        if start > 0 and masked[start - 1].isdigit():
            continue
        phrase = text[m.start() : m.end()]
        out.setdefault(phrase, None)
    return list(out)


# --- recurring deadlines ----------------------------------------------------------------
_FROM = re.compile(r"(?:从|自|自从)(\d{4})年(?:(?:第)?([一二三四1-4])季度|(\d{1,2})月)?(?:起|开始|以来)")
_REC_YEAR = re.compile(rf"每年(?:度)?的?(\d{{1,2}})月(?:(底|末)|(\d{{1,2}})日)(?:{_BEFORE})?")
_REC_QUARTER = re.compile(
    rf"每(?:个)?季度(?:的)?(?:(末|底|结束前|结束后(\d{{1,2}})日内)|(?:最后一个月|末月)的?(\d{{1,2}})日(?:{_BEFORE})?|"
    rf"(?:第一个月|首月)的?(\d{{1,2}})日(?:{_BEFORE})?)?"
)
_REC_MONTH = re.compile(rf"每(?:个)?月(?:的)?(?:(底|末)|(\d{{1,2}})日)(?:{_BEFORE})?")
_REC_HALF = re.compile(r"每半年(?:末|底)?")


def find_recurring(text: str, issued_on: date | None) -> tuple[str, date | None, str] | None:
    """A recurring deadline → (rhythm, first due date or None, phrase).

    "从2019年起，每年2月底前" → yearly, 2019-02-28; "每季度末" → quarterly, the first quarter end on or
    after the issue date; "每月5日前" → monthly, the first 5th on or after it; "每季度最后一个月的30日前".
    Without a start year ("从…起") the first occurrence counts from the issue date (none without it).
    """
    if "每" not in text:
        return None
    masked = mask_titles(text)
    start = _FROM.search(masked)
    ref = issued_on
    if start:
        year = int(start.group(1))
        month = 1
        if start.group(2):
            q = int(start.group(2)) if start.group(2).isdigit() else (cn_to_int(start.group(2)) or 1)
            month = 3 * q - 2
        elif start.group(3):
            month = int(start.group(3))
        ref = _safe(date, year, month, 1) or issued_on

    def first_on_or_after(candidates: list[date | None]) -> date | None:
        good = sorted(d for d in candidates if d is not None and ref is not None and d >= ref)
        return good[0] if good else None

    m = _REC_YEAR.search(masked)
    if m:
        mo = int(m.group(1))
        first = None
        if ref is not None:
            first = first_on_or_after(
                [
                    (_safe(_month_end, y, mo) if m.group(2) else _safe(date, y, mo, int(m.group(3))))
                    for y in (ref.year, ref.year + 1)
                ]
            )
        return "yearly", first, text[(start or m).start() : m.end()]
    m = _REC_QUARTER.search(masked)
    if m:
        first = None
        if ref is not None:
            days: list[date | None] = []
            for y in (ref.year, ref.year + 1):
                for q in range(1, 5):
                    end_month = 3 * q
                    if m.group(3):
                        days.append(_safe(date, y, end_month, int(m.group(3))))
                    elif m.group(4):
                        days.append(_safe(date, y, end_month - 2, int(m.group(4))))
                    elif m.group(2):
                        end = _safe(_month_end, y, end_month)
                        days.append(end + timedelta(days=int(m.group(2))) if end else None)
                    else:
                        days.append(_safe(_month_end, y, end_month))
            first = first_on_or_after(days) if (m.group(1) or m.group(3) or m.group(4)) else None
        return "quarterly", first, text[(start or m).start() : m.end()]
    m = _REC_MONTH.search(masked)
    if m:
        first = None
        if ref is not None and (m.group(1) or m.group(2)):
            days = []
            for k in range(0, 3):
                idx = ref.month - 1 + k
                y, mo = ref.year + idx // 12, idx % 12 + 1
                days.append(_safe(_month_end, y, mo) if m.group(1) else _safe(date, y, mo, int(m.group(2))))
            first = first_on_or_after(days)
        return "monthly", first, text[(start or m).start() : m.end()]
    m = _REC_HALF.search(masked)
    if m:
        first = None
        if ref is not None and m.group(0) != "每半年":
            first = first_on_or_after(
                [_safe(date, y, mo, d) for y in (ref.year, ref.year + 1) for mo, d in ((6, 30), (12, 31))]
            )
        return "semiannual", first, text[(start or m).start() : m.end()]
    return None
