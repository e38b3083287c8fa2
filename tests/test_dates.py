"""Only real calendar dates are dates: the forms people write, never ISO week or ordinal dates."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.dates import find_date, parse_date

TODAY = date(2025, 9, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-01", date(2027, 1, 1)),
        ("2027/1/1", date(2027, 1, 1)),
        ("2027.01.01", date(2027, 1, 1)),
        ("2027年1月1日", date(2027, 1, 1)),
        ("2027 年 1 月 1 日", date(2027, 1, 1)),
        ("２０２５－１２－３１", date(2025, 12, 31)),
        ("12-31", date(2025, 12, 31)),
        ("12月31日", date(2025, 12, 31)),
        ("9-23", date(2025, 9, 23)),  # today
        ("1月5日", date(2026, 1, 5)),  # without a year: the next such day
    ],
)
def test_calendar_dates_are_read(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2027-W01-1",
        "2027W011",
        "2027-001",
        "20270101",
        "2027-01-01T00:00",
        "2025-02-30",
        "2025-13-01",
        "02-29",
        "明天",
        "",
        "2027-1-1-1",
        "+2027-01-01",
    ],
)
def test_other_forms_are_not_dates(text: str) -> None:
    assert parse_date(text, TODAY) is None


def test_a_date_without_year_needs_today() -> None:
    assert parse_date("12-31") is None and parse_date("2025-12-31") == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("text", "expected", "reason"),
    [
        ("2025-12-31 用地审批尚未完成", date(2025, 12, 31), "用地审批尚未完成"),
        ("延期到2026年1月15日，原因：资金未到位", date(2026, 1, 15), "延期到，原因：资金未到位"),
        ("因3-4月降雨，延到12月31日", date(2025, 12, 31), "因3-4月降雨，延到"),
        ("2027-W01-1 用地审批", None, "2027-W01-1 用地审批"),
        ("12027-01-015 用地审批", None, "12027-01-015 用地审批"),
        ("2025-02-30 用地审批", None, "2025-02-30 用地审批"),
    ],
)
def test_dates_in_running_text(text: str, expected: date | None, reason: str) -> None:
    assert find_date(text, TODAY) == (expected, reason)
