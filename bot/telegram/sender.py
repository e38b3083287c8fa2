"""Drains the outbox within Telegram's limits. The only place messages actually leave.

A row is marked sent only after the API confirmed it, so a crash can at worst repeat the
one message that was in flight. Pacing uses the monotonic clock; the timestamps written to
the database come from the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, Row, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.db import WriteGate
from bot.domain.clock import Clock
from bot.domain.text import clip, strip_html
from bot.i18n import t
from bot.services import events, outbox
from bot.services.access import coordinator_contacts
from bot.services.housekeeping import TASK_PURPOSES
from models import Contact, OutboxMessage, TaskMessage

log = logging.getLogger(__name__)

MAX_UNEXPECTED = 10
# Telegram's words for markup it cannot read (400 "Bad Request: can't parse entities: ...").
UNPARSABLE = "can't parse entities"
UNDELIVERABLE_PURPOSE = "undeliverable_notice"
EXCERPT_CHARS = 200

# Messages whose replies should find their assignment.
CARRIES_ASSIGNMENT = TASK_PURPOSES


class SendError(Exception):
    pass


class RetryAfter(SendError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Forbidden(SendError):
    """The user blocked the bot or left the group: retrying cannot help."""


class BadRequest(SendError):
    """Telegram refused the message itself; retrying the same request cannot help."""


class Temporary(SendError):
    """Network trouble or a 5xx: worth retrying later."""


class Migrated(SendError):
    """A group became a supergroup and has a new chat id."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Transport(Protocol):
    async def send(self, message: OutboxMessage) -> int:
        """Delivers one message and returns Telegram's message_id."""
        ...


@dataclass
class Limits:
    global_per_sec: float = 30.0
    per_chat_per_sec: float = 1.0
    per_group_per_min: int = 20
    # Sending exactly at the limit invites a 429 from timing jitter; this much under it is free.
    margin: float = 0.02
    max_in_flight: int = 32
    max_backoff: float = 300.0
    # While scheduled work waits, answers take at most this share of each second's global budget:
    # a flood of people writing (strangers, say) must not hold a dispatch back.
    answer_share: float = 0.5


LATE_START_SLACK = 0.002  # seconds


class Pacer:
    """Decides when the next message to a chat may start."""

    def __init__(self, limits: Limits, now: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._now = now
        self._global_interval = (1.0 + limits.margin) / limits.global_per_sec
        # Catching up by S seconds keeps at most `global_per_sec` starts in any second only while
        # S <= margin (a start may come S early on a grid stretched by 1 + margin).
        self._slack = min(LATE_START_SLACK, limits.margin)
        self._chat_interval = (1.0 + limits.margin) / limits.per_chat_per_sec
        self._next_global = 0.0
        self._next_chat: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self.paused_until = 0.0
        self._answer_starts: deque[float] = deque()
        self._answer_budget = max(1, int(limits.global_per_sec * limits.answer_share))

    def answers_may_go(self) -> bool:
        """Whether an answer may start now ahead of waiting scheduled work."""
        horizon = self._now() - 1.0
        starts = self._answer_starts
        while starts and starts[0] <= horizon:
            starts.popleft()
        return len(starts) < self._answer_budget

    def took_answer(self) -> None:
        self._answer_starts.append(self._now())

    def global_wait(self) -> float:
        return max(0.0, max(self._next_global, self.paused_until) - self._now())

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until this chat's own limits let a message start."""
        ready = max(self._next_chat.get(chat_id, 0.0), self.paused_until)
        if chat_id < 0:
            sends = self._group_sends.get(chat_id)
            if sends and len(sends) >= self.limits.per_group_per_min:
                ready = max(ready, sends[0] + 60.0 * (1.0 + self.limits.margin))
        return max(0.0, ready - self._now())

    def take(self, chat_id: int) -> None:
        now = self._now()
        # A start that came up to LATE_START_SLACK late (the event loop wakes a millisecond or so
        # after the time asked for) keeps to the grid of start times instead of restarting it
        # from `now`, which lost ~3 % of the rate. It can make one gap that much shorter, but
        # never puts more starts in a second than the interval allows.
        self._next_global = max(now - self._slack, self._next_global) + self._global_interval
        self._next_chat[chat_id] = now + self._chat_interval
        if chat_id < 0:
            sends = self._group_sends.setdefault(chat_id, deque())
            sends.append(now)
            while len(sends) > self.limits.per_group_per_min:
                sends.popleft()

    def back_off(self, chat_id: int, seconds: float) -> None:
        until = self._now() + seconds
        self._next_chat[chat_id] = max(self._next_chat.get(chat_id, 0.0), until)
        # A 429 may be the bot-wide limit: everything waits, as Telegram asks.
        self.paused_until = max(self.paused_until, until)


# Messages that answer what a person just did in the chat (handlers/util.say, the report's
# confirmation, errors, exports): sent before scheduled and broadcast messages.
ANSWER_PURPOSES = ("reply", "report_ack", "error", "export", "stranger")


class OutboxSender:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], transport: Transport, clock: Clock,
                 limits: Limits | None = None, poll_interval: float = 1.0, *, gate: WriteGate) -> None:
        self.sessions = sessions
        # Required: a sender writing outside the app's gate would contend with it for SQLite's lock.
        self.gate = gate
        self.transport = transport
        self.clock = clock
        self.limits = limits or Limits()
        self.pacer = Pacer(self.limits)
        self.poll_interval = poll_interval
        # `_wake`: anything happened (a message queued, a send finished) -- the idle wait ends.
        # `_queued`: a message was queued since the last read of the outbox -- read it again.
        self._wake = asyncio.Event()
        self._queued = asyncio.Event()
        self._stopping = False
        self._busy_chats: set[int] = set()
        self._in_flight: set[asyncio.Task[None]] = set()
        self.stats = {"sent": 0, "retry_after": 0, "temporary": 0, "forbidden": 0, "bad_request": 0,
                      "as_plain_text": 0}

    def wake(self) -> None:
        """Called after a commit that queued messages."""
        self._queued.set()
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            progressed = await self.pump()
            if not progressed:
                # pump() cleared the flag before it read the outbox, so a message queued since
                # then ends this wait at once.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()
        await self._drain_in_flight()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _drain_in_flight(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def pump(self, batch: int = 200) -> bool:
        """Starts every message that may go now. Returns whether anything was started."""
        now = self.clock.now()
        self._wake.clear()
        self._queued.clear()
        async with self.sessions() as session:
            # Each chat's oldest due message of each class only: a long backlog in one chat must
            # not hide the messages waiting for every other chat. Answers and scheduled messages
            # are two queues per chat: the person who just acted is answered before the task
            # messages already queued for that chat (at 1 message/s per chat, a contact with 30
            # of a fan-out's messages would otherwise wait half a minute); each class keeps its
            # own order, and a class whose head waits for a retry waits as a whole.
            is_answer = col(OutboxMessage.purpose).in_(ANSWER_PURPOSES)

            def due(kind: ColumnElement[bool]) -> Select[int | None, int]:
                heads = (select(func.min(OutboxMessage.id)).where(col(OutboxMessage.state) == "pending", kind)
                         .group_by(col(OutboxMessage.chat_id)))
                return (select(col(OutboxMessage.id), col(OutboxMessage.chat_id))
                        .where(col(OutboxMessage.id).in_(heads), col(OutboxMessage.next_attempt_at) <= now)
                        .order_by(col(OutboxMessage.id)).limit(batch))

            # Answers go first within a bounded share (`_merge_fairly`). Read apart, so neither
            # class can fill the batch.
            answers = (await session.execute(due(is_answer))).all()
            scheduled = (await session.execute(due(~is_answer))).all()
        rows = self._merge_fairly(answers, scheduled)
        started = False
        waiting: dict[int, float] = {}
        for row_id, chat_id, answer in rows:
            assert row_id is not None  # the primary key of a stored row
            if self._stopping:
                break
            if started and self._queued.is_set():
                # Something was queued since the read (perhaps an answer someone waits for,
                # which goes first): read again rather than finish a batch of 200 paced sends.
                return True
            # One in flight per chat, earliest first, keeps each chat's messages in order.
            if chat_id in self._busy_chats or chat_id in waiting:
                waiting.setdefault(chat_id, 0.05)
                continue
            chat_wait = self.pacer.chat_wait(chat_id)
            if chat_wait > 0:
                waiting[chat_id] = chat_wait
                continue
            global_wait = self.pacer.global_wait()
            if global_wait > 0:
                await asyncio.sleep(global_wait)
            while len(self._in_flight) >= self.limits.max_in_flight:
                await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            self.pacer.take(chat_id)
            if answer:
                self.pacer.took_answer()
            self._busy_chats.add(chat_id)
            task = asyncio.create_task(self._deliver(row_id, chat_id))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            started = True
        if not started and waiting:
            # Everything due is held by pacing: wait for the nearest chat, or a delivery to finish.
            # A newly queued message (an answer, maybe to another chat) also ends the pause.
            pause = min(1.0, min(waiting.values()))
            queued = asyncio.ensure_future(self._queued.wait())
            try:
                await asyncio.wait({*self._in_flight, queued}, return_when=asyncio.FIRST_COMPLETED, timeout=pause)
            finally:
                queued.cancel()
            return True
        return started

    def _merge_fairly(self, answers: Sequence[Row[int | None, int]], scheduled: Sequence[Row[int | None, int]]
                      ) -> Iterator[tuple[int | None, int, bool]]:
        """Answers first while they keep within their share of the last second's sends; then
        scheduled rows get their turn. The share is counted across reads of the outbox, so
        answers queued at a high rate (each one makes the sender read again) cannot take
        every slot. Lazily evaluated: the share is asked at the moment each row is chosen."""
        a = s = 0
        while a < len(answers) or s < len(scheduled):
            if a < len(answers) and (s >= len(scheduled) or self.pacer.answers_may_go()):
                yield answers[a][0], answers[a][1], True
                a += 1
            else:
                yield scheduled[s][0], scheduled[s][1], False
                s += 1

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109  (a deadline over many awaits)
        """Sends everything due now and waits for it: for tests, the CLI and benchmarks."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # As `run` does: the next batch starts while the last sends are still in flight
            # (waiting for them after every batch of 200 cost about 3 % of the rate).
            if await self.pump():
                continue
            await self._drain_in_flight()
            if not await self._pending_due():
                return
        raise TimeoutError("outbox not drained in time")

    async def _pending_due(self) -> bool:
        async with self.sessions() as session:
            return (await session.scalar(select(col(OutboxMessage.id)).where(
                col(OutboxMessage.state) == "pending", col(OutboxMessage.next_attempt_at) <= self.clock.now()).limit(1))) is not None

    async def _deliver(self, row_id: int, chat_id: int) -> None:
        try:
            async with self.sessions() as session:
                message = await session.get(OutboxMessage, row_id)
                # Read again: the pump's list may be older than a failure that rescheduled this row.
                if message is None or message.state != "pending" or (message.next_attempt_at is not None
                                                                         and message.next_attempt_at > self.clock.now()):
                    return
                session.expunge(message)
            try:
                telegram_id = await self.transport.send(message)
            except RetryAfter as exc:
                self.stats["retry_after"] += 1
                self.pacer.back_off(chat_id, exc.seconds)
                await self._reschedule(row_id, exc.seconds, str(exc), count_attempt=False)
            except Temporary as exc:
                self.stats["temporary"] += 1
                delay = min(self.limits.max_backoff, 2.0 ** min(message.attempts, 10))
                await self._reschedule(row_id, delay, str(exc))
            except Forbidden as exc:
                self.stats["forbidden"] += 1
                await self._forbidden(row_id, chat_id, str(exc))
            except BadRequest as exc:
                self.stats["bad_request"] += 1
                if message.parse_mode == "HTML" and UNPARSABLE in str(exc):
                    await self._as_plain_text(message, str(exc))
                else:
                    await self._dead(row_id, str(exc), message)
            except Migrated as exc:
                await self._migrate(chat_id, exc.new_chat_id)
            else:
                self.stats["sent"] += 1
                await self._mark_sent(message, telegram_id)
        except Exception as exc:  # a bug here must not stop the sender
            log.exception("outbox delivery of message %s failed", row_id)
            await self._unexpected(row_id, exc)
        finally:
            self._busy_chats.discard(chat_id)
            self._wake.set()

    async def _mark_sent(self, message: OutboxMessage, telegram_id: int) -> None:
        now = self.clock.now()
        async with self.gate(), self.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == message.id).values(
                state="sent", sent_at=now, telegram_message_id=telegram_id, attempts=OutboxMessage.attempts + 1))
            if message.assignment_id is not None and message.purpose in CARRIES_ASSIGNMENT:
                session.add(TaskMessage(chat_id=message.chat_id, message_id=telegram_id,
                                        assignment_id=message.assignment_id, purpose=message.purpose,
                                        created_at=now))

    async def _reschedule(self, row_id: int, delay: float, error: str, count_attempt: bool = True) -> None:
        now = self.clock.now()
        values: dict[str, object] = {"next_attempt_at": now + timedelta(seconds=delay), "last_error": error[:500]}
        if count_attempt:
            values["attempts"] = OutboxMessage.attempts + 1
        async with self.gate(), self.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == row_id).values(**values))

    async def _unexpected(self, row_id: int, exc: Exception) -> None:
        """Counted and retried with backoff; after MAX_UNEXPECTED tries the row is given up as dead,
        so one poisoned message cannot hold its chat's queue for ever."""
        async with self.gate(), self.sessions() as session, session.begin():
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if row.attempts >= MAX_UNEXPECTED:
                row.state = "dead"
                await self._report_undeliverable(session, row, row.last_error)
            else:
                row.next_attempt_at = self.clock.now() + timedelta(
                    seconds=min(self.limits.max_backoff, 2.0 ** row.attempts))

    async def _migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """Moves a department group that became a supergroup to its new chat id, then retries."""
        now = self.clock.now()
        async with self.gate(), self.sessions() as session, session.begin():
            # Old messages stay behind in the old group, so TaskMessage rows keep the old id.
            for table in (Contact, OutboxMessage):
                await session.execute(update(table).where(col(table.chat_id) == old_chat_id)
                                      .values(chat_id=new_chat_id))
            events.add(session, at=now, actor="system:sender", kind="chat.migrated", entity="chat",
                       entity_id=None, data={"from": old_chat_id, "to": new_chat_id})
        log.info("chat %s migrated to %s", old_chat_id, new_chat_id)

    async def _as_plain_text(self, message: OutboxMessage, error: str) -> None:
        """Telegram could not read the markup: the same words go once more without it (the row is
        rewritten, so the retry cannot fail the same way)."""
        self.stats["as_plain_text"] += 1
        now = self.clock.now()
        async with self.gate(), self.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == message.id).values(
                text=strip_html(message.text), parse_mode=None, next_attempt_at=now, last_error=error[:500],
                attempts=OutboxMessage.attempts + 1))
            events.add(session, at=now, actor="system:sender", kind="outbox.plain_text", entity="outbox",
                       entity_id=message.id, reason=error[:500])
        log.warning("outbox message %s refused as HTML, retried as plain text: %s", message.id, error)

    async def _dead(self, row_id: int, error: str, message: OutboxMessage) -> None:
        now = self.clock.now()
        async with self.gate(), self.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == row_id).values(
                state="dead", last_error=error[:500], attempts=OutboxMessage.attempts + 1))
            events.add(session, at=now, actor="system:sender", kind="outbox.dead", entity="outbox",
                       entity_id=row_id, to_state="dead", reason=error[:500])
            await self._report_undeliverable(session, message, error)
        log.warning("outbox message %s refused by Telegram: %s", row_id, error)

    async def _report_undeliverable(self, session: AsyncSession, message: OutboxMessage, error: str) -> None:
        """Tells the coordinators what could not be delivered, once: a notice about a failed
        notice is not reported again."""
        if message.purpose in (UNDELIVERABLE_PURPOSE, "card_edit"):
            return  # an edit of a card that is gone, or of a notice about a failed notice
        now = self.clock.now()
        contacts = (await session.scalars(select(Contact).where(col(Contact.chat_id) == message.chat_id)
                                          .order_by(col(Contact.id)))).all()
        whom = "、".join(dict.fromkeys(c.display_name or str(c.chat_id) for c in contacts)) or str(message.chat_id)
        excerpt = clip(" ".join(strip_html(message.text or message.file_name or "").split()), EXCERPT_CHARS)
        for coordinator in await coordinator_contacts(session):
            lang = coordinator.language
            task = (t(lang, "undeliverable_notice.task", aid=message.assignment_id)
                    if message.assignment_id is not None else "")
            outbox.enqueue(session, chat_id=coordinator.chat_id, now=now, purpose=UNDELIVERABLE_PURPOSE,
                           text=t(lang, "undeliverable_notice", whom=html.escape(whom, quote=False), task=task,
                                  error=html.escape(clip(error, EXCERPT_CHARS), quote=False),
                                  excerpt=html.escape(excerpt, quote=False)))

    async def _forbidden(self, row_id: int, chat_id: int, error: str) -> None:
        now = self.clock.now()
        async with self.gate(), self.sessions() as session, session.begin():
            await session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == row_id).values(
                state="failed", last_error=error[:500], attempts=OutboxMessage.attempts + 1))
            # Later messages to the same chat would fail the same way: park them too.
            await session.execute(update(OutboxMessage).where(
                col(OutboxMessage.chat_id) == chat_id, col(OutboxMessage.state) == "pending").values(
                state="failed", last_error="chat unreachable (403)"))
            # Paused, not unbound: people unblock bots, and a group may take the bot back. They
            # resume when they write again (bot.services.paused) and are offered what they missed.
            contacts = (await session.scalars(select(Contact).where(
                col(Contact.chat_id) == chat_id, col(Contact.active).is_(True), col(Contact.paused_at).is_(None)))).all()
            for contact in contacts:
                contact.paused_at = now
                events.add(session, at=now, actor="system:sender", kind="contact.paused", entity="contact",
                           entity_id=contact.id, from_state="active", to_state="paused", reason=error[:200])
            if contacts:
                names = "、".join(c.display_name or str(c.chat_id) for c in contacts)
                from models import Unit

                unit = await session.get(Unit, contacts[0].unit_id) if contacts[0].unit_id else None
                for coordinator in await coordinator_contacts(session):
                    if coordinator.chat_id == chat_id:
                        continue
                    outbox.enqueue(session, chat_id=coordinator.chat_id, now=now, purpose="blocked_notice",
                                   text=t(coordinator.language, "blocked_notice",
                                          unit=html.escape(unit.name if unit else "—", quote=False),
                                          name=html.escape(names, quote=False)))
