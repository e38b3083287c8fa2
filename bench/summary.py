"""Summary and ledger at province scale: build_summary, chat HTML + chart, the .xlsx ledger.

Run: .venv/bin/python bench/summary.py [--policies 50] [--assignments 20000] [--reports 500000]
                                       [--db PATH] [--keep] [--repeat 3] [--profile] [--explain N]

A synthetic ledger is written straight into a SQLite file with sqlite3 ``executemany`` (tables made
by ``SQLModel.metadata.create_all``, values in the exact storage formats SQLAlchemy uses: naive-UTC
``YYYY-MM-DD HH:MM:SS.ffffff`` for UTCDateTime, ISO dates, 0/1 booleans). Shape: policies × ~8
measures × ~5 tasks; the 45 units of config/data/units.json, each task given to a lead unit, co-
operating units and (for some tasks) the city governments as local units; statuses spread over the
dispatched states; due dates ±60 days around "now"; reports spread evenly over the 25 ISO weeks
ending with the summarised week, so ~1/25 of them fall in it; report ids in time order;
``last_report_at`` is the newest report's time; nothing superseded; review states mixed; last
week's Summary row exists, so the "change since last week" part is computed too.
Generation runs in a child process, so it does not inflate the measuring process's peak RSS;
``--db PATH`` keeps the file and a later run with the same shape reuses it.

Then, in this process, against the engine the product builds (``App.build``, WAL, aiosqlite):

1. ``build_summary`` (all SQL + the row objects, include_rows=True)
2. chat HTML (``render_summary_html``) + PNG chart (``render_summary_chart``)
3. ``write_ledger`` (xlsxwriter, constant_memory) for that data
4. the whole ``render_outputs`` (2 + 3 as the bot calls it)

Each step runs ``--repeat`` times for wall time (first run and median; the first includes lazy
imports such as matplotlib and xlsxwriter) with a thread sampling the process RSS every 5 ms, then
once more under tracemalloc for the peak of Python allocations. ru_maxrss is the process high-water
mark after the step. Every SQL statement build_summary issues is captured, re-run through sqlite3
(``fetchall``) for its pure SQL time, and the heaviest are shown with ``EXPLAIN QUERY PLAN``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402

# The bench's bot runs with the default settings: its weeks are in their zone.
ZONE = ZoneInfo(Settings.model_fields["timezone"].default)

# Monday 09:00 in the default zone (Asia/Shanghai): the weekly job's moment; it summarises the
# week that just ended.
NOW = datetime(2025, 9, 22, 1, 0, tzinfo=UTC)
WEEK = "2025-W38"  # 2025-09-15 .. 2025-09-21
REPORT_WEEKS = 25

TARGET_SUMMARY_S = 3.0
TARGET_LEDGER_S = 5.0
TARGET_PEAK_MB = 400.0

STATUS_WEIGHTS = {
    "assigned": 8,
    "acknowledged": 12,
    "in_progress": 40,
    "blocked": 5,
    "claimed_done": 7,
    "done": 23,
    "returned": 5,
}
REVIEW_WEIGHTS = {"none": 70, "pending": 10, "approved": 15, "returned": 5}
RHYTHMS = [None] * 16 + ["monthly"] * 3 + ["quarterly"]

MB = 1024 * 1024


# ---------------------------------------------------------------- synthetic text

_SUBJECTS = ["我单位", "牵头处室", "市工作专班", "县区推进组", "项目指挥部", "分管领导", "督查组", "相关企业"]
_VERBS = [
    "组织召开",
    "专题研究",
    "推进落实",
    "督促指导",
    "协调解决",
    "加快推进",
    "完成编制",
    "开展调研",
    "持续跟踪",
    "全面梳理",
    "印发实施",
    "对接落实",
]
_OBJECTS = [
    "重点项目建设",
    "设备更新改造",
    "以旧换新补贴",
    "政策宣传解读",
    "资金申报工作",
    "企业服务清单",
    "年度目标任务",
    "数字化转型",
    "绿色低碳改造",
    "消费品以旧换新",
    "标准提升行动",
    "专项资金拨付",
    "回收循环利用",
    "金融支持政策",
    "用地用能保障",
    "项目储备库",
]
_RESULTS = [
    "完成进度约{p}%",
    "已拨付资金{n}万元",
    "已签约项目{n}个",
    "累计走访企业{n}家",
    "形成问题清单{n}项",
    "下一步将加大推进力度",
    "存在资金到位慢的困难",
    "需省级层面协调用地指标",
    "已按时间节点完成",
    "相关材料已报送省厅",
    "正在征求意见",
    "预计下月底前完成",
]
_MEASURE_TITLES = [
    "推动重点行业设备更新",
    "实施消费品以旧换新",
    "开展回收循环利用行动",
    "强化财政金融支持",
    "加强标准引领",
    "优化要素保障",
    "完善配套政策",
    "加强组织实施",
    "推进数字化改造",
    "促进绿色低碳转型",
    "提升公共服务水平",
    "强化宣传引导",
]
_CN_DIGITS = "一二三四五六七八九十"


def _sentence(rng: random.Random) -> str:
    s = f"{rng.choice(_SUBJECTS)}{rng.choice(_VERBS)}{rng.choice(_OBJECTS)}，"
    return s + rng.choice(_RESULTS).format(p=rng.randint(5, 100), n=rng.randint(1, 500)) + "。"


def _text(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(_sentence(rng) for _ in range(rng.randint(lo, hi)))


# ---------------------------------------------------------------- storage formats (as SQLAlchemy writes them)


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _d(value: date) -> str:
    return value.isoformat()


# ---------------------------------------------------------------- generation


def counts_in(path: Path) -> dict[str, int] | None:
    if not path.exists() or path.stat().st_size == 0:
        return None
    conn = sqlite3.connect(path)
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("policy", "assignment", "progressreport")
        }
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def generate(
    path: Path, n_policies: int, n_assignments: int, n_reports: int, seed: int = 20250922
) -> dict[str, Any]:
    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    import models  # noqa: F401
    from config.directory import load_directory

    t0 = time.perf_counter()
    engine = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()

    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    created = _ts(NOW - timedelta(days=200))
    today = NOW.astimezone(ZONE).date()

    units = list(load_directory())
    conn.executemany(
        "INSERT INTO unit (id, name, kind, known, needs_review, in_seed, created_at) VALUES (?,?,?,?,?,?,?)",
        [(i, u.name, u.kind, 1, 0, int(u.in_seed), created) for i, u in enumerate(units, 1)],
    )
    cities = [i for i, u in enumerate(units, 1) if u.is_city]
    others = [i for i, u in enumerate(units, 1) if not u.is_city]

    # Policies, measures (~8 each), tasks (~5 each).
    policies, measures, tasks = [], [], []
    for p in range(1, n_policies + 1):
        short = f"赣府厅字〔2025〕{p}号"
        policies.append(
            (
                p,
                f"江西省人民政府办公厅关于印发推动大规模设备更新和消费品以旧换新实施方案的通知（{p}）",
                short,
                short,
                _d(date(2025, 1, 1) + timedelta(days=p)),
                f"fp{p:06d}",
                f"policy-{p}.docx",
                "",
                created,
            )
        )
        for number in range(1, rng.randint(6, 10) + 1):
            mid = len(measures) + 1
            measures.append(
                (mid, p, number, _CN_DIGITS[(number - 1) % 10], rng.choice(_MEASURE_TITLES), _text(rng, 2, 4))
            )
            for seq in range(1, rng.randint(3, 7) + 1):
                due = today + timedelta(days=rng.randint(-60, 60))
                tasks.append(
                    (
                        len(tasks) + 1,
                        p,
                        mid,
                        seq,
                        _text(rng, 1, 4),
                        _d(due),
                        "text",
                        rng.choice(RHYTHMS),
                        None,
                        1,
                        created,
                    )
                )
    # Codes as the product numbers documents (P1, P2 …, bot/services/policy_codes.py).
    conn.executemany(
        "INSERT INTO policy (id, code, kind, title, short_title, doc_number, issued_on, fingerprint,"
        " source_name, source_text, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(p[0], f"P{p[0]}", "document", *p[1:]) for p in policies],
    )
    conn.executemany(
        "INSERT INTO measure (id, policy_id, number, label, title, text) VALUES (?,?,?,?,?,?)", measures
    )
    conn.executemany(
        "INSERT INTO task (id, policy_id, measure_id, seq, text, due_on, due_source, rhythm,"
        " unit_clause, active, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        tasks,
    )

    # Assignments: spread n_assignments over the tasks; a lead, co-operating units, sometimes the cities.
    n_tasks = len(tasks)
    if n_assignments > n_tasks * len(units):
        raise SystemExit(f"{n_assignments} assignments do not fit {n_tasks} tasks × {len(units)} units")
    per_task = [n_assignments // n_tasks + (1 if i < n_assignments % n_tasks else 0) for i in range(n_tasks)]
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    plan: list[list[Any]] = []  # mutable rows; last_report_at filled after the reports
    for (task_id, _p, _m, _s, _t, due, *_rest), k in zip(tasks, per_task, strict=True):
        local = rng.random() < 0.35 and k > len(cities)
        chosen = (
            (rng.sample(others, 1) + cities + rng.sample(others[1:], k - 1 - len(cities)))
            if local
            else rng.sample(others + cities, k)
        )
        chosen = list(dict.fromkeys(chosen))
        while len(chosen) < k:  # dedupe fallout: top up with unused units
            extra = rng.choice(others + cities)
            if extra not in chosen:
                chosen.append(extra)
        due_on = date.fromisoformat(due)
        for j, unit_id in enumerate(chosen):
            role = "lead" if j == 0 else ("local" if local and unit_id in cities else "co")
            status = rng.choices(statuses, weights)[0]
            if status == "assigned":  # recently handed over, nothing heard yet
                assigned_at = NOW - timedelta(days=rng.uniform(0.2, 20))
            else:
                assigned_at = NOW - timedelta(days=REPORT_WEEKS * 7 + rng.uniform(1, 20))
            ack = None if status == "assigned" else assigned_at + timedelta(hours=rng.uniform(1, 48))
            own_due = due_on + timedelta(days=rng.choice((0, 0, 0, -7, 7, 14)))
            extended = rng.random() < 0.05
            plan.append(
                [
                    len(plan) + 1,
                    task_id,
                    unit_id,
                    role,
                    status,
                    _d(own_due),
                    _d(own_due - timedelta(days=30)) if extended else None,
                    rng.randint(0, 100)
                    if status not in ("assigned", "done")
                    else (100 if status == "done" else None),
                    _ts(assigned_at),
                    _ts(ack) if ack else None,
                    None,
                    None,
                    None,
                    rng.choice((0, 0, 1, 2, 3)),
                    rng.choice((0, 0, 0, 1)),
                    _ts(assigned_at),
                    _ts(NOW),
                ]
            )

    # Reports: each of the 25 weeks gets ~n/25, from assignments that have been acknowledged;
    # written week by week in time order, so ids follow created_at as they do in the bot.
    eligible = [row[0] for row in plan if row[4] != "assigned"]
    texts = [_text(rng, 1, 6) for _ in range(3000)]
    authors = [f"联络员{i}" for i in range(1, 200)]
    reviews, review_w = list(REVIEW_WEIGHTS), list(REVIEW_WEIGHTS.values())
    parsed = ["progress"] * 6 + ["done", "blocked", None]
    last_at: dict[int, datetime] = {}
    week_start, _ = _week_bounds(WEEK)
    first_monday = week_start - timedelta(days=7 * (REPORT_WEEKS - 1))
    rid = 0
    week_counts = []
    sql = (
        "INSERT INTO progressreport (id, assignment_id, chat_id, message_id, author, raw_text, parsed_status,"
        " parsed_percent, parse_ok, superseded, review_state, reviewed_by, reviewed_at, created_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    )
    for w in range(REPORT_WEEKS):
        n_w = n_reports // REPORT_WEEKS + (1 if w < n_reports % REPORT_WEEKS else 0)
        start = datetime.combine(first_monday + timedelta(days=7 * w), datetime.min.time(), ZONE).astimezone(
            UTC
        )
        times = sorted(start + timedelta(seconds=rng.uniform(0, 7 * 86400 - 1)) for _ in range(n_w))
        who = rng.choices(eligible, k=n_w)
        rows = []
        for at, aid in zip(times, who, strict=True):
            rid += 1
            last_at[aid] = at
            status = rng.choice(parsed)
            review = rng.choices(reviews, review_w)[0]
            group = rng.random() < 0.6
            rows.append(
                (
                    rid,
                    aid,
                    (-1001000000000 - aid % 45) if group else (500000 + aid % 45),
                    10000 + rid,
                    rng.choice(authors),
                    rng.choice(texts),
                    status,
                    rng.randint(0, 100) if status == "progress" else (100 if status == "done" else None),
                    int(status is not None),
                    0,
                    review,
                    "督办人" if review in ("approved", "returned") else None,
                    _ts(at + timedelta(hours=3)) if review in ("approved", "returned") else None,
                    _ts(at),
                )
            )
        conn.executemany(sql, rows)
        week_counts.append(n_w)
    for row in plan:
        at = last_at.get(row[0])
        row[12] = _ts(at) if at else None
        if row[4] == "done":
            row[11] = row[10] = row[12] or row[9]  # done_at, claimed_done_at
        elif row[4] == "claimed_done":
            row[10] = row[12] or row[9]
    conn.executemany(
        "INSERT INTO assignment (id, task_id, unit_id, role, status, due_on, original_due_on, percent, assigned_at,"
        " acknowledged_at, claimed_done_at, done_at, last_report_at, reminders_count, escalations_count, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        plan,
    )

    # Last week's summary, so build_summary computes the change.
    prev_figures = {
        "total": n_assignments,
        "done": int(n_assignments * 0.2),
        "red": int(n_assignments * 0.3),
        "overdue": int(n_assignments * 0.25),
        "reports_this_week": n_reports // REPORT_WEEKS,
        "rate": 0.9,
    }
    conn.execute(
        "INSERT INTO summary (week, scope, figures, html, created_at) VALUES (?,?,?,?,?)",
        (_previous_week(WEEK), "all", json.dumps(prev_figures), "", _ts(NOW - timedelta(days=7))),
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {
        "seconds": time.perf_counter() - t0,
        "tasks": n_tasks,
        "measures": len(measures),
        "units": len(units),
        "reports_in_week": week_counts[-1],
        "size_mb": path.stat().st_size / MB,
    }


def _week_bounds(week: str) -> tuple[date, date]:
    year, number = week.split("-W")
    start = date.fromisocalendar(int(year), int(number), 1)
    return start, start + timedelta(days=6)


def _previous_week(week: str) -> str:
    y, w, _ = (_week_bounds(week)[0] - timedelta(days=7)).isocalendar()
    return f"{y}-W{w:02d}"


# ---------------------------------------------------------------- measuring


def rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def maxrss() -> int:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024


class RssSampler:
    """Polls the process RSS every ``interval`` seconds in a thread; ``peak`` is the highest seen."""

    def __init__(self, interval: float = 0.005) -> None:
        import psutil

        self.proc = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.peak = self.proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


class Step:
    def __init__(self, name: str) -> None:
        self.name = name
        self.times: list[float] = []
        self.cpu: list[float] = []  # process CPU time (all threads): less disturbed by a busy machine
        self.rss_start = 0
        self.rss_peak = 0
        self.py_peak = 0
        self.maxrss_after = 0
        self.profile: str = ""

    @property
    def first(self) -> float:
        return self.times[0]

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def measure(name: str, fn: Callable[[], Any], repeat: int) -> tuple[Step, Any]:
    """Timed runs only (no tracemalloc, no profiler), so the times and ru_maxrss are the pipeline's own."""
    step = Step(name)
    result = None
    for _ in range(repeat):
        result = None  # the previous result is dropped before the next run
        gc.collect()
        start = rss()
        with RssSampler() as sampler:
            t, c = time.perf_counter(), time.process_time()
            result = fn()
            step.times.append(time.perf_counter() - t)
            step.cpu.append(time.process_time() - c)
        step.rss_start = step.rss_start or start
        step.rss_peak = max(step.rss_peak, sampler.peak)
    step.maxrss_after = maxrss()
    return step, result


def trace(step: Step, fn: Callable[[], Any]) -> None:
    """One more run under tracemalloc: the peak of Python allocations made during the step."""
    gc.collect()
    tracemalloc.start()
    result = fn()
    step.py_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result


def profile(step: Step, fn: Callable[[], Any]) -> None:
    prof = cProfile.Profile()
    prof.enable()
    result = fn()
    prof.disable()
    del result
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(14)
    step.profile = out.getvalue()


class QueryLog:
    """Captures the statements build_summary sends to the database."""

    def __init__(self) -> None:
        self.on = False
        self.items: list[tuple[str, tuple[Any, ...]]] = []

    def __call__(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if self.on:
            self.items.append((statement, tuple(parameters or ())))


def sql_timings(path: Path, queries: list[tuple[str, tuple[Any, ...]]]) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    out = []
    try:
        for statement, params in queries:
            t = time.process_time()
            rows = conn.execute(statement, params).fetchall()
            dt = time.process_time() - t
            plan = [r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()]
            out.append({"sql": statement, "seconds": dt, "rows": len(rows), "plan": plan})
    finally:
        conn.close()
    return out


def _short_sql(sql: str, width: int = 110) -> str:
    s = " ".join(sql.split())
    return s if len(s) <= width else s[: width - 1] + "…"


async def _open_app(path: Path):  # type: ignore[no-untyped-def]
    from bot.app import App
    from bot.domain.clock import ManualClock
    from config.settings import Settings

    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{path}", bot_token=None)
    return App.build(settings, clock=ManualClock(NOW))


def run(path: Path, repeat: int, do_profile: bool, explain: int, lang: str) -> dict[str, Any]:
    from sqlalchemy import event

    from bot.reporting import render_summary_chart, render_summary_html, write_ledger
    from bot.services.summary import build_summary, render_outputs

    load_before = _load()
    loop = asyncio.new_event_loop()
    app = loop.run_until_complete(_open_app(path))
    log = QueryLog()
    event.listen(app.engine.sync_engine, "before_cursor_execute", log)
    baseline_rss = rss()

    async def summarise():  # type: ignore[no-untyped-def]
        async with app.sessions() as session:
            return await build_summary(app.unit_of_work(session, NOW), week=WEEK)

    first = [True]

    def step1():  # type: ignore[no-untyped-def]
        log.on = first[0]
        first[0] = False
        try:
            return loop.run_until_complete(summarise())
        finally:
            log.on = False

    s1, data = measure("1 build_summary (SQL + objects)", step1, repeat)

    def step2() -> tuple[list[str], bytes]:
        messages = render_summary_html(data, lang=lang)
        buf = io.BytesIO()
        render_summary_chart(data, buf, lang=lang)
        return messages, buf.getvalue()

    s2, (messages, chart) = measure("2 chat HTML + chart", step2, repeat)

    def step3() -> tuple[dict[str, int], int]:
        buf = io.BytesIO()
        counts = write_ledger(data, buf, lang=lang)
        return counts, len(buf.getvalue())

    s3, (ledger_counts, ledger_size) = measure("3 write_ledger", step3, repeat)

    def step4() -> tuple[list[str], bytes, bytes]:
        return render_outputs(data, lang)

    s4, outputs = measure("4 render_outputs (2+3)", step4, repeat)
    # Instrumented passes come after all timed runs: tracemalloc's own bookkeeping must not
    # show up in the timed steps' ru_maxrss.
    steps = [(s1, step1), (s2, step2), (s3, step3), (s4, step4)]
    for s, fn in steps:
        trace(s, fn)
    if do_profile:
        for s, fn in steps[:3]:
            profile(s, fn)

    queries = sql_timings(path, log.items)
    loop.run_until_complete(app.close())
    loop.close()
    return {
        "steps": [s1, s2, s3, s4],
        "data": data,
        "messages": messages,
        "chart": chart,
        "ledger_counts": ledger_counts,
        "ledger_size": ledger_size,
        "outputs": outputs,
        "queries": queries,
        "baseline_rss": baseline_rss,
        "explain": explain,
        "load_before": load_before,
    }


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / MB / 1024
    except (ValueError, OSError):
        mem = 0.0
    import sqlalchemy
    import xlsxwriter

    return (
        f"nproc {os.cpu_count()}, {cpu}, RAM {mem:.1f} GB; Python {platform.python_version()} "
        f"({platform.system()} {platform.machine()}), SQLite {sqlite3.sqlite_version}, "
        f"SQLAlchemy {sqlalchemy.__version__}, xlsxwriter {xlsxwriter.__version__}"
    )


def report(res: dict[str, Any], gen: dict[str, Any] | None, args: argparse.Namespace, path: Path) -> None:
    s1, s2, s3, s4 = res["steps"]
    data = res["data"]
    n_assign = len(data.assignments)
    n_reports = len(data.reports)
    print(f"machine: {machine()}")
    print(
        f"load average (1/5/15 min) before: {res['load_before']}, after: {_load()} -- other processes share the "
        f"CPUs; the cpu column is this process's CPU time, which a busy machine disturbs less than wall time"
    )
    print(
        f"ledger: {args.policies} policies, {args.assignments} assignments, {args.reports} reports; "
        f"db {path} ({path.stat().st_size / MB:.0f} MB)"
    )
    if gen:
        print(
            f"generated in {gen['seconds']:.1f} s: {gen['measures']} measures, {gen['tasks']} tasks, "
            f"{gen['units']} units, {gen['reports_in_week']} reports in {WEEK}"
        )
    else:
        print("generation: reused the existing file")
    print(
        f"summarised week {WEEK}, now {NOW.isoformat()}; repeat {args.repeat}; lang {args.lang}; "
        f"process RSS before step 1: {res['baseline_rss'] / MB:.0f} MB"
    )
    print()
    head = f"{'step':34} {'first s':>8} {'median s':>9} {'cpu s':>6} {'peak RSS MB':>12} {'Δ RSS MB':>9} {'py peak MB':>11} {'maxrss MB':>10}"
    print(head)
    print("-" * len(head))
    for s in res["steps"]:
        print(
            f"{s.name:34} {s.first:8.2f} {s.median:9.2f} {statistics.median(s.cpu):6.2f} {s.rss_peak / MB:12.0f} "
            f"{(s.rss_peak - s.rss_start) / MB:9.0f} {s.py_peak / MB:11.0f} {s.maxrss_after / MB:10.0f}"
        )
    print()
    summary_first = s1.first + s2.first
    summary_med = s1.median + s2.median
    peak = max(s.maxrss_after for s in res["steps"])

    def verdict(ok: bool) -> str:
        return "OK" if ok else "OVER"

    def cpu(*steps: Step) -> float:
        return sum(statistics.median(s.cpu) for s in steps)

    print(
        f"{'target (wall s unless MB)':44} {'first':>8} {'median':>8} {'cpu':>6} {'limit':>8}  verdict (median)"
    )
    print(
        f"{'summary = (1) build_summary + (2) HTML+chart':44} {summary_first:8.2f} {summary_med:8.2f} "
        f"{cpu(s1, s2):6.2f} {TARGET_SUMMARY_S:8.1f}  {verdict(summary_med <= TARGET_SUMMARY_S)} (first run: "
        f"{verdict(summary_first <= TARGET_SUMMARY_S)})"
    )
    print(
        f"{'ledger = (3) write_ledger':44} {s3.first:8.2f} {s3.median:8.2f} {cpu(s3):6.2f} {TARGET_LEDGER_S:8.1f}  "
        f"{verdict(s3.median <= TARGET_LEDGER_S)} (first run: {verdict(s3.first <= TARGET_LEDGER_S)})"
    )
    print(
        f"{'(info) (4) render_outputs, blocking the loop':44} {s4.first:8.2f} {s4.median:8.2f} {cpu(s4):6.2f} {'':8}  "
        f"(chart + ledger, synchronous in the handler)"
    )
    print(
        f"{'process peak RSS (ru_maxrss), MB':44} {peak / MB:8.0f} {'':8} {'':6} {TARGET_PEAK_MB:8.0f}  "
        f"{verdict(peak / MB <= TARGET_PEAK_MB)}"
    )
    print()
    hd = data.headline
    sheet_rows = list(res["ledger_counts"].values())  # overview, measures, assignments, reports, units
    print(
        f"rows: ledger assignments sheet {sheet_rows[2]} "
        f"(data.assignments {n_assign}), reports sheet {sheet_rows[3]} "
        f"(data.reports {n_reports}); measures {len(data.measures)}, units {len(data.units)}, "
        f"red items {len(data.red_items)}, progress lines {len(data.progress)}, next deadlines "
        f"{len(data.next_deadlines)}"
    )
    print(
        f"headline: total {hd.total}, done {hd.done}, red {hd.red}, yellow {hd.yellow}, green {hd.green}, "
        f"overdue {hd.overdue}, reports this week {hd.reports_this_week}"
    )
    print(
        f"outputs: {len(res['messages'])} chat messages, chart {len(res['chart']) / 1024:.0f} KB, "
        f"ledger {res['ledger_size'] / MB:.1f} MB"
    )
    queries = res["queries"]
    total_sql = sum(q["seconds"] for q in queries)
    print()
    s1_cpu = statistics.median(s1.cpu)
    print(
        f"build_summary issued {len(queries)} statements; re-run through sqlite3: {total_sql:.2f} s CPU of SQL "
        f"(step 1 median {s1_cpu:.2f} s CPU, so ~{max(s1_cpu - total_sql, 0):.2f} s is driver + row objects)"
    )
    for q in sorted(queries, key=lambda q: -q["seconds"])[: res["explain"]]:
        print(f"  {q['seconds']:6.3f} s {q['rows']:6d} rows  {_short_sql(q['sql'])}")
        for line in q["plan"]:
            print(f"           plan: {line}")
    for s in res["steps"]:
        if s.profile:
            print(f"\n--- cProfile {s.name} (tottime) ---")
            lines = s.profile.splitlines()
            start = next((i for i, ln in enumerate(lines) if "ncalls" in ln), 0)
            print("\n".join(lines[start : start + 16]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--policies", type=int, default=50)
    ap.add_argument("--assignments", type=int, default=20000)
    ap.add_argument("--reports", type=int, default=500000)
    ap.add_argument("--db", type=Path, help="SQLite file to use; reused if it already holds this shape")
    ap.add_argument("--keep", action="store_true", help="keep the temporary database (printed)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per step (default 3)")
    ap.add_argument("--lang", choices=("zh", "en"), default="zh")
    ap.add_argument("--profile", action="store_true", help="cProfile steps 1-3 (one extra run each)")
    ap.add_argument("--explain", type=int, default=4, help="show the N heaviest statements with their plans")
    ap.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.generate_only:
        print(json.dumps(generate(args.db, args.policies, args.assignments, args.reports)))
        return

    tmp = None
    if args.db is None:
        tmp = Path(tempfile.mkdtemp(prefix="duban-bench-summary-"))
        path = tmp / "duban.db"
    else:
        path = args.db.expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
    want = {"policy": args.policies, "assignment": args.assignments, "progressreport": args.reports}
    have = counts_in(path)
    gen = None
    if have is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        print(f"generating {path} …", flush=True)
        # A child process: generation's memory does not count against the measured process.
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--generate-only",
                "--db",
                str(path),
                "--policies",
                str(args.policies),
                "--assignments",
                str(args.assignments),
                "--reports",
                str(args.reports),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        gen = json.loads(out.stdout.strip().splitlines()[-1])
    elif have != want:
        raise SystemExit(f"{path} holds {have}, not {want}: remove it or choose another --db")

    try:
        res = run(path, max(args.repeat, 1), args.profile, args.explain, args.lang)
        report(res, gen, args, path)
    finally:
        if tmp is not None:
            if args.keep:
                print(f"\nkept {path}")
            else:
                for p in tmp.iterdir():
                    p.unlink()
                tmp.rmdir()


if __name__ == "__main__":
    main()
