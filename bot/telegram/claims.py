"""Outbox claims and Telegram's limits, shared by every instance on one database.

A claim is one short transaction: it locks the one `SendPace` row (so claims from several
instances take turns), picks each chat's oldest due message per class as the sender always did,
gives each a send slot that keeps the bot as a whole within 30/s, 1/s per chat and 20/min per
group, and marks the rows claimed by this instance until `lease_until`. Rows claimed by a killed
instance go to another once the lease has run out. Slots cover about a second ahead, so one claim
serves a second's sends and an answer queued meanwhile waits at most that long behind them.

Slots are epoch seconds on the limiter's clock (`PaceClock`): instances on several machines need
synchronised clocks (NTP), as any deployment does. Leases use the injected domain clock, like
every other time in the database.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import (
    ColumnElement,
    Result,
    Select,
    case,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.db import WriteGate
from bot.domain.clock import Clock
from models import AnswerHold, OutboxMessage, SendPace

if TYPE_CHECKING:
    from bot.telegram.sender import Limits

PACE_ROW = 1
# Seconds a chat's scheduled sends wait once its person has written (until the answer has gone, at
# most this long), and then at least this long before another hold: a person writing all the
# time cannot keep the chat's scheduled messages back.
HOLD = 1.5
CLAIM_LEAD = 0.04  # seconds: a claim's commit and the start of its sends
PAUSE_FRESH = 0.05  # seconds
SWEEP_EVERY = 60.0  # seconds between deletions of holds long over
# Messages that answer what a person just did in the chat (handlers/util.say, the report's
# confirmation, errors, exports): sent before scheduled and broadcast messages.
ANSWER_PURPOSES = ("reply", "report_ack", "error", "export", "stranger")


class PaceClock(Protocol):
    """The limiter's time: seconds on a clock every instance shares, and a way to wait on it."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class WallClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


def instance_id() -> str:
    """Unique per process: a restarted process must not take its dead predecessor's claims for its own."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Claimed:
    message: OutboxMessage  # detached: the sender owns the row until it is marked or released
    slot: float
    answer: bool


@dataclass
class Claim:
    rows: list[Claimed]
    # Nothing claimable now: the pace time at which something held back by the limits may go.
    ready_at: float | None = None
    # The bot's next free send slot after this claim: a message queued now gets no earlier one.
    next_slot: float = 0.0
    # This sender's scheduled rows whose slots went to answers (row -> the slot): they need new ones.
    displaced: dict[int, float] = field(default_factory=dict)


# Writes the sender's outcomes inside a claim's transaction.
Marks = Callable[[AsyncSession], Awaitable[None]]


class Claims:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        gate: WriteGate,
        clock: Clock,
        limits: Limits,
        pace: PaceClock,
        owner: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.gate = gate
        self.clock = clock
        self.limits = limits
        self.pace = pace
        self.owner = owner or instance_id()
        m = limits.margin
        self.global_interval = (1.0 + m) / limits.global_per_sec
        self.chat_interval = (1.0 + m) / limits.per_chat_per_sec
        self.group_window = 60.0 * (1.0 + m)
        # Answers' share of each second's slots while scheduled work waits (a flood of people
        # writing must not hold a dispatch back). Counted per instance: it is fairness, not a limit.
        self._answer_budget = max(1, int(limits.global_per_sec * limits.answer_share))
        self._answer_slots: deque[float] = deque()
        self._pause_seen: tuple[float, float] | None = None  # (read at, paused until)
        self._pause_read: asyncio.Future[float] | None = None
        # Chats held for an answer (chat -> until, pace clock): set here, or read from the database
        # where other instances write theirs; and what this instance has to write with its next claim.
        self._holds: dict[int, float] = {}
        self._hold_writes: dict[int, float] = {}
        self._swept_at = 0.0
        # A first claim is the slowest (cold connections and caches): start from a generous guess.
        self._lags: deque[float] = deque([0.09], maxlen=8)

    def claimable(self) -> ColumnElement[bool]:
        now = self.clock.now()
        return (
            (col(OutboxMessage.state) == "pending")
            & (col(OutboxMessage.next_attempt_at) <= now)
            & or_(col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) <= now)
        )

    async def claim(
        self,
        *,
        room: int,
        skip: set[int],
        batch: int = 200,
        reslot: frozenset[int] = frozenset(),
        marks: Marks | None = None,
        spare: dict[int, float] | None = None,
    ) -> Claim:
        """Claims what may start within the next `horizon` seconds, at most `room` rows.

        `reslot`: rows this sender holds whose slot it missed; they get new slots like unclaimed rows.
        `marks`: the sender's outcomes not yet written, written first in the same transaction (one
        commit for both).
        `spare`: this sender's scheduled rows waiting for their slots (row -> slot); an answer may take
        such a slot, and the row is then listed in `Claim.displaced` for a new one."""
        now = self.clock.now()
        async with self.gate(), self.sessions() as session, session.begin():
            pace = await self._lock_pace(session)
            if marks is not None:
                await marks(session)
            t = self.pace.now()
            self._pause_seen = (t, max(pace.paused_until, self.known_pause()))
            await self._write_holds(session, t)
            ahead = self.lead() + self.limits.horizon
            if max(pace.next_slot, pace.paused_until) > t + ahead:
                return Claim(
                    [], ready_at=max(pace.next_slot, pace.paused_until) - ahead, next_slot=pace.next_slot
                )
            is_answer = col(OutboxMessage.purpose).in_(ANSWER_PURPOSES)

            def due(kind: ColumnElement[bool]) -> Select[int | None, int]:
                # Each chat's oldest pending message of the class, claimed or not: while another
                # instance holds a chat's head, the rest of that chat waits, so its order holds.
                heads = (
                    select(func.min(col(OutboxMessage.id)))
                    .where(col(OutboxMessage.state) == "pending", kind)
                    .group_by(col(OutboxMessage.chat_id))
                )
                mine = col(OutboxMessage.id).in_(reslot) if reslot else None
                return (
                    select(col(OutboxMessage.id), col(OutboxMessage.chat_id))
                    .where(
                        col(OutboxMessage.id).in_(heads),
                        self.claimable() if mine is None else or_(self.claimable(), mine),
                    )
                    .order_by(col(OutboxMessage.id))
                    .limit(batch)
                    .with_for_update(skip_locked=True, of=OutboxMessage)
                )

            # Read apart, so neither class can fill the batch.
            answers = [
                (row_id, chat_id)
                for row_id, chat_id in (await session.execute(due(is_answer))).all()
                if row_id is not None and row_id not in skip
            ]
            scheduled = [
                (row_id, chat_id)
                for row_id, chat_id in (await session.execute(due(~is_answer))).all()
                if row_id is not None and row_id not in skip
            ]
            if not answers and not scheduled:
                await self._read_holds(session, t)
                return Claim([], next_slot=pace.next_slot)
            chats = {r[1] for r in answers} | {r[1] for r in scheduled}
            recent: dict[int, list[float]] = {}
            # The chats' recent slots and every instance's holds, in one statement.
            slots = select(
                col(OutboxMessage.chat_id), col(OutboxMessage.slot_at), literal(False).label("hold")
            ).where(
                col(OutboxMessage.chat_id).in_(chats),
                # A private chat's pace needs its last slot only; a group's, its minute.
                col(OutboxMessage.slot_at)
                > case(
                    (col(OutboxMessage.chat_id) < 0, t - self.group_window),
                    else_=t - self.chat_interval - self.limits.horizon - 1.0,
                ),
                col(OutboxMessage.id).not_in(reslot),  # a missed slot was not used
            )
            holds: dict[int, float] = {}
            read: Result[Any] = await session.execute(
                union_all(slots, self._holds_query(t)).order_by(literal_column("2"))
            )
            for chat_id, at, is_hold in cast("list[tuple[int, float | None, bool]]", read.all()):
                if at is None:
                    continue
                if is_hold:
                    holds[chat_id] = at
                else:
                    recent.setdefault(chat_id, []).append(at)
            self._merge_holds(holds, t)
            # Read after the lock and the reads: no slot is handed out that has passed by the time
            # this claim commits and its sends are started.
            t = self.pace.now()
            lead = self.lead()
            cursor = max(t + lead, pace.next_slot, pace.paused_until)
            horizon = t + lead + self.limits.horizon
            chosen: list[tuple[int, float, bool]] = []
            # A chat with an answer due sends nothing scheduled before it: otherwise, whenever the
            # chat's 1/s comes round after this claim's first slot, a scheduled row takes it, and
            # the answer waits for the next claim, where the same happens.
            answer_chats = {r[1] for r in answers}
            # Each chat has one head per class here, so its readiness is known before the walk.
            ready = {
                chat_id: max(self._chat_ready(chat_id, recent.get(chat_id, [])), pace.paused_until)
                for chat_id in chats
            }
            # A held chat's scheduled rows wait for its answer (or the hold's end).
            ready_scheduled = {c: max(ready[c], self._holds.get(c, 0.0)) for c in chats}
            waiting_answers = list(answers)
            waiting_scheduled = [r for r in scheduled if r[1] not in answer_chats]
            # An answer need not wait behind the scheduled sends this instance has given the next
            # slots: it takes the first of their slots its chat may use (spaced as every slot is),
            # within the answers' share, and the scheduled row waits for a later one.
            displaced: list[int] = []
            for row_id, at in sorted((spare or {}).items(), key=lambda item: item[1]):
                if not waiting_answers or len(chosen) >= room:
                    break
                if at < t + lead or not self._answers_may_go(at):
                    continue
                first = _first_ready(waiting_answers, ready, at, answer=True)
                if first is None:
                    continue
                answer_id, chat_id = waiting_answers.pop(first[1])
                chosen.append((answer_id, at, True))
                recent.setdefault(chat_id, []).append(at)
                self._answer_slots.append(at)
                displaced.append(row_id)
            slot = cursor
            # Slot by slot: the first row in fair order whose chat may send by then. A row whose chat
            # is not ready yet stays a candidate for the later slots of this claim.
            while len(chosen) < room and (waiting_answers or waiting_scheduled):
                if slot > horizon:
                    break
                pick: tuple[list[tuple[int, int]], int, bool] | None = None
                if self._answers_may_go(slot):
                    pick = _first_ready(waiting_answers, ready, slot, answer=True)
                if pick is None:
                    pick = _first_ready(waiting_scheduled, ready_scheduled, slot, answer=False)
                if pick is None:
                    # The answers' share keeps room for scheduled work; a slot no scheduled row
                    # can use goes to an answer over its share rather than unused.
                    pick = _first_ready(waiting_answers, ready, slot, answer=True)
                if pick is not None:
                    queue, index, answer = pick
                    row_id, chat_id = queue.pop(index)
                    chosen.append((row_id, slot, answer))
                    recent.setdefault(chat_id, []).append(slot)
                    if answer:
                        self._answer_slots.append(slot)
                    slot += self.global_interval
                    continue
                # Nothing may go at this slot: on to the first moment something may.
                later = [ready_scheduled[c] for _, c in waiting_scheduled]
                later += [ready[c] for _, c in waiting_answers]
                if min(later) <= slot:  # cannot happen; never loop on one slot
                    break
                slot = min(later)
            if waiting_answers or waiting_scheduled:
                left = [ready[c] for _, c in waiting_answers] + [
                    ready_scheduled[c] for _, c in waiting_scheduled
                ]
                ready_at = max(slot, min(left)) if left else None
            else:
                ready_at = None
            if not chosen:
                return Claim([], ready_at=ready_at, next_slot=pace.next_slot)
            cursor = max(pace.next_slot, max(at for _, at, _ in chosen) + self.global_interval)
            lease = now + timedelta(seconds=self.limits.lease_seconds)
            # One statement marks the rows claimed and reads them back. Still pending: a row that
            # another transaction has sent, failed or dropped since the read is not claimed.
            rows = {
                m.id: m
                for m in (
                    await session.scalars(
                        update(OutboxMessage)
                        .where(
                            col(OutboxMessage.id).in_([row_id for row_id, _, _ in chosen]),
                            col(OutboxMessage.state) == "pending",
                        )
                        .values(
                            claimed_by=self.owner,
                            lease_until=lease,
                            slot_at=case(
                                {row_id: slot for row_id, slot, _ in chosen}, value=col(OutboxMessage.id)
                            ),
                        )
                        .returning(OutboxMessage),
                        execution_options={"synchronize_session": False},
                    )
                ).all()
            }
            await session.execute(
                update(SendPace).where(col(SendPace.id) == PACE_ROW).values(next_slot=cursor)
            )
            unused = reslot - {row_id for row_id, _, _ in chosen}
            if unused:
                # Slots given back were not used: no instance's pacing should count them.
                await session.execute(
                    update(OutboxMessage).where(col(OutboxMessage.id).in_(unused)).values(slot_at=None)
                )
            for message in rows.values():
                session.expunge(message)
        # How long from handing out slots to the sends being ready: the next claim's first slot
        # is that far ahead, so a loaded machine does not miss it.
        self._lags.append(self.pace.now() - t)
        return Claim(
            sorted(
                (Claimed(rows[row_id], slot, answer) for row_id, slot, answer in chosen if row_id in rows),
                key=lambda claimed: claimed.slot,
            ),
            next_slot=cursor,
            displaced={row_id: at for row_id, at in (spare or {}).items() if row_id in displaced},
        )

    def hold(self, chat_id: int) -> bool:
        """Someone in the chat has just written: its scheduled sends wait for the answer, unless the
        chat was held until less than HOLD ago. Whether it is held now."""
        now = self.pace.now()
        until = self._holds.get(chat_id)
        if until is not None and now < until + HOLD:
            return until > now
        self._holds[chat_id] = self._hold_writes[chat_id] = now + HOLD
        return True

    def release(self, chat_id: int) -> None:
        """The chat's answer has gone: its scheduled sends may go again (after the chat's 1/s)."""
        now = self.pace.now()
        if self._holds.get(chat_id, 0.0) > now:
            self._holds[chat_id] = self._hold_writes[chat_id] = now

    def held_until(self, chat_id: int) -> float:
        return self._holds.get(chat_id, 0.0)

    async def _write_holds(self, session: AsyncSession, t: float) -> None:
        """Writes the holds set here since the last claim, for the other instances to read."""
        if self._hold_writes:
            writes, self._hold_writes = self._hold_writes, {}
            statement = _upsert(session)
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[col(AnswerHold.chat_id)], set_={"until": statement.excluded.until}
                ),
                [{"chat_id": chat_id, "until": until} for chat_id, until in writes.items()],
            )
        if t - self._swept_at > SWEEP_EVERY:
            # Holds long over are of no use to anyone; a minute's of them cost nothing meanwhile.
            self._swept_at = t
            await session.execute(delete(AnswerHold).where(col(AnswerHold.until) < t - 60.0))

    def _holds_query(self, t: float) -> Select[int, float, bool]:
        return select(col(AnswerHold.chat_id), col(AnswerHold.until), literal(True).label("hold")).where(
            col(AnswerHold.until) > t - HOLD
        )

    async def _read_holds(self, session: AsyncSession, t: float) -> None:
        read = await session.execute(self._holds_query(t))
        self._merge_holds({chat_id: until for chat_id, until, _ in read.all()}, t)

    def _merge_holds(self, read: dict[int, float], t: float) -> None:
        self._holds = {c: u for c, u in self._holds.items() if u > t - HOLD}
        for chat_id, until in read.items():
            if chat_id not in self._hold_writes:  # (one set here since is newer)
                self._holds[chat_id] = until

    async def _lock_pace(self, session: AsyncSession) -> SendPace:
        """Takes and reads the pace row for the rest of the transaction, in one statement: claims
        from every instance take turns.

        A write, not a locking read: on PostgreSQL it locks the row as FOR UPDATE would, and on
        SQLite (whose driver starts the transaction at the first write) it takes the database's
        write lock before anything is read, so two processes on one file cannot claim a row twice.
        """
        pace = (
            await session.scalars(
                update(SendPace)
                .where(col(SendPace.id) == PACE_ROW)
                .values(next_slot=col(SendPace.next_slot))
                .returning(SendPace),
                execution_options={"synchronize_session": False},
            )
        ).one_or_none()
        if pace is None:
            pace = SendPace(id=PACE_ROW)
            session.add(pace)
            # Two instances starting together may both try; the loser's claim fails once and retries.
            await session.flush()
        return pace

    def lead(self) -> float:
        return min(self.limits.max_lead, max(CLAIM_LEAD, max(self._lags, default=0.0) + 0.01))

    def _chat_ready(self, chat_id: int, slots: list[float]) -> float:
        if not slots:
            return 0.0
        ready = slots[-1] + self.chat_interval
        if chat_id < 0 and len(slots) >= self.limits.per_group_per_min:
            ready = max(ready, slots[-self.limits.per_group_per_min] + self.group_window)
        return ready

    def _answers_may_go(self, at: float) -> bool:
        slots = self._answer_slots
        while slots and slots[0] <= at - 1.0:
            slots.popleft()
        return len(slots) < self._answer_budget

    async def paused_until(self) -> float:
        """The bot-wide pause as read at most PAUSE_FRESH seconds ago: the sends of one moment
        share one read, and another instance's 429 is seen within that long."""
        if self._pause_seen is not None and self.pace.now() - self._pause_seen[0] <= PAUSE_FRESH:
            return self._pause_seen[1]
        if self._pause_read is None or self._pause_read.done():
            self._pause_read = asyncio.ensure_future(self._read_pause())
        return await asyncio.shield(self._pause_read)

    async def _read_pause(self) -> float:
        at = self.pace.now()
        async with self.sessions() as session:
            until = (
                await session.scalar(select(col(SendPace.paused_until)).where(col(SendPace.id) == PACE_ROW))
            ) or 0.0
        # A pause only ever grows: one this instance has just set may not be written yet.
        until = max(until, self.known_pause())
        self._pause_seen = (at, until)
        return until

    def known_pause(self) -> float:
        """The pause as last read or set here, without a read."""
        return self._pause_seen[1] if self._pause_seen else 0.0

    async def pause(self, seconds: float) -> None:
        """A 429: every instance waits, as Telegram asks."""
        until = self.pace.now() + seconds
        # This instance's own sends hold at once, before the write (which waits its turn) is done.
        self._pause_seen = (self.pace.now(), max(until, self.known_pause()))
        async with self.gate(), self.sessions() as session, session.begin():
            pace = await self._lock_pace(session)
            pace.paused_until = max(pace.paused_until, until)


def _first_ready(
    queue: list[tuple[int, int]], ready: dict[int, float], slot: float, *, answer: bool
) -> tuple[list[tuple[int, int]], int, bool] | None:
    """The first row of `queue` (oldest first) whose chat may send at `slot`."""
    for index, (_, chat_id) in enumerate(queue):
        if ready[chat_id] <= slot:
            return queue, index, answer
    return None


def _upsert(session: AsyncSession) -> postgresql.Insert | sqlite.Insert:
    """INSERT … ON CONFLICT on either engine (both dialects have it)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(AnswerHold)
    return sqlite.insert(AnswerHold)
