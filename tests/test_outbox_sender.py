"""The outbox sender against the fake Bot API with its rate limits ON.

The real `OutboxSender` and `AiogramTransport` (aiogram over HTTP) talk to `FakeBotAPI`, which
answers 429 like Telegram does when a limit is broken: 30 sends in any 1 s, 1/s per private chat
(burst 5, so the server does not police short bursts: the sender must), 20/min per group.
Database timestamps come from the `app` fixture's ManualClock, which the retry tests advance.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot
from sqlalchemy import func, select

from bot.app import App
from bot.services import outbox
from bot.telegram.sender import Limits, OutboxSender
from bot.telegram.transport import AiogramTransport, make_bot
from models import Contact, Event, OutboxMessage, Unit
from tests.botapi import FakeBotAPI
from tests.e2e_support import slow_method


@pytest.fixture
async def srv() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        assert server.limits.enforce  # the whole point of this module
        yield server


@pytest.fixture
async def bot(srv: FakeBotAPI) -> AsyncIterator[Bot]:
    client = make_bot(srv.token, srv.base_url)
    yield client
    await client.session.close()


def make_sender(app: App, bot: Bot, **limits: float) -> OutboxSender:
    return OutboxSender(app.sessions, AiogramTransport(bot), app.clock, Limits(**limits), gate=app.gate)  # type: ignore[arg-type]


async def queue(app: App, items: list[tuple[int, str]]) -> None:
    async with app.sessions() as session, session.begin():
        for chat_id, text in items:
            outbox.enqueue(session, chat_id=chat_id, text=text, now=app.clock.now())


async def outbox_rows(app: App) -> list[OutboxMessage]:
    async with app.sessions() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def send_calls(srv: FakeBotAPI, chat_id: int | None = None) -> list:  # type: ignore[type-arg]
    return [
        c
        for c in srv.calls
        if c.method == "sendMessage" and (chat_id is None or str(c.chat_id) == str(chat_id))
    ]


def max_in_window(times: list[float], window: float) -> int:
    """The most sends that fall in any window of `window` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run_for(sender: OutboxSender, seconds: float) -> None:
    task = asyncio.create_task(sender.run())
    await asyncio.sleep(seconds)
    await sender.stop()
    await asyncio.wait_for(task, 10)


# ------------------------------------------------------------------------------------ pacing


async def test_fan_out_to_60_chats_keeps_to_30_per_second(app: App, srv: FakeBotAPI, bot: Bot) -> None:
    chats = [10_000 + i for i in range(60)]
    for chat in chats:
        srv.user(chat)
    await queue(app, [(chat, f"提醒 {chat}") for chat in chats])
    sender = make_sender(app, bot)

    started = time.monotonic()
    await sender.drain(timeout=15)
    elapsed = time.monotonic() - started

    assert srv.stats["rejected_429"] == 0, srv.stats
    assert sender.stats["sent"] == 60 and sender.stats["retry_after"] == 0, sender.stats
    for chat in chats:
        assert [s.text for s in srv.messages_to(chat)] == [f"提醒 {chat}"]
    times = [s.time for s in srv.sent]
    span = max(times) - min(times)
    # 60 sends at 30/s: 59 intervals of 1/30 s; a sender ignoring the limit would take ~0.1 s.
    assert span >= 1.9, f"60 messages went out in {span:.2f}s: faster than 30/s"
    assert max_in_window(times, 1.0) <= 30
    assert elapsed < 6, f"the fan-out took {elapsed:.1f}s: far slower than 30/s"
    rows = await outbox_rows(app)
    assert {r.state for r in rows} == {"sent"}
    by_chat = {s.chat_id: s.message_id for s in srv.sent}
    assert all(r.telegram_message_id == by_chat[r.chat_id] and r.sent_at == app.clock.now() for r in rows)


async def test_one_private_chat_gets_one_message_per_second_in_order(
    app: App, srv: FakeBotAPI, bot: Bot
) -> None:
    chat = 20_001
    srv.user(chat)
    texts = [f"第{i}条" for i in range(1, 6)]
    await queue(app, [(chat, text) for text in texts])
    sender = make_sender(app, bot)

    await sender.drain(timeout=15)

    got = srv.messages_to(chat)
    assert [s.text for s in got] == texts
    gaps = [b.time - a.time for a, b in itertools.pairwise(got)]
    # The server would take a burst of 5 without complaint (its bucket holds 5): the sender must pace.
    assert sum(gaps) / len(gaps) >= 0.98, gaps
    # Arrival gaps, not send starts: one request delayed by a busy machine shortens the gap after
    # it. A burst would show gaps near 0.
    assert min(gaps) >= 0.5, gaps
    assert srv.stats["rejected_429"] == 0


async def test_group_never_gets_more_than_its_per_minute_limit(app: App, srv: FakeBotAPI, bot: Bot) -> None:
    """25 messages to one group, limit 5/min on both sides.

    Part 1 in real time (the 1 msg/s per chat pacing relaxed to isolate the group limit): within
    1.2 s the first 5 go and the other 20 wait, with no 429.
    Part 2 lets the minute pass quickly: the sender's Pacer and the server's limiter share a clock
    running 30x faster (2 s = 1 virtual minute), and all 25 arrive in order, never more than 5 in
    any virtual 60 s window.
    """
    group = -30_001
    srv.group(group, title="南昌市锂电工作群")
    srv.limits.group_per_minute = 5
    texts = [f"群消息 {i:02d}" for i in range(25)]
    await queue(app, [(group, text) for text in texts])

    sender = make_sender(app, bot, per_group_per_min=5, per_chat_per_sec=20)
    await run_for(sender, 1.2)
    assert [s.text for s in srv.messages_to(group)] == texts[:5]
    assert srv.stats["rejected_429"] == 0, srv.stats
    assert [r.state for r in await outbox_rows(app)].count("pending") == 20

    # Part 2: a fresh server limiter and sender on the fast clock.
    origin = time.time()

    def virtual() -> float:
        return origin + (time.time() - origin) * 30.0

    class FastPace:
        def now(self) -> float:
            return virtual()

        async def sleep(self, seconds: float) -> None:
            await asyncio.sleep(max(0.0, seconds) / 30.0)

    srv.reset()
    accepted: list[float] = []
    check = srv._limiter.check

    def check_on_virtual_clock(chat_id: int, now: float) -> int | None:
        at = virtual()
        retry = check(chat_id, at)
        if retry is None:
            accepted.append(at)
        return retry

    srv._limiter.check = check_on_virtual_clock  # type: ignore[method-assign]
    # The real event loop's lag and a claim's time are thirty times longer on this clock.
    fast = OutboxSender(
        app.sessions,
        AiogramTransport(bot),
        app.clock,
        Limits(per_group_per_min=5, per_chat_per_sec=20, late_start=1.0, max_lead=5.0),
        gate=app.gate,
        pace=FastPace(),
    )
    await fast.drain(timeout=30)

    assert [s.text for s in srv.messages_to(group)] == texts[5:]
    assert srv.stats["rejected_429"] == 0, srv.stats
    assert max_in_window(accepted, 60.0) <= 5, [round(a - origin) for a in accepted]
    assert {r.state for r in await outbox_rows(app)} == {"sent"}


async def test_two_chats_interleave(app: App, srv: FakeBotAPI, bot: Bot) -> None:
    a, b = 40_001, 40_002
    srv.user(a)
    srv.user(b)
    # All of A's messages were queued before B's.
    await queue(app, [(a, "A1"), (a, "A2"), (b, "B1"), (b, "B2")])
    sender = make_sender(app, bot)

    started = time.monotonic()
    await sender.drain(timeout=15)
    elapsed = time.monotonic() - started

    assert [s.text for s in srv.sent] == ["A1", "B1", "A2", "B2"]
    assert elapsed < 2.0, f"{elapsed:.1f}s: B waited for A"
    assert srv.stats["rejected_429"] == 0


async def test_a_backlog_in_one_chat_does_not_hold_up_other_chats(
    app: App, srv: FakeBotAPI, bot: Bot
) -> None:
    """One chat with a long queue (a coordinator notified of every report, a group held to 20/min)
    is paced; a message to another chat queued after that backlog must not wait behind it."""
    busy, other = 50_001, 50_002
    srv.user(busy)
    srv.user(other)
    await queue(app, [(busy, f"通知 {i}") for i in range(250)])
    await queue(app, [(other, "签收提醒")])
    sender = make_sender(app, bot)

    task = asyncio.create_task(sender.run())
    try:
        delivered = await srv.wait_until(lambda: srv.messages_to(other), timeout=2.5)
    except TimeoutError:
        delivered = None
    finally:
        await sender.stop()
        await asyncio.wait_for(task, 10)
    assert delivered, (
        f"the message to chat {other} was still queued after 2.5 s behind chat {busy}'s backlog "
        f"({len(srv.messages_to(busy))} of 250 sent)"
    )
    assert srv.stats["rejected_429"] == 0


async def _reminders_to_many_chats(
    app: App, srv: FakeBotAPI, *, first_chat: int, count: int, asking: int
) -> int:
    """Queues a reminder to each of `count` chats; returns the chat of the person who will ask."""
    chats = [first_chat + i for i in range(count)]
    for chat in [*chats, asking]:
        srv.user(chat)
    async with app.sessions() as session, session.begin():
        for chat in chats:
            outbox.enqueue(
                session, chat_id=chat, text=f"催办 {chat}", now=app.clock.now(), purpose="followup"
            )
    return asking


async def test_an_answer_goes_before_reminders_queued_earlier(app: App, srv: FakeBotAPI, bot: Bot) -> None:
    """A fan-out of reminders to many chats takes a while at 30/s; a person who just wrote to
    the bot gets the answer first, not after the whole fan-out."""
    asking = await _reminders_to_many_chats(app, srv, first_chat=60_000, count=90, asking=61_000)
    async with app.sessions() as session, session.begin():
        outbox.enqueue(
            session, chat_id=asking, text="您好，这里是督办助手", now=app.clock.now(), purpose="reply"
        )
    sender = make_sender(app, bot)
    task = asyncio.create_task(sender.run())
    try:
        await srv.wait_until(lambda: srv.messages_to(asking), timeout=5)
    finally:
        await sender.stop()
        await asyncio.wait_for(task, 10)
    first = [s.chat_id for s in srv.sent][:1]
    assert first == [asking], f"the answer went out after {len(srv.sent) - 1} reminders"


async def test_an_answer_queued_during_a_fan_out_overtakes_it(app: App, srv: FakeBotAPI, bot: Bot) -> None:
    asking = await _reminders_to_many_chats(app, srv, first_chat=62_000, count=120, asking=63_000)
    sender = make_sender(app, bot)
    task = asyncio.create_task(sender.run())
    try:
        await srv.wait_until(lambda: len(srv.sent) >= 10, timeout=5)
        # A handler answers someone and wakes the sender, as SessionMiddleware does after commit.
        async with app.sessions() as session, session.begin():
            outbox.enqueue(session, chat_id=asking, text="您好", now=app.clock.now(), purpose="reply")
        sender.wake()
        queued_at = time.monotonic()
        await srv.wait_until(lambda: srv.messages_to(asking), timeout=5)
        waited = time.monotonic() - queued_at
    finally:
        await sender.stop()
        await asyncio.wait_for(task, 10)
    before = [s.chat_id for s in srv.sent].index(asking)
    # It waits for at most the slots already handed out (one claim's horizon), not the fan-out.
    limit = make_sender(app, bot).limits.horizon + 0.4
    assert waited < limit and before < 30, f"the answer waited {waited:.2f} s behind {before} reminders"


async def test_a_fan_out_reads_the_outbox_once_per_batch(app: App, srv: FakeBotAPI, bot: Bot) -> None:
    """Sends finishing are not new messages: they must not make the sender read the outbox
    again after every send (at province scale that read is a GROUP BY over the backlog)."""
    await _reminders_to_many_chats(app, srv, first_chat=64_000, count=60, asking=65_000)
    sender = make_sender(app, bot)
    reads = 0
    claim = sender.claims.claim

    async def counting_claim(**kwargs):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        return await claim(**kwargs)

    sender.claims.claim = counting_claim  # type: ignore[method-assign]
    await sender.drain(timeout=15)
    # One claim per horizon's worth of slots (half a second: 15 messages), not one per send; a
    # slot missed on a loaded machine makes one claim more.
    assert len(srv.sent) == 60 and reads <= 30, f"{reads} reads of the outbox for 60 messages"


# ------------------------------------------------------------------------------ errors, retries


async def test_429_waits_retry_after_then_delivers_once(app: App, srv: FakeBotAPI, bot: Bot) -> None:
    chat = 60_001
    srv.user(chat)
    await queue(app, [(chat, "稍后再发")])
    srv.fail_next("sendMessage", times=1, status=429, retry_after=1)
    sender = make_sender(app, bot)

    await sender.drain(timeout=10)
    (row,) = await outbox_rows(app)
    assert row.state == "pending" and row.telegram_message_id is None and row.sent_at is None
    assert row.next_attempt_at == app.clock.now() + timedelta(seconds=1)
    assert row.attempts == 0, "a 429 is Telegram's pacing, not a failed attempt"
    assert sender.stats["retry_after"] == 1 and sender.stats["sent"] == 0
    assert srv.messages_to(chat) == []

    app.clock.advance(seconds=1)  # type: ignore[attr-defined]
    await sender.drain(timeout=10)

    assert [s.text for s in srv.messages_to(chat)] == ["稍后再发"]
    calls = send_calls(srv, chat)
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 0.95, "the retry did not wait retry_after (1 s)"
    assert sender.stats["retry_after"] == 1 and sender.stats["sent"] == 1
    (row,) = await outbox_rows(app)
    assert row.state == "sent" and row.telegram_message_id == srv.messages_to(chat)[0].message_id


async def test_server_errors_are_retried_with_backoff_and_delivered_once(
    app: App, srv: FakeBotAPI, bot: Bot
) -> None:
    chat = 60_002
    srv.user(chat)
    await queue(app, [(chat, "重试")])
    srv.fail_next("sendMessage", times=2, status=500)
    # Per-chat pacing (tested above) would add a second between attempts; this test is about backoff.
    sender = make_sender(app, bot, per_chat_per_sec=20)
    clock = app.clock

    await sender.drain(timeout=10)
    (row,) = await outbox_rows(app)
    assert (row.state, row.attempts) == ("pending", 1)
    first_delay = row.next_attempt_at - clock.now()
    assert first_delay > timedelta(0)

    # Not before the backoff is over.
    clock.advance(seconds=first_delay.total_seconds() - 0.5)  # type: ignore[attr-defined]
    await sender.drain(timeout=10)
    assert len(send_calls(srv, chat)) == 1

    clock.advance(seconds=0.5)  # type: ignore[attr-defined]
    await sender.drain(timeout=10)
    (row,) = await outbox_rows(app)
    assert (row.state, row.attempts) == ("pending", 2)
    second_delay = row.next_attempt_at - clock.now()
    assert second_delay > first_delay, "the backoff should grow"
    assert srv.messages_to(chat) == []

    clock.advance(seconds=second_delay.total_seconds())  # type: ignore[attr-defined]
    await sender.drain(timeout=10)

    assert [s.text for s in srv.messages_to(chat)] == ["重试"]
    assert [c.status for c in send_calls(srv, chat)] == [500, 500, 200]
    assert sender.stats["temporary"] == 2 and sender.stats["sent"] == 1
    (row,) = await outbox_rows(app)
    assert (row.state, row.attempts) == ("sent", 3)
    assert row.telegram_message_id == srv.messages_to(chat)[0].message_id


async def test_blocked_chat_fails_the_row_pauses_the_contact_and_tells_the_coordinator(
    app: App,
    srv: FakeBotAPI,
    bot: Bot,
) -> None:
    blocker, coordinator = 70_001, 70_002
    srv.user(blocker)
    srv.user(coordinator)
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        unit = Unit(name="省工业和信息化厅", kind="provincial", created_at=now)
        session.add(unit)
        await session.flush()
        session.add(
            Contact(
                unit_id=unit.id,
                role="contact",
                chat_id=blocker,
                telegram_user_id=blocker,
                display_name="工信联络员",
                created_at=now,
            )
        )
        session.add(
            Contact(
                role="coordinator",
                chat_id=coordinator,
                telegram_user_id=coordinator,
                display_name="督办人",
                created_at=now,
            )
        )
    await queue(app, [(blocker, "交办任务 1"), (blocker, "交办任务 2")])
    srv.block_chat(blocker)
    sender = make_sender(app, bot)

    await sender.drain(timeout=10)

    assert srv.messages_to(blocker) == []
    assert len(send_calls(srv, blocker)) == 1, "a blocked chat is not tried again"
    rows = await outbox_rows(app)
    to_blocker = [r for r in rows if r.chat_id == blocker]
    assert [r.state for r in to_blocker] == ["failed", "failed"]
    assert "blocked" in (to_blocker[0].last_error or "")
    async with app.sessions() as session:
        contact = await session.scalar(select(Contact).where(Contact.chat_id == blocker))
        # Still bound, but paused until they write again.
        assert contact is not None and contact.active is True and contact.paused_at == app.clock.now()
        coord = await session.scalar(select(Contact).where(Contact.chat_id == coordinator))
        assert coord is not None and coord.active is True and coord.paused_at is None
        events = (await session.scalars(select(Event).where(Event.kind == "contact.paused"))).all()
        assert [e.entity_id for e in events] == [contact.id]
    notices = [r for r in rows if r.chat_id == coordinator]
    assert [(r.purpose, r.state) for r in notices] == [("blocked_notice", "sent")]
    (notice,) = srv.messages_to(coordinator)
    assert "省工业和信息化厅" in notice.text and "工信联络员" in notice.text
    assert sender.stats["forbidden"] == 1


# ------------------------------------------------------------------- sent only when confirmed


async def test_a_row_is_marked_sent_only_after_telegram_confirmed_it(
    app: App, srv: FakeBotAPI, bot: Bot
) -> None:
    chat = 80_001
    srv.user(chat)
    await queue(app, [(chat, "确认后才算发出")])
    sender = make_sender(app, bot, per_chat_per_sec=20)

    # Telegram is down: the row stays pending, with nothing claiming it went.
    srv.down(30)
    await sender.drain(timeout=10)
    (row,) = await outbox_rows(app)
    assert (row.state, row.telegram_message_id, row.sent_at) == ("pending", None, None)
    assert row.attempts == 1 and "Bad Gateway" in (row.last_error or "")
    assert srv.sent == []

    # Back up; while the request is in flight the row is still pending.
    srv.down(0)
    app.clock.advance(seconds=60)  # type: ignore[attr-defined]
    with slow_method(srv, "sendMessage", 0.5):
        draining = asyncio.create_task(sender.drain(timeout=10))
        await srv.wait_until(lambda: len(send_calls(srv)) == 2, timeout=5)
        await asyncio.sleep(0.2)
        (row,) = await outbox_rows(app)
        assert srv.sent == [] and row.state == "pending" and row.telegram_message_id is None
        await draining

    (sent,) = srv.messages_to(chat)
    (row,) = await outbox_rows(app)
    assert (row.state, row.telegram_message_id, row.sent_at) == ("sent", sent.message_id, app.clock.now())
    assert row.attempts == 2


async def test_no_send_starts_while_the_most_sends_allowed_are_unmarked(
    app: App, srv: FakeBotAPI, bot: Bot
) -> None:
    """Sent marks that cannot be written (the write gate held) stop the sends after
    `max_unmarked` of them: a crash then would repeat no more than those."""
    if app.engine.url.get_backend_name() != "sqlite":
        pytest.skip("the write gate is SQLite's")
    chats = [81_000 + i for i in range(20)]
    for chat in chats:
        srv.user(chat)
    await queue(app, [(chat, f"提醒 {chat}") for chat in chats])
    sender = make_sender(app, bot)
    running = asyncio.create_task(sender.run())
    try:
        await srv.wait_until(lambda: len(srv.sent) >= 1, timeout=5)
        async with app.gate():  # no mark (nor claim) can be written meanwhile
            await asyncio.sleep(1.0)
            async with app.sessions() as session:
                marked = await session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "sent")
                )
            unmarked = len(srv.sent) - (marked or 0)
        assert len(srv.sent) < len(chats), "everything went out: the marks were not what held it"
        assert 1 <= unmarked <= sender.limits.max_unmarked, unmarked
        await srv.wait_until(lambda: len(srv.sent) >= len(chats), timeout=10)
    finally:
        await sender.stop()
        await asyncio.wait_for(running, 10)
    assert sorted(s.chat_id for s in srv.sent) == chats
    assert {r.state for r in await outbox_rows(app)} == {"sent"}
