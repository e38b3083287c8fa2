"""An answer to the person who just acted overtakes the scheduled messages queued for that chat.

The real sender and transport against the fake Bot API with Telegram's limits (1 message/s per chat).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from aiogram import Bot
from sqlalchemy import select

from bot.app import App
from bot.services import outbox
from bot.telegram.sender import Limits, OutboxSender
from models import OutboxMessage
from tests.botapi import FakeBotAPI
from tests.test_outbox_sender import bot, make_sender, srv  # noqa: F401  (fixtures)

P = ParamSpec("P")
R = TypeVar("R")


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


class SteppedPace:
    """The limiter's clock, moved on only by the test's driver: to the earliest deadline anyone
    sleeps until, and never while a claim or a pause read (which read the clock) is under way.
    Nothing depends on how fast the machine is."""

    def __init__(self) -> None:
        self.at = 1_000_000.0
        self.busy = 0
        self.waiters: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self.at

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        done = asyncio.get_running_loop().create_future()
        self.waiters.append((self.at + seconds, done))
        await done

    def held(self, fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        async def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            self.busy += 1
            try:
                return await fn(*args, **kwargs)
            finally:
                self.busy -= 1

        return inner

    async def drive(self) -> None:
        while True:
            await asyncio.sleep(0.001)
            self.waiters = [(at, f) for at, f in self.waiters if not f.done()]
            if self.busy or not self.waiters:
                continue
            self.at = max(self.at, min(at for at, _ in self.waiters))
            for at, f in self.waiters:
                if at <= self.at:
                    f.set_result(None)


class Recording:
    def __init__(self, pace: SteppedPace) -> None:
        self.pace = pace
        self.sent: list[tuple[float, int, str]] = []
        self.changed = asyncio.Event()

    async def send(self, message: OutboxMessage) -> int:
        self.sent.append((self.pace.now(), message.chat_id, message.purpose))
        self.changed.set()
        await asyncio.sleep(0)
        return len(self.sent)


async def test_an_answer_overtakes_its_chats_queue_while_the_global_limit_binds(app: App) -> None:
    """Many chats with queued task messages (more than 30/s could serve), one of them with 30: its
    answer goes within about its chat's 1 s, not behind that chat's queue."""
    chat, others = 93_001, [93_100 + i for i in range(40)]
    async with app.sessions() as session, session.begin():
        for i in range(30):
            for c in [*others[: 40 if i < 20 else 0], chat]:
                outbox.enqueue(
                    session, chat_id=c, text=f"📌 任务 {i}", now=app.clock.now(), purpose="dispatch"
                )
    pace = SteppedPace()
    transport = Recording(pace)
    sender = OutboxSender(app.sessions, transport, app.clock, Limits(), gate=app.gate, pace=pace)  # type: ignore[arg-type]
    sender.claims.claim = pace.held(sender.claims.claim)  # type: ignore[method-assign]
    sender.claims.paused_until = pace.held(sender.claims.paused_until)  # type: ignore[method-assign]
    driver = asyncio.create_task(pace.drive())
    running = asyncio.create_task(sender.run())

    def to_chat() -> list[tuple[float, int, str]]:
        return [s for s in transport.sent if s[1] == chat]

    async def until(condition: Callable[[], bool], seconds: float) -> None:
        async with asyncio.timeout(seconds):
            while not condition():
                transport.changed.clear()
                await transport.changed.wait()

    try:
        await until(lambda: len(to_chat()) >= 3, 30)
        async with app.sessions() as session, session.begin():
            outbox.enqueue(session, chat_id=chat, text="已收到", now=app.clock.now(), purpose="report_ack")
        queued_at = pace.now()
        sender.wake()
        await until(lambda: any(p == "report_ack" for _, _, p in to_chat()) or len(to_chat()) >= 31, 60)
    finally:
        await sender.stop()
        await asyncio.wait_for(running, 10)
        driver.cancel()
    sent = to_chat()
    answer = next(i for i, s in enumerate(sent) if s[2] == "report_ack")
    # Only a task message whose slot was handed out before the answer was queued may go first (a
    # claim hands out slots less than a second ahead, Limits.horizon + Limits.max_lead).
    overtaking = [at - queued_at for at, _, _ in sent[:answer] if at >= queued_at + 0.8]
    assert not overtaking, [(round(at - queued_at, 2), p) for at, _, p in sent]
    assert sent[answer][0] - queued_at <= 2.0, sent[answer][0] - queued_at
    # The other chats were held by the global limit meanwhile (the case this is about).
    window = [s for s in transport.sent if queued_at <= s[0] < queued_at + 1.0]
    assert len(window) >= 25, len(window)
    # Telegram's limits held throughout, on the limiter's clock.
    times = sorted(at for at, _, _ in transport.sent)
    assert all(b - a >= 1.0 for (a, _, _), (b, _, _) in itertools.pairwise(sent))
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 30


def _stepped_sender(app: App) -> tuple[SteppedPace, Recording, OutboxSender]:
    pace = SteppedPace()
    transport = Recording(pace)
    sender = OutboxSender(app.sessions, transport, app.clock, Limits(), gate=app.gate, pace=pace)  # type: ignore[arg-type]
    sender.claims.claim = pace.held(sender.claims.claim)  # type: ignore[method-assign]
    sender.claims.paused_until = pace.held(sender.claims.paused_until)  # type: ignore[method-assign]
    return pace, transport, sender


async def _queue_dispatch(app: App, chat: int, others: list[int], rounds: int = 30) -> None:
    async with app.sessions() as session, session.begin():
        for i in range(rounds):
            for c in [*others, chat]:
                outbox.enqueue(
                    session, chat_id=c, text=f"📌 任务 {i}", now=app.clock.now(), purpose="dispatch"
                )


async def test_an_update_taken_from_a_chat_holds_its_scheduled_sends_for_the_answer(app: App) -> None:
    """Once the chat's update is taken (the hold), nothing scheduled goes to that chat before its
    answer, so the answer waits for no more than the chat's last send before the update."""
    chat, others = 94_001, [94_100 + i for i in range(20)]
    await _queue_dispatch(app, chat, others)
    pace, transport, sender = _stepped_sender(app)
    driver = asyncio.create_task(pace.drive())
    running = asyncio.create_task(sender.run())

    def to_chat() -> list[tuple[float, int, str]]:
        return [s for s in transport.sent if s[1] == chat]

    async def until(condition: Callable[[], bool], seconds: float) -> None:
        async with asyncio.timeout(seconds):
            while not condition():
                transport.changed.clear()
                await transport.changed.wait()

    try:
        await until(lambda: len(to_chat()) >= 3, 30)
        # The chat's last send is a moment ago, the next one already has its slot ahead.
        await pace.sleep(0.5)
        taken_at = pace.now()
        sender.hold_for_answer(chat)  # what handlers/answer_first.py does as the update comes in
        await pace.sleep(0.3)  # the update is handled
        async with app.sessions() as session, session.begin():
            outbox.enqueue(session, chat_id=chat, text="已收到", now=app.clock.now(), purpose="report_ack")
        sender.wake()
        await until(lambda: any(p == "report_ack" for _, _, p in to_chat()), 30)
        await until(lambda: len([s for s in to_chat() if s[2] == "dispatch"]) >= 6, 30)
    finally:
        await sender.stop()
        await asyncio.wait_for(running, 10)
        driver.cancel()
    sent = to_chat()
    answer_at = next(at for at, _, p in sent if p == "report_ack")
    between = [round(at - taken_at, 2) for at, _, p in sent if taken_at < at < answer_at]
    assert not between, f"scheduled sends to the chat after its update was taken: {between}"
    last_before = max(at for at, _, _ in sent if at <= taken_at)
    # As soon as the chat's 1/s allows after its last send (with the limiter's margin), and that
    # send came before the update.
    assert answer_at <= max(taken_at + 0.3, last_before + 1.02) + 0.1, (
        answer_at - taken_at,
        last_before - taken_at,
    )
    # The chat's scheduled messages go on after the answer, at its 1/s.
    assert [at for at, _, p in sent if at > answer_at and p == "dispatch"]
    assert all(b - a >= 1.0 for (a, _, _), (b, _, _) in itertools.pairwise(sent))


async def test_a_hold_without_an_answer_ends_and_holds_repeated_do_not_starve_the_chat(app: App) -> None:
    from bot.telegram.claims import HOLD

    chat, others = 95_001, [95_100 + i for i in range(10)]
    await _queue_dispatch(app, chat, others, rounds=20)
    pace, transport, sender = _stepped_sender(app)
    driver = asyncio.create_task(pace.drive())
    running = asyncio.create_task(sender.run())

    def to_chat() -> list[float]:
        return [at for at, c, _ in transport.sent if c == chat]

    try:
        while len(to_chat()) < 2:
            await pace.sleep(0.1)
        held_at = pace.now()
        sender.hold_for_answer(chat)  # an update that queues no answer
        while not [at for at in to_chat() if at > held_at]:
            await pace.sleep(0.1)
        resumed = min(at for at in to_chat() if at > held_at) - held_at
        # Someone writing every half second, never answered: holds come and go.
        started = pace.now()
        for _ in range(16):
            sender.hold_for_answer(chat)
            await pace.sleep(0.5)
        during = [at for at in to_chat() if started <= at < started + 8.0]
    finally:
        await sender.stop()
        await asyncio.wait_for(running, 10)
        driver.cancel()
    assert HOLD - 0.01 <= resumed <= HOLD + 1.1, resumed
    # At least one scheduled send every two holds and their pauses.
    assert len(during) >= int(8.0 / (2 * HOLD + 1.1)), during
