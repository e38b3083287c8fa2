"""Produce a sample weekly summary: ``python -m bot.reporting OUT_DIR [--assignments N] [--reports N] [--lang en]``.

Writes summary_<n>.html (the chat messages), chart.png, ledger.xlsx and summary.docx into OUT_DIR, with
synthetic data; the row counts let you check the ledger's speed and memory at scale.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from config.settings import Settings

from .chart import render_summary_chart
from .docx import write_summary_docx
from .html import render_summary_html
from .ledger import write_ledger
from .model import (
    AssignmentRow,
    Change,
    Headline,
    ItemRow,
    Light,
    MeasureRow,
    PolicySection,
    ProgressLine,
    ReportRow,
    SummaryData,
    UnitRow,
)

_NUMS = "一二三四五六七八九十"
_UNITS = [
    "省工业和信息化厅",
    "省发展改革委",
    "省商务厅",
    "省科技厅",
    "省财政厅",
    "省自然资源厅",
    "中国人民银行江西省分行",
    *(f"{c}市人民政府" for c in "南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶".split()),
]
_LIGHTS: tuple[Light, ...] = ("green", "green", "green", "yellow", "red", "done")
_STATUS = {"green": "in_progress", "yellow": "acknowledged", "red": "blocked", "done": "done"}


def sample_summary(n_assignments: int = 200, n_reports: int = 1000, *, tz: tzinfo) -> SummaryData:
    start = date(2026, 11, 23)
    now = datetime(2026, 11, 30, 9, 0, tzinfo=tz)

    def assignments() -> Iterator[AssignmentRow]:
        for i in range(n_assignments):
            light = _LIGHTS[i % len(_LIGHTS)]
            yield AssignmentRow(
                i + 1, "锂电", _NUMS[i % 10], i // 10 + 1, f"任务{i}：推动锂电产业链强链补链，落实重点项目",
                _UNITS[i % len(_UNITS)], ("lead", "co", "local")[i % 3], start + timedelta(days=i % 90),
                _STATUS[light], light, now - timedelta(hours=i % 200), "本周完成项目调度" if i % 2 else None, i % 6,
            )  # fmt: skip

    def reports() -> Iterator[ReportRow]:
        base = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
        for i in range(n_reports):
            yield ReportRow(
                i + 1, i % max(n_assignments, 1) + 1, _UNITS[i % len(_UNITS)], _NUMS[i % 10], i % 7 + 1,
                base + timedelta(seconds=i), "联络员", "in_progress", i % 101,
                f"第{i}份报送：完成企业走访，协调解决用地、用能问题，下一步加快项目建设。", "pending",
            )  # fmt: skip

    measures = [
        MeasureRow("锂电", n, f"措施{n}：持续做强产业链条", 10 + k, k % 4, k % 3, k % 2, 5, _LIGHTS[k % 6])  # type: ignore[arg-type]
        for k, n in enumerate(_NUMS)
    ]
    units = [
        UnitRow(
            u,
            5,
            5,
            0 if k % 7 == 3 else 5 - k % 3,
            0.0 if k % 7 == 3 else (5 - k % 3) / 5,
            k % 7 != 3,
            k % 2,
            0,
        )
        for k, u in enumerate(_UNITS)
    ]
    red = [
        ItemRow(k, _NUMS[k % 3], 1 + k % 2, "推动锂电产业链强链补链，打造万亿级产业集群", u, "lead",
                date(2026, 11, 20), "blocked" if k % 2 else "in_progress", "red", "blocked" if k % 2 else "overdue",
                0 if k % 2 else 10)
        for k, u in enumerate(_UNITS)
    ]  # fmt: skip
    nxt = [
        ItemRow(100 + k, "二", 3, "支持南昌、抚州、上饶等地发展储能电池", u, "local", start + timedelta(days=8 + k % 3),
                "in_progress", "yellow")
        for k, u in enumerate(_UNITS[7:])
    ]  # fmt: skip
    texts = ["完成企业走访，形成问题清单", "召开产业链推进会，协调解决用地问题", "暂无新进展", "完成60%"]
    progress = [
        ProgressLine(u, _NUMS[k % 4], 1, texts[k % len(texts)], 60, 100 + k, now - timedelta(hours=k),
                     f"https://t.me/c/100/{k}", ref=k + 1)
        for k, u in enumerate(_UNITS)
    ]  # fmt: skip
    policy = PolicySection(
        title="江西省关于进一步促进锂电产业链高质量发展的若干措施",
        doc_number="赣府厅发〔2024〕15号",
        short_title="锂电产业链若干措施",
        tasks=40,
        measures=measures,
        red_items=red,
        progress=progress,
        next_deadlines=nxt,
    )
    return SummaryData(
        policies=[policy],
        week="2026-W48",
        period_start=start,
        period_end=start + timedelta(days=6),
        generated_at=now,
        headline=Headline(120, 20, 80, 5, 6, 12, 18, 70, 45, tasks=40),
        units=units,
        change=Change("2026-W47", 3, -2, 1, 5, 0.1),
        assignments=assignments(),
        reports=reports(),
        tz=tz,
    )


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bot.reporting")
    ap.add_argument("out", type=Path)
    ap.add_argument("--assignments", type=int, default=200)
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--lang", default="zh")
    ap.add_argument("--tz", default=Settings.model_fields["timezone"].default, help="IANA zone (as TIMEZONE)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = sample_summary(args.assignments, args.reports, tz=ZoneInfo(args.tz))
    t0 = time.perf_counter()
    msgs = render_summary_html(data, args.lang)
    for i, m in enumerate(msgs, 1):
        (args.out / f"summary_{i}.html").write_text(m, encoding="utf-8")
    t1 = time.perf_counter()
    render_summary_chart(data, args.out / "chart.png", args.lang)
    t2 = time.perf_counter()
    counts = write_ledger(data, args.out / "ledger.xlsx", args.lang)
    t3 = time.perf_counter()
    paragraphs = write_summary_docx(data, args.out / "summary.docx", args.lang)
    t4 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    chars = sum(len(m) for m in msgs)
    print(
        f"html: {len(msgs)} message(s), {chars} characters {t1 - t0:.2f}s; chart {t2 - t1:.2f}s; "
        f"ledger {counts} {t3 - t2:.2f}s; docx {paragraphs} paragraphs {t4 - t3:.2f}s"
    )
    print(f"total {t4 - t0:.2f}s, peak RSS {peak:.0f} MB -> {args.out}")


if __name__ == "__main__":
    main()
