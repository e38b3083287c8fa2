"""An answer to the person who just acted overtakes the scheduled messages queued for that chat.

The real sender and transport against the fake Bot API with Telegram's limits (1 message/s per chat).
"""

from __future__ import annotations

import asyncio

from aiogram import Bot
from sqlalchemy import select

from bot.app import App
from bot.services import outbox
from models import OutboxMessage
from tests.botapi import FakeBotAPI
from tests.test_outbox_sender import bot, make_sender, srv  # noqa: F401  (fixtures)


async def test_an_answer_overtakes_its_chats_queued_task_messages(
    app: App,
    srv: FakeBotAPI,  # noqa: F811
    bot: Bot,  # noqa: F811
) -> None:
    chat = 92_001
    srv.user(chat)
    async with app.sessions() as session, session.begin():
        for i in range(6):
            outbox.enqueue(
                session, chat_id=chat, text=f"📌 任务 {i}", now=app.clock.now(), purpose="dispatch"
            )
    sender = make_sender(app, bot)
    running = asyncio.create_task(sender.run())
    try:
        await srv.wait_until(lambda: len(srv.messages_to(chat)) >= 1, timeout=5)
        async with app.sessions() as session, session.begin():
            outbox.enqueue(session, chat_id=chat, text="已收到", now=app.clock.now(), purpose="report_ack")
        sender.wake()
        await srv.wait_until(lambda: len(srv.messages_to(chat)) >= 7, timeout=15)
    finally:
        await sender.stop()
        await asyncio.wait_for(running, 10)
    texts = [s.text for s in srv.messages_to(chat)]
    # At most the task message already started when the answer was queued goes before it.
    assert texts.index("已收到") <= 2, texts
    # The scheduled messages keep their order among themselves, and nothing is sent twice.
    assert [x for x in texts if x != "已收到"] == [f"📌 任务 {i}" for i in range(6)]
    assert texts.count("已收到") == 1
    assert srv.stats["rejected_429"] == 0
    async with app.sessions() as session:
        states = set((await session.scalars(select(OutboxMessage.state))).all())
    assert states == {"sent"}
