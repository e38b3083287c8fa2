"""Ingest benchmark: progress replies through the whole bot against a bare aiogram Dispatcher.

Run: .venv/bin/python bench/ingest.py [--replies 1000] [--trials 5] [--bare-passes 5] [--batch 20]
                                      [--synchronous NORMAL|FULL|both] [--path batched|single]
                                      [--warmup 200] [--storage memory|sql] [--profile]

Both sides get the same pre-built `aiogram.types.Update` objects (already mounted on the Bot,
so aiogram does not re-validate them), fed with `await dispatcher.feed_update(bot, update)`:

* bare -- a fresh `Dispatcher()` whose only router has an empty `@router.message()` handler; its
  time in a trial is the median of `--bare-passes` passes over the same updates;
* full -- `build_dispatcher(app, sender=None)` with the product's engine (`App.build`, a SQLite FILE
  in WAL mode). With `--path batched` (what `duban run` does) SessionMiddleware queues each reply
  and `ReplyIngest` commits the queue every `--per-poll` updates, as before each getUpdates: claims,
  reports, the same interpretation as one at a time, the confirmation and the coordinator's notice
  in the outbox, re-planned follow-ups. With `--path single` every update is its own transaction.

A trial feeds fresh replies to both sides, sequentially (one polling worker, as `duban run`) and
concurrently (asyncio.gather in batches, as aiogram's handle_as_tasks does); the bench reports each
trial and, per mode, the median ratio with its range. No network: the Bot's session counts calls
and the run fails if any is made; the outbox sender is not running, so the queued rows are part of
the measured durable write. Afterwards the ProgressReport, ProcessedUpdate and outbox rows are
counted through a separate sqlite3 connection to the file and must match the replies fed, and
every reply must have been taken by a batch (none by the one-at-a-time fallback).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiogram import Bot, Dispatcher, Router  # noqa: E402
from aiogram.client.session.base import BaseSession  # noqa: E402
from aiogram.types import Message, Update  # noqa: E402
from sqlalchemy import select, update  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import models  # noqa: E402,F401
from bot.app import App  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from config.settings import Settings  # noqa: E402
from models import Assignment, Contact, OutboxMessage, TaskMessage  # noqa: E402

SEED = ROOT / "config" / "data" / "seed_ganfuting_2024_15.txt"
T0 = datetime(2025, 9, 23, 2, 0, tzinfo=UTC)  # a Tuesday morning in Shanghai
TOKEN = "123456:ABC"
BOT_ID = 123456
COORD = 1001
CONTACT_BASE = 500_000  # contact i has user id = private chat id = CONTACT_BASE + i
TASK_MSG_BASE = 1_000  # synthetic message ids of the task messages the bot "sent"


class NoNetworkSession(BaseSession):
    """A Bot API session that refuses (and counts) every request."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:
        self.calls += 1
        raise RuntimeError(f"benchmark made a Bot API call: {type(method).__name__}")

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        self.calls += 1
        raise RuntimeError("benchmark streamed content")
        yield b""

    async def close(self) -> None:
        pass


# ---------------------------------------------------------------- setup


@dataclass
class Target:
    user_id: int
    name: str
    message_ids: list[int]  # the task messages in this contact's private chat


async def build_app(db_path: Path, synchronous: str) -> App:
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{db_path}", bot_token=None,
                        sqlite_synchronous=synchronous)
    app = App.build(settings, clock=ManualClock(T0))
    async with app.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    return app


async def seed(app: App) -> list[Target]:
    """The seed policy, one coordinator, one private contact per unit with work, everything dispatched,
    and a TaskMessage row (as the sender would write) for every task message."""
    from bot.importer import decompose, read_document
    from bot.services.coordination import dispatch
    from bot.services.invites import add_coordinator
    from bot.services.policies import import_policy
    from bot.services.units import sync_directory

    now = app.clock.now()
    text = read_document(SEED)
    async with app.sessions() as session, session.begin():
        await sync_directory(session, app.directory, now, "bench")
        await import_policy(session, decompose(text, app.directory), source_name="seed", source_text=text,
                            now=now, actor="bench")
        await add_coordinator(session, user_id=COORD, name="督办人", now=now, actor="bench")
    async with app.sessions() as session, session.begin():
        unit_ids = sorted(set((await session.scalars(select(Assignment.unit_id))).all()))
        for i, unit_id in enumerate(unit_ids):
            uid = CONTACT_BASE + i
            session.add(Contact(unit_id=unit_id, role="contact", chat_id=uid, telegram_user_id=uid,
                                display_name=f"联络员{i}", language="zh", created_at=now))
    async with app.sessions() as session, session.begin():
        await dispatch(session, None, now=now, actor="bench")
    targets: dict[int, Target] = {}
    async with app.sessions() as session, session.begin():
        rows = (await session.scalars(select(OutboxMessage).where(
            OutboxMessage.purpose == "dispatch", OutboxMessage.assignment_id.is_not(None))
            .order_by(OutboxMessage.id))).all()
        for n, row in enumerate(rows):
            mid = TASK_MSG_BASE + n
            session.add(TaskMessage(chat_id=row.chat_id, message_id=mid, assignment_id=row.assignment_id or 0,
                                    purpose="dispatch", created_at=now))
            i = row.chat_id - CONTACT_BASE
            targets.setdefault(row.chat_id, Target(row.chat_id, f"联络员{i}", [])).message_ids.append(mid)
        # As if the sender had delivered them: the outbox then holds only what the replies queue.
        await session.execute(update(OutboxMessage).values(state="sent", sent_at=now))
    return list(targets.values())


def reply_text(n: int) -> str:
    if n % 10 == 9:
        return "已完成"
    if n % 10 == 4:
        return "受阻，需协调"
    return f"本周推进顺利，完成{(n * 7) % 100}%"


def raw_updates(targets: Sequence[Target], first_update_id: int, count: int) -> list[dict[str, Any]]:
    """Replies in round-robin over the contacts, each to one of its own task messages."""
    out = []
    date = int(T0.timestamp())
    for k in range(count):
        uid = first_update_id + k
        target = targets[k % len(targets)]
        task_mid = target.message_ids[(k // len(targets)) % len(target.message_ids)]
        chat = {"id": target.user_id, "type": "private", "first_name": target.name}
        out.append({
            "update_id": uid,
            "message": {
                "message_id": 100_000 + uid, "date": date, "chat": chat,
                "from": {"id": target.user_id, "is_bot": False, "first_name": target.name, "language_code": "zh"},
                "text": reply_text(uid),
                "reply_to_message": {
                    "message_id": task_mid, "date": date, "chat": chat,
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "督办", "username": "duban_bot"},
                    "text": "交办任务",
                },
            },
        })
    return out


def mount(raw: list[dict[str, Any]], bot: Bot) -> list[Update]:
    return [Update.model_validate(r, context={"bot": bot}) for r in raw]


def bare_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()
    router = Router()

    @router.message()
    async def noop(message: Message) -> None:
        return None

    dispatcher.include_router(router)
    return dispatcher


# ---------------------------------------------------------------- measuring


Flush = Callable[[], Awaitable[None]] | None


async def feed_sequential(dispatcher: Dispatcher, bot: Bot, updates: Sequence[Update], flush: Flush = None,
                          per_poll: int = 100) -> float:
    """As the polling loop does: updates one at a time, and before each getUpdates (every
    `per_poll` updates, Telegram's largest batch) the product commits what it holds."""
    t0 = time.perf_counter()
    for n, u in enumerate(updates, 1):
        await dispatcher.feed_update(bot, u)
        if flush is not None and n % per_poll == 0:
            await flush()
    if flush is not None:
        await flush()
    return time.perf_counter() - t0


async def feed_concurrent(dispatcher: Dispatcher, bot: Bot, updates: Sequence[Update], batch: int,
                          flush: Flush = None, per_poll: int = 100) -> float:
    t0 = time.perf_counter()
    fed = 0
    for start in range(0, len(updates), batch):
        results = await asyncio.gather(*(dispatcher.feed_update(bot, u) for u in updates[start:start + batch]),
                                       return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise RuntimeError(f"{len(errors)} updates failed, first: {errors[0]!r}") from errors[0]
        fed += len(results)
        if flush is not None and fed >= per_poll:
            await flush()
            fed = 0
    if flush is not None:
        await flush()
    return time.perf_counter() - t0


def db_counts(db_path: Path) -> dict[str, int]:
    """Counted through a separate connection to the file: only committed rows are visible."""
    with sqlite3.connect(db_path) as conn:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in (
            ("reports", "SELECT count(*) FROM progressreport"),
            ("claimed", "SELECT count(*) FROM processedupdate"),
            ("outbox", "SELECT count(*) FROM outboxmessage WHERE state = 'pending'"),
        )}


def summarize_profile(profiler: cProfile.Profile, replies: int, top: int) -> str:
    """Own time grouped by package, then the product's functions by cumulative time, per reply."""
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = {}
    product: list[tuple[float, str]] = []
    for (filename, line, func), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in filename:
            key = filename.split("site-packages/")[1].split("/")[0]
        elif filename == "~":
            key = f"builtin {func}"
        elif filename.startswith(str(ROOT)):
            rel = filename[len(str(ROOT)) + 1:]
            key = "product" if not rel.startswith("bench") else "bench"
            if key == "product":
                product.append((cumtime, f"{rel}:{line}({func})"))
        else:
            key = "stdlib " + Path(filename).name
        by_package[key] = by_package.get(key, 0.0) + tottime
    total = sum(by_package.values())
    ms = 1000 / replies
    lines = [f"\ncProfile of {replies} sequential full replies: {total:.2f} s of profiled main-thread time "
             f"({total * ms:.1f} ms/reply under the profiler). With SQLITE_DRIVER=thread SQLite runs in "
             "aiosqlite's worker threads: the main thread waiting for them shows as epoll.",
             "own time by package:"]
    for key, value in sorted(by_package.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {value * ms:7.2f} ms/reply {100 * value / total:5.1f}%  {key}")
    lines.append("product functions by cumulative time (nested calls overlap):")
    for cumtime, name in sorted(product, reverse=True)[:top]:
        lines.append(f"  {cumtime * ms:7.2f} ms/reply  {name}")
    return "\n".join(lines)


@dataclass
class Row:
    mode: str
    side: str
    replies: int
    seconds: float
    trial: int = 1

    @property
    def rate(self) -> float:
        return self.replies / self.seconds if self.seconds else float("inf")


async def run(synchronous: str, args: argparse.Namespace) -> tuple[list[Row], dict[str, Any]]:
    session = NoNetworkSession()
    bot = Bot(TOKEN, session=session)
    info: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "duban.db"
        app = await build_app(db_path, synchronous)
        try:
            targets = await seed(app)
            info["contacts"] = len(targets)
            info["task_messages"] = sum(len(t.message_ids) for t in targets)
            # What the product's engine actually set on its connections.
            async with app.engine.connect() as conn:
                info["journal_mode"] = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
                info["synchronous"] = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
                    (await conn.exec_driver_sql("PRAGMA synchronous")).scalar()]

            from handlers import build_dispatcher

            storage = None  # build_dispatcher's default: aiogram's MemoryStorage
            if args.storage == "sql":
                from bot.telegram import SqlStorage  # what bot/runner.py passes in production

                storage = SqlStorage(app.sessions, app.clock, gate=app.gate)
            info["storage"] = type(storage).__name__ if storage else "MemoryStorage"
            full = build_dispatcher(app, storage=storage, sender=None)
            flush: Flush = None
            ingest = None
            if args.path == "batched":
                from handlers.ingest import attach_ingest  # what bot/runner.py does

                ingest = attach_ingest(full, app)
                flush = ingest.flush
            info["path"] = args.path
            bare = bare_dispatcher()
            from bot.runner import settle_heap

            settle_heap()  # as `duban run` does once it has started
            before = db_counts(db_path)

            next_id = 1
            # Trials alternate the two sides, mode by mode, so both meet the same machine: on a
            # shared VM the speed of either drifts by a fifth from one second to the next.
            phases: list[tuple[str, int, int]] = [("warmup", 0, args.warmup)]
            for trial in range(1, args.trials + 1):
                phases += [("sequential", trial, args.replies), ("concurrent", trial, args.replies)]
            rows: list[Row] = []
            fed = 0
            for mode, trial, count in phases:
                raw = raw_updates(targets, next_id, count)
                next_id += count
                bare_updates, full_updates = mount(raw, bot), mount(raw, bot)
                # The bare run lasts ~0.1 s, so one scheduling hiccup skews it: take the median of
                # several passes over the same updates (the empty handler keeps no state).
                bare_times = []
                for _ in range(args.bare_passes):
                    if mode == "concurrent":
                        bare_times.append(await feed_concurrent(bare, bot, bare_updates, args.batch))
                    else:
                        bare_times.append(await feed_sequential(bare, bot, bare_updates))
                t_bare = statistics.median(bare_times)
                if mode == "concurrent":
                    t_full = await feed_concurrent(full, bot, full_updates, args.batch, flush, args.per_poll)
                else:
                    t_full = await feed_sequential(full, bot, full_updates, flush, args.per_poll)
                fed += count
                if mode != "warmup":
                    rows += [Row(mode, "bare", count, t_bare, trial), Row(mode, "full", count, t_full, trial)]
            if args.profile:
                raw = raw_updates(targets, next_id, args.replies)
                next_id += args.replies
                updates = mount(raw, bot)
                profiler = cProfile.Profile()
                profiler.enable()
                await feed_sequential(full, bot, updates, flush, args.per_poll)
                profiler.disable()
                fed += args.replies
                info["profile"] = summarize_profile(profiler, args.replies, args.profile_top)
            after = db_counts(db_path)
            info["fed"] = fed
            info["delta"] = {k: after[k] - before[k] for k in after}
            info["api_calls"] = session.calls
            # The one-at-a-time fallback writes the same rows: count what the batches themselves took.
            info["batched"] = ingest.accepted if ingest is not None else info["fed"]
            info["failed_batches"] = ingest.failed if ingest is not None else 0
            async with app.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                info["driver"] = type(raw.driver_connection).__module__
        finally:
            await app.close()
            await bot.session.close()
    return rows, info


def print_table(synchronous: str, rows: list[Row], info: dict[str, Any]) -> None:
    print(f"\nSQLite journal_mode={info['journal_mode']} synchronous={info['synchronous']} "
          f"(requested {synchronous}); SQLite driver {info['driver']}; FSM storage {info['storage']}; path {info['path']}; "
          f"{info['contacts']} contacts, "
          f"{info['task_messages']} task messages; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'mode':<11} {'trial':>5} {'side':<5} {'replies':>8} {'seconds':>9} {'replies/s':>11} {'full/bare':>10}")
    by_trial: dict[tuple[str, int], dict[str, Row]] = {}
    for r in rows:
        by_trial.setdefault((r.mode, r.trial), {})[r.side] = r
    ratios: dict[str, list[float]] = {}
    for (mode, trial), sides in by_trial.items():
        ratio = sides["full"].rate / sides["bare"].rate
        ratios.setdefault(mode, []).append(ratio)
        for side in ("bare", "full"):
            r = sides[side]
            shown = f"{ratio:10.3f}" if side == "full" else ""
            print(f"{mode:<11} {trial:>5} {side:<5} {r.replies:>8} {r.seconds:>9.3f} {r.rate:>11.0f} {shown:>10}")
    for mode, values in ratios.items():
        total = {side: sum(r.replies for r in rows if r.mode == mode and r.side == side)
                 / sum(r.seconds for r in rows if r.mode == mode and r.side == side) for side in ("bare", "full")}
        print(f"{mode}: full/bare median {statistics.median(values):.3f} over {len(values)} trials "
              f"(min {min(values):.3f}, max {max(values):.3f}); all trials together {total['full']:.0f} vs "
              f"{total['bare']:.0f} replies/s = {total['full'] / total['bare']:.3f}")
    d = info["delta"]
    ok = (d["reports"] == info["fed"] == d["claimed"] and d["outbox"] == 2 * info["fed"] and info["api_calls"] == 0
          and info["batched"] == info["fed"] and info["failed_batches"] == 0)
    print(f"check: replies fed to full (incl. warm-up{', profile' if 'profile_tottime' in info else ''}) "
          f"= {info['fed']}; committed ProgressReport rows = {d['reports']}, ProcessedUpdate rows = "
          f"{d['claimed']}, pending outbox rows = {d['outbox']} (2 per reply); Bot API calls = "
          f"{info['api_calls']}; "
          + (f"taken by batches {info['batched']}, failed batches {info['failed_batches']} " if info["path"] == "batched"
             else "")
          + f"-> {'OK' if ok else 'MISMATCH'}")
    if not ok:
        raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replies", type=int, default=1000, help="replies per mode in each trial")
    ap.add_argument("--trials", type=int, default=5, help="trials; each runs both modes, bare then full")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--batch", type=int, default=20, help="concurrent mode: updates per asyncio.gather")
    ap.add_argument("--bare-passes", type=int, default=5, help="bare side: median of this many passes")
    ap.add_argument("--synchronous", default="NORMAL", choices=("OFF", "NORMAL", "FULL", "EXTRA", "both"),
                    help="SQLITE_SYNCHRONOUS via Settings; 'both' runs NORMAL then FULL")
    ap.add_argument("--path", default="batched", choices=("batched", "single"),
                    help="batched: replies of one polling batch commit together (what `duban run` does); "
                         "single: every update its own transaction")
    ap.add_argument("--per-poll", type=int, default=100,
                    help="updates per getUpdates batch: the product commits before the next one")
    ap.add_argument("--storage", default="sql", choices=("memory", "sql"),
                    help="FSM storage of the full dispatcher: build_dispatcher's default (memory) or the "
                         "SqlStorage bot/runner.py uses")
    ap.add_argument("--profile", action="store_true", help="cProfile one more sequential full run")
    ap.add_argument("--profile-top", type=int, default=15)
    args = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.platform()}, nproc={os.cpu_count()}; "
          f"{args.trials} trials of {args.replies} replies per mode, warm-up {args.warmup}, "
          f"concurrent batches of {args.batch}, "
          f"bare = median of {args.bare_passes} passes; "
          f"load average {os.getloadavg()[0]:.2f}")
    for synchronous in (("NORMAL", "FULL") if args.synchronous == "both" else (args.synchronous,)):
        rows, info = asyncio.run(run(synchronous, args))
        print_table(synchronous, rows, info)
        if args.profile:
            print(info["profile"])

if __name__ == "__main__":
    main()
