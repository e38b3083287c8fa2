"""What the bot understands from a free-text progress reply (brief: 完成60%, 已完成, 受阻, 需协调)."""

from __future__ import annotations

import pytest

from bot.services.parsing import parse_progress


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
        ("完成150%", "progress", None),  # an impossible percentage is not taken
    ],
)
def test_parse_progress(text: str, status: str | None, percent: int | None) -> None:
    parsed = parse_progress(text)
    assert (parsed.status, parsed.percent) == (status, percent)
