"""China working-day calendar. Expected values are worked out by hand from the official notices:

2025 National Day + Mid-Autumn: 10-01..10-08 off; Sun 09-28 and Sat 10-11 are working days.
2026 Spring Festival: 02-15..02-23 off; Sat 02-14 and Sat 02-28 are working days.
Shanghai is UTC+8 (no DST), so 09:00 local == 01:00 UTC.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from bot.domain.workcal import OfficeNotice, WorkCalendar, load_notice, load_notices

SH = timezone(timedelta(hours=8))
BUNDLED = Path(__file__).resolve().parent.parent / "config" / "data" / "holidays_cn.json"


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


# ------------------------------------------------------------------------------ days


def test_national_day_2025(cal: WorkCalendar) -> None:
    expected = {
        date(2025, 9, 26): True,  # Fri
        date(2025, 9, 27): False,  # Sat
        date(2025, 9, 28): True,  # Sun, make-up working day
        date(2025, 9, 29): True,
        date(2025, 9, 30): True,
        date(2025, 10, 9): True,
        date(2025, 10, 10): True,
        date(2025, 10, 11): True,  # Sat, make-up working day
        date(2025, 10, 12): False,  # Sun
        date(2025, 10, 13): True,
    }
    for day in range(1, 9):
        expected[date(2025, 10, day)] = False
    for d, working in expected.items():
        assert cal.is_working_day(d) is working, d
    assert cal.source_for(2025) == "chinesecalendar"


def test_spring_festival_2026_from_chinesecalendar(cal: WorkCalendar) -> None:
    assert cal.source_for(2026) == "chinesecalendar"
    assert cal.is_working_day(date(2026, 2, 14))  # Sat, make-up
    for day in range(15, 24):
        assert not cal.is_working_day(date(2026, 2, day)), day
    assert cal.is_working_day(date(2026, 2, 24))
    assert cal.is_working_day(date(2026, 2, 28))  # Sat, make-up
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert cal.add_working_days(date(2026, 2, 24), -1) == date(2026, 2, 14)


def test_add_working_days(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert cal.add_working_days(date(2025, 9, 30), 2) == date(2025, 10, 10)
    assert cal.add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    assert cal.add_working_days(date(2025, 9, 30), 4) == date(2025, 10, 13)
    assert cal.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert cal.add_working_days(date(2025, 9, 30), 0) == date(2025, 9, 30)
    assert cal.add_working_days(date(2025, 10, 1), 0) == date(2025, 10, 9)
    assert cal.add_working_days(date(2025, 10, 12), 0) == date(2025, 10, 13)
    assert cal.add_working_days(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert cal.add_working_days(date(2025, 10, 5), -1) == date(2025, 9, 30)
    assert cal.add_working_days(date(2025, 9, 29), -1) == date(2025, 9, 28)
    assert cal.add_working_days(date(2025, 10, 13), -3) == date(2025, 10, 9)
    assert cal.add_working_days(date(2025, 10, 14), -5) == date(2025, 9, 30)
    # across the year boundary: 2026-01-01..03 off, Sun 01-04 works
    assert cal.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert cal.add_working_days(date(2025, 12, 31), 2) == date(2026, 1, 5)
    assert cal.add_working_days(date(2026, 1, 4), -1) == date(2025, 12, 31)


def test_working_days_between(cal: WorkCalendar) -> None:
    # (09-30, 10-13] = 10-09, 10-10, 10-11, 10-13
    assert cal.working_days_between(date(2025, 9, 30), date(2025, 10, 13)) == 4
    assert cal.working_days_between(date(2025, 10, 13), date(2025, 9, 30)) == -4
    assert cal.working_days_between(date(2025, 10, 3), date(2025, 10, 3)) == 0
    assert cal.working_days_between(date(2025, 9, 27), date(2025, 9, 28)) == 1
    assert cal.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    assert cal.working_days_between(date(2025, 12, 31), date(2026, 1, 5)) == 2
    # a whole year crosses the boundary consistently with day-by-day counting
    assert cal.working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == len(
        [d for d in (date(2025, 1, 1) + timedelta(i) for i in range(365)) if cal.is_working_day(d)]
    )


def test_add_and_between_match_day_by_day_counting(cal: WorkCalendar) -> None:
    def brute_between(a: date, b: date) -> int:  # working days in (a, b]
        return sum(cal.is_working_day(a + timedelta(i)) for i in range(1, (b - a).days + 1))

    rng = random.Random(7)
    for _ in range(300):
        d = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 3 * 365))
        n = rng.randrange(-40, 41)
        e = cal.add_working_days(d, n)
        assert cal.is_working_day(e)
        if n > 0:
            assert e > d and brute_between(d, e) == n, (d, n)
        elif n < 0:
            # |n| working days in [e, d)
            assert e < d and brute_between(e - timedelta(1), d - timedelta(1)) == -n, (d, n)
        else:
            assert e >= d and brute_between(d - timedelta(1), e) == 1
        assert cal.working_days_between(d, e) == brute_between(min(d, e), max(d, e)) * (1 if e >= d else -1)


# ------------------------------------------------------------------------------ moments


def test_next_working_moment(cal: WorkCalendar) -> None:
    # Friday 10-10 evening -> Saturday 10-11 (make-up working day) 09:00
    assert cal.next_working_moment(sh(2025, 10, 10, 20)) == utc(2025, 10, 11, 1)
    # last day before the holiday, evening -> 10-09 09:00
    assert cal.next_working_moment(sh(2025, 9, 30, 20)) == utc(2025, 10, 9, 1)
    # inside the holiday
    assert cal.next_working_moment(sh(2025, 10, 3, 11)) == utc(2025, 10, 9, 1)
    # early morning of a working day -> same day 09:00
    assert cal.next_working_moment(sh(2025, 10, 9, 8, 30)) == utc(2025, 10, 9, 1)
    # within working hours -> itself, in UTC
    got = cal.next_working_moment(sh(2025, 10, 9, 10, 15))
    assert got == utc(2025, 10, 9, 2, 15)
    assert got.tzinfo == UTC
    # 18:00 is already after hours
    assert cal.next_working_moment(sh(2025, 10, 13, 18)) == utc(2025, 10, 14, 1)
    # Saturday 10-11 evening -> Monday 10-13 (Sunday 10-12 is off)
    assert cal.next_working_moment(sh(2025, 10, 11, 19)) == utc(2025, 10, 13, 1)
    # Sunday 09-28 works
    assert cal.next_working_moment(sh(2025, 9, 27, 15)) == utc(2025, 9, 28, 1)


def test_is_working_time_and_local_helpers(cal: WorkCalendar) -> None:
    assert cal.is_working_time(sh(2025, 9, 28, 10))
    assert not cal.is_working_time(sh(2025, 10, 1, 10))
    assert cal.is_working_time(sh(2025, 10, 9, 17, 59))
    assert not cal.is_working_time(sh(2025, 10, 9, 18))
    assert not cal.is_working_time(sh(2025, 10, 9, 8, 59))
    # 2025-10-08 17:00 UTC is already 10-09 01:00 in Shanghai
    assert cal.local_date(utc(2025, 10, 8, 17)) == date(2025, 10, 9)
    assert cal.at_local(date(2025, 10, 9), time(9)) == utc(2025, 10, 9, 1)
    assert cal.at_local(date(2025, 10, 9), time(9)).tzinfo == UTC


def test_naive_datetimes_rejected(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.next_working_moment(datetime(2025, 10, 9, 10))
    with pytest.raises(ValueError):
        cal.local_date(datetime(2025, 10, 9, 10))


def test_custom_hours() -> None:
    cal = WorkCalendar(work_start=time(8, 30), work_end=time(17, 30))
    assert cal.next_working_moment(sh(2025, 10, 9, 17, 45)) == utc(2025, 10, 10, 0, 30)
    with pytest.raises(ValueError):
        WorkCalendar(work_start=time(18), work_end=time(9))


# ------------------------------------------------------------------------------ fallbacks


def test_2027_falls_back_to_holidays(cal: WorkCalendar, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.domain.workcal"):
        assert cal.source_for(2027) == "holidays"
        assert not cal.is_working_day(date(2027, 1, 1))  # Fri, New Year's Day
        # holidays' projection for Spring Festival 2027 (CNY is Sat 02-06): Fri 02-05 .. Wed 02-10 off
        assert not cal.is_working_day(date(2027, 2, 5))
        assert not cal.is_working_day(date(2027, 2, 8))
        assert cal.is_working_day(date(2027, 2, 11))
        assert not cal.is_working_day(date(2027, 2, 7))  # no make-up Sunday known
        cal.is_working_day(date(2027, 3, 1))
    msgs = [r.getMessage() for r in caplog.records if "2027" in r.getMessage()]
    assert len(msgs) == 1  # warned once for the year


def test_weekdays_last_resort(cal: WorkCalendar, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.domain.workcal"):
        assert cal.source_for(1900) == "weekdays"
        assert cal.is_working_day(date(1900, 1, 1))  # Monday, no data
        assert not cal.is_working_day(date(1900, 1, 6))  # Saturday
        cal.add_working_days(date(1900, 3, 1), 10)
    msgs = [r.getMessage() for r in caplog.records if "1900" in r.getMessage()]
    assert len(msgs) == 1
    assert "Monday-Friday" in msgs[0]


# ------------------------------------------------------------------------------ office notices


def _write(tmp_path: Path, obj: object, name: str = "n.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return p


# Invented test data (not a real notice): New Year + a Spring Festival week, one make-up Saturday.
NOTICE_2027 = {
    "year": 2027,
    "source": "测试用通知",
    "holidays": ["2027-01-01", *[f"2027-02-{d:02d}" for d in range(5, 12)]],
    "workdays": ["2027-02-13"],
}


def test_office_notice_wins(tmp_path: Path, cal: WorkCalendar) -> None:
    notice = load_notice(_write(tmp_path, NOTICE_2027))
    assert notice.year == 2027 and notice.source == "测试用通知"
    assert date(2027, 2, 13) in notice.workdays
    assert cal.source_for(2027) == "holidays"  # before loading
    cal.add_notice(notice)
    assert cal.source_for(2027) == "office"
    assert cal.is_working_day(date(2027, 2, 13))  # Sat make-up
    assert not cal.is_working_day(date(2027, 2, 10))  # Wed, listed
    assert not cal.is_working_day(date(2027, 2, 11))  # Thu, listed
    assert cal.is_working_day(date(2027, 2, 12))  # Fri, not listed
    # authoritative for the year: holidays' projected 10-04 (observed) doesn't apply
    assert cal.is_working_day(date(2027, 10, 4))
    assert cal.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 12)

    # also accepted at construction; overrides even a year chinesecalendar knows
    n2025 = OfficeNotice(year=2025, holidays=frozenset(), workdays=frozenset())
    c2 = WorkCalendar(notices=[n2025])
    assert c2.source_for(2025) == "office"
    assert c2.is_working_day(date(2025, 10, 1))
    assert not c2.is_working_day(date(2025, 9, 28))


def test_bundled_notice_matches_chinesecalendar(cal: WorkCalendar) -> None:
    notices = load_notices(BUNDLED)
    assert [n.year for n in notices] == [2026]
    office = WorkCalendar(notices=notices)
    assert office.source_for(2026) == "office"
    d = date(2026, 1, 1)
    while d.year == 2026:
        assert office.is_working_day(d) == cal.is_working_day(d), d
        d += timedelta(days=1)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"holidays": ["2026-12-31"]}, "not in year 2027"),
        ({"workdays": ["2027-02-10"]}, "is not a Saturday or Sunday"),
        ({"workdays": ["2027-02-06"]}, "both as holidays and as workdays"),
        ({"holidays": ["2027-13-01"]}, "bad date"),
        ({"holidays": "2027-01-01"}, "must be a list"),
        ({"year": "2027"}, "must be an integer"),
        ({"holiday": []}, "unknown keys"),
    ],
)
def test_bad_notice(tmp_path: Path, change: dict, needle: str) -> None:
    obj = {**NOTICE_2027, **change}
    path = _write(tmp_path, obj)
    with pytest.raises(ValueError) as ei:
        load_notice(path)
    msg = str(ei.value)
    assert needle in msg
    assert "节假日通知文件无效" in msg and str(path) in msg


def test_bad_notice_files(tmp_path: Path) -> None:
    p = tmp_path / "broken.json"
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_notice(p)
    with pytest.raises(ValueError, match="cannot read"):
        load_notice(tmp_path / "missing.json")
    missing_year = {k: v for k, v in NOTICE_2027.items() if k != "year"}
    with pytest.raises(ValueError, match="missing key 'year'"):
        load_notice(_write(tmp_path, missing_year))
    with pytest.raises(ValueError, match="same year"):
        load_notices(_write(tmp_path, [NOTICE_2027, NOTICE_2027], "list.json"))


def test_scaled_clock_runs_faster_from_its_start() -> None:
    import time as _time
    from datetime import UTC, datetime

    from bot.domain.clock import ScaledClock

    start = datetime(2025, 10, 10, 9, 0, tzinfo=UTC)
    clock = ScaledClock(3600.0, start)
    first = clock.now()
    _time.sleep(0.05)
    elapsed = (clock.now() - first).total_seconds()
    assert first >= start and 100 <= elapsed <= 3600  # 0.05 s real is about 3 minutes here
