"""Drains the outbox within Telegram's limits. The only place messages actually leave.

A row is marked sent only after the API confirmed it, and no send starts while
`Limits.max_unmarked` sends are unmarked: a crash repeats at most those. Marks are written together,
in the next claim's transaction or in a write of their own started before that bound is reached,
so a turn at the write gate serves several sends. Pacing uses the monotonic clock; the timestamps written to
the database come from the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from bot.db import WriteGate
from bot.domain.clock import Clock
from bot.domain.text import clip, strip_html
from bot.i18n import t
from bot.services import events, outbox
from bot.services.access import coordinator_contacts
from bot.services.housekeeping import TASK_PURPOSES
from bot.telegram.claims import Claimed, Claims, Marks, PaceClock, WallClock
from models import Contact, OutboxMessage, TaskMessage

log = logging.getLogger(__name__)

MAX_UNEXPECTED = 10
# Telegram's words for markup it cannot read (400 "Bad Request: can't parse entities: ...").
UNPARSABLE = "can't parse entities"
UNDELIVERABLE_PURPOSE = "undeliverable_notice"
EXCERPT_CHARS = 200

# Messages whose replies should find their assignment.
CARRIES_ASSIGNMENT = TASK_PURPOSES
# What a row's claim columns become when it is marked or given back.
RELEASED: dict[str, object] = {"claimed_by": None, "lease_until": None}


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
    # A claim hands out the send slots of about this many seconds ahead (bot/telegram/claims.py).
    horizon: float = 0.5
    # A killed instance's claims go to another after this long. A send is cut off at half of it,
    # so no live instance's send outlasts its claim.
    lease_seconds: float = 20.0
    # A slot started later than this (an event loop held up) is given again rather than used: late
    # starts bunch with the on-time ones after them. Under the margin (in seconds, for a 1 s
    # window), no second can hold more than the limit.
    late_start: float = 0.018
    # The most a claim's first slot is put ahead of it, however slow claims have been.
    max_lead: float = 0.25
    # Sends started and not yet marked sent: a crash repeats at most these. A send starts every
    # 34 ms at 30/s, and Telegram's answer plus the mark's commit take a round trip and a commit
    # (tens of ms, ~100 ms on a slow link), so a few overlap at full pace; when this many are
    # unmarked, the next slot is given back instead of another send started.
    max_unmarked: int = 3


PAUSE_READ_LEAD = 0.03  # seconds before its slot a send reads whether the bot is paused
# Sent marks wait at most this long for more to write with them (or for a claim to carry them),
# and only while a send of this sender's is due that soon and the unmarked bound leaves room.
MARK_WAIT = 0.2  # seconds
# A message queued while the bot's next free slot is further ahead than a claim's lead needs no
# claim until then (unless it may take a scheduled row's slot): it could get no earlier one, and
# one later claim takes everything queued.
QUEUED_CLAIM_AHEAD = 0.03  # seconds


class OutboxSender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        transport: Transport,
        clock: Clock,
        limits: Limits | None = None,
        poll_interval: float = 1.0,
        *,
        gate: WriteGate,
        pace: PaceClock | None = None,
        owner: str | None = None,
    ) -> None:
        self.sessions = sessions
        # Required: a sender writing outside the app's gate would contend with it for SQLite's lock.
        self.gate = gate
        self.transport = transport
        self.clock = clock
        self.limits = limits or Limits()
        self.pace = pace or WallClock()
        self.claims = Claims(sessions, gate, clock, self.limits, self.pace, owner)
        self.poll_interval = poll_interval
        # `_wake`: anything happened (a message queued, a send finished) -- the idle wait ends.
        # `_queued`: a message was queued since the last claim -- claim again.
        self._wake = asyncio.Event()
        self._queued = asyncio.Event()
        self._stopping = False
        self._mine: set[int] = set()  # claimed by this sender and not yet marked or released
        # Held by this sender, their slot missed: the next claim gives them new ones (no write of their own).
        self._reslot: set[int] = set()
        # Outcomes waiting for the next batch write: one transaction at the write gate for many
        # sends, not one each (a turn at the gate per message held a fan-out well under 30/s).
        self._outcomes: dict[int, tuple[OutboxMessage, int | None]] = {}
        self._writer: asyncio.Task[None] | None = None
        self._more = asyncio.Event()  # an outcome recorded or a send started: the writer looks again
        # Sends started whose outcome is not committed yet (bounded by Limits.max_unmarked).
        self._unmarked: set[int] = set()
        # Claimed rows waiting for their slot, by row: a send goes only if its claim is still the
        # row's here (a hold for an answer takes a scheduled row's slot back).
        self._ahead: dict[int, Claimed] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        self.stats = {
            "sent": 0,
            "retry_after": 0,
            "temporary": 0,
            "forbidden": 0,
            "bad_request": 0,
            "as_plain_text": 0,
            "slots_given_back": 0,
        }

    def wake(self) -> None:
        """Called after a commit that queued messages."""
        self._queued.set()
        self._wake.set()

    def hold_for_answer(self, chat_id: int) -> None:
        """An update from the chat is being handled: its scheduled messages wait for the answer
        (bot/telegram/claims.py, Claims.hold), and those already given slots here give them back,
        so the answer finds the chat's 1/s free. Other instances hear of it with the next claim."""
        if not self.claims.hold(chat_id):
            return
        for row_id, claimed in list(self._ahead.items()):
            if claimed.message.chat_id == chat_id and not claimed.answer:
                del self._ahead[row_id]
                self._reslot.add(row_id)
                self.stats["slots_given_back"] += 1

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
        log.info("outbox sender stopped: %s", self.stats)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _drain_in_flight(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        if self._stopping:
            # Slots missed and not yet given again: another instance (or the next start) may take them.
            for row_id in list(self._reslot):
                self._outcomes[row_id] = (OutboxMessage(id=row_id, chat_id=0), None)
            self._reslot.clear()
            if self._outcomes and (self._writer is None or self._writer.done()):
                self._writer = asyncio.create_task(self._write_outcomes(), name="outbox-marks")
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def pump(self, batch: int = 200) -> bool:
        """Claims what may go within the next second and starts it, each at its slot.
        Returns whether anything was claimed or is held back only by the limits."""
        self._wake.clear()
        self._queued.clear()
        room = self.limits.max_in_flight - len(self._in_flight)
        if room <= 0:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            return True
        # The outcomes not yet written go with the claim: one commit for both.
        carried, self._outcomes = self._outcomes, {}
        try:
            claim = await self.claims.claim(
                room=room,
                skip=self._mine - self._reslot,
                batch=batch,
                reslot=frozenset(self._reslot),
                marks=self._marks(carried) if carried else None,
                spare={row_id: c.slot for row_id, c in self._ahead.items() if not c.answer},
            )
        except Exception as exc:
            # The outcomes were not written: the writer takes them again.
            self._outcomes = carried | self._outcomes
            if self._outcomes:
                self._start_writer()
            if not isinstance(exc, (IntegrityError, OperationalError)):
                raise
            if isinstance(exc, IntegrityError):
                # Another instance created the pace row at the same moment; it is there now.
                return True
            # A full disk or a database gone for a moment: the claim (and the holds it was to
            # write, which only speed answers up) is dropped and tried again, the sender goes on.
            log.warning("outbox claim failed, trying again: %s", exc)
            await self.pace.sleep(0.5)
            return True
        self._marked(carried)
        # Rows whose slots went to answers wait for new ones; one whose send has started meanwhile
        # (the claim took longer than its lead) keeps its slot, and the answer given it waits instead.
        started = set()
        for moved, at in claim.displaced.items():
            if moved in self._ahead:
                del self._ahead[moved]
                self._reslot.add(moved)
            else:
                started.add(at)
        for claimed in claim.rows:
            row_id = claimed.message.id
            assert row_id is not None
            if claimed.slot in started:
                self._mine.add(row_id)
                self._reslot.add(row_id)
                continue
            self._reslot.discard(row_id)
            self._mine.add(row_id)
            self._ahead[row_id] = claimed
            task = asyncio.create_task(self._deliver(claimed))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        if claim.rows:
            # Claim again when most of these slots are used, or at once when something is queued
            # (perhaps an answer someone waits for, which takes the next free slots).
            pause = claim.rows[-1].slot - self.pace.now() - self.limits.horizon / 4
        elif claim.ready_at is not None:
            pause = claim.ready_at - self.pace.now()
        else:
            return False
        if pause > 0 and not self._stopping:
            until = self.pace.now() + min(1.0, pause)
            queued = asyncio.ensure_future(self._queued.wait())
            slept = asyncio.ensure_future(self.pace.sleep(until - self.pace.now()))
            try:
                await asyncio.wait({queued, slept}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                queued.cancel()
                slept.cancel()
            if queued.done() and not queued.cancelled() and not self._stopping and not self._spare_ahead():
                # Claim again when the next free slot is near, not at once: what was queued can
                # have no earlier one, and everything queued until then shares that claim.
                near = claim.next_slot - self.claims.lead() - QUEUED_CLAIM_AHEAD
                await self.pace.sleep(min(until, near) - self.pace.now())
        return True

    def _spare_ahead(self) -> bool:
        """Whether an answer queued now could take one of this sender's scheduled slots ahead
        (Claims.claim's `spare`), so that a claim at once may send it sooner."""
        soon = self.pace.now() + self.claims.lead() + QUEUED_CLAIM_AHEAD
        return any(not c.answer and c.slot > soon for c in self._ahead.values())

    async def drain(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109  (a deadline over many awaits)
        """Sends everything due now and waits for it: for tests, the CLI and benchmarks."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # As `run` does: the next claim comes while the last sends are still in flight.
            if await self.pump():
                continue
            await self._drain_in_flight()
            if not await self._pending_due():
                return
        raise TimeoutError("outbox not drained in time")

    async def _pending_due(self) -> bool:
        """Whether anything due is left that this sender could claim (another live instance's
        claims are its to send)."""
        if self._reslot:
            return True
        async with self.sessions() as session:
            return (
                await session.scalar(select(col(OutboxMessage.id)).where(self.claims.claimable()).limit(1))
            ) is not None

    async def _deliver(self, claimed: Claimed) -> None:
        message = claimed.message
        row_id, chat_id = message.id, message.chat_id
        assert row_id is not None
        released = True
        try:
            await self.pace.sleep(claimed.slot - self.pace.now() - PAUSE_READ_LEAD)
            # A 429 seen by any instance since this slot was handed out voids it.
            paused = await self.claims.paused_until() > claimed.slot
            await self.pace.sleep(claimed.slot - self.pace.now())
            if self._ahead.get(row_id) is not claimed:
                released = False  # taken back (held for an answer) or given a new slot since
                return
            del self._ahead[row_id]
            unmarked = len(self._unmarked) >= self.limits.max_unmarked
            if unmarked:
                self._more.set()  # the writer must not wait for more
            # A hold heard of since the claim (another instance's, read with the last claim).
            held = not claimed.answer and self.claims.held_until(chat_id) > claimed.slot
            if (
                paused
                or unmarked
                or held
                or self.claims.known_pause() > claimed.slot
                or self.pace.now() - claimed.slot > self.limits.late_start
            ):
                self.stats["slots_given_back"] += 1
                released = False
                self._reslot.add(row_id)
                if not (unmarked or held):  # (else the next claim comes in its time)
                    self._queued.set()  # claim again at once
                return
            self._unmarked.add(row_id)
            self._more.set()
            try:
                async with asyncio.timeout(self.limits.lease_seconds / 2):
                    telegram_id = await self.transport.send(message)
            except TimeoutError as exc:
                raise Temporary("no answer from Telegram in time") from exc
        except RetryAfter as exc:
            self.stats["retry_after"] += 1
            await self.claims.pause(exc.seconds)
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
        except Exception as exc:  # a bug here must not stop the sender
            log.exception("outbox delivery of message %s failed", row_id)
            with contextlib.suppress(Exception):
                await self._unexpected(row_id, exc)
        else:
            self.stats["sent"] += 1
            released = False
            self._record(message, telegram_id)
            if claimed.answer:
                self.claims.release(chat_id)
        finally:
            if released:
                self._mine.discard(row_id)
                self._unmarked.discard(row_id)  # its outcome is written (or it never went)
            if released or row_id in self._reslot:
                self._wake.set()  # something to claim (again)

    def _record(self, message: OutboxMessage, telegram_id: int | None) -> None:
        """Queues a sent mark (or, without a telegram_id, a claim given back) for the next write."""
        self._outcomes[message.id] = (message, telegram_id)  # type: ignore[index]
        self._start_writer()

    def _start_writer(self) -> None:
        self._more.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_outcomes(), name="outbox-marks")

    def _may_wait_to_mark(self) -> bool:
        """Whether the outcomes may wait for more. They are written once there are enough that the
        next send but one would reach the unmarked bound (the write then has a send's interval to
        commit), at once when a send is held back by the bound, and when no send of this sender's
        is due soon (nothing would join them)."""
        bound = self.limits.max_unmarked
        if self._stopping or len(self._outcomes) >= bound - 1 or len(self._unmarked) >= bound:
            return False
        soon = self.pace.now() + MARK_WAIT
        return any(claimed.slot <= soon for claimed in self._ahead.values()) or len(self._unmarked) > len(
            self._outcomes
        )

    async def _write_outcomes(self) -> None:
        while self._outcomes:
            if self._may_wait_to_mark():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(MARK_WAIT):
                        while self._outcomes and self._may_wait_to_mark():
                            self._more.clear()
                            await self._more.wait()
                if not self._outcomes:
                    continue  # a claim carried them meanwhile
            batch, self._outcomes = self._outcomes, {}
            try:
                async with self.gate(), self.sessions() as session, session.begin():
                    await self._marks(batch)(session)
            except Exception:
                # Not marked: the rows return after their lease and go again, as a crash here would.
                log.exception("marking %d outbox messages failed", len(batch))
            finally:
                self._marked(batch)

    def _marks(self, batch: dict[int, tuple[OutboxMessage, int | None]]) -> Marks:
        """The writes of a batch of outcomes: sent marks, claims given back, the task messages' copies."""
        now = self.clock.now()
        rows: list[dict[str, object]] = []
        copies: list[TaskMessage] = []
        for message, telegram_id in batch.values():
            if telegram_id is None:
                # Its slot went unused: the chat's pacing must not count it.
                rows.append({"id": message.id, "slot_at": None, **RELEASED})
                continue
            rows.append(
                {
                    "id": message.id,
                    "state": "sent",
                    "sent_at": now,
                    "telegram_message_id": telegram_id,
                    "attempts": message.attempts + 1,
                    **RELEASED,
                }
            )
            if message.assignment_id is not None and message.purpose in CARRIES_ASSIGNMENT:
                copies.append(
                    TaskMessage(
                        chat_id=message.chat_id,
                        message_id=telegram_id,
                        assignment_id=message.assignment_id,
                        purpose=message.purpose,
                        created_at=now,
                    )
                )

        async def write(session: AsyncSession) -> None:
            await session.execute(update(OutboxMessage), rows)
            session.add_all(copies)
            if copies:
                await session.flush()

        return write

    def _marked(self, batch: dict[int, tuple[OutboxMessage, int | None]]) -> None:
        """The batch's outcomes are committed (or given up): its rows are no longer this sender's."""
        if not batch:
            return
        self._mine.difference_update(batch)
        self._unmarked.difference_update(batch)
        # A chat's next message becomes its head once the one before is marked, and sends held
        # back by the unmarked bound may go: worth a claim if the last found nothing.
        self._wake.set()

    async def _reschedule(self, row_id: int, delay: float, error: str, count_attempt: bool = True) -> None:
        now = self.clock.now()
        values: dict[str, object] = {
            "next_attempt_at": now + timedelta(seconds=delay),
            "last_error": error[:500],
            **RELEASED,
        }
        if count_attempt:
            values["attempts"] = col(OutboxMessage.attempts) + 1
        async with self.gate(), self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage).where(col(OutboxMessage.id) == row_id).values(**values)
            )

    async def _unexpected(self, row_id: int, exc: Exception) -> None:
        """Counted and retried with backoff; after MAX_UNEXPECTED tries the row is given up as dead,
        so one poisoned message cannot hold its chat's queue for ever."""
        async with self.gate(), self.sessions() as session, session.begin():
            row = await session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:500]
            row.claimed_by, row.lease_until = None, None
            if row.attempts >= MAX_UNEXPECTED:
                row.state = "dead"
                await self._report_undeliverable(session, row, row.last_error)
            else:
                row.next_attempt_at = self.clock.now() + timedelta(
                    seconds=min(self.limits.max_backoff, 2.0**row.attempts)
                )

    async def _migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """Moves a department group that became a supergroup to its new chat id, then retries."""
        now = self.clock.now()
        async with self.gate(), self.sessions() as session, session.begin():
            # Old messages stay behind in the old group, so TaskMessage rows keep the old id.
            for table in (Contact, OutboxMessage):
                await session.execute(
                    update(table).where(col(table.chat_id) == old_chat_id).values(chat_id=new_chat_id)
                )
            await session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.chat_id) == new_chat_id,
                    col(OutboxMessage.claimed_by) == self.claims.owner,
                )
                .values(**RELEASED)
            )
            events.add(
                session,
                at=now,
                actor="system:sender",
                kind="chat.migrated",
                entity="chat",
                entity_id=None,
                data={"from": old_chat_id, "to": new_chat_id},
            )
        log.info("chat %s migrated to %s", old_chat_id, new_chat_id)

    async def _as_plain_text(self, message: OutboxMessage, error: str) -> None:
        """Telegram could not read the markup: the same words go once more without it (the row is
        rewritten, so the retry cannot fail the same way)."""
        self.stats["as_plain_text"] += 1
        now = self.clock.now()
        async with self.gate(), self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == message.id)
                .values(
                    text=strip_html(message.text),
                    parse_mode=None,
                    next_attempt_at=now,
                    last_error=error[:500],
                    attempts=col(OutboxMessage.attempts) + 1,
                    **RELEASED,
                )
            )
            events.add(
                session,
                at=now,
                actor="system:sender",
                kind="outbox.plain_text",
                entity="outbox",
                entity_id=message.id,
                reason=error[:500],
            )
        log.warning("outbox message %s refused as HTML, retried as plain text: %s", message.id, error)

    async def _dead(self, row_id: int, error: str, message: OutboxMessage) -> None:
        now = self.clock.now()
        async with self.gate(), self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row_id)
                .values(
                    state="dead", last_error=error[:500], attempts=col(OutboxMessage.attempts) + 1, **RELEASED
                )
            )
            events.add(
                session,
                at=now,
                actor="system:sender",
                kind="outbox.dead",
                entity="outbox",
                entity_id=row_id,
                to_state="dead",
                reason=error[:500],
            )
            await self._report_undeliverable(session, message, error)
        log.warning("outbox message %s refused by Telegram: %s", row_id, error)

    async def _report_undeliverable(self, session: AsyncSession, message: OutboxMessage, error: str) -> None:
        """Tells the coordinators what could not be delivered, once: a notice about a failed
        notice is not reported again."""
        if message.purpose in (UNDELIVERABLE_PURPOSE, "card_edit"):
            return  # an edit of a card that is gone, or of a notice about a failed notice
        now = self.clock.now()
        contacts = (
            await session.scalars(
                select(Contact).where(col(Contact.chat_id) == message.chat_id).order_by(col(Contact.id))
            )
        ).all()
        whom = "、".join(dict.fromkeys(c.display_name or str(c.chat_id) for c in contacts)) or str(
            message.chat_id
        )
        excerpt = clip(" ".join(strip_html(message.text or message.file_name or "").split()), EXCERPT_CHARS)
        for coordinator in await coordinator_contacts(session):
            lang = coordinator.language
            task = (
                t(lang, "undeliverable_notice.task", aid=message.assignment_id)
                if message.assignment_id is not None
                else ""
            )
            outbox.enqueue(
                session,
                chat_id=coordinator.chat_id,
                now=now,
                purpose=UNDELIVERABLE_PURPOSE,
                text=t(
                    lang,
                    "undeliverable_notice",
                    whom=html.escape(whom, quote=False),
                    task=task,
                    error=html.escape(clip(error, EXCERPT_CHARS), quote=False),
                    excerpt=html.escape(excerpt, quote=False),
                ),
            )

    async def _forbidden(self, row_id: int, chat_id: int, error: str) -> None:
        now = self.clock.now()
        async with self.gate(), self.sessions() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row_id)
                .values(
                    state="failed",
                    last_error=error[:500],
                    attempts=col(OutboxMessage.attempts) + 1,
                    **RELEASED,
                )
            )
            # Later messages to the same chat would fail the same way: park them too.
            await session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.chat_id) == chat_id, col(OutboxMessage.state) == "pending")
                .values(state="failed", last_error="chat unreachable (403)", **RELEASED)
            )
            # Paused, not unbound: people unblock bots, and a group may take the bot back. They
            # resume when they write again (bot.services.paused) and are offered what they missed.
            contacts = (
                await session.scalars(
                    select(Contact).where(
                        col(Contact.chat_id) == chat_id,
                        col(Contact.active).is_(True),
                        col(Contact.paused_at).is_(None),
                    )
                )
            ).all()
            for contact in contacts:
                contact.paused_at = now
                events.add(
                    session,
                    at=now,
                    actor="system:sender",
                    kind="contact.paused",
                    entity="contact",
                    entity_id=contact.id,
                    from_state="active",
                    to_state="paused",
                    reason=error[:200],
                )
            if contacts:
                names = "、".join(c.display_name or str(c.chat_id) for c in contacts)
                from models import Unit

                unit = await session.get(Unit, contacts[0].unit_id) if contacts[0].unit_id else None
                for coordinator in await coordinator_contacts(session):
                    if coordinator.chat_id == chat_id:
                        continue
                    outbox.enqueue(
                        session,
                        chat_id=coordinator.chat_id,
                        now=now,
                        purpose="blocked_notice",
                        text=t(
                            coordinator.language,
                            "blocked_notice",
                            unit=html.escape(unit.name if unit else "—", quote=False),
                            name=html.escape(names, quote=False),
                        ),
                    )
