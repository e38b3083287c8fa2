"""Fan-out and follow-up scale benchmark. Prints figures; never asserts timing.

Run: .venv/bin/python bench/fanout.py [--messages 1000] [--followups 100000] [--ticks-nothing-due 20]
                                      [--skip-fanout] [--skip-ticks] [--skip-startup] [--watch 12]

(a) fan-out: N reminders to N distinct private chats, queued in the outbox of a SQLite file and
    delivered by the real `OutboxSender` + `AiogramTransport` (aiogram over HTTP) to the in-process
    FakeBotAPI with Telegram's rate limits ON (30 sends in any 1 s, 1/s per private chat). Prints the
    achieved rate against the 30 msg/s limit (target >= 28.5) and the 429s the server answered
    (target 0).

(b) follow-up scale: a SQLite file (migrated with the product's Alembic migrations) with ~100,000
    pending `Followup` rows, inserted in bulk together with the Policy/Measure/Task/Unit/Assignment/
    Contact rows they need. The rows are what the product's own planner (`plan_followups`, horizon
    as in `services.followups.replan`) gives for each assignment at T = a working day 10:00
    in the configured zone, so a tick's re-check neither cancels nor adds them; ~2 % of the assignments have
    something due at T (ack reminders/escalations, overdue reminders/escalations), the rest is due
    over the next three weeks. Then:
      - `services.followups.tick` at T, in its own transaction as `Jobs.tick` runs it: the first call
        (a full batch of 200 due), every call until nothing is due, and then the "nothing due" case
        (target <= 50 ms);
      - one full re-plan (`replan(session, None)`, the scheduler's 10-minute job) over all open
        assignments;
      - `duban run` as a child process on a copy of that database (taken before the ticks) against a
        FakeBotAPI: seconds from spawn to its first getUpdates call (target <= 3 s) and its RSS
        (psutil) then and at peak while it keeps running for --watch seconds (the re-plan job starts
        2 s after the scheduler). The same for an empty database, for comparison. While it runs, a
        new user writes to the bot every 0.5 s and the reply latency is recorded: it shows whether
        the start-up re-plan holds up the handlers.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

import models  # noqa: E402,F401
from bot.app import App  # noqa: E402
from bot.domain.clock import ManualClock, SystemClock  # noqa: E402
from bot.domain.followup_rules import AssignmentFacts, plan_followups  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.services import followups, outbox  # noqa: E402
from bot.telegram.sender import Limits, OutboxSender  # noqa: E402
from bot.telegram.transport import AiogramTransport, make_bot  # noqa: E402
from config.settings import Settings  # noqa: E402
from models import Assignment, Contact, Followup, Measure, OutboxMessage, Policy, Task, Unit  # noqa: E402
from tests.botapi import FakeBotAPI  # noqa: E402
from tests.e2e_support import BotProcess, Env  # noqa: E402

FANOUT_CHAT = 600_000
UNITS = 40
CONTACT_CHAT = 900_000  # unit i's contact; its leader is LEADER_CHAT + i
LEADER_CHAT = 910_000
COORD = 1001
PROBE_USER = 990_000
REAL_LIMITS = {"RATE_GLOBAL_PER_SEC": "30", "RATE_PER_CHAT_PER_SEC": "1", "RATE_PER_GROUP_PER_MIN": "20"}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = start = 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def settings_for(db: Path) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{db}", bot_token=None)


# ------------------------------------------------------------------------------ (a) fan-out


async def fanout(workdir: Path, n: int, spread: int | None = None) -> None:
    """`spread`: the messages go to that many chats in turn (a dispatch to a province's contacts),
    so each chat's 1/s binds as well as the 30/s."""
    chats = [FANOUT_CHAT + i for i in range(spread or n)]
    print(
        f"\n(a) fan-out: {n} reminders to {len(chats)} distinct chats, real sender + AiogramTransport, limits ON"
    )
    db = workdir / f"fanout-{len(chats)}.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    app = App.build(settings_for(db), clock=SystemClock())
    async with FakeBotAPI() as srv:
        assert srv.limits.enforce
        for chat in chats:
            srv.user(chat)
        now = app.clock.now()
        async with app.sessions() as session, session.begin():
            for i in range(n):
                chat = chats[i % len(chats)]
                outbox.enqueue(
                    session,
                    chat_id=chat,
                    now=now,
                    purpose="followup",
                    text=f"⏰ <b>签收提醒</b> 任务 #{chat} 已交办，尚未签收。请点“签收”。",
                )
        bot = make_bot(srv.token, srv.base_url)
        sender = OutboxSender(app.sessions, AiogramTransport(bot), app.clock, Limits(), gate=app.gate)
        started = time.monotonic()
        await sender.drain(timeout=max(120.0, n / 10))
        elapsed = time.monotonic() - started
        await bot.session.close()
        async with app.sessions() as session:
            states = dict(
                (
                    await session.execute(
                        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
                    )
                ).all()
            )
        accepted = sorted(s.time for s in srv.sent)
        span = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
        stats = srv.stats
    await app.close()
    delivered = len({s.chat_id for s in srv.sent})
    print(f"  delivered           {delivered}/{n} chats, {len(srv.sent)} messages; outbox states {states}")
    print(
        f"  wall time (drain)   {elapsed:8.2f} s  ->  {n / elapsed:6.2f} msg/s   (limit 30, target >= 28.5)"
    )
    if span:
        print(f"  first..last accept  {span:8.2f} s  ->  {(len(accepted) - 1) / span:6.2f} msg/s")
    print(f"  most in any 1 s     {max_in_window(accepted, 1.0):5d}            (server limit 30)")
    print(
        f"  429s from server    {stats['rejected_429']:5d}            (target 0); sender stats {sender.stats}"
    )


# ------------------------------------------------------------------------------ (b) follow-ups


def bench_moment(calendar: Any) -> datetime:
    """10:00 in the calendar's zone on the latest working day whose 10:00 is not in the future."""
    now_local = datetime.now(calendar.tz)
    d = now_local.date() if now_local.time() >= dtime(10) else now_local.date() - timedelta(days=1)
    while not calendar.is_working_day(d):
        d -= timedelta(days=1)
    return calendar.at_local(d, dtime(10))


@dataclass
class Built:
    assignments: int = 0
    tasks: int = 0
    followups: int = 0
    due_now: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


async def build_followups(app: App, target: int, at: datetime, *, coordinator: bool = True) -> Built:
    """Bulk-inserts the rows; returns what was made. Ids continue after those in the database, so the
    rows can be added to a database that has work already (bench/latency.py does)."""
    async with app.sessions() as session:
        last = {
            model: (await session.scalar(select(func.max(model.id)))) or 0  # type: ignore[attr-defined]
            for model in (Policy, Measure, Unit, Task, Assignment)
        }
    p0, m0, u0, t0, a0 = (last[m] for m in (Policy, Measure, Unit, Task, Assignment))
    cal = app.calendar
    base = app.followup_settings
    built = Built()
    started = time.monotonic()
    today = cal.local_date(at)
    policy_rows = [
        {
            "id": p0 + 1,
            "title": "基准测试政策",
            "short_title": "基准",
            "fingerprint": f"bench-{p0 + 1}",
            "code": f"B{p0 + 1}",  # the bench's own prefix: no clash with the codes the product assigns
            "source_name": "bench",
            "source_text": "",
            "created_at": at,
        }
    ]
    measure_rows = [
        {"id": m0 + m, "policy_id": p0 + 1, "number": m, "label": f"{m}", "title": f"措施{m}", "text": ""}
        for m in range(1, 11)
    ]
    unit_rows = [
        {
            "id": u0 + u,
            "name": f"基准单位{u:02d}",
            "kind": "provincial",
            "known": True,
            "needs_review": False,
            "in_seed": False,
            "created_at": at,
        }
        for u in range(1, UNITS + 1)
    ]
    contact_rows = [
        {
            "unit_id": u0 + u,
            "role": role,
            "chat_id": chat + u,
            "telegram_user_id": chat + u,
            "is_group": False,
            "display_name": f"{role}{u}",
            "language": "zh",
            "active": True,
            "created_at": at,
        }
        for u in range(1, UNITS + 1)
        for role, chat in (("contact", CONTACT_CHAT), ("leader", LEADER_CHAT))
    ]
    contact_rows += [
        {
            "unit_id": None,
            "role": "coordinator",
            "chat_id": COORD,
            "telegram_user_id": COORD,
            "is_group": False,
            "display_name": "督办人",
            "language": "zh",
            "active": True,
            "created_at": at,
        }
    ][: 1 if coordinator else 0]
    task_rows: list[dict[str, Any]] = []
    assignment_rows: list[dict[str, Any]] = []
    followup_rows: list[dict[str, Any]] = []
    aid = a0
    while len(followup_rows) < target:
        n_task = len(task_rows) + 1
        task_id = t0 + n_task
        measure = m0 + (n_task - 1) % 10 + 1
        task_rows.append(
            {
                "id": task_id,
                "policy_id": p0 + 1,
                "measure_id": measure,
                "seq": (n_task - 1) // 10 + 1,
                "text": f"基准任务{n_task}：按季度推进产业链重点项目建设并报送进展。",
                "active": True,
                "created_at": at,
            }
        )
        for unit in range(1, UNITS + 1):
            aid += 1
            kind = (aid - a0) % 100
            due_on = today + timedelta(days=7 + (aid - a0) % 120)
            if kind < 2:  # assigned 1-4 days ago, not acknowledged: reminder or escalation due now
                row = {
                    "status": "assigned",
                    "assigned_at": at - timedelta(days=1 + (aid - a0) % 4),
                    "acknowledged_at": None,
                    "last_report_at": None,
                }
            elif kind < 4:  # overdue by a few days
                due_on = today - timedelta(days=1 + (aid - a0) % 6)
                row = {
                    "status": "in_progress",
                    "assigned_at": at - timedelta(days=60),
                    "acknowledged_at": at - timedelta(days=59),
                    "last_report_at": at - timedelta(hours=2),
                }
            elif kind < 30:  # just dispatched
                row = {
                    "status": "assigned",
                    "assigned_at": at - timedelta(hours=1),
                    "acknowledged_at": None,
                    "last_report_at": None,
                }
            else:  # working on it, reported this week
                row = {
                    "status": "in_progress",
                    "assigned_at": at - timedelta(days=30),
                    "acknowledged_at": at - timedelta(days=29),
                    "last_report_at": at - timedelta(hours=3),
                }
            row |= {
                "id": aid,
                "task_id": task_id,
                "unit_id": u0 + unit,
                "role": "lead" if unit == 1 else "co",
                "due_on": due_on,
                "created_at": at - timedelta(days=60),
            }
            assignment_rows.append(row)
            facts = AssignmentFacts(
                assignment_id=aid,
                status=row["status"],
                assigned_at=row["assigned_at"],
                acknowledged_at=row["acknowledged_at"],
                due_on=due_on,
                last_report_at=row["last_report_at"],
                rhythm=None,
            )
            for p in plan_followups(facts, base, cal, at, horizon_days=followups.HORIZON_DAYS):
                followup_rows.append(
                    {
                        "assignment_id": aid,
                        "kind": p.kind,
                        "key": p.key,
                        "due_at": p.due_at,
                        "state": "pending",
                        "payload": p.payload,
                        "created_at": at,
                    }
                )
                built.kinds[p.kind] = built.kinds.get(p.kind, 0) + 1
                if p.due_at <= at:
                    built.due_now += 1
    async with app.sessions() as session, session.begin():
        for model, rows in (
            (Policy, policy_rows),
            (Measure, measure_rows),
            (Unit, unit_rows),
            (Contact, contact_rows),
            (Task, task_rows),
        ):
            await session.execute(insert(model), rows)
        for start in range(0, len(assignment_rows), 5000):
            await session.execute(insert(Assignment), assignment_rows[start : start + 5000])
        for start in range(0, len(followup_rows), 10000):
            await session.execute(insert(Followup), followup_rows[start : start + 10000])
    built.assignments, built.tasks, built.followups = len(assignment_rows), len(task_rows), len(followup_rows)
    built.seconds = time.monotonic() - started
    return built


async def timed_tick(app: App) -> tuple[float, float, followups.TickResult]:
    """One tick as Jobs.tick runs it: (tick call, tick + commit, result)."""
    started = time.monotonic()
    async with app.sessions() as session:
        async with session.begin():
            result = await followups.tick(app.unit_of_work(session))
            called = time.monotonic() - started
        committed = time.monotonic() - started
    return called, committed, result


async def ticks(app: App, nothing_due_runs: int) -> None:
    print(
        f"  tick at {app.clock.now().astimezone(app.calendar.tz):%Y-%m-%d %H:%M %Z} (working time: "
        f"{app.calendar.is_working_time(app.clock.now())}), batch {followups.TICK_BATCH}:"
    )
    fired_total = messages_total = 0
    n = 0
    while True:
        called, committed, result = await timed_tick(app)
        n += 1
        fired_total += result.fired
        messages_total += result.messages
        if n <= 3 or result.fired == 0:
            print(
                f"    tick {n:2d}  call {ms(called)}  call+commit {ms(committed)}  fired {result.fired:3d}  "
                f"skipped {result.skipped:3d}  messages queued {result.messages:3d}"
            )
        if result.fired == 0 and result.skipped == 0:
            break
        if n > 200:
            break
    print(
        f"    ... {n - 1} ticks with work: {fired_total} follow-ups fired, {messages_total} messages queued"
    )
    calls, commits = [], []
    for _ in range(nothing_due_runs):
        called, committed, result = await timed_tick(app)
        assert result.fired == 0
        calls.append(called)
        commits.append(committed)
    print(
        f"    nothing due x{nothing_due_runs}: call median {ms(statistics.median(calls))}  max {ms(max(calls))}; "
        f"call+commit median {ms(statistics.median(commits))}   (target <= 50 ms)"
    )
    # Outside working hours the tick returns at once: for completeness.
    evening = ManualClock(app.clock.now() + timedelta(hours=10))
    outside = dataclasses.replace(app, clock=evening)
    called, _, _ = await timed_tick(outside)
    print(f"    outside working hours (20:00): call {ms(called)}")


async def full_replan(app: App) -> None:
    started = time.monotonic()
    async with app.sessions() as session, session.begin():
        result = await followups.replan(app.unit_of_work(session), None)
    elapsed = time.monotonic() - started
    print(
        f"  full re-plan (the 10-minute job): {elapsed:6.2f} s over {result.assignments} open assignments "
        f"(added {result.added}, cancelled {result.cancelled})"
    )


@dataclass
class Startup:
    to_get_me: float | None = None
    to_get_updates: float | None = None
    rss_at_updates: int = 0
    rss_peak: int = 0
    cpu_seconds: float = 0.0
    reply_latencies: list[tuple[float, float | None]] = field(default_factory=list)


async def startup(db: Path, workdir: Path, watch: float) -> Startup:
    env = Env(workdir, extra=dict(REAL_LIMITS))
    if db != env.db_path:
        shutil.copyfile(db, env.db_path)
    out = Startup()
    async with FakeBotAPI() as srv:
        env.base_url, env.token = srv.base_url, srv.token
        bot = BotProcess(env, "bench")
        spawned = time.monotonic()
        await bot.start()
        assert bot.proc is not None
        proc = psutil.Process(bot.proc.pid)

        def first(method: str) -> float | None:
            return next((c.time - spawned for c in srv.calls if c.method == method), None)

        def sample() -> None:
            try:
                out.rss_peak = max(out.rss_peak, proc.memory_info().rss)
            except psutil.Error:
                pass

        try:
            while first("getUpdates") is None:
                if not bot.running:
                    raise RuntimeError(f"`duban run` exited:\n{bot.log()}")
                if time.monotonic() - spawned > 60:
                    raise RuntimeError(f"`duban run` did not poll within 60 s:\n{bot.log()}")
                sample()
                await asyncio.sleep(0.005)
            out.to_get_me, out.to_get_updates = first("getMe"), first("getUpdates")
            out.rss_at_updates = proc.memory_info().rss
            sample()
            # Probes: a new user writes every 0.5 s; the bot answers strangers with a polite notice.
            t_end = time.monotonic() + watch
            probes: list[tuple[int, float]] = []
            next_probe = time.monotonic()
            k = 0
            while time.monotonic() < t_end:
                if time.monotonic() >= next_probe:
                    uid = PROBE_USER + k
                    k += 1
                    srv.user(uid)
                    probes.append((uid, time.monotonic()))
                    srv.send_text(uid, "你好")
                    next_probe += 0.5
                sample()
                await asyncio.sleep(0.02)
            await asyncio.sleep(2.0)
            for uid, at in probes:
                reply = next((s for s in srv.messages_to(uid)), None)
                out.reply_latencies.append((at - spawned, reply.time - at if reply else None))
            times = proc.cpu_times()
            out.cpu_seconds = times.user + times.system
        finally:
            try:
                await bot.terminate(20)
            except TimeoutError:
                await bot.kill()
    return out


def print_startup(label: str, s: Startup) -> None:
    mb = 1024 * 1024
    print(f"  {label}:")
    print(f"    spawn -> getMe       {s.to_get_me or float('nan'):6.2f} s")
    print(f"    spawn -> getUpdates  {s.to_get_updates or float('nan'):6.2f} s   (target <= 3 s)")
    print(
        f"    RSS at getUpdates    {s.rss_at_updates / mb:6.1f} MB;  peak while watched {s.rss_peak / mb:6.1f} MB;  "
        f"CPU used {s.cpu_seconds:5.1f} s"
    )
    answered = [lat for _, lat in s.reply_latencies if lat is not None]
    missing = sum(1 for _, lat in s.reply_latencies if lat is None)
    if answered:
        worst_at, worst = max(
            ((at, lat) for at, lat in s.reply_latencies if lat is not None), key=lambda x: x[1]
        )
        print(
            f"    reply to a new user  median {statistics.median(answered) * 1000:6.0f} ms, worst "
            f"{worst * 1000:6.0f} ms (sent {worst_at:4.1f} s after spawn); unanswered {missing}/"
            f"{len(s.reply_latencies)}"
        )


async def followup_scale(
    workdir: Path, target: int, nothing_due_runs: int, do_ticks: bool, do_startup: bool, watch: float
) -> None:
    db = workdir / "followups.db"
    upgrade(f"sqlite+aiosqlite:///{db}")
    probe = App.build(settings_for(db))
    at = bench_moment(probe.calendar)
    await probe.close()
    app = App.build(settings_for(db), clock=ManualClock(at))
    print(f"\n(b) follow-up scale: T = {at.astimezone(app.calendar.tz):%Y-%m-%d %H:%M %Z} ({at:%a})")
    built = await build_followups(app, target, at)
    async with app.sessions() as session:
        pending = await session.scalar(
            select(func.count()).select_from(Followup).where(Followup.state == "pending")
        )
        due = await session.scalar(
            select(func.count())
            .select_from(Followup)
            .where(Followup.state == "pending", Followup.due_at <= at)
        )
        last = await session.scalar(select(func.max(Followup.due_at)))
    print(
        f"  built in {built.seconds:5.1f} s: {built.tasks} tasks x {UNITS} units = {built.assignments} assignments, "
        f"{pending} pending follow-ups ({due} due at T, the last one due {last:%Y-%m-%d})"
    )
    print(f"  by kind: {dict(sorted(built.kinds.items()))}")
    await app.close()
    snapshot = workdir / "startup" / "duban.db"
    snapshot.parent.mkdir()
    shutil.copyfile(db, snapshot)  # engine disposed: the WAL was checkpointed into the file
    if do_ticks:
        app = App.build(settings_for(db), clock=ManualClock(at))
        await ticks(app, nothing_due_runs)
        await full_replan(app)
        await app.close()
    if do_startup:
        print(
            f"\n  `duban run` start-up (FakeBotAPI, limits on; watched {watch:.0f} s after the first getUpdates):"
        )
        empty = workdir / "empty" / "duban.db"
        empty.parent.mkdir()
        upgrade(f"sqlite+aiosqlite:///{empty}")
        print_startup("empty database", await startup(empty, empty.parent, watch))
        print_startup(
            f"{built.followups} follow-ups, {built.assignments} assignments",
            await startup(snapshot, snapshot.parent, watch),
        )


def environment() -> str:
    import aiogram
    import sqlalchemy

    return (
        f"python {platform.python_version()}, aiogram {aiogram.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
        f"SQLite {__import__('sqlite3').sqlite_version}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--followups", type=int, default=100_000)
    parser.add_argument("--ticks-nothing-due", type=int, default=20)
    parser.add_argument(
        "--watch", type=float, default=12.0, help="seconds to watch `duban run` after it polls"
    )
    parser.add_argument(
        "--chats", type=int, default=None, help="spread the fan-out over this many chats (default: one each)"
    )
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--skip-ticks", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args(argv)
    print(f"bench/fanout.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {environment()}")
    with tempfile.TemporaryDirectory(prefix="duban-fanout-") as tmp:
        workdir = Path(tmp)
        if not args.skip_fanout:
            await fanout(workdir, args.messages, args.chats)
        if not (args.skip_ticks and args.skip_startup):
            await followup_scale(
                workdir,
                args.followups,
                args.ticks_nothing_due,
                not args.skip_ticks,
                not args.skip_startup,
                args.watch,
            )


if __name__ == "__main__":
    asyncio.run(main())
