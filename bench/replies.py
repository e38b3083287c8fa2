"""Replies stored per second, end to end: a burst of progress replies through `duban run`.

Run: .venv/bin/python bench/replies.py [--replies 1000] [--modes real,raised]

The world of bench/world.py (32 units with bound contacts, the seed policy dispatched) is built once;
each mode then starts `duban run` on a fresh copy of it against the in-process fake Bot API. All
--replies replies (each a contact replying to one of its task messages; contacts in turn) are put
on the fake server at once, as a backlog the bot finds when it polls. Measured from the moment the
first is available to getUpdates:

* stored: until every reply's raw text is committed (the bench counts `progressreport` rows through
  its own read-only SQLite connection every 10 ms): replies stored per second. Target >= 100/s.
* answered: until every reply's confirmation ("已收到 …", replying to that message) has reached the
  fake server: confirmations per second. Each reply also queues a notice to the coordinator.

Modes (what the product is told through its settings; the fake server enforces the same):
* real: Telegram's limits, the product's defaults (RATE_GLOBAL_PER_SEC=30, 1/s per chat). The
  confirmations cannot pass 30/s (and share it with the coordinator's notices); storing should not
  wait for them.
* raised: RATE_GLOBAL_PER_SEC=1000, RATE_PER_CHAT_PER_SEC=100 and the fake server's limits off, so
  the sender is not the bottleneck and storing competes with sending as fast as the bot can.

Prints figures, asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from world import (
    FAST_LIMITS,
    NO_SUMMARY,
    REAL_LIMITS,
    Answers,
    Env,
    FakeBotAPI,
    World,
    build_world,
    copy_db,
    environment,
    max_in_window,
    quiet,
    send_reply,
    start_bot,
    stop_bot,
    stored_reports,
)

MODES = {
    "real": (REAL_LIMITS, True, "Telegram's limits (30/s, 1/s per chat), the defaults"),
    "raised": (
        FAST_LIMITS,
        False,
        "RATE_GLOBAL_PER_SEC=1000, RATE_PER_CHAT_PER_SEC=100, fake server's limits off",
    ),
}


async def burst(srv: FakeBotAPI, world: World, mode: str, n: int, tmp: Path) -> None:
    limits, enforce, label = MODES[mode]
    db = tmp / mode / "duban.db"
    copy_db(world.env.db_path, db)
    env = Env(db.parent, base_url=srv.base_url, token=srv.token)
    srv.limits.enforce = enforce
    srv.take_updates()
    bot, _ = await start_bot(srv, env, mode, limits | NO_SUMMARY)
    try:
        await quiet(srv, env)
        before = stored_reports(env)
        rejected_before = srv.stats["rejected_429"]
        answers = Answers(srv)
        mark = srv.mark()
        targets = world.reply_targets()
        replies = [send_reply(srv, *next(targets)) for _ in range(n)]
        first = srv.update_times[replies[0].update_id].queued
        deadline = time.monotonic() + max(120.0, n / 5)
        stored_at = None
        while time.monotonic() < deadline:
            if stored_reports(env) - before >= n:
                stored_at = time.monotonic()
                break
            await asyncio.sleep(0.01)
        stored = stored_reports(env) - before
        await answers.wait_all(replies, max(60.0, n / 10))
        latencies, missing, other = answers.latencies(replies)
        answered_at = [first + x for x in latencies]
        fetched = [t.fetched for r in replies if (t := srv.update_times[r.update_id]).fetched is not None]
        print(f"\n{mode}: {label}; {n} replies queued at once")
        if stored_at is not None:
            span = stored_at - first
            print(
                f"  stored      {stored}/{n} in {span:6.2f} s  ->  {n / span:7.1f} replies stored/s   (target >= 100)"
            )
        else:
            print(f"  stored      {stored}/{n} when the bench gave up")
        if fetched:
            print(f"  fetched     the last update {max(fetched) - first:6.2f} s after the first was queued")
        if answered_at:
            span = max(answered_at) - first
            print(
                f"  answered    {len(latencies)}/{n} in {span:6.2f} s  ->  {len(latencies) / span:7.1f} "
                f"confirmations/s (unanswered {len(missing)}, other answers {len(other)})"
            )
        sends = [s.time for s in srv.sent[mark:]]
        print(
            f"  all sends   {len(sends)} (confirmations and coordinator notices), most in any 1 s "
            f"{max_in_window(sends)}, 429s {srv.stats['rejected_429'] - rejected_before}"
        )
    finally:
        await stop_bot(bot)


async def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replies", type=int, default=1000)
    ap.add_argument("--modes", default="real,raised", help="comma-separated: real, raised")
    args = ap.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown:
        ap.error(f"unknown modes {sorted(unknown)}")
    started = time.monotonic()
    print(f"bench/replies.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {environment()}")
    with tempfile.TemporaryDirectory(prefix="duban-replies-") as name:
        tmp = Path(name)
        async with FakeBotAPI() as srv:
            world = await build_world(srv, tmp / "world")
            print(f"world: {len(world.contacts)} contacts, {world.task_messages} task messages")
            for mode in modes:
                await burst(srv, world, mode, args.replies, tmp)
    print(f"\nwhole run {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
