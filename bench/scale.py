"""Scale-out on PostgreSQL: reply ingest through the webhook with one and with two `duban run`
instances, and a fan-out sent by two instances together.

Run: DUBAN_TEST_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:PORT/postgres \\
     .venv/bin/python bench/scale.py [--replies 600] [--fanout 900] [--parts ingest,fanout]

A fresh database on that server gets `duban init`, a coordinator, contacts bound for the first
--units units with work and `/dispatch all` (through one webhook instance). Then:

* ingest: --replies progress replies (contacts in turn, each to its own task messages) are queued on
  the fake Bot API at once, which POSTs them to the instances round robin, one update in flight per
  instance (as Telegram does with max_connections = the number of instances behind the balancer).
  Measured: from the first reply being available to every raw text committed (`progressreport`
  rows, counted every 20 ms). Sending is not the bottleneck here: RATE_GLOBAL_PER_SEC=1000 and
  the fake's limits off. Configurations in one run: 1 instance, 1 instance with 2 connections
  (two updates at once in one process), 2 instances; the ratio two/one is printed.
* fanout: --fanout messages to as many chats are written into the outbox by a third process while
  two instances run with Telegram's limits (30/s for the bot, 1/s per chat) and the fake enforces
  them: messages/s from the first send to the last, the most in any one second, and 429s.

Prints figures, asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import asyncpg  # noqa: E402
from world import (  # noqa: E402
    COORD,
    FAST_LIMITS,
    NO_SUMMARY,
    REAL_LIMITS,
    TASK_MESSAGE,
    Contact,
    World,
    dispatch_all,
    environment,
    invite_and_bind,
    people,
    send_reply,
)

from bot.app import App  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.services import outbox  # noqa: E402
from config.settings import Settings  # noqa: E402
from tests.botapi import FakeBotAPI  # noqa: E402
from tests.cluster_support import Cluster, fresh_database, most_in_one_second, rows  # noqa: E402
from tests.e2e_support import run_cli  # noqa: E402

FANOUT_CHAT = 800_000


async def cli(cluster: Cluster, *args: str) -> None:
    result = await run_cli(cluster.env("cli"), *args, with_token=False, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"duban {' '.join(args)} failed:\n{result}")


async def build(srv: FakeBotAPI, url: str, tmp: Path, units: int) -> World:
    started = time.monotonic()
    setup = Cluster(srv, url, tmp / "setup", n=1, extra=FAST_LIMITS | NO_SUMMARY)
    await cli(setup, "init")
    await cli(setup, "coordinator", "add", str(COORD))
    people(srv)
    srv.limits.enforce = False
    await setup.start()
    try:
        await setup.wait_ready(timeout=240)
        names = [
            r[0]
            for r in await rows(
                url,
                "SELECT u.name FROM unit u WHERE EXISTS (SELECT 1 FROM assignment a WHERE a.unit_id = u.id "
                "AND a.status = 'draft') ORDER BY u.id",
            )
        ][:units]
        contacts: list[Contact] = await invite_and_bind(srv, names)
        mark = srv.mark()
        expected = await dispatch_all(srv)
        await srv.wait_until(
            lambda: sum(1 for s in srv.sent[mark:] if TASK_MESSAGE in s.body) >= expected, timeout=180
        )
        by_user = {c.user_id: c for c in contacts}
        for sent in srv.sent[mark:]:
            if TASK_MESSAGE in sent.body and sent.chat_id in by_user:
                by_user[sent.chat_id].task_messages.append(sent)
        await setup.terminate()
    finally:
        await setup.kill_all()
    print(
        f"world: {len(contacts)} contacts, {expected} task messages, set up in {time.monotonic() - started:.0f} s"
    )
    return World(setup.env("setup"), contacts, expected, time.monotonic() - started)


async def ingest(
    srv: FakeBotAPI, url: str, tmp: Path, world: World, label: str, instances: int, connections: int, n: int
) -> float | None:
    cluster = Cluster(srv, url, tmp / label, n=instances, extra=FAST_LIMITS | NO_SUMMARY)
    srv.limits.enforce = False
    await cluster.start()
    srv.webhook_connections = connections
    try:
        await cluster.wait_ready(timeout=240)
        await asyncio.sleep(3.0)  # start-up jobs (plan, catch-up) out of the way
        # One connection for the counting: this process also serves the fake Bot API.
        counter = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            before = await counter.fetchval("SELECT count(*) FROM progressreport")
            targets = world.reply_targets()
            log_from = len(srv.webhook_log)
            replies = [send_reply(srv, *next(targets)) for _ in range(n)]
            first = srv.update_times[replies[0].update_id].queued
            deadline = time.monotonic() + max(180.0, n / 2)
            stored_at = None
            while time.monotonic() < deadline:
                if await counter.fetchval("SELECT count(*) FROM progressreport") - before >= n:
                    stored_at = time.monotonic()
                    break
                await asyncio.sleep(0.05)
        finally:
            await counter.close()
        per_backend: dict[str, int] = {}
        for _, backend, status, _ in srv.webhook_log[log_from:]:
            if status == 200:
                per_backend[backend] = per_backend.get(backend, 0) + 1
        await srv.wait_until(lambda: not srv.pending_updates, timeout=60)
        await cluster.terminate()
    finally:
        await cluster.kill_all()
    if stored_at is None:
        print(f"  {label:<28} did not store {n} replies in time")
        return None
    rate = n / (stored_at - first)
    print(
        f"  {label:<28} {n} stored in {stored_at - first:6.2f} s -> {rate:6.1f} replies/s  "
        f"(answered 200 per instance: {sorted(per_backend.values())})"
    )
    return rate


async def fanout(srv: FakeBotAPI, url: str, tmp: Path, n: int) -> None:
    chats = [FANOUT_CHAT + i for i in range(n)]
    for chat in chats:
        srv.user(chat)
    srv.limits.enforce = True
    cluster = Cluster(srv, url, tmp / "fanout", n=2, extra=REAL_LIMITS | NO_SUMMARY)
    await cluster.start()
    try:
        await cluster.wait_ready(timeout=240)
        await asyncio.sleep(3.0)
        rejected = srv.stats["rejected_429"]
        mark = srv.mark()
        app = App.build(Settings(_env_file=None, database_url=url, bot_token=None))  # type: ignore[call-arg]
        try:
            now = datetime.now(UTC)
            async with app.sessions() as session, session.begin():
                for chat in chats:
                    outbox.enqueue(
                        session, chat_id=chat, text=f"催办提醒 #{chat}", now=now, purpose="followup"
                    )
        finally:
            await app.close()
        await srv.wait_until(
            lambda: {s.chat_id for s in srv.sent[mark:]} >= set(chats), timeout=max(120, n / 10)
        )
        await cluster.terminate()
    finally:
        await cluster.kill_all()
    sent = [s for s in srv.sent[mark:] if s.chat_id >= FANOUT_CHAT]
    times = [s.time for s in sent]
    span = max(times) - min(times)
    repeated = len(sent) - len({s.chat_id for s in sent})
    print(
        f"  fan-out, 2 instances: {len(sent)} sends to {n} chats in {span:6.2f} s -> {(len(sent) - 1) / span:5.1f} "
        f"msg/s (target 28.5-30); most in any 1 s {most_in_one_second(times)}; "
        f"429s {srv.stats['rejected_429'] - rejected}; sent twice {repeated}"
    )


async def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replies", type=int, default=600)
    ap.add_argument("--fanout", type=int, default=900)
    ap.add_argument("--units", type=int, default=24)
    ap.add_argument("--parts", default="ingest,fanout")
    args = ap.parse_args(argv)
    server = os.environ.get("DUBAN_TEST_PG_URL")
    if not server:
        ap.error("DUBAN_TEST_PG_URL is not set (a PostgreSQL server; see .ci/run)")
    parts = {p.strip() for p in args.parts.split(",")}
    started = time.monotonic()
    print(f"bench/scale.py  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {environment()}")
    url = await fresh_database(server)
    await asyncio.to_thread(upgrade, url)
    with tempfile.TemporaryDirectory(prefix="duban-scale-") as name:
        tmp = Path(name)
        async with FakeBotAPI() as srv:
            srv.webhook_retry_delay = 0.2
            if "ingest" in parts:
                world = await build(srv, url, tmp, args.units)
                print(f"\ningest: {args.replies} replies queued at once, through the webhook, on PostgreSQL")
                one = await ingest(srv, url, tmp, world, "1 instance", 1, 1, args.replies)
                await ingest(srv, url, tmp, world, "1 instance, 2 connections", 1, 2, args.replies)
                two = await ingest(srv, url, tmp, world, "2 instances", 2, 2, args.replies)
                if one and two:
                    print(f"  two / one = {two / one:.2f}  (target >= 1.6)")
            if "fanout" in parts:
                print(
                    f"\nfan-out: {args.fanout} messages to {args.fanout} chats, Telegram's limits, fake enforcing"
                )
                await fanout(srv, url, tmp, args.fanout)
    print(f"\nwhole run {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
