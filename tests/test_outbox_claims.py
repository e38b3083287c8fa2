"""Two senders (two engines, as two instances would have) draining one outbox.

On PostgreSQL (DUBAN_TEST_PG_URL, as .ci/run sets it) and on one SQLite file. The transport is a
recording fake: what matters here is which rows each sender sends and when, on the limiter's own
clock. Leases run on the injected ManualClock, which the tests move by hand.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from bot.app import App
from bot.domain.clock import ManualClock
from bot.services import outbox
from bot.telegram.claims import WallClock
from bot.telegram.sender import Limits, OutboxSender, RetryAfter
from config.settings import Settings
from models import OutboxMessage, SendPace
from tests.conftest import PG_URL


@dataclass
class Sent:
    sender: str
    row_id: int
    chat_id: int
    at: float


@dataclass
class Recorder:
    """Every send of every sender, on the limiter's clock."""

    pace: WallClock = field(default_factory=WallClock)
    sent: list[Sent] = field(default_factory=list)
    refuse: dict[str, list[float]] = field(default_factory=dict)  # sender -> retry_after to answer next
    tenth_sent: asyncio.Event = field(default_factory=asyncio.Event)
    refused: asyncio.Event = field(default_factory=asyncio.Event)

    def transport(self, name: str) -> RecordingTransport:
        return RecordingTransport(self, name)


class RecordingTransport:
    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder = recorder
        self.name = name

    async def send(self, message: OutboxMessage) -> int:
        at = self.recorder.pace.now()
        await asyncio.sleep(0.002)  # a request takes a moment, so sends overlap as they do
        waiting = self.recorder.refuse.get(self.name)
        if waiting:
            self.recorder.refused.set()
            raise RetryAfter(waiting.pop(0))
        assert message.id is not None
        self.recorder.sent.append(Sent(self.name, message.id, message.chat_id, at))
        if len(self.recorder.sent) >= 10:
            self.recorder.tenth_sent.set()
        return 10_000 + len(self.recorder.sent)


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = start = 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.fixture(params=["sqlite", "postgresql"])
async def two_apps(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[App, App]]:
    if request.param == "postgresql":
        url = await fresh_pg_database()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    apps = [
        App.build(Settings(_env_file=None, database_url=url, bot_token=None), clock=clock) for _ in range(2)
    ]
    async with apps[0].engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    yield apps[0], apps[1]
    for app in apps:
        await app.close()


async def fresh_pg_database() -> str:
    """As conftest's pg_url (a fixture cannot be asked for from a parametrised one)."""
    if not PG_URL:
        pytest.skip("DUBAN_TEST_PG_URL not set (.ci/run starts PostgreSQL and sets it)")
    import asyncpg

    name = f"duban_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"


def sender(app: App, recorder: Recorder, name: str, **limits: float) -> OutboxSender:
    return OutboxSender(
        app.sessions,
        recorder.transport(name),
        app.clock,
        Limits(**limits),
        gate=app.gate,  # type: ignore[arg-type]
        pace=recorder.pace,
        owner=name,
    )


async def queue(app: App, chats: list[int], per_chat: int = 1) -> list[int]:
    async with app.sessions() as session, session.begin():
        for round_ in range(per_chat):
            for chat in chats:
                outbox.enqueue(
                    session,
                    chat_id=chat,
                    text=f"催办 {chat}/{round_}",
                    now=app.clock.now(),
                    purpose="followup",
                )
    async with app.sessions() as session:
        return list((await session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id))).all())


async def states(app: App) -> Counter[str]:
    async with app.sessions() as session:
        return Counter((await session.scalars(select(OutboxMessage.state))).all())


async def test_two_senders_send_every_row_once_within_the_bot_wide_limits(two_apps: tuple[App, App]) -> None:
    a_app, b_app = two_apps
    recorder = Recorder()
    chats = [70_000 + i for i in range(60)]
    ids = await queue(a_app, chats, per_chat=2)
    a, b = sender(a_app, recorder, "a"), sender(b_app, recorder, "b")

    await asyncio.gather(a.drain(timeout=60), b.drain(timeout=60))

    sent = Counter(s.row_id for s in recorder.sent)
    assert sorted(sent) == ids and set(sent.values()) == {1}, [r for r, n in sent.items() if n > 1]
    by_sender = Counter(s.sender for s in recorder.sent)
    assert by_sender["a"] > 0 and by_sender["b"] > 0, by_sender  # both took part
    times = [s.at for s in recorder.sent]
    assert max_in_window(times, 1.0) <= 30
    for chat in chats:
        mine = sorted(s.at for s in recorder.sent if s.chat_id == chat)
        assert len(mine) == 2 and mine[1] - mine[0] >= 1.0, (chat, mine)
    # Each chat's messages in the order they were queued, whichever sender took them.
    order = [s.row_id for s in sorted(recorder.sent, key=lambda s: s.at)]
    for chat in chats:
        rows = [r for r in order if r in {s.row_id for s in recorder.sent if s.chat_id == chat}]
        assert rows == sorted(rows)
    assert await states(a_app) == {"sent": 120}


async def test_a_dead_senders_claims_return_after_the_lease_and_not_before(
    two_apps: tuple[App, App], clock: ManualClock
) -> None:
    a_app, b_app = two_apps
    recorder = Recorder()
    ids = await queue(a_app, [71_000 + i for i in range(20)])
    dead = sender(a_app, recorder, "dead")
    # It claims and is killed before it sends or marks anything.
    claim = await dead.claims.claim(room=5, skip=set())
    held = {c.message.id for c in claim.rows}
    assert len(held) == 5

    live = sender(b_app, recorder, "live")
    await live.drain(timeout=30)
    assert {s.row_id for s in recorder.sent} == set(ids) - held
    clock.advance(seconds=live.limits.lease_seconds - 1)
    await live.drain(timeout=30)
    assert {s.row_id for s in recorder.sent} == set(ids) - held, "a claim was taken before its lease ran out"

    clock.advance(seconds=2)
    await live.drain(timeout=30)
    sent = Counter(s.row_id for s in recorder.sent)
    assert sorted(sent) == ids and set(sent.values()) == {1}
    assert {s.row_id for s in recorder.sent if s.sender == "live"} == set(ids)
    assert await states(a_app) == {"sent": 20}
    async with b_app.sessions() as session:
        leftover = (await session.scalars(select(OutboxMessage.claimed_by))).all()
    assert set(leftover) == {None}


async def test_a_429_seen_by_one_sender_holds_back_the_other(two_apps: tuple[App, App]) -> None:
    a_app, b_app = two_apps
    recorder = Recorder()
    recorder.refuse["a"] = [1.5]
    await queue(a_app, [72_000])
    a = sender(a_app, recorder, "a")
    refused_at = recorder.pace.now()
    await a.drain(timeout=10)  # the refused row waits for its retry on the (frozen) domain clock
    assert a.stats["retry_after"] == 1 and not recorder.sent

    await queue(b_app, [72_100 + i for i in range(5)])
    b = sender(b_app, recorder, "b")
    await b.drain(timeout=10)
    assert len(recorder.sent) == 5 and {s.sender for s in recorder.sent} == {"b"}
    assert min(s.at for s in recorder.sent) >= refused_at + 1.5
    async with b_app.sessions() as session:
        pace = await session.get(SendPace, 1)
    assert pace is not None and pace.paused_until >= refused_at + 1.5


async def test_a_429_during_a_fan_out_pauses_both_senders(two_apps: tuple[App, App]) -> None:
    a_app, b_app = two_apps
    recorder = Recorder()
    await queue(a_app, [73_000 + i for i in range(90)])
    a, b = sender(a_app, recorder, "a"), sender(b_app, recorder, "b")
    runs = [asyncio.create_task(s.run()) for s in (a, b)]
    try:
        await asyncio.wait_for(recorder.tenth_sent.wait(), 10)
        recorder.refuse["a"] = [1.0]
        await asyncio.wait_for(recorder.refused.wait(), 10)
        await asyncio.sleep(0.2)  # its pause is written
        async with a_app.sessions() as session:
            pace = await session.get(SendPace, 1)
        assert pace is not None
        paused_until = pace.paused_until
        await asyncio.sleep(1.3)
    finally:
        for s in (a, b):
            await s.stop()
        await asyncio.wait_for(asyncio.gather(*runs), 10)
    # Sends already on their way when the 429 came may land; after the others have seen the pause
    # (one shared read of it, PAUSE_FRESH), nobody sends until it is over.
    seen = paused_until - 1.0 + 0.1
    during = [s for s in recorder.sent if seen < s.at < paused_until]
    assert not during, [(s.sender, round(s.at - paused_until, 3)) for s in during]
    assert {s.sender for s in recorder.sent if s.at >= paused_until} <= {"a", "b"}
    assert any(s.at >= paused_until for s in recorder.sent)


async def test_an_answer_takes_the_first_slot_of_a_scheduled_send_claimed_ahead(app: App) -> None:
    """The slots of one claim go to scheduled sends; an answer queued next takes the first of those
    slots its chat may use, ahead of the bot's next free slot, and that scheduled row is handed
    back for a new slot, so no slot is given twice."""
    recorder = Recorder()
    one = sender(app, recorder, "one")
    await queue(app, [72_000 + i for i in range(40)])
    first = await one.claims.claim(room=32, skip=set())
    scheduled = {c.message.id: c.slot for c in first.rows}
    assert len(scheduled) >= 10 and first.next_slot > max(scheduled.values())
    async with app.sessions() as session, session.begin():
        outbox.enqueue(session, chat_id=72_999, text="已收到", now=app.clock.now(), purpose="report_ack")

    second = await one.claims.claim(room=32, skip=set(scheduled), spare=scheduled)

    (answer,) = [c for c in second.rows if c.answer]
    assert answer.message.chat_id == 72_999
    assert answer.slot < first.next_slot
    (displaced,) = second.displaced
    assert second.displaced == {displaced: answer.slot} and scheduled[displaced] == answer.slot
    # Nothing else of this claim shares a slot with the rows kept from the first.
    kept = {at for row, at in scheduled.items() if row != displaced}
    assert not kept & {c.slot for c in second.rows}
