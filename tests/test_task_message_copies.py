"""A crash in the middle of a fan-out can put two copies of a task message in a chat; a reply to
either copy is stored.

The crash is made with the fake Bot API: sendMessage answers after 0.4 s, and the sender is
killed (its deliveries cancelled, nothing recorded) while those requests are in flight. The
server still delivers them, as Telegram does with a request it received.
"""

from __future__ import annotations

import asyncio

from aiogram.types import Update
from sqlalchemy import select

from bot.telegram.sender import Limits, OutboxSender
from bot.telegram.transport import AiogramTransport
from models import Event, OutboxMessage, ProgressReport, TaskMessage
from tests.conftest import Harness
from tests.e2e_support import slow_method
from tests.test_bot_flow import COORD, YICHUN, _setup


async def _feed(h: Harness) -> None:
    for raw in h.srv.take_updates():  # type: ignore[attr-defined]
        await h.dispatcher.feed_update(h.bot, Update.model_validate(raw, context={"bot": h.bot}))


async def test_a_reply_to_a_copy_sent_before_a_crash_is_stored(harness: Harness) -> None:
    h = harness
    await _setup(h)
    h.srv.command(COORD, "/dispatch 2")
    await h.deliver()
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "确认")
    await _feed(h)  # the task messages are queued; nothing has sent them yet

    crashing = OutboxSender(
        h.app.sessions,
        AiogramTransport(h.bot),
        h.app.clock,
        Limits(global_per_sec=1000, per_chat_per_sec=1000, per_group_per_min=10000),
        gate=h.app.gate,
    )
    mark = len(h.srv.calls)
    with slow_method(h.srv, "sendMessage", 0.4):
        running = asyncio.create_task(crashing.run())
        await h.srv.wait_until(
            lambda: any(
                c.method == "sendMessage" and str(c.chat_id) == str(YICHUN) for c in h.srv.calls[mark:]
            ),
            timeout=5,
        )
        # SIGKILL: nothing after this point of the sender's work happens.
        for delivery in list(crashing._in_flight):
            delivery.cancel()
        running.cancel()
        await asyncio.gather(running, *crashing._in_flight, return_exceptions=True)
        await asyncio.sleep(0.6)  # the server completes the requests it received
    first_copies = [s for s in h.srv.messages_to(YICHUN) if "交办任务" in s.text]
    assert first_copies, "the crash came before any task message reached 宜春"

    # The restarted sender sends the unconfirmed rows again once their claims' lease has run out:
    # a second copy of each.
    h.app.clock.advance(seconds=crashing.limits.lease_seconds + 1)  # type: ignore[attr-defined]
    await h.sender.drain(timeout=20)
    copies = [s for s in h.srv.messages_to(YICHUN) if "交办任务" in s.text]
    first = first_copies[0]
    duplicate = [s for s in copies if s.text == first.text and s.message_id != first.message_id]
    assert duplicate, "no duplicate was produced: the test does not test anything"
    async with h.app.sessions() as session:
        recorded = set(
            (await session.scalars(select(TaskMessage.message_id).where(TaskMessage.chat_id == YICHUN))).all()
        )
    assert first.message_id not in recorded and duplicate[0].message_id in recorded

    # 宜春 replies to the first copy, the one the bot never heard back about.
    h.srv.send_text(YICHUN, "完成20%，已启动", reply_to=first)
    await h.deliver()
    async with h.app.sessions() as session:
        reports = (await session.scalars(select(ProgressReport))).all()
        aid = await session.scalar(
            select(OutboxMessage.assignment_id).where(
                OutboxMessage.chat_id == YICHUN, OutboxMessage.telegram_message_id == duplicate[0].message_id
            )
        )
        both = set(
            (
                await session.scalars(
                    select(TaskMessage.message_id).where(
                        TaskMessage.assignment_id == aid, TaskMessage.chat_id == YICHUN
                    )
                )
            ).all()
        )
        found = (await session.scalars(select(Event).where(Event.kind == "task_message.copy_found"))).all()
    assert [(r.raw_text, r.assignment_id) for r in reports] == [("完成20%，已启动", aid)]
    assert both == {first.message_id, duplicate[0].message_id}
    assert len(found) == 1
    assert not any(
        "请回复任务消息" in s.text or "不是任务消息" in s.text for s in h.srv.messages_to(YICHUN)[-2:]
    )
