"""China's working-day calendar (工作日历) for follow-ups.

Pure module: no I/O apart from :func:`load_notice` / :func:`load_notices`, no clock of its own
(every function takes the date or the moment it works on).

Which days are working days, per year, first source that knows the year wins:

1. ``"office"`` — a State Council notice (国务院办公厅关于××年部分节假日安排的通知) loaded by the office
   with :meth:`WorkCalendar.add_notice`. It is authoritative for its whole year: a date is a working
   day iff it is listed in ``workdays`` or it is Monday–Friday and not listed in ``holidays``.
2. ``"chinesecalendar"`` — the ``chinesecalendar`` package (official schedules, holidays and
   调休 make-up working weekends) for the years it ships (2004 … its last year, 2026 in 1.11).
3. ``"holidays"`` — ``holidays.China`` for years chinesecalendar does not cover (e.g. 2027): its
   days off (statutory holidays, announced 调休 days and projected "observed" days) are off, and
   the weekend days it knows as workdays (``weekend_workdays``, only for announced years) work.
   Projections are estimates, so a warning is logged once per year asking for the notice.
4. ``"weekdays"`` — Monday–Friday, when nothing knows the year (e.g. before 1950); logged as a
   warning once per year.

Everything is precomputed per year (a sorted list of working-day ordinals + a set), so
``is_working_day`` is a dict lookup + set membership and ``add_working_days`` /
``working_days_between`` are bisections.
"""

from __future__ import annotations

import json
import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

SOURCES = ("office", "chinesecalendar", "holidays", "weekdays")

_NOTICE_KEYS = {"year", "source", "holidays", "workdays", "url", "note"}


# --------------------------------------------------------------------------- office notices


@dataclass(frozen=True)
class OfficeNotice:
    """A State Council holiday notice for one year (days off and make-up working weekends).

    ``holidays``: every date of that year people are off besides ordinary weekends (listing the
    weekend days inside a break too is allowed and harmless). ``workdays``: weekend dates that are
    working days (调休上班). All dates must lie in ``year``.
    """

    year: int
    source: str = ""
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 1 <= self.year <= 9999:
            raise ValueError(f"年份无效 / invalid year: {self.year!r}")
        for kind, dates in (("holidays", self.holidays), ("workdays", self.workdays)):
            for d in sorted(dates):
                if not isinstance(d, date) or isinstance(d, datetime):
                    raise ValueError(f"{kind} 中的值不是日期 / value in {kind} is not a date: {d!r}")
                if d.year != self.year:
                    raise ValueError(
                        f"{kind} 中的日期 {d.isoformat()} 不在 {self.year} 年内 / "
                        f"date {d.isoformat()} in {kind} is not in year {self.year}"
                    )
        for d in sorted(self.workdays):
            if d.weekday() < 5:
                raise ValueError(
                    f"调休上班日 {d.isoformat()} 不是周末 / workday {d.isoformat()} is not a Saturday or Sunday"
                )
        both = sorted(self.holidays & self.workdays)
        if both:
            days = ", ".join(d.isoformat() for d in both)
            raise ValueError(
                f"日期同时列为放假和上班 / dates listed both as holidays and as workdays: {days}"
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OfficeNotice:
        """Build from the JSON object form (see :func:`load_notice`); ValueError when malformed."""
        if not isinstance(data, Mapping):
            raise ValueError("通知必须是 JSON 对象 / a notice must be a JSON object")
        unknown = sorted(set(data) - _NOTICE_KEYS)
        if unknown:
            raise ValueError(
                f"未知字段 / unknown keys: {', '.join(unknown)} "
                f"(允许 / allowed: {', '.join(sorted(_NOTICE_KEYS))})"
            )
        if "year" not in data:
            raise ValueError("缺少字段 year / missing key 'year'")
        year = data["year"]
        if isinstance(year, bool) or not isinstance(year, int):
            raise ValueError(f"year 必须是整数 / 'year' must be an integer, got {year!r}")
        source = data.get("source", "")
        if not isinstance(source, str):
            raise ValueError("source 必须是字符串 / 'source' must be a string")
        return cls(
            year=year,
            source=source,
            holidays=frozenset(_parse_dates(data.get("holidays", []), "holidays")),
            workdays=frozenset(_parse_dates(data.get("workdays", []), "workdays")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "source": self.source,
            "holidays": [d.isoformat() for d in sorted(self.holidays)],
            "workdays": [d.isoformat() for d in sorted(self.workdays)],
        }


def _parse_dates(raw: Any, kind: str) -> list[date]:
    if not isinstance(raw, list):
        raise ValueError(f"{kind} 必须是日期字符串列表 / '{kind}' must be a list of 'YYYY-MM-DD' strings")
    out = []
    for item in raw:
        if not isinstance(item, str):
            raise ValueError(f"{kind} 中的值不是字符串 / value in '{kind}' is not a string: {item!r}")
        text = item.strip()
        # YYYY-MM-DD only: fromisoformat alone also takes week dates such as 2027-W01-1.
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) is None:
            raise ValueError(
                f"{kind} 中的日期格式错误 / bad date in '{kind}': {item!r} (应为 / expected YYYY-MM-DD)"
            )
        try:
            out.append(date.fromisoformat(text))
        except ValueError:
            raise ValueError(
                f"{kind} 中的日期格式错误 / bad date in '{kind}': {item!r} (应为 / expected YYYY-MM-DD)"
            ) from None
    return out


def _read_json(path: str | Path) -> Any:
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"无法读取节假日通知文件 / cannot read holiday notice file {p}: {e}") from e
    except json.JSONDecodeError as e:
        raise ValueError(
            f"节假日通知文件不是有效 JSON / holiday notice file {p} is not valid JSON: {e}"
        ) from e


def load_notice(path: str | Path) -> OfficeNotice:
    """Load one notice file::

        {"year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知",
         "holidays": ["2027-01-01", ...], "workdays": ["2027-02-07", ...]}

    Optional extra keys: ``url``, ``note``. Raises ValueError (Chinese + English message naming the
    file) when unreadable, not JSON, or invalid: a date outside ``year``, a workday that is not a
    Saturday/Sunday, a date listed both as holiday and workday, unknown keys.
    """
    data = _read_json(path)
    try:
        return OfficeNotice.from_dict(data)
    except ValueError as e:
        raise ValueError(f"节假日通知文件无效 / invalid holiday notice file {path}: {e}") from None


def load_notices(path: str | Path) -> list[OfficeNotice]:
    """Load a file holding one notice object or a JSON list of them (e.g. config/data/holidays_cn.json)."""
    data = _read_json(path)
    items = data if isinstance(data, list) else [data]
    out = []
    for i, item in enumerate(items):
        try:
            out.append(OfficeNotice.from_dict(item))
        except ValueError as e:
            where = f"{path}[{i}]" if isinstance(data, list) else str(path)
            raise ValueError(f"节假日通知文件无效 / invalid holiday notice file {where}: {e}") from None
    years = [n.year for n in out]
    dup = sorted({y for y in years if years.count(y) > 1})
    if dup:
        raise ValueError(f"同一年份有多个通知 / several notices for the same year in {path}: {dup}")
    return out


# --------------------------------------------------------------------------- year sources


def _chinesecalendar_year(year: int) -> tuple[list[int], set[int]] | None:
    """Working-day ordinals for ``year`` from chinesecalendar, or None if it doesn't cover the year."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - it's a declared dependency
        return None
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return None
    ordinals = []
    d = date(year, 1, 1)
    one = timedelta(days=1)
    while d.year == year:
        if chinese_calendar.is_workday(d):
            ordinals.append(d.toordinal())
        d += one
    return ordinals, set(ordinals)


def _holidays_year(year: int) -> tuple[set[date], set[date]] | None:
    """(days off, weekend workdays) in ``year`` from holidays.China, or None if it knows nothing."""
    try:
        import holidays
    except ImportError:  # pragma: no cover - it's a declared dependency
        return None
    years = [y for y in (year - 1, year, year + 1) if 1 <= y <= 9999]
    try:
        cn = holidays.China(years=years)
    except Exception:  # unsupported year etc.: treat as unknown
        log.debug("holidays.China failed for %s", year, exc_info=True)
        return None
    off = {d for d in cn if d.year == year}
    if not off:
        return None
    work = {d for d in getattr(cn, "weekend_workdays", ()) if d.year == year and d.weekday() >= 5}
    return off, work - off


@dataclass(frozen=True)
class _Year:
    source: str
    ordinals: list[int]  # sorted working-day ordinals of the year
    members: frozenset[int]


# --------------------------------------------------------------------------- calendar


class WorkCalendar:
    """Working days and working hours in China (Asia/Shanghai by default).

    All datetimes in and out are timezone-aware; results are in UTC. Naive datetimes are rejected
    with ValueError (convert DB values with ``.replace(tzinfo=UTC)`` first).
    """

    def __init__(
        self,
        tz: str = "Asia/Shanghai",
        work_start: time = time(9),
        work_end: time = time(18),
        notices: Iterable[OfficeNotice] = (),
    ) -> None:
        if work_start >= work_end:
            raise ValueError(f"work_start {work_start} must be before work_end {work_end}")
        if work_start.tzinfo is not None or work_end.tzinfo is not None:
            raise ValueError("work_start/work_end must be naive local times")
        self.tz = ZoneInfo(tz)
        self.tz_name = tz
        self.work_start = work_start
        self.work_end = work_end
        self._notices: dict[int, OfficeNotice] = {}
        self._years: dict[int, _Year] = {}
        for n in notices:
            self.add_notice(n)

    # ---- sources -----------------------------------------------------------------------------

    def add_notice(self, notice: OfficeNotice) -> None:
        """Make ``notice`` authoritative for its year (replaces an earlier notice for that year)."""
        if not isinstance(notice, OfficeNotice):
            raise TypeError(f"expected OfficeNotice, got {type(notice).__name__}")
        if notice.year in self._notices:
            log.info("replacing holiday notice for %s", notice.year)
        self._notices[notice.year] = notice
        self._years.pop(notice.year, None)

    @property
    def notices(self) -> dict[int, OfficeNotice]:
        return dict(self._notices)

    def source_for(self, year: int) -> str:
        """Which source decides ``year``: "office", "chinesecalendar", "holidays" or "weekdays"."""
        return self._year(year).source

    def _year(self, year: int) -> _Year:
        y = self._years.get(year)
        if y is None:
            y = self._years[year] = self._build_year(year)
        return y

    def _build_year(self, year: int) -> _Year:
        notice = self._notices.get(year)
        if notice is not None:
            return _from_rules(year, "office", notice.holidays, notice.workdays)
        cc = _chinesecalendar_year(year)
        if cc is not None:
            ordinals, members = cc
            return _Year("chinesecalendar", ordinals, frozenset(members))
        hol = _holidays_year(year)
        if hol is not None:
            log.warning(
                "工作日历：%s 年无官方放假安排，使用 holidays 库的推算（不含调休上班日）；请加载国务院通知 / "
                "work calendar: no official schedule for %s, using holidays.China projection "
                "(make-up working weekends unknown); load the State Council notice",
                year,
                year,
            )
            return _from_rules(year, "holidays", hol[0], hol[1])
        log.warning(
            "工作日历：%s 年没有任何节假日数据，按周一至周五计算 / "
            "work calendar: no holiday data for %s, treating Monday-Friday as working days",
            year,
            year,
        )
        return _from_rules(year, "weekdays", (), ())

    # ---- days ---------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        if isinstance(d, datetime):
            raise TypeError("is_working_day takes a date; use local_date(at) for a datetime")
        return d.toordinal() in self._year(d.year).members

    def add_working_days(self, d: date, n: int) -> date:
        """n > 0: the n-th working day after ``d`` (``d`` itself not counted);
        n < 0: the |n|-th working day before ``d``; n == 0: ``d`` if it is a working day, else the
        next working day."""
        if isinstance(d, datetime):
            raise TypeError("add_working_days takes a date")
        o = d.toordinal()
        year = d.year
        if n == 0:
            if self.is_working_day(d):
                return d
            n = 1
        if n > 0:
            ords = self._year(year).ordinals
            pos = bisect_right(ords, o)  # first working day after d
            remaining = n
            while pos + remaining > len(ords):
                remaining -= len(ords) - pos
                year += 1
                ords = self._year(year).ordinals
                pos = 0
            return date.fromordinal(ords[pos + remaining - 1])
        ords = self._year(year).ordinals
        pos = bisect_left(ords, o)  # number of working days before d in its year
        remaining = -n
        while remaining > pos:
            remaining -= pos
            year -= 1
            ords = self._year(year).ordinals
            pos = len(ords)
        return date.fromordinal(ords[pos - remaining])

    def working_days_between(self, start: date, end: date) -> int:
        """Number of working days in the half-open interval (start, end] — ``start`` excluded,
        ``end`` included. If end < start the result is minus the count in (end, start].
        Equal dates give 0. So ``working_days_between(d, add_working_days(d, n)) == n`` for n > 0."""
        if end < start:
            return -self.working_days_between(end, start)
        if start.year == end.year:
            ords = self._year(start.year).ordinals
            return bisect_right(ords, end.toordinal()) - bisect_right(ords, start.toordinal())
        first = self._year(start.year).ordinals
        total = len(first) - bisect_right(first, start.toordinal())
        for y in range(start.year + 1, end.year):
            total += len(self._year(y).ordinals)
        total += bisect_right(self._year(end.year).ordinals, end.toordinal())
        return total

    # ---- moments -------------------------------------------------------------------------------

    def _local(self, at: datetime) -> datetime:
        if not isinstance(at, datetime):
            raise TypeError(f"expected datetime, got {type(at).__name__}")
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"naive datetime {at!r}: pass an aware (UTC) datetime")
        return at.astimezone(self.tz)

    def local_date(self, at_utc: datetime) -> date:
        """The calendar date of ``at_utc`` in the calendar's timezone."""
        return self._local(at_utc).date()

    def at_local(self, d: date, t: time) -> datetime:
        """The aware UTC datetime of local date ``d`` at local wall time ``t``."""
        return datetime.combine(d, t, tzinfo=self.tz).astimezone(UTC)

    def is_working_time(self, at: datetime) -> bool:
        """True on a working day within [work_start, work_end) local time."""
        loc = self._local(at)
        t = loc.time().replace(tzinfo=None)
        return self.work_start <= t < self.work_end and self.is_working_day(loc.date())

    def next_working_moment(self, at: datetime) -> datetime:
        """``at`` itself (in UTC) if it is working time, else the next working day's work_start
        (today's work_start if today is a working day and it is before work_start)."""
        loc = self._local(at)
        d = loc.date()
        t = loc.time().replace(tzinfo=None)
        if self.is_working_day(d):
            if self.work_start <= t < self.work_end:
                return at.astimezone(UTC)
            if t < self.work_start:
                return self.at_local(d, self.work_start)
        return self.at_local(self.add_working_days(d, 1), self.work_start)


def _from_rules(year: int, source: str, off: Iterable[date], work: Iterable[date]) -> _Year:
    off_o = {d.toordinal() for d in off}
    work_o = {d.toordinal() for d in work}
    ordinals = []
    d = date(year, 1, 1)
    o = d.toordinal()
    end = date(year, 12, 31).toordinal()
    wd = d.weekday()
    while o <= end:
        if o in work_o or (wd < 5 and o not in off_o):
            ordinals.append(o)
        o += 1
        wd = (wd + 1) % 7
    return _Year(source, ordinals, frozenset(ordinals))
