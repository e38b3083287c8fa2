"""Rendering of the weekly summary: chat HTML, PNG chart, .xlsx ledger (no bot, no database)."""

from __future__ import annotations

import html as std_html
import io
import warnings
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.reporting import weekly
from bot.reporting.docx import write_summary_docx
from bot.reporting.html import (
    ALLOWED_TAGS,
    render_summary_html,
    render_unit_digest_html,
    split_html_messages,
    utf16_len,
)
from bot.reporting.ledger import write_ledger
from bot.reporting.model import (
    AssignmentRow,
    Change,
    Headline,
    ItemRow,
    MeasureRow,
    PolicySection,
    ProgressLine,
    ReportRow,
    SummaryData,
    UnitRow,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
GEN_AT = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
EVIL_UNIT = "省<script>&测试厅"


def _assignments() -> list[AssignmentRow]:
    return [
        AssignmentRow(
            1,
            "锂电",
            "一",
            1,
            "推动锂电产业链强链补链，打造万亿级产业集群",
            "省工业和信息化厅",
            "lead",
            date(2026, 11, 20),
            "blocked",
            "red",
            datetime(2026, 11, 24, 10, 2, tzinfo=SHANGHAI),
            "已完成项目摸底",
            4,
        ),
        AssignmentRow(
            2,
            "锂电",
            "一",
            1,
            "推动锂电产业链强链补链，打造万亿级产业集群",
            "宜春市人民政府",
            "local",
            date(2026, 12, 15),
            "in_progress",
            "green",
            None,
            None,
            0,
        ),
        AssignmentRow(
            3,
            "锂电",
            "二",
            2,
            "支持南昌、抚州、上饶等地发展储能电池",
            "省商务厅",
            "co",
            None,
            "assigned",
            "yellow",
            None,
            None,
            1,
        ),
        AssignmentRow(
            4,
            "锂电",
            "三",
            1,
            "设立产业基金",
            "省财政厅",
            "lead",
            date(2026, 10, 1),
            "done",
            "done",
            datetime(2026, 9, 30, 8, 0),
            "已办结",
            0,
        ),
    ]


def _reports(n: int = 3) -> list[ReportRow]:
    base = datetime(2026, 11, 24, 2, 2)  # naive = UTC -> 10:02 Beijing time
    return [
        ReportRow(
            100 + i,
            1 + i % 4,
            "省工业和信息化厅",
            "一",
            1,
            base + timedelta(hours=i),
            "张三",
            "in_progress" if i % 2 else None,
            60 if i % 2 else None,
            f"第{i}次报送：进展顺利 <ok> & 继续",
            "pending",
        )
        for i in range(n)
    ]


def _progress(n: int = 0) -> list[ProgressLine]:
    at = datetime(2026, 11, 24, 10, 2, tzinfo=SHANGHAI)
    lines = [
        ProgressLine(
            "省工业和信息化厅",
            "一",
            1,
            "完成12家企业走访，形成问题清单",
            60,
            9123,
            at,
            "https://t.me/c/1234567/89",
            ref=57,
        ),
        # the same words from a second unit: one line naming both units
        ProgressLine(
            "省发展改革委",
            "一",
            1,
            "完成12家企业走访，形成问题清单。",
            60,
            9124,
            at - timedelta(hours=1),
            None,
            ref=58,
        ),
        ProgressLine(
            EVIL_UNIT,
            "二",
            2,
            "协调<b>银行</b>授信 5 亿元 & 落地",
            None,
            9125,
            datetime(2026, 11, 25, 15, 30, tzinfo=SHANGHAI),
            None,
            ref=61,
        ),
        # nothing a leader would read
        ProgressLine("省商务厅", "二", 2, "暂无新进展", None, 9126, at, None, ref=62),
        # an earlier report of the same unit on the same task: its newer one stands for the week
        ProgressLine(
            "省工业和信息化厅",
            "一",
            1,
            "召开调度会议，部署走访工作",
            None,
            9120,
            at - timedelta(days=1),
            None,
            ref=40,
        ),
        ProgressLine("省商务厅", "二", 1, "完成80%", 80, 9127, at, None, ref=63),
    ]
    for i in range(n):
        lines.append(
            ProgressLine(
                f"南昌市人民政府{i}",
                "三",
                i,
                f"推进重点项目建设第{i}批，" * 4 + "🚀",
                i % 100,
                20000 + i,
                datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI),
                None if i % 3 else f"t.me/c/42/{i}",
                ref=100 + i,
            )
        )
    return lines


TASK_1_1 = "推动锂电产业链强链补链，打造万亿级产业集群"


def _red() -> list[ItemRow]:
    return [
        ItemRow(1, "一", 1, TASK_1_1, "省工业和信息化厅", "lead", date(2026, 11, 20), "in_progress", "red", "overdue", 10),
        ItemRow(5, "一", 1, TASK_1_1, "省商务厅", "co", date(2026, 12, 20), "blocked", "red", "blocked"),
        ItemRow(6, "一", 1, TASK_1_1, "南昌市人民政府", "local", date(2026, 12, 20), "acknowledged", "red", "silent"),
        ItemRow(3, "二", 2, "支持南昌、抚州、上饶等地发展储能电池", "省商务厅", "co", None, "assigned", "red",
                "silent"),
    ]  # fmt: skip


def _next() -> list[ItemRow]:
    return [
        ItemRow(2, "一", 1, "推动锂电产业链强链补链", "宜春市人民政府", "local", date(2026, 12, 1), "in_progress",
                "yellow"),
        ItemRow(7, "一", 1, "推动锂电产业链强链补链", "新余市人民政府", "local", date(2026, 12, 1), "in_progress",
                "green"),
        ItemRow(8, "二", 3, "建设储能示范项目", "省能源局", "lead", date(2026, 12, 4), "in_progress", "green"),
    ]  # fmt: skip


MEASURES = [
    MeasureRow("锂电", "一", "持续做强产业链条", 12, 3, 2, 2, 5, "red"),
    MeasureRow("锂电", "二", "推动产业集聚发展", 10, 1, 0, 3, 6, "yellow"),
    MeasureRow("锂电", "三", "强化科技创新支撑", 8, 2, 0, 0, 6, "green"),
    MeasureRow("锂电", "四", "加大金融支持力度", 10, 10, 0, 0, 0, "done"),
]


def make_policy(n_progress: int = 0, **changes) -> PolicySection:
    fields = dict(
        title="关于进一步促进锂电产业链高质量发展的若干措施",
        doc_number="赣府厅发〔2024〕15号",
        code=None,
        short_title="锂电产业链若干措施",
        tasks=12,
        measures=MEASURES,
        red_items=_red(),
        progress=_progress(n_progress),
        next_deadlines=_next(),
    )
    fields.update(changes)
    return PolicySection(**fields)


def make_data(n_progress: int = 0, assignments=None, reports=None, policies=None, **changes) -> SummaryData:
    fields = dict(
        policies=[make_policy(n_progress)] if policies is None else policies,
        week="2026-W48",
        period_start=date(2026, 11, 23),
        period_end=date(2026, 11, 29),
        generated_at=GEN_AT,
        tz=SHANGHAI,
        headline=Headline(
            total=40,
            done=6,
            in_progress=20,
            not_acknowledged=3,
            overdue=2,
            red=4,
            yellow=7,
            green=23,
            reports_this_week=17,
            tasks=12,
        ),
        units=[
            UnitRow("省工业和信息化厅", 10, 10, 9, 0.9, True, 2, 1),
            UnitRow("省发展改革委", 6, 6, 6, 1.0, True, 0, 0),
            UnitRow("省商务厅", 5, 5, 0, 0.0, False, 1, 1),
            UnitRow(EVIL_UNIT, 3, 3, 2, 0.67, True, 0, 0),
        ],
        change=Change(
            "2026-W47", done_delta=3, red_delta=-2, overdue_delta=1, reports_delta=5, rate_delta=0.12
        ),
        assignments=_assignments() if assignments is None else assignments,
        reports=_reports() if reports is None else reports,
    )
    fields.update(changes)
    return SummaryData(**fields)


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.bad: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.bad.append(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.bad.append("/" + tag)
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_message(msg: str, limit: int = 4096) -> str:
    """Assert the message fits, uses allowed tags only, is balanced; return its plain text."""
    assert 0 < utf16_len(msg) <= limit
    p = _TagChecker()
    p.feed(msg)
    p.close()
    assert not p.bad, (p.bad, msg[:300])
    assert not p.stack, (p.stack, msg[-300:])
    # no bare & or < left in text (every entity complete)
    stripped = msg
    for tag in ALLOWED_TAGS:
        stripped = stripped.replace(f"<{tag}>", "").replace(f"</{tag}>", "")
    import re

    stripped = re.sub(r'<a href="[^"]*">', "", stripped)
    assert "<" not in stripped and ">" not in stripped
    assert re.search(r"&(?!amp;|lt;|gt;|quot;|#\d+;)", stripped) is None
    return "".join(p.text)


# ------------------------------------------------------------------------------------- HTML


def _section(text: str, head: str, nxt: str | None) -> str:
    start = text.index(head)
    return text[start : text.index(nxt, start) if nxt else len(text)]


HEADS = ["一、总体情况", "二、主要进展", "三、存在问题", "四、下步打算"]


def test_summary_sections_in_official_order_with_doc_number():
    msgs = render_summary_html(make_data())
    assert len(msgs) == 1
    text = msgs[0]
    plain = check_message(text)
    title = "督办周报（2026年第48周）"
    subtitle = "《关于进一步促进锂电产业链高质量发展的若干措施》（赣府厅发〔2024〕15号）落实情况"
    positions = [plain.index(h) for h in (title, subtitle, *HEADS)]
    assert positions == sorted(positions)
    assert plain.count("赣府厅发〔2024〕15号") == 1  # one policy: no grouping headings repeat it
    assert "（一）" not in plain
    overview = _section(plain, "一、总体情况", "二、主要进展")
    assert "2026-11-23（周一） 至 2026-11-29（周日）" in plain
    # tasks and assignments counted apart
    assert "任务 12 项，交办 40 个单位次：已办结 6，推进中 20，未签收 3，逾期 2。" in overview
    assert "灯情：绿灯 23，黄灯 7，红灯 4" in overview
    assert "单位报送率 75%（3/4 个单位已报送），本周报送 17 份。" in overview
    assert "未报送：省商务厅。" in overview
    assert f"未报齐：{EVIL_UNIT}（67%）、省工业和信息化厅（90%）。" in overview  # reported, not on every task
    assert "较上周（2026-W47）：办结 ↑3，红灯 ↓2，逾期 ↑1，报送 ↑5，报送率 ↑12个百分点。" in overview


def test_progress_per_measure_condensed_and_traceable_to_the_ledger():
    text = "\n".join(render_summary_html(make_data()))
    progress = _section(text, "<b>二、主要进展</b>", "<b>三、存在问题</b>")
    plain = check_message(progress)
    # per measure, in the document's order, with its lights
    assert progress.index("一、持续做强产业链条（办结 3/12，红灯 2，黄灯 2，绿灯 5）") < progress.index(
        "二、推动产业集聚发展"
    )
    # the same words from two units: one line naming both, citing both ledger rows
    assert plain.count("完成12家企业走访") == 1
    assert "省工业和信息化厅、省发展改革委：完成12家企业走访，形成问题清单（60%）〔台账57、58〕" in plain
    assert '<a href="https://t.me/c/1234567/89">57</a>' in progress
    # replies that say nothing are left to the ledger
    assert "暂无新进展" not in plain and "完成80%" not in plain and "召开调度会议" not in plain
    # internal report numbers never reach the chat
    assert "9123" not in text and "报送#" not in text
    # user text is escaped
    assert "&lt;script&gt;&amp;" in progress and "<script>" not in text
    assert "协调&lt;b&gt;银行&lt;/b&gt;授信 5 亿元 &amp; 落地" in progress
    # open measures with nothing substantive are named once
    assert "本周无实质进展报送：三。" in plain


def test_problems_grouped_by_task_naming_each_unit_once():
    plain = check_message("\n".join(render_summary_html(make_data())))
    problems = _section(plain, "三、存在问题", "四、下步打算")
    assert "红灯 4 个单位次，涉及任务 2 项：" in problems
    assert problems.count("一-1") == 1  # one line for the task, not one per unit
    line = next(ln for ln in problems.splitlines() if "一-1" in ln)
    for unit in ("省工业和信息化厅", "省商务厅", "南昌市人民政府"):
        assert line.count(unit) == 1
    assert "（逾期 1、受阻 1、连续未报送 1）" in line
    # a task with one unit keeps that unit's own reason
    assert "二-2 支持南昌、抚州、上饶等地发展储能电池：省商务厅（连续两期未报送）" in problems


def test_next_steps_group_next_weeks_deadlines_by_task():
    plain = check_message("\n".join(render_summary_html(make_data())))
    nxt = _section(plain, "四、下步打算", None)
    assert "下周（11-30 至 12-06）到期 3 个单位次，涉及任务 2 项：" in nxt
    assert "一-1 12-01（周二） 推动锂电产业链强链补链：宜春市人民政府、新余市人民政府" in nxt
    assert nxt.index("一-1") < nxt.index("二-3 12-04（周五） 建设储能示范项目：省能源局")


def test_units_beyond_the_cap_are_counted_not_listed():
    red = [ItemRow(i, "一", 1, TASK_1_1, f"单位{i:02d}", "co", date(2026, 11, 20), "in_progress", "red", "")
           for i in range(40)]  # fmt: skip
    data = make_data(policies=[make_policy(red_items=red)])
    plain = check_message("\n".join(render_summary_html(data)))
    assert "单位00、单位01" in plain and "等40个单位（逾期 40）" in plain
    assert "单位39" not in plain


def test_summary_without_previous_week():
    text = render_summary_html(make_data(change=None))[0]
    assert "暂无上周数据可比" in text


def test_several_policies_are_grouped_by_policy_and_one_reads_without_grouping():
    second = make_policy(title="关于推动大规模设备更新的实施方案", doc_number="赣府发〔2024〕8号",
                         short_title="设备更新实施方案", tasks=5,
                         measures=[MeasureRow("设备更新", "一", "推动重点行业设备更新", 6, 0, 3, 1, 2, "red")],
                         red_items=[ItemRow(90, "一", 1, "更新老旧设备", "省工业和信息化厅", "lead",
                                            date(2026, 11, 2), "in_progress", "red", "逾期28天")],
                         progress=[], next_deadlines=[])  # fmt: skip
    data = make_data(policies=[make_policy(), second])
    plain = check_message("\n".join(render_summary_html(data)))
    assert "2 件政策文件落实情况" in plain
    overview = _section(plain, "一、总体情况", "二、主要进展")
    assert "锂电产业链若干措施（赣府厅发〔2024〕15号）：任务 12 项，交办 40 个单位次，办结 16" in overview
    assert "设备更新实施方案（赣府发〔2024〕8号）：任务 5 项，交办 6 个单位次" in overview
    problems = _section(plain, "三、存在问题", "四、下步打算")
    # the most troubled policy first, each under its own heading with its 文号
    assert problems.index("（一）设备更新实施方案（赣府发〔2024〕8号）") < problems.index(
        "（二）锂电产业链若干措施（赣府厅发〔2024〕15号）"
    )
    progress = _section(plain, "二、主要进展", "三、存在问题")
    # a policy with nothing to say gets no heading there, only a mention
    assert "（一）锂电产业链若干措施" in progress and "（二）" not in progress
    assert "本周无实质进展报送的文件：设备更新实施方案。" in progress
    nxt = _section(plain, "四、下步打算", None)
    assert "（一）锂电产业链若干措施" in nxt and "设备更新" not in nxt


def _province(n_policies: int = 50, seed: int = 7) -> SummaryData:
    """A province-scale week in the shape of bench/summary.py: 50 policies × 8 measures × 5 tasks,
    20,000 assignments over 45 units, about a third red, 2,000 report lines in the week."""
    import random

    rng = random.Random(seed)
    units = [f"省直单位{i:02d}" for i in range(34)] + [
        f"{c}市人民政府" for c in "南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶".split()
    ]
    nums = "一二三四五六七八九十"
    texts = ["组织召开推进会，协调解决项目用地问题", "完成重点企业走访，形成问题清单", "暂无新进展", "完成60%",
             "已拨付专项资金", "印发实施方案，明确责任分工", "正在推进"]  # fmt: skip
    policies = []
    ref = 0
    for p in range(1, n_policies + 1):
        measures, red, nxt, progress = [], [], [], []
        for m in range(8):
            counts = {"red": 0, "yellow": 0, "green": 0, "done": 0}
            for seq in range(1, 6):
                for u in rng.sample(units, 10):
                    light = rng.choices(["red", "yellow", "green", "done"], [30, 15, 35, 20])[0]
                    counts[light] += 1
                    item = ItemRow(0, nums[m], seq, f"第{p}号文件第{m + 1}项措施的第{seq}项任务，推进重点项目建设",
                                   u, "co", date(2026, 11, rng.randint(1, 28)), "in_progress", light, "")  # fmt: skip
                    if light == "red":
                        red.append(item)
                    elif rng.random() < 0.05:
                        nxt.append(ItemRow(0, nums[m], seq, item.task_text, u, "co", date(2026, 12, rng.randint(1, 6)),
                                           "in_progress", light))  # fmt: skip
                    if rng.random() < 0.1:
                        ref += 1
                        progress.append(
                            ProgressLine(
                                u,
                                nums[m],
                                seq,
                                rng.choice(texts),
                                rng.randint(0, 100),
                                ref + 5000,
                                GEN_AT - timedelta(minutes=ref),
                                None,
                                ref=ref,
                            )
                        )
            worst = next(k for k in ("red", "yellow", "green", "done") if counts[k] or k == "done")
            measures.append(
                MeasureRow(
                    f"文件{p}",
                    nums[m],
                    "推动重点行业设备更新改造",
                    sum(counts.values()),
                    counts["done"],
                    counts["red"],
                    counts["yellow"],
                    counts["green"],
                    worst,
                )
            )  # type: ignore[arg-type]
        policies.append(PolicySection(
            title=f"江西省人民政府办公厅关于印发推动大规模设备更新和消费品以旧换新实施方案的通知（{p}）",
            doc_number=f"赣府厅字〔2025〕{p}号", short_title=f"设备更新和以旧换新实施方案（{p}）", tasks=40,
            measures=measures, red_items=red, progress=progress, next_deadlines=nxt))  # fmt: skip
    unit_rows = [UnitRow(u, 400, 300, 300 if i % 6 else 120, 1.0 if i % 6 else 0.4, True, 50, 20)
                 for i, u in enumerate(units)]  # fmt: skip
    unit_rows[3] = UnitRow(units[3], 400, 300, 0, 0.0, False, 80, 40)
    return make_data(
        policies=policies,
        units=unit_rows,
        headline=Headline(20000, 4000, 14000, 1600, 5000, 6000, 3000, 7000, 2000, tasks=2000),
    )


def test_province_scale_summary_fits_two_messages():
    data = _province()
    assert len(data.red_items) > 5000 and len(data.progress) > 1500
    for lang in ("zh", "en"):
        msgs = render_summary_html(data, lang)
        assert len(msgs) <= 2, [len(m) for m in msgs]
        for m in msgs:
            check_message(m)
    plain = "\n".join(check_message(m) for m in render_summary_html(data))
    positions = [plain.index(h) for h in HEADS]
    assert positions == sorted(positions)
    assert "50 件政策文件落实情况" in plain
    assert "任务 2000 项，交办 20000 个单位次" in plain
    assert "另有" in plain and "件政策文件，详见台账" in plain  # what is left out is counted
    assert "个单位（" in plain  # units counted per task, not listed one line each
    assert "暂无新进展" not in plain


def test_caps_can_be_fixed_and_more_listed_than_two_messages_hold():
    data = _province(12)
    full = render_summary_html(data, max_messages=None, caps=weekly.DOCX_CAPS)
    assert len(full) > 2
    for m in full:
        check_message(m)
    assert len(render_summary_html(data)) <= 2


def test_split_single_overlong_line_safely():
    body = (
        "<b>粗体"
        + "很长的内容&amp;更多🚀，" * 900
        + '</b> 普通 <a href="https://t.me/c/1/2">'
        + "链接" * 3000
        + "</a>"
    )
    msgs = split_html_messages(["<b>标题</b>", body, "结尾"], limit=4096)
    assert len(msgs) > 3
    texts = [check_message(m) for m in msgs]
    expected = std_html.unescape("<b>标题</b>\n" + body + "\n结尾")
    for tag in ("<b>", "</b>", '<a href="https://t.me/c/1/2">', "</a>"):
        expected = expected.replace(tag, "")
    assert "".join(texts).replace("\n", "") == expected.replace("\n", "")
    # each continuation of the bold run reopens the tag
    assert msgs[2].startswith("<b>")


def test_split_counts_utf16_units():
    line = "🚀" * 3000  # 6000 UTF-16 units, 3000 code points
    msgs = split_html_messages([line], limit=4096)
    assert len(msgs) == 2
    assert all(utf16_len(m) <= 4096 for m in msgs)
    assert "".join(msgs) == line


def test_english_rendering():
    msgs = render_summary_html(make_data(), lang="en")
    text = "\n".join(msgs)
    plain = check_message(msgs[0])
    heads = ["1. Overview", "2. Main progress", "3. Problems", "4. Next steps"]
    assert [plain.index(h) for h in heads] == sorted(plain.index(h) for h in heads)
    assert "Weekly progress report (week 48, 2026)" in plain
    assert "Implementation of “关于进一步促进锂电产业链高质量发展的若干措施” (赣府厅发〔2024〕15号)" in plain
    assert "12 tasks, handed to units 40 times" in plain
    assert "Did not report: 省商务厅." in plain
    assert "[ledger 57, 58]" in plain and "9123" not in text
    assert "(1 overdue, 1 blocked, 1 silent)" in plain
    assert "省商务厅 (silent for two periods)" in plain and "两期" not in plain


def test_a_lone_red_items_reason_is_worded_in_the_readers_language():
    lone = ItemRow(
        3, "二", 2, "储能电池", "省商务厅", "co", date(2026, 11, 21), "in_progress", "red", "overdue", 9
    )
    data = make_data(policies=[make_policy(red_items=[lone])])
    zh = check_message("\n".join(render_summary_html(data)))
    en = check_message("\n".join(render_summary_html(data, lang="en")))
    assert "二-2 储能电池（截止 11-21）：省商务厅（逾期9天）" in zh
    assert "省商务厅 (9 days overdue)" in en and "逾期" not in en


def test_unit_digest_groups_open_tasks():
    items = [
        ItemRow(1, "一", 1, "强链补链", "省商务厅", "lead", date(2026, 11, 20), "in_progress", "red", ""),
        ItemRow(2, "二", 1, "储能 <电池>", "省商务厅", "co", date(2026, 12, 30), "assigned", "yellow", ""),
        ItemRow(3, "二", 3, "出口", "省商务厅", "co", date(2026, 12, 3), "in_progress", "yellow", ""),
        ItemRow(4, "三", 1, "已完成", "省商务厅", "co", date(2026, 11, 1), "done", "done", ""),
        ItemRow(5, "四", 2, "长期", "省商务厅", "co", None, "acknowledged", "green", ""),
    ]
    msgs = render_unit_digest_html("省商务厅", items, today=date(2026, 11, 30))
    text = msgs[0]
    check_message(text)
    assert "在办 4 项，其中逾期 1 项、待签收/待处理 1 项、7 日内到期 1 项" in text
    order = [
        text.index(s)
        for s in ("<b>已逾期</b>", "<b>待签收 / 待处理</b>", "<b>近期到期（7 日内）</b>", "<b>其他在办</b>")
    ]
    assert order == sorted(order)
    assert "已逾期 10 天" in text and "3 天后" in text
    assert "储能 &lt;电池&gt;" in text
    assert "已完成" not in text
    en = render_unit_digest_html("省商务厅", items, "en", today=date(2026, 11, 30))[0]
    assert "10 days overdue" in en and "Overdue" in en
    assert "暂无在办任务" in render_unit_digest_html("省商务厅", [], today=date(2026, 11, 30))[0]


# ------------------------------------------------------------------------------------- ledger


def test_ledger_cells(tmp_path):
    path = tmp_path / "ledger.xlsx"
    counts = write_ledger(make_data(), path)
    assert counts["任务分配"] == 4 and counts["本期报送"] == 3
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:4] == ["总览", "措施", "任务分配", "本期报送"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert ws["A1"].font.b
        assert ws["A1"].fill.fgColor.rgb.endswith("D9E1F2")

    ov = wb["总览"]
    kv = {ov.cell(r, 1).value: ov.cell(r, 2) for r in range(2, ov.max_row + 1)}
    assert kv["周次"].value == "2026-W48"
    # tasks and assignments counted apart
    assert kv["任务（项）"].value == 12 and kv["交办（单位次）"].value == 40
    assert kv["政策文件"].value == "关于进一步促进锂电产业链高质量发展的若干措施（赣府厅发〔2024〕15号）"
    assert kv["生成时间（北京时间）"].value == datetime(2026, 11, 30, 9, 0)
    assert (
        kv["统计开始日期"].value == datetime(2026, 11, 23)
        and kv["统计开始日期"].number_format == "yyyy-mm-dd"
    )
    assert kv["未报送单位"].value == "省商务厅"
    assert kv["单位报送率"].value == pytest.approx(0.75) and kv["单位报送率"].number_format == "0%"

    ws = wb["任务分配"]
    header = [c.value for c in ws[1]]
    assert header[:11] == [
        "编号",
        "任务序号",
        "任务内容",
        "责任单位",
        "角色",
        "截止日期",
        "状态",
        "灯",
        "最近报送时间",
        "最近报送内容",
        "催办次数",
    ]
    assert ws.auto_filter.ref == "A1:M5"
    assert ws.max_row == 5
    row = [c for c in ws[2]]
    assert row[0].value == "一-1" and row[1].value == 1
    assert row[3].value == "省工业和信息化厅" and row[4].value == "牵头"
    assert row[5].is_date and row[5].value == datetime(2026, 11, 20) and row[5].number_format == "yyyy-mm-dd"
    assert row[6].value == "受阻"
    assert row[7].value == "🔴 红灯" and row[7].fill.fgColor.rgb == "FFFFC7CE"
    assert row[9].value == "已完成项目摸底" and row[9].alignment.wrap_text
    assert row[10].value == 4
    assert ws["H3"].fill.fgColor.rgb == "FFC6EFCE" and ws["H4"].fill.fgColor.rgb == "FFFFEB9C"
    assert ws["F4"].value is None  # no due date
    assert ws["E4"].value == "配合" and ws["G4"].value == "已交办"
    # last report at 2026-09-30 08:00 naive UTC -> 16:00 Beijing time
    assert ws["I5"].value == datetime(2026, 9, 30, 16, 0) and ws["I5"].number_format == "yyyy-mm-dd hh:mm"
    # CJK columns are wider than ASCII ones; long text is capped
    assert ws.column_dimensions["C"].width >= 30 and ws.column_dimensions["C"].width <= 60
    assert ws.column_dimensions["D"].width >= 16

    rep = wb["本期报送"]
    assert rep.max_row == 4
    assert [c.value for c in rep[1]][:3] == ["序号", "报送编号", "报送时间"]
    assert [rep.cell(r, 1).value for r in (2, 3, 4)] == [1, 2, 3]  # what the summary cites
    assert rep["B2"].value == 100
    assert rep["C2"].value == datetime(2026, 11, 24, 10, 2)
    assert rep["G2"].value == "张三"
    assert rep["J2"].value == "第0次报送：进展顺利 <ok> & 继续"
    assert rep["H3"].value == "推进中" and rep["I3"].value == 60 and rep["I2"].value is None
    assert rep["K2"].value == "待审核"

    ms = wb["措施"]
    assert [c.value for c in ms[2]][:4] == ["锂电", "一", "持续做强产业链条", 12]
    assert ms["J2"].fill.fgColor.rgb == "FFFFC7CE"


def test_ledger_streams_generators_once_and_english(tmp_path):
    calls = {"a": 0, "r": 0}

    def gen_a():
        calls["a"] += 1
        for i in range(2000):
            yield AssignmentRow(
                i,
                "P",
                "一",
                i,
                "任务" * 5,
                f"单位{i % 30}",
                "lead",
                date(2026, 12, 1),
                "in_progress",
                "green",
                None,
                None,
                i % 5,
            )

    def gen_r():
        calls["r"] += 1
        for i in range(20000):
            yield ReportRow(
                i,
                i % 3000,
                f"单位{i % 30}",
                "一",
                1,
                datetime(2026, 11, 24, 2, 0),
                "李四",
                None,
                i % 101,
                "进展报送内容\n第二行 " + str(i),
                "approved",
            )

    buf = io.BytesIO()
    counts = write_ledger(make_data(assignments=gen_a(), reports=gen_r()), buf, lang="en")
    # Its speed at province scale is bench/summary.py's to measure, not a test's.
    assert calls == {"a": 1, "r": 1}
    assert counts["Assignments"] == 2000 and counts["Reports"] == 20000
    buf.seek(0)
    wb = openpyxl.load_workbook(buf, read_only=True)
    assert wb.sheetnames[:4] == ["Overview", "Measures", "Assignments", "Reports"]
    rows = wb["Reports"].iter_rows(min_row=1, max_row=2, values_only=True)
    header, first = list(rows)
    assert header[:2] == ("No.", "Report ID") and first[0] == 1
    assert first[9] == "进展报送内容\n第二行 0" and first[10] == "approved"


def test_ledger_overflow_sheets_and_cleaned_text(tmp_path, monkeypatch):
    import bot.reporting.ledger as ledger

    monkeypatch.setattr(ledger, "EXCEL_MAX_ROWS", 5)  # 4 data rows per sheet
    calls = {"r": 0}
    texts = ["=1+1", "a\x00b\x07c\r\nd", "lone \ud800 surrogate", "x" * 40_000, "🚀" * 20_000]

    def gen_r():
        calls["r"] += 1
        for i in range(9):
            yield ReportRow(
                i, 1, "省商务厅", "一", 1, datetime(2026, 11, 24, 2, 0), "李四", None, None,
                texts[i] if i < len(texts) else f"报送{i}", "pending",
            )  # fmt: skip

    path = tmp_path / "ledger.xlsx"
    counts = write_ledger(make_data(reports=gen_r()), path)
    assert calls == {"r": 1}
    assert counts["本期报送"] == 9 and counts["任务分配"] == 4
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    i = names.index("本期报送")
    assert names[i : i + 4] == ["本期报送", "本期报送 (2)", "本期报送 (3)", "单位报送"]
    assert "任务分配 (2)" not in names  # exactly at the limit: no empty continuation sheet
    assert [wb[n].max_row for n in names[i : i + 3]] == [5, 5, 2]
    for n in names[i : i + 3]:
        ws = wb[n]
        assert ws.freeze_panes == "A2" and ws["A1"].value == "序号"
        assert ws.auto_filter.ref == f"A1:L{ws.max_row}"
    first, second, third = (wb[n] for n in names[i : i + 3])
    assert [first.cell(r, 2).value for r in range(2, 6)] == [0, 1, 2, 3]
    assert second["B2"].value == 4 and third["B2"].value == 8
    assert second["A2"].value == 5 and third["A2"].value == 9  # 序号 runs on over the continuation sheets
    assert first["J2"].value == "=1+1" and first["J2"].data_type == "s"  # text, never a formula
    assert first["J3"].value == "abc\nd"  # control characters dropped, CR LF -> LF
    assert first["J4"].value == "lone  surrogate"
    long_ascii, long_emoji = first["J5"].value, second["J2"].value
    for v in (long_ascii, long_emoji):
        assert v.endswith("…[截断]") and len(v.encode("utf-16-le")) // 2 <= 32_767


def test_ledger_failure_writes_nothing_and_leaves_no_temp_files(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def gen_r():
        yield from _reports(2)
        raise RuntimeError("database went away")

    path = tmp_path / "ledger.xlsx"
    with pytest.raises(RuntimeError, match="went away"):
        write_ledger(make_data(reports=gen_r()), path)
    assert not path.exists()
    assert list(scratch.iterdir()) == []
    write_ledger(make_data(), path)
    assert path.exists() and list(scratch.iterdir()) == []


def test_ledger_statuses_in_words_and_print_setup(tmp_path):
    claims = [("progress", "推进中", "in progress"), ("done", "申请办结", "claims done"),
              ("blocked", "受阻", "blocked"), (None, "未识别", "not understood")]  # fmt: skip
    reports = [
        ReportRow(i, 1, "省商务厅", "一", 1, datetime(2026, 11, 24, 2, i), "李四", code, None, "报送", "pending", ref=i + 1)
        for i, (code, _, _) in enumerate(claims)
    ]  # fmt: skip
    for lang, col in (("zh", 1), ("en", 2)):
        path = tmp_path / f"ledger-{lang}.xlsx"
        write_ledger(make_data(reports=reports), path, lang)
        wb = openpyxl.load_workbook(path)
        rep = wb.worksheets[3]
        assert [rep.cell(r, 8).value for r in range(2, 6)] == [c[col] for c in claims]
        status_cells = [wb.worksheets[2].cell(r, 7).value for r in range(2, wb.worksheets[2].max_row + 1)]
        words = status_cells + [rep.cell(r, 8).value for r in range(2, 6)]
        if lang == "zh":  # no code such as "progress" or "in_progress" among the Chinese
            assert status_cells and not any(c.isascii() and c.isalpha() for w in words for c in w)
        else:
            assert status_cells and not any("_" in w for w in words)
        for ws in wb.worksheets:
            ps = ws.page_setup
            assert ps.orientation == "landscape" and ps.paperSize == 9  # A4 landscape
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            assert ps.fitToWidth in (None, 1) and ps.fitToHeight == 0  # one page wide, as long as needed
            assert ws.print_title_rows == "$1:$1"  # header row repeated on every page
            assert "&P" in ws.oddFooter.center.text


# ------------------------------------------------------------------------------------- docx


def test_docx_has_the_sections_in_order_and_official_layout(tmp_path):
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    path = tmp_path / "summary.docx"
    bad = ProgressLine(
        "省科技厅", "三", 1, "召开\x00专题\x07会议\ud800，部署创新平台建设", None, 1, GEN_AT, None, ref=9
    )
    policy = make_policy()
    data = make_data(policies=[make_policy(progress=[*policy.progress, bad])])
    n = write_summary_docx(data, path)
    doc = docx.Document(str(path))
    texts = [p.text for p in doc.paragraphs]
    assert len(texts) == n
    assert texts[0] == "督办周报（2026年第48周）"
    assert texts[1] == "《关于进一步促进锂电产业链高质量发展的若干措施》（赣府厅发〔2024〕15号）落实情况"
    heads = [texts.index(h) for h in HEADS]
    assert heads == sorted(heads)
    body = "\n".join(texts)
    assert "任务 12 项，交办 40 个单位次" in body
    assert "省工业和信息化厅、省发展改革委：完成12家企业走访，形成问题清单（60%）〔台账57、58〕" in body
    assert (
        "一-1 推动锂电产业链强链补链，打造万亿级产业集群：省工业和信息化厅、省商务厅、南昌市人民政府" in body
    )
    assert "9123" not in body and "暂无新进展" not in body
    assert "省科技厅：召开专题会议，部署创新平台建设〔台账9〕" in body
    # user text as it was written (a Word document is not HTML); characters XML cannot hold dropped
    assert "省<script>&测试厅：协调<b>银行</b>授信 5 亿元 & 落地" in body and "&amp;" not in body
    title = doc.paragraphs[0]
    assert title.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    fonts = title.style.element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert doc.paragraphs[heads[0]].style.element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert doc.paragraphs[heads[0] + 1].style.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"
    sec = doc.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.page_height.mm) == 297
    assert round(sec.top_margin.mm) == 37 and round(sec.left_margin.mm) == 28
    en = io.BytesIO()
    write_summary_docx(make_data(), en, "en")
    en_texts = [p.text for p in docx.Document(io.BytesIO(en.getvalue())).paragraphs]
    assert "1. Overview" in en_texts and "4. Next steps" in en_texts


def test_docx_of_a_province_lists_more_than_the_chat_and_still_counts():
    import docx

    buf = io.BytesIO()
    data = _province(6)
    write_summary_docx(data, buf)
    body = "\n".join(p.text for p in docx.Document(io.BytesIO(buf.getvalue())).paragraphs)
    assert all(f"赣府厅字〔2025〕{p}号" in body for p in range(1, 7))
    assert body.count("〔台账") > "\n".join(render_summary_html(data)).count("〔台账")


# ------------------------------------------------------------------------------------- chart


def test_chart_png_is_drawn_with_cjk_font_and_no_missing_glyphs(tmp_path):
    from matplotlib import image as mpimg

    from bot.reporting.chart import render_summary_chart
    from bot.reporting.fonts import cjk_font_name

    assert "CJK" in cjk_font_name() or "Han" in cjk_font_name()
    path = tmp_path / "chart.png"
    data = make_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render_summary_chart(data, path)
        buf = io.BytesIO()
        render_summary_chart(data, buf, lang="en")
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(raw) > 20_000
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(path)
    h, w = img.shape[:2]
    assert 900 <= w <= 1400 and 500 <= h <= 4000
    assert img[..., :3].std() > 0.05
    colours = {tuple(px) for px in (img[::4, ::4, :3] * 255).astype(int).reshape(-1, 3).tolist()}
    assert len(colours) > 50


def test_chart_draws_only_units_below_full_reporting():
    from bot.reporting.chart import units_to_draw

    units, more = units_to_draw(make_data())
    assert [u.unit for u in units] == [
        "省商务厅",
        EVIL_UNIT,
        "省工业和信息化厅",
    ]  # silent first, 100% left out
    assert more == 0
    full = make_data(units=[UnitRow(f"单位{i}", 1, 1, 1, 1.0, True, 0, 0) for i in range(28)])
    assert units_to_draw(full) == ([], 0)
    many = make_data(units=[UnitRow(f"单位{i}", 4, 4, 1, 0.25, True, 0, 0) for i in range(45)])
    units, more = units_to_draw(many)
    assert len(units) == 30 and more == 15


def test_chart_drops_glyphs_no_font_has():
    from bot.reporting.chart import render_summary_chart

    policy = make_policy(measures=[MeasureRow("锂电", "一", "持续做强🚀产业链条 $x$", 1, 0, 1, 0, 0, "red")])
    data = make_data(policies=[policy], units=[])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render_summary_chart(data, io.BytesIO())


def test_empty_summary_and_unsafe_links():
    line = ProgressLine("省商务厅", "一", 1, "召开专题推进会", 10, 7, datetime(2026, 11, 24, 2, 2),
                        'javascript:alert("x")', ref=3)  # fmt: skip
    policy = make_policy(measures=[MEASURES[0]], red_items=[], next_deadlines=[], progress=[line])
    empty = make_data(policies=[policy], units=[], assignments=iter(()), reports=[])
    msgs = render_summary_html(empty)
    assert len(msgs) == 1
    plain = check_message(msgs[0])
    assert "javascript" not in msgs[0]
    assert "省商务厅：召开专题推进会（10%）〔台账3〕" in plain
    assert "本周无红灯事项。" in plain and "下周无到期任务。" in plain
    nothing = make_data(policies=[], units=[], assignments=[], reports=[])
    plain = check_message(render_summary_html(nothing)[0])
    assert [plain.index(h) for h in HEADS] == sorted(plain.index(h) for h in HEADS)
    assert "本周无实质进展报送。" in plain
    buf = io.BytesIO()
    counts = write_ledger(empty, buf)
    assert counts["任务分配"] == 0 and counts["本期报送"] == 0
    buf.seek(0)
    wb = openpyxl.load_workbook(buf)
    assert wb["任务分配"].max_row == 1 and wb["任务分配"].freeze_panes == "A2"


def test_package_import_does_not_load_matplotlib():
    import subprocess
    import sys

    code = "import sys, bot.reporting; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------------------------- texts


def test_renderers_look_up_only_texts_both_languages_define(monkeypatch):
    """Every text of the summary, digest, chart and ledger comes from bot.i18n and exists in zh and en
    (a missing key would be shown to the user as the key itself)."""
    from bot import i18n
    from bot.i18n import en, zh
    from bot.reporting import chart, ledger, model
    from bot.reporting import docx as docx_mod
    from bot.reporting import html as html_mod

    used: set[str] = set()

    def strict_t(lang, key, **values):
        assert key in zh.TEXTS and key in en.TEXTS, f"missing text {key!r}"
        used.add(key)
        return i18n.t(lang, key, **values)

    for mod in (html_mod, chart, ledger, weekly, docx_mod):
        monkeypatch.setattr(mod, "t", strict_t)
    many = [MeasureRow("锂电", str(i), "措施", 3, 1, 1, 1, 0, "red") for i in range(45)]
    crowded = make_data(
        policies=[make_policy(measures=many), make_policy(tasks=1)], assignments=[], reports=[]
    )
    empty = make_data(
        policies=[make_policy(measures=[], red_items=[], progress=[], next_deadlines=[])],
        units=[],
        change=None,
        assignments=[],
        reports=[],
    )
    full = [UnitRow("省商务厅", 1, 1, 1, 1.0, True, 0, 0)]
    all_reported = make_data(units=full, assignments=[], reports=[])
    items = [
        ItemRow(1, "一", 1, "逾期", "省商务厅", "lead", date(2026, 11, 20), "in_progress", "red", ""),
        ItemRow(2, "二", 1, "待签收", "省商务厅", "co", None, "assigned", "yellow", ""),
        ItemRow(3, "二", 2, "今天", "省商务厅", "co", date(2026, 11, 30), "in_progress", "green", ""),
        ItemRow(4, "二", 3, "近期", "省商务厅", "co", date(2026, 12, 3), "in_progress", "green", ""),
        ItemRow(5, "三", 1, "其他", "省商务厅", "co", None, "acknowledged", "green", ""),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lang in ("zh", "en"):
            for d in (make_data(n_progress=3), empty, _province(2)):
                render_summary_html(d, lang, caps=weekly.LADDER[-1])
                render_summary_html(d, lang, max_messages=None)
                write_ledger(d, io.BytesIO(), lang)
                write_summary_docx(d, io.BytesIO(), lang)
            render_unit_digest_html("省商务厅", items, lang, today=date(2026, 11, 30))
            render_unit_digest_html("省商务厅", [], lang, today=date(2026, 11, 30))
            chart.render_summary_chart(crowded, io.BytesIO(), lang)
            chart.render_summary_chart(empty, io.BytesIO(), lang)
            chart.render_summary_chart(all_reported, io.BytesIO(), lang)
    assert {key.split(".")[0] for key in used} == {"summary", "unit_digest", "weekday", "chart", "ledger"}
    headers = {f"ledger.col.{sheet}.{col.header}" for sheet, cols in ledger._SHAPES.items() for col in cols}
    assert headers <= used
    # the model's name tables are read from the same texts
    for lang, texts in (("zh", zh.TEXTS), ("en", en.TEXTS)):
        assert model.LIGHT_NAMES[lang] == {c: texts[f"summary.light.{c}"] for c in model.LIGHTS}
        assert model.REVIEW_NAMES[lang] == {s: texts[f"summary.review.{s}"] for s in model.REVIEW_NAMES[lang]}


def test_a_notice_issuing_measures_is_cited_by_the_measures_name():
    notice = "江西省人民政府办公厅印发《关于促进我省锂电新能源产业链高质量发展的若干措施》的通知"
    data = make_data(policies=[make_policy(title=notice)])
    plain = check_message(render_summary_html(data)[0])
    assert "《关于促进我省锂电新能源产业链高质量发展的若干措施》（赣府厅发〔2024〕15号）落实情况" in plain
    assert weekly.quoted_title("关于《中国制造2025》的实施意见", "zh") == "关于《中国制造2025》的实施意见"
    assert weekly.quoted_title("锂电措施", "en") == "“锂电措施”"
