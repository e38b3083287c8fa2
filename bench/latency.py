"""What a contact feels: from their progress reply reaching Telegram to the bot's confirmation.

Run: .venv/bin/python bench/latency.py                  # (a), (b) and (d), 3-5 minutes
     .venv/bin/python bench/latency.py --scenarios c    # (c), 2-3 minutes (the first run also makes its database)
     options: [--interval 0.5] [--idle-replies 30] [--fanout 1000] [--followups 100000] [--summary-db PATH]

`duban run` runs as a child process against the in-process fake Bot API (tests/botapi/server.py),
with Telegram's send limits on both sides (30 messages/s, 1/s per chat; the product's defaults). A
reply is a contact's message replying to one of its task messages; its latency runs from the moment
the update is available to getUpdates (`srv.update_times[...].queued`) to the moment the fake server
accepts the bot's confirmation (the sendMessage to that chat replying to that message, "已收到 …").
Contacts reply in turn, one reply every --interval seconds, so no chat gets two confirmations within
its 1 s limit. Each reply also queues a notice to the coordinator, as in production.

(a) idle: a world of 32 units with bound contacts and the seed policy dispatched (bench/world.py).
(b) fan-out: in the same process, the coordinator's `/dispatch all` of a second policy (the seed's
    measures over again, about --fanout task messages) and 确认; replies while the outbox drains.
(c) summary: the province-scale database of bench/summary.py (50 policies, 20,000 assignments,
    500,000 reports; made by its generator, or --summary-db reused) with the seed policy added and
    dispatched to 12 bound contacts; the coordinator's `/summary 2025-W38`, replies from then until
    the summary's ledger has arrived. Follow-ups are switched off here (the generated ledger's
    reminders would otherwise mix in; (d) is about follow-ups), and an idle reference comes first.
(d) start-up: the world of (a) as it was before (a), plus --followups pending follow-ups added with
    bench/fanout.py's builder (the product's own planner at T = 10:00 of the latest working day) and
    `duban run` started with its clock at T, so the due backlog fires at start; replies every 0.25 s
    in the first 10 s after its first getUpdates. Target: every one answered.

The weekly summary's schedule is set never to come due (SUMMARY_CRON) in every process, so no
start-up catch-up summary mixes in. Targets: p99 <= 1 s in (a)-(c). Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from world import (
    COORD,
    NO_FOLLOWUPS,
    NO_SUMMARY,
    REAL_LIMITS,
    ROOT,
    TASK_MESSAGE,
    Answers,
    Env,
    FakeBotAPI,
    Reply,
    SentWatch,
    World,
    build_world,
    cli,
    copy_db,
    environment,
    fanout_document,
    latency_line,
    max_in_window,
    probe_latencies,
    quiet,
    reply_while,
    seed_measure_sizes,
    start_bot,
    stop_bot,
    stranger_probes,
)

SUMMARY_WEEK = "2025-W38"  # the week bench/summary.py's ledger is built around
PROVINCE_CONTACTS = 12


def report(label: str, answers: Answers, replies: list[Reply]) -> list[float]:
    latencies, missing, other = answers.latencies(replies)
    print(latency_line(label, latencies, len(missing)))
    if other:
        print(
            f"    {len(other)} answered with something other than the confirmation, e.g. "
            f"{answers.answer(other[0]).body[:120]!r}"
        )  # type: ignore[union-attr]
    fetch = [answers.srv.update_times[r.update_id] for r in replies]
    waits = [t.fetched - t.queued for t in fetch if t.fetched is not None]
    if waits:
        print(f"    {'of which until getUpdates returned it':36} max {max(waits) * 1000:7.0f} ms")
    return latencies


# ------------------------------------------------------------------------------ (a) and (b)


async def idle_and_fanout(srv: FakeBotAPI, world: World, args: argparse.Namespace, tmp: Path) -> None:
    env = world.env
    text, planned = fanout_document(seed_measure_sizes(env), args.fanout)
    if "b" in args.scenarios:  # imported now, dispatched in (b)
        doc = tmp / "fanout-policy.txt"
        doc.write_text(text, encoding="utf-8")
        await cli(env, "import", str(doc))
    bot, _ = await start_bot(srv, env, "ab", REAL_LIMITS | NO_SUMMARY)
    try:
        await quiet(srv, env)
        answers = Answers(srv)
        targets = world.reply_targets()
        if "a" in args.scenarios:
            print(f"\n(a) idle: {args.idle_replies} replies, one every {args.interval} s")
            replies = await reply_while(srv, targets, interval=args.interval, count=args.idle_replies)
            await answers.wait_all(replies, 20)
            report("(a) idle", answers, replies)
            await quiet(srv, env)
        if "b" not in args.scenarios:
            return
        print(
            f"\n(b) fan-out: /dispatch all of a policy with {planned} assignments; a reply every "
            f"{args.interval} s while it drains"
        )
        mark = srv.mark()
        rejected_before = srv.stats["rejected_429"]
        srv.command(COORD, "/dispatch all")
        preview = await srv.wait_for(chat_id=COORD, text_contains="交办预览", since=mark, timeout=60)
        srv.press_button(COORD, preview, "确认")
        pressed = time.monotonic()

        fanned = SentWatch(srv, lambda s: TASK_MESSAGE in s.body, since=mark)

        def drained() -> bool:
            return len(fanned()) >= planned

        replies, probes = await asyncio.gather(
            reply_while(srv, targets, interval=args.interval, until=drained, max_seconds=planned / 10 + 60),
            stranger_probes(srv, interval=1.0, until=drained, max_seconds=planned / 10 + 60),
        )
        await answers.wait_all(replies, 20)
        times = fanned()
        span = (times[-1] - pressed) if times else 0.0
        print(
            f"  fan-out: {len(times)} task messages delivered in {span:.1f} s after 确认 "
            f"({len(times) / span if span else 0:.1f} msg/s; most in any 1 s of all sends "
            f"{max_in_window([s.time for s in srv.sent[mark:]])}; 429s {srv.stats['rejected_429'] - rejected_before})"
        )
        sent_times = sorted(s.time for s in srv.sent[mark:])
        if sent_times:
            start = int(pressed)
            per_second = [0] * (int(sent_times[-1]) - start + 1)
            for at in sent_times:
                if at >= start:
                    per_second[int(at) - start] += 1
            print(f"  sends per second after 确认: {' '.join(map(str, per_second))}")
        handed = handed_out(env.db_path)
        if handed is not None:
            print(
                f"  handed out (dispatchrun created -> finished): {handed:.1f} s "
                f"({planned / handed if handed else 0:.1f} assignments/s)"
            )
        report("(b) replies during the fan-out", answers, replies)
        latencies, missing = probe_latencies(srv, probes)
        print(latency_line("(b) a stranger's 你好, same time", latencies, missing))
    finally:
        await stop_bot(bot)
        stats = [line for line in bot.log().splitlines() if "outbox sender stopped" in line]
        if stats:
            print(f"  sender: {stats[-1].split('outbox sender stopped: ', 1)[-1]}")


def handed_out(db: Path) -> float | None:
    """Seconds the last dispatch run took to hand out, from its own row (created and finished)."""
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT created_at, finished_at FROM dispatchrun ORDER BY id DESC LIMIT 1"
        ).fetchone()
    if not row or row[1] is None:
        return None
    return (datetime.fromisoformat(row[1]) - datetime.fromisoformat(row[0])).total_seconds()


# ------------------------------------------------------------------------------ (c)


def stamp_head(db: Path) -> None:
    """bench/summary.py makes its tables with create_all: mark them as the migrations' head, so
    `duban` does not try to create them again."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", f"sqlite+aiosqlite:///{db}")
    cfg.attributes["configure_logger"] = False
    command.stamp(cfg, "head")


def province_db(args: argparse.Namespace, tmp: Path) -> Path:
    source = args.summary_db
    if not source.exists():
        source.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        print(f"  generating the province-scale ledger with bench/summary.py into {source} …", flush=True)
        partial = source.with_name(source.name + ".partial")
        partial.unlink(missing_ok=True)
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "summary.py"), "--generate-only", "--db", str(partial)],
            check=True,
            capture_output=True,
            text=True,
        )
        shape = json.loads(out.stdout.strip().splitlines()[-1])
        for suffix in ("-wal", "-shm"):  # the generator checkpoints and closes: the file is whole
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        partial.rename(source)
        print(
            f"  generated in {time.monotonic() - started:.0f} s: {shape['measures']} measures, "
            f"{shape['tasks']} tasks, {shape['reports_in_week']} reports in {SUMMARY_WEEK}"
        )
    target = tmp / "province" / "duban.db"
    copy_db(source, target)
    stamp_head(target)
    return target


async def summary_scenario(args: argparse.Namespace, tmp: Path) -> None:
    print(f"\n(c) summary: `/summary {SUMMARY_WEEK}` on the province-scale database of bench/summary.py")
    db = province_db(args, tmp)
    async with FakeBotAPI() as srv:
        world = await build_world(
            srv, db.parent, init=True, max_units=PROVINCE_CONTACTS, setup_extra=NO_FOLLOWUPS
        )
        env = world.env
        print(
            f"  set up in {world.seconds:.0f} s: {len(world.contacts)} contacts, {world.task_messages} task "
            f"messages of the seed policy (follow-ups off)"
        )
        bot, _ = await start_bot(srv, env, "c", REAL_LIMITS | NO_SUMMARY | NO_FOLLOWUPS)
        try:
            await quiet(srv, env)
            answers = Answers(srv)
            targets = world.reply_targets()
            replies = await reply_while(srv, targets, interval=args.interval, count=10)
            await answers.wait_all(replies, 20)
            report("(c) idle, same database", answers, replies)
            await quiet(srv, env)
            mark = srv.mark()
            srv.command(COORD, f"/summary {SUMMARY_WEEK}")
            asked = time.monotonic()

            summary_sent = SentWatch(srv, lambda s: s.chat_id == COORD and "督办周报" in s.body, since=mark)
            ledger_sent = SentWatch(
                srv, lambda s: s.chat_id == COORD and s.method == "sendDocument", since=mark
            )

            def summary_out() -> float | None:
                return next(iter(summary_sent()), None)

            def ledger_out() -> float | None:
                return next(iter(ledger_sent()), None)

            replies = await reply_while(
                srv, targets, interval=args.interval, until=lambda: ledger_out() is not None, max_seconds=180
            )
            await answers.wait_all(replies, 30)
            text_at, ledger_at = summary_out(), ledger_out()
            print(
                f"  summary: first message {text_at - asked if text_at else float('nan'):.1f} s after the "
                f"command, ledger {ledger_at - asked if ledger_at else float('nan'):.1f} s after"
            )
            during = [r for r in replies if text_at is None or srv.update_times[r.update_id].queued < text_at]
            report("(c) while it is read and rendered", answers, during)
            report("(c) until the ledger has arrived", answers, replies)
        finally:
            await stop_bot(bot)


# ------------------------------------------------------------------------------ (d)


async def startup_scenario(
    srv: FakeBotAPI, snapshot: Path, world: World, args: argparse.Namespace, tmp: Path
) -> None:
    # The builder is bench/fanout.py's, which uses the product's planner through the services.
    import fanout

    from bot.app import App
    from bot.domain.clock import ManualClock

    print(
        f"\n(d) start-up with {args.followups} pending follow-ups: replies every 0.25 s in the first "
        f"10 s after the first getUpdates"
    )
    db = tmp / "startup" / "duban.db"
    copy_db(snapshot, db)
    probe = App.build(fanout.settings_for(db))
    at = fanout.bench_moment(probe.calendar)
    await probe.close()
    app = App.build(fanout.settings_for(db), clock=ManualClock(at))
    built = await fanout.build_followups(app, args.followups, at, coordinator=False)
    await app.close()
    print(
        f"  built in {built.seconds:.0f} s: {built.assignments} more assignments, {built.followups} "
        f"follow-ups ({built.due_now} due at T = {at:%Y-%m-%d %H:%M} UTC); clock starts at T"
    )
    for u in range(1, fanout.UNITS + 1):
        srv.user(fanout.CONTACT_CHAT + u)
        srv.user(fanout.LEADER_CHAT + u)
    srv.take_updates()  # nothing left over from (a) and (b)
    env = Env(db.parent, base_url=srv.base_url, token=srv.token)
    mark = srv.mark()
    rejected_before = srv.stats["rejected_429"]
    bot, to_poll = await start_bot(srv, env, "d", REAL_LIMITS | NO_SUMMARY | {"CLOCK_START": at.isoformat()})
    try:
        answers = Answers(srv)
        replies = await reply_while(srv, world.reply_targets(), interval=0.25, max_seconds=10.0)
        await answers.wait_all(replies, 30)
        print(
            f"  spawn -> first getUpdates {to_poll:.1f} s; by the last answer the bot had sent "
            f"{len(srv.sent) - mark} messages in all (429s {srv.stats['rejected_429'] - rejected_before})"
        )
        latencies = report("(d) first 10 s after start-up", answers, replies)
        print(f"  answered {len(latencies)}/{len(replies)} (target: all)")
    finally:
        await stop_bot(bot)


# ------------------------------------------------------------------------------


async def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--scenarios", default="abd", help="any of a, b, c, d (default abd; c runs on its own database)"
    )
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between replies in (a)-(c)")
    ap.add_argument("--idle-replies", type=int, default=30)
    ap.add_argument("--fanout", type=int, default=1000, help="task messages in the (b) dispatch (about)")
    ap.add_argument("--followups", type=int, default=100_000)
    from bot.migrate import HEAD

    # Named after the schema it was generated with: a file from an older schema is not reused.
    ap.add_argument(
        "--summary-db",
        type=Path,
        default=Path(tempfile.gettempdir()) / "duban-bench" / f"province-{HEAD}.db",
        help="bench/summary.py's database for (c): made by its generator if missing, reused if "
        "present (default %(default)s; `bench/summary.py --db` takes the same file)",
    )
    args = ap.parse_args(argv)
    started = time.monotonic()
    print(f"bench/latency.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {environment()}")
    with tempfile.TemporaryDirectory(prefix="duban-latency-") as name:
        tmp = Path(name)
        if set(args.scenarios) & set("abd"):
            async with FakeBotAPI() as srv:
                world = await build_world(srv, tmp / "world")
                print(
                    f"world: {len(world.contacts)} contacts, {world.task_messages} task messages, set up in "
                    f"{world.seconds:.0f} s"
                )
                snapshot = tmp / "snapshot" / "duban.db"
                copy_db(world.env.db_path, snapshot)
                if set(args.scenarios) & set("ab"):
                    await idle_and_fanout(srv, world, args, tmp)
                if "d" in args.scenarios:
                    await startup_scenario(srv, snapshot, world, args, tmp)
        if "c" in args.scenarios:
            await summary_scenario(args, tmp)
    print(
        f"\ntargets: p99 <= 1000 ms in (a)-(c); every reply answered in (d). "
        f"Whole run {time.monotonic() - started:.0f} s; load average now {environment().rsplit(' ', 1)[-1]}"
    )


if __name__ == "__main__":
    asyncio.run(main())
