"""Fair sending: a flood of answers cannot hold scheduled work back.

The real sender and transport against the fake Bot API with its rate limits on.
"""

from __future__ import annotations

import asyncio
import time

from aiogram import Bot
from sqlalchemy import func, select

from bot.app import App
from bot.jobs import Jobs
from bot.services import outbox
from bot.services.housekeeping import STRANGER_PERIOD
from models import Event, OutboxMessage, ProcessedUpdate, ProgressReport
from tests.botapi import FakeBotAPI
from tests.conftest import Harness
from tests.test_bot_flow import STRANGER, YICHUN, dispatch_and_find
from tests.test_outbox_sender import bot, make_sender, srv  # noqa: F401  (fixtures)


async def test_forty_chats_answered_every_second_do_not_hold_back_a_dispatch(
    app: App,
    srv: FakeBotAPI,  # noqa: F811
    bot: Bot,  # noqa: F811
) -> None:
    """40 people each get an answer every second (more than the 30/s budget); a task message
    dispatched meanwhile must still go out within a couple of seconds, not when they stop."""
    writers = [90_000 + i for i in range(40)]
    task_chats = [91_000 + i for i in range(10)]
    for chat in [*writers, *task_chats]:
        srv.user(chat)
    sender = make_sender(app, bot)
    running = asyncio.create_task(sender.run())
    stop_flood = asyncio.Event()

    async def flood() -> None:
        while not stop_flood.is_set():
            async with app.sessions() as session, session.begin():
                for chat in writers:
                    outbox.enqueue(session, chat_id=chat, text="您好", now=app.clock.now(), purpose="reply")
            sender.wake()
            await asyncio.sleep(1.0)

    flooding = asyncio.create_task(flood())
    try:
        await asyncio.sleep(2.0)
        async with app.sessions() as session, session.begin():
            for chat in task_chats:
                outbox.enqueue(
                    session, chat_id=chat, text=f"📌 交办任务 {chat}", now=app.clock.now(), purpose="dispatch"
                )
        sender.wake()
        queued_at = time.monotonic()
        try:
            await srv.wait_until(lambda: all(srv.messages_to(c) for c in task_chats), timeout=6)
        except TimeoutError:
            pass
        waited = time.monotonic() - queued_at
    finally:
        stop_flood.set()
        await flooding
        await sender.stop()
        await asyncio.wait_for(running, 10)
    delivered = [c for c in task_chats if srv.messages_to(c)]
    assert len(delivered) == len(task_chats) and waited < 3.0, (
        f"{len(delivered)} of {len(task_chats)} task messages out after {waited:.1f} s of a flood of answers"
    )
    # Answers still went out meanwhile, near the rate limit, and nothing was refused.
    assert sum(1 for s in srv.sent if s.chat_id in writers) >= 60
    assert srv.stats["rejected_429"] == 0


# ------------------------------------------------------------------------- strangers, purging


async def test_a_stranger_gets_one_answer_per_period_and_their_rows_are_purged(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    for i in range(5):
        h.srv.send_text(STRANGER, f"你好 {i}")
    h.srv.command(STRANGER, "/board")
    await h.deliver()
    answers = h.srv.messages_to(STRANGER)
    assert len(answers) == 1 and "邀请" in answers[0].text, [s.text for s in answers]

    h.app.clock.advance(seconds=STRANGER_PERIOD.total_seconds() + 1)  # type: ignore[attr-defined]
    h.srv.send_text(STRANGER, "还在吗")
    await h.deliver()
    assert len(h.srv.messages_to(STRANGER)) == 2, "a new period earns a new answer"

    async with h.app.sessions() as session:
        claims = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        task_rows = await session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.purpose == "dispatch")
        )
        events_before = await session.scalar(select(func.count(Event.id)))
    assert claims and claims >= 7 and task_rows

    jobs = Jobs(h.app)
    assert await jobs.purge() == 0, "nothing is old enough yet"

    h.app.clock.advance(days=31)  # type: ignore[attr-defined]
    assert await jobs.purge() > 0
    async with h.app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 0
        assert (
            await session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.chat_id == STRANGER)
            )
            == 0
        )
        # Finished answers to members went too; the task messages and the audit trail stay.
        assert (
            await session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.purpose == "reply"))
            == 0
        )
        assert (
            await session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.purpose == "dispatch")
            )
            == task_rows
        )
        assert await session.scalar(select(func.count(Event.id))) == events_before
    # A reply to the task message is still stored after the purge.
    h.srv.send_text(YICHUN, "完成30%", reply_to=task_msg)
    await h.deliver()
    async with h.app.sessions() as session:
        assert [r.raw_text for r in (await session.scalars(select(ProgressReport))).all()] == ["完成30%"]
