"""Rendering of the weekly summary: chat HTML, PNG chart, .xlsx ledger (no bot, no database)."""

from __future__ import annotations

import html as std_html
import io
import time
import warnings
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import openpyxl
import pytest

from bot.reporting.html import (
    ALLOWED_TAGS,
    render_summary_html,
    render_unit_digest_html,
    split_html_messages,
    utf16_len,
)
from bot.reporting.ledger import write_ledger
from bot.reporting.model import (
    SHANGHAI,
    AssignmentRow,
    Change,
    Headline,
    ItemRow,
    MeasureRow,
    ProgressLine,
    ReportRow,
    SummaryData,
    UnitRow,
)

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


def _progress(n: int) -> list[ProgressLine]:
    lines = [
        ProgressLine(
            "省工业和信息化厅",
            "一",
            1,
            "完成12家企业走访，形成问题清单",
            60,
            123,
            datetime(2026, 11, 24, 10, 2, tzinfo=SHANGHAI),
            "https://t.me/c/1234567/89",
        ),
        ProgressLine(
            EVIL_UNIT,
            "二",
            2,
            "协调<b>银行</b>授信 5 亿元 & 落地",
            None,
            124,
            datetime(2026, 11, 25, 15, 30, tzinfo=SHANGHAI),
            None,
        ),
    ]
    for i in range(n):
        lines.append(
            ProgressLine(
                f"南昌市人民政府{i}",
                "三",
                i,
                "推进重点项目建设，" * 8 + f"第{i}项 🚀",
                i % 100,
                1000 + i,
                datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI),
                None if i % 3 else f"t.me/c/42/{i}",
            )
        )
    return lines


def make_data(n_progress: int = 0, assignments=None, reports=None) -> SummaryData:
    return SummaryData(
        policy_titles=["关于进一步促进锂电产业链高质量发展的若干措施（赣府厅发〔2024〕15号）"],
        week="2026-W48",
        period_start=date(2026, 11, 23),
        period_end=date(2026, 11, 29),
        generated_at=GEN_AT,
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
        ),
        measures=[
            MeasureRow("锂电", "一", "持续做强产业链条", 12, 3, 2, 2, 5, "red"),
            MeasureRow("锂电", "二", "推动产业集聚发展", 10, 1, 0, 3, 6, "yellow"),
            MeasureRow("锂电", "三", "强化科技创新支撑", 8, 2, 0, 0, 6, "green"),
            MeasureRow("锂电", "四", "加大金融支持力度", 10, 10, 0, 0, 0, "done"),
        ],
        units=[
            UnitRow("省工业和信息化厅", 10, 10, 9, 0.9, True, 2, 1),
            UnitRow("省发展改革委", 6, 6, 6, 1.0, True, 0, 0),
            UnitRow("省商务厅", 5, 5, 0, 0.0, False, 1, 1),
            UnitRow(EVIL_UNIT, 3, 3, 2, 0.67, True, 0, 0),
        ],
        red_items=[
            ItemRow(
                1,
                "一",
                1,
                "推动锂电产业链强链补链，打造万亿级产业集群",
                "省工业和信息化厅",
                "lead",
                date(2026, 11, 20),
                "blocked",
                "red",
                "受阻：用地指标未落实",
            ),
            ItemRow(
                3,
                "二",
                2,
                "支持南昌、抚州、上饶等地发展储能电池",
                "省商务厅",
                "co",
                None,
                "assigned",
                "red",
                "两期未报送",
            ),
        ],
        progress=_progress(n_progress),
        change=Change(
            "2026-W47", done_delta=3, red_delta=-2, overdue_delta=1, reports_delta=5, rate_delta=0.12
        ),
        next_deadlines=[
            ItemRow(
                2,
                "一",
                1,
                "推动锂电产业链强链补链",
                "宜春市人民政府",
                "local",
                date(2026, 12, 1),
                "in_progress",
                "yellow",
            ),
        ],
        assignments=_assignments() if assignments is None else assignments,
        reports=_reports() if reports is None else reports,
    )


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


def test_summary_html_sections_in_order_and_silent_unit():
    msgs = render_summary_html(make_data())
    assert len(msgs) == 1
    text = msgs[0]
    check_message(text)
    heads = [
        "督办周报 · 2026-W48",
        "一、总体情况",
        "二、各措施进展",
        "三、单位报送情况",
        "四、红灯事项",
        "五、本周实质进展",
        "六、与上周相比（2026-W47）",
        "七、下周到期",
    ]
    positions = [text.index(h) for h in heads]
    assert positions == sorted(positions)
    assert "2026-11-23（周一） 至 2026-11-29（周日）" in text
    assert "未报送：<b>省商务厅</b>" in text
    assert "报送率 75%（3/4 个单位已报送）" in text
    assert "🔴 <b>一</b> 持续做强产业链条：办结 3/12" in text
    assert "受阻：用地指标未落实" in text and "截止 11-20" in text
    assert "办结 ↑3 · 红灯 ↓2 · 逾期 ↑1 · 报送 ↑5 · 报送率 ↑12个百分点" in text
    assert "12-01（周二） <b>一-1</b> 宜春市人民政府（属地）" in text


def test_progress_lines_point_to_their_reports_and_user_text_is_escaped():
    text = "\n".join(render_summary_html(make_data()))
    assert '（<a href="https://t.me/c/1234567/89">报送#123，11-24 10:02</a>）' in text
    assert "（报送#124，11-25 15:30）" in text
    assert "&lt;script&gt;&amp;" in text and "<script>" not in text
    assert "协调&lt;b&gt;银行&lt;/b&gt;授信 5 亿元 &amp; 落地" in text


def test_summary_without_previous_week():
    data = make_data()
    data = SummaryData(**{**{f: getattr(data, f) for f in data.__dataclass_fields__}, "change": None})
    text = render_summary_html(data)[0]
    assert "暂无上周数据可比" in text


def test_long_summary_is_split_under_limit_with_balanced_tags():
    data = make_data(n_progress=400)
    msgs = render_summary_html(data, max_lines=None)
    assert len(msgs) >= 5
    for m in msgs:
        check_message(m)
        assert not m.startswith("\n") and not m.endswith("\n")
    joined = "\n".join(msgs)
    assert joined.count("报送#") == 402
    assert '<a href="https://t.me/c/42/3">' in joined  # bare t.me link gets https://
    # a message never ends with a section heading
    for m in msgs[:-1]:
        assert not m.rsplit("\n", 1)[-1].startswith("<b>七")
    # default cap keeps the chat short and points to the ledger
    capped = "\n".join(render_summary_html(data))
    assert "另有 252 项，详见台账" in capped


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
    check_message(msgs[0])
    for head in (
        "Weekly summary · 2026-W48",
        "1. Overview",
        "3. Reporting by unit",
        "4. Red items",
        "5. Progress this week",
        "6. Change since last week (2026-W47)",
        "7. Due next week",
    ):
        assert head in text
    assert "Did not report: <b>省商务厅</b>" in text
    assert "(report #124, 11-25 15:30)" in text
    assert "(lead)" in text


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
    assert kv["任务总数"].value == 40
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
        "措施",
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
    assert row[0].value == "一" and row[1].value == 1
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
    assert rep["A2"].value == 100
    assert rep["B2"].value == datetime(2026, 11, 24, 10, 2)
    assert rep["I2"].value == "第0次报送：进展顺利 <ok> & 继续"
    assert rep["G3"].value == "推进中" and rep["H3"].value == 60 and rep["H2"].value is None
    assert rep["J2"].value == "待审核"

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
    t0 = time.process_time()  # CPU time: insensitive to other load on the box
    counts = write_ledger(make_data(assignments=gen_a(), reports=gen_r()), buf, lang="en")
    elapsed = time.process_time() - t0
    assert calls == {"a": 1, "r": 1}
    assert counts["Assignments"] == 2000 and counts["Reports"] == 20000
    # 246,000 cells through xlsxwriter constant_memory: ~1.5 s CPU on an idle box (~2.5 s when the
    # box is busy); the bound catches a quadratic or all-in-memory regression, not small drifts.
    assert elapsed < 6.0, elapsed
    buf.seek(0)
    wb = openpyxl.load_workbook(buf, read_only=True)
    assert wb.sheetnames[:4] == ["Overview", "Measures", "Assignments", "Reports"]
    rows = wb["Reports"].iter_rows(min_row=1, max_row=2, values_only=True)
    header, first = list(rows)
    assert header[0] == "Report ID" and first[8] == "进展报送内容\n第二行 0" and first[9] == "approved"


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
        assert ws.freeze_panes == "A2" and ws["A1"].value == "报送编号"
        assert ws.auto_filter.ref == f"A1:K{ws.max_row}"
    first, second, third = (wb[n] for n in names[i : i + 3])
    assert [first.cell(r, 1).value for r in range(2, 6)] == [0, 1, 2, 3]
    assert second["A2"].value == 4 and third["A2"].value == 8
    assert first["I2"].value == "=1+1" and first["I2"].data_type == "s"  # text, never a formula
    assert first["I3"].value == "abc\nd"  # control characters dropped, CR LF -> LF
    assert first["I4"].value == "lone  surrogate"
    long_ascii, long_emoji = first["I5"].value, second["I2"].value
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


def test_chart_drops_glyphs_no_font_has():
    from bot.reporting.chart import render_summary_chart

    data = make_data()
    data = SummaryData(
        **{
            **{f: getattr(data, f) for f in data.__dataclass_fields__},
            "measures": [MeasureRow("锂电", "一", "持续做强🚀产业链条 $x$", 1, 0, 1, 0, 0, "red")],
            "units": [],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render_summary_chart(data, io.BytesIO())


def test_empty_summary_and_unsafe_links():
    data = make_data()
    fields = {f: getattr(data, f) for f in data.__dataclass_fields__}
    fields.update(measures=[], units=[], red_items=[], next_deadlines=[], assignments=iter(()), reports=[])
    fields["progress"] = [
        ProgressLine(
            "省商务厅", "一", 1, "进展", 10, 7, datetime(2026, 11, 24, 2, 2), 'javascript:alert("x")'
        ),
    ]
    empty = SummaryData(**fields)
    msgs = render_summary_html(empty)
    assert len(msgs) == 1
    check_message(msgs[0])
    assert "javascript" not in msgs[0]
    assert "（报送#7，11-24 10:02）" in msgs[0]  # naive datetimes are UTC, shown in Beijing time
    assert msgs[0].count("\n无") >= 4
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
    from bot.reporting import html as html_mod

    used: set[str] = set()

    def strict_t(lang, key, **values):
        assert key in zh.TEXTS and key in en.TEXTS, f"missing text {key!r}"
        used.add(key)
        return i18n.t(lang, key, **values)

    for mod in (html_mod, chart, ledger):
        monkeypatch.setattr(mod, "t", strict_t)
    data = make_data(n_progress=3)
    fields = {f: getattr(data, f) for f in data.__dataclass_fields__}
    many = [MeasureRow("锂电", str(i), "措施", 3, 1, 1, 1, 0, "red") for i in range(45)]
    crowded = SummaryData(**{**fields, "measures": many, "assignments": [], "reports": []})
    fields.update(measures=[], units=[], red_items=[], progress=[], next_deadlines=[], change=None)
    empty = SummaryData(**{**fields, "assignments": [], "reports": []})
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
            for d in (make_data(n_progress=3), empty):
                render_summary_html(d, lang, max_lines=1)
                render_summary_html(d, lang, max_lines=None)
                write_ledger(d, io.BytesIO(), lang)
            render_unit_digest_html("省商务厅", items, lang, today=date(2026, 11, 30))
            render_unit_digest_html("省商务厅", [], lang, today=date(2026, 11, 30))
            chart.render_summary_chart(crowded, io.BytesIO(), lang)
            chart.render_summary_chart(empty, io.BytesIO(), lang)
    assert {key.split(".")[0] for key in used} == {"summary", "unit_digest", "weekday", "chart", "ledger"}
    headers = {f"ledger.col.{sheet}.{col.header}" for sheet, cols in ledger._SHAPES.items() for col in cols}
    assert headers <= used
    # the model's name tables are read from the same texts
    for lang, texts in (("zh", zh.TEXTS), ("en", en.TEXTS)):
        assert model.LIGHT_NAMES[lang] == {c: texts[f"summary.light.{c}"] for c in model.LIGHTS}
        assert model.REVIEW_NAMES[lang] == {s: texts[f"summary.review.{s}"] for s in model.REVIEW_NAMES[lang]}
