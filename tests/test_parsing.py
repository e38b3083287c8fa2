"""What the bot understands from a free-text progress reply (完成60%, 已完成, 受阻, 需协调)."""

from __future__ import annotations

import pytest

from bot.domain.parsing import parse_progress


@pytest.mark.parametrize(
    ("text", "status", "percent"),
    [
        ("完成60%", "progress", 60),
        ("60%", "progress", 60),
        ("本周完成选址，完成60％", "progress", 60),
        ("完成百分之八十", "progress", 80),
        ("已完成", "done", 100),
        ("已办结", "done", 100),
        ("100%", "done", 100),
        ("受阻，需协调用地", "blocked", None),
        ("需协调，完成30%", "blocked", 30),
        ("本周召开会议，完成了选址工作", "progress", None),
        ("已完成70%", "progress", 70),
        # Issue 14 wins over the earlier None here: "未完成" says the work is under way, not nothing.
        ("尚未完成", "progress", None),
        ("进展顺利", "progress", None),
        ("", None, None),
        ("完成60.4%", "progress", 60),
        ("完成0%", "progress", 0),
        ("完成3-5%", "progress", 5),  # a range: its upper end, not a negative number
    ],
)
def test_parse_progress(text: str, status: str | None, percent: int | None) -> None:
    parsed = parse_progress(text)
    assert (parsed.status, parsed.percent) == (status, percent)


@pytest.mark.parametrize(
    ("text", "refused", "status"),
    [
        ("进度-5%", -5, "progress"),
        ("完成1000%", 1000, "progress"),
        ("已完成1000%", 1000, "progress"),  # not taken as a completion either
        ("完成150%", 150, "progress"),
        ("完成百分之一百二十", 120, "progress"),
        ("受阻，进度－10％", -10, "blocked"),
    ],
)
def test_percentages_outside_0_to_100_are_refused(text: str, refused: int, status: str | None) -> None:
    parsed = parse_progress(text)
    assert parsed.percent is None
    assert parsed.invalid_percent == refused
    assert parsed.status == status
