from __future__ import annotations

from datetime import date

import pytest

from bot.importer.extract import find_due, find_rhythm, find_targets
from bot.importer.text import clean_lines, cn_to_int, int_to_cn, match_heading

ISSUED = date(2024, 5, 11)


@pytest.mark.parametrize(
    ("text", "due", "source"),
    [
        ("2025年底前完成", date(2025, 12, 31), "2025年底前"),
        ("2025年6月底前完成", date(2025, 6, 30), "2025年6月底前"),
        ("6月底前完成", date(2024, 6, 30), "6月底前"),
        ("3月底前完成", date(2025, 3, 31), "3月底前"),  # next March-end after the issue date
        ("年底前建成", date(2024, 12, 31), "年底前"),
        ("印发之日起30日内报送", date(2024, 6, 10), "印发之日起30日内"),
        ("2026年3月1日前", date(2026, 3, 1), "2026年3月1日前"),
        ("2025年前建成", date(2025, 12, 31), "2025年前"),
        ("到2027年，建成", date(2027, 12, 31), "到2027年"),
        ("2026年上半年完成", date(2026, 6, 30), "2026年上半年"),
        ("2025年底前完成一期，2024年10月底前启动", date(2024, 10, 31), "2024年10月底前"),  # earliest wins
        ("按照《行动计划（2023-2025年）》推进", None, None),
        ("持续推进", None, None),
    ],
)
def test_due(text, due, source):
    assert find_due(text, ISSUED)[:2] == (due, source)


@pytest.mark.parametrize(
    ("text", "rhythm"),
    [
        ("每月报送进展", "monthly"),
        ("每季度通报", "quarterly"),
        ("每半年评估一次", "semiannual"),
        ("每年开展评估", "yearly"),
        ("每周调度", "weekly"),
        ("长期坚持", "ongoing"),
        ("持续推进", None),
    ],
)
def test_rhythm(text, rhythm):
    assert find_rhythm(text) == rhythm


def test_targets():
    assert find_targets("给予不低于200万元、最高不超过1000万元的资金补助") == [
        "不低于200万元",
        "最高不超过1000万元",
    ]
    assert find_targets("产值超100亿元，占比达到30%，培育5家龙头企业") == [
        "产值超100亿元",
        "达到30%",
        "培育5家",
    ]
    assert find_targets("从两个方面推进，实行省、市、县三级分类推进") == []
    assert find_targets("落实《“1269”行动计划》") == []


def test_numerals_and_headings():
    for n in (1, 9, 10, 11, 20, 99, 100, 105, 110, 999, 1000):
        assert cn_to_int(int_to_cn(n)) == n
    assert match_heading("（三）加强保障").label == "（三）"
    assert match_heading("12、推进").number == 12
    assert match_heading("3.5亿元的项目") is None
    assert match_heading("二十一、推进").number == 21


def test_clean_lines_joins_and_keeps_boundaries():
    lines = clean_lines("用好省\n\n级科技资金。\n— 2 —\n二、标题\n2024年5月1日\n")
    assert lines == ["用好省级科技资金。", "二、标题", "2024年5月1日"]
