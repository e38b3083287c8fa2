"""The summary read and rendered (chart, ledger, 周报) in a child process, not beside the bot.

Rendering is seconds of pure-Python work. In a worker thread it shares the interpreter lock with
the event loop: every time the loop wakes (each HTTP response, each SQL statement's result) it
waits for the renderer to give the lock up, and a reply needs dozens of wakes. In a child process
the loop runs untouched. The child is forked from multiprocessing's fork server (not from this
process, whose threads a fork would copy mid-way) and lives for one rendering.

The child reads the summary too, from its own connection, and hands back the files and the
summary's figures, without its sections and its two long row lists (the ledger's every assignment
and report). The bot process then never holds those rows: converting
tens of thousands of them held its loop, and while they lived each full collection of the garbage
collector walked them on top of the bot's own heap, a pause in which nothing else runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot.reporting import model as rm

if TYPE_CHECKING:
    from bot.domain.followup_rules import FollowupSettings
    from bot.domain.workcal import WorkCalendar
    from config.settings import Settings

R = TypeVar("R")


@dataclass(frozen=True)
class Reader:
    """What the child needs to read the summary as the bot would: the database, the office's
    calendar (holidays included) and the moment."""

    settings: Settings
    calendar: WorkCalendar
    followup_settings: FollowupSettings
    now: datetime


async def _read(reader: Reader, week: str, policy_ids: list[int] | None) -> rm.SummaryData:
    from bot.db import make_engine, make_sessionmaker
    from bot.services.summary import build_summary
    from bot.services.uow import UnitOfWork

    engine = make_engine(reader.settings.database_url, reader.settings.sqlite_synchronous)
    try:
        async with make_sessionmaker(engine)() as session:
            uow = UnitOfWork(
                session=session,
                now=reader.now,
                settings=reader.settings,
                calendar=reader.calendar,
                followup_settings=reader.followup_settings,
            )
            return await build_summary(uow, week=week, policy_ids=policy_ids)
    finally:
        await engine.dispose()


def _read_and_render(
    reader: Reader, week: str, policy_ids: list[int] | None, render: Callable[..., R], args: tuple[Any, ...]
) -> tuple[rm.SummaryData, R]:
    data = asyncio.run(_read(reader, week, policy_ids))
    empty: dict[str, Any] = {name: [] for name in ("assignments", "reports", "policies")}
    return dataclasses.replace(data, **empty), render(data, *args)


async def read_and_render_apart(
    reader: Reader, render: Callable[..., R], *args: Any, week: str, policy_ids: list[int] | None = None
) -> tuple[rm.SummaryData, R]:
    """`build_summary` and `render(data, *args)` in a child process: the summary's figures as read
    there (its headline, units and change; not its sections or rows, which only the rendering
    needs and which would cost this process as much to take in), and what `render` made."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))
    try:
        # Submitting starts the child (and the fork server, the first time), waiting on them: in a
        # thread, not on the loop.
        future = await asyncio.to_thread(
            pool.submit, _read_and_render, reader, week, policy_ids, render, args
        )
        return await asyncio.wrap_future(future)
    finally:
        pool.shutdown(wait=False)  # the child exits by itself once done; waiting would block the loop
