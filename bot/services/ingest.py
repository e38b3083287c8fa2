"""Progress replies in batches: one transaction for every reply of a polling batch.

Handled one by one, a reply costs its own transaction of about fifteen statements. Telegram
counts an update as delivered only when the next getUpdates carries a higher offset, so the bot
may hold the replies of one polling batch in memory and commit them together just before that
next getUpdates: a crash before the commit leaves them unconfirmed and Telegram delivers them again.

Only the common case takes this path: a bound contact replying, with something to say, to a task
message of an open assignment of their own unit. Everything else (strangers, closed tasks, other
units' tasks, unknown messages) is handed back to the caller to go the usual way, one update at a
time, as is the whole batch if its transaction fails. The effects are those of
`coordination.receive_report`: the same rows, events, outbox messages and re-planned follow-ups.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, or_, select

from bot.i18n import normalise_language
from bot.services import assignments as asg
from bot.services import bulk
from bot.services import coordination as co
from bot.services.access import Actor, actor_from_contacts
from models import Assignment, Contact, ProcessedUpdate, ProgressReport

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

    from bot.app import App

log = logging.getLogger(__name__)

# Telegram's getUpdates returns at most 100 updates; a batch never waits for more than that.
MAX_PENDING = 100
# A safety net for when no getUpdates follows soon (polling backing off after a network error).
MAX_DELAY_SECONDS = 0.5


# What reading a report can change on its assignment (see coordination.apply_report_status).
ASSIGNMENT_COLUMNS = ("status", "percent", "acknowledged_at", "last_report_at", "claimed_done_at", "updated_at")
# What reading, answering and re-planning a report use of its assignment's view; every datetime
# or JSON column read costs a conversion, so no more than that.
VIEW_COLUMNS: asg.PlainColumns = (
    ("assignment", ("id", "task_id", "unit_id", "status", "percent", "due_on", "assigned_at", "acknowledged_at",
                    "last_report_at", "claimed_done_at", "updated_at", "followup_overrides")),
    ("task", ("id", "seq", "rhythm", "active", "followup_overrides")),
    ("measure", ("id", "number")),
    ("policy", ("id", "code", "followup_overrides")),
    ("unit", ("id", "name")),
)


@dataclass
class QueuedReply:
    update_id: int
    user_id: int
    chat_id: int
    name: str
    replied_message_id: int
    incoming: co.IncomingReport
    # Whatever the caller needs to handle the update the usual way if the batch declines it.
    token: Any = None


@dataclass
class BatchOutcome:
    accepted: list[QueuedReply] = field(default_factory=list)
    declined: list[QueuedReply] = field(default_factory=list)
    # The plain views the batch read and changed, for re-planning their follow-ups.
    views: dict[int, asg.AssignmentView] = field(default_factory=dict)


async def ingest_batch(session: AsyncSession, items: Sequence[QueuedReply], app: App, *,
                       handled_up_to: int | None = None) -> BatchOutcome:
    """Stores and interprets the replies it accepts, inside the caller's `bulk.collecting`; the
    caller commits. Reads are a handful of queries for the whole batch, whatever its size.

    `handled_up_to`: the highest update id this process has already seen through. Telegram numbers
    updates in increasing order, so a batch entirely above it cannot hold one handled before, and
    the claims are not looked up. Should that ever be wrong, the claims' primary key refuses the
    duplicate when the batch writes them, and the batch goes the usual way."""
    outcome = BatchOutcome()
    now = app.clock.now()
    connection = await session.connection()
    ids = {i.update_id for i in items}
    seen: set[int] = set()
    if handled_up_to is None or min(ids) <= handled_up_to:
        seen = set((await connection.scalars(select(ProcessedUpdate.update_id).where(
            ProcessedUpdate.update_id.in_(ids)))).all())
    fresh: list[QueuedReply] = []
    for item in items:
        if item.update_id not in seen:  # handled before, or twice in this batch
            seen.add(item.update_id)
            fresh.append(item)
    if not fresh:
        return outcome

    users = {i.user_id for i in fresh}
    chats = {i.chat_id for i in fresh}
    # The senders' bindings and the coordinators (for the notices) in one query, as rows, not ORM
    # objects: the batch only reads them (roles, units, language, chat).
    contacts = list((await connection.execute(select(Contact.__table__).where(  # type: ignore[attr-defined]
        or_(Contact.telegram_user_id.in_(users), Contact.chat_id.in_(chats), Contact.role == "coordinator"),
        Contact.active.is_(True)).order_by(Contact.id))).all())
    # What `access.coordinators` would return, for `notify_coordinators_of_report` in this session.
    session.info["coordinators"] = [c for c in contacts if c.role == "coordinator"]
    # Which assignment each replied-to message carries, and those assignments' views, in one
    # statement. Plain objects: this batch writes the columns it changes itself (below), and
    # `interpret_report` finds them through the session's view cache.
    messages, views = await asg.load_plain_views_of_messages(
        session, chats, {i.replied_message_id for i in fresh}, VIEW_COLUMNS)
    session.info.setdefault("assignment_views", {}).update(views)
    outcome.views = views
    before = {aid: [getattr(view.assignment, name) for name in ASSIGNMENT_COLUMNS] for aid, view in views.items()}
    default_language = normalise_language(app.settings.default_language)

    by_user: dict[int, list[Any]] = {}
    by_chat: dict[int, list[Any]] = {}
    for contact in contacts:
        by_user.setdefault(contact.telegram_user_id, []).append(contact)
        by_chat.setdefault(contact.chat_id, []).append(contact)
    actors: dict[tuple[int, int], Actor] = {}
    plan: list[tuple[QueuedReply, Actor, asg.AssignmentView]] = []
    for item in fresh:
        key = (item.user_id, item.chat_id)
        if key not in actors:
            # The user's own bindings, and in a group the group's, in id order.
            own = by_user.get(item.user_id, [])
            if item.chat_id != item.user_id:
                own = sorted({c.id: c for c in [*own, *by_chat.get(item.chat_id, [])]}.values(), key=lambda c: c.id)
            actors[key] = actor_from_contacts(own, user_id=item.user_id, chat_id=item.chat_id, name=item.name,
                                              default_language=default_language)
        actor = actors[key]
        aid = messages.get((item.chat_id, item.replied_message_id))
        view = views.get(aid) if aid is not None else None
        if (view is None or not actor.known or not actor.may_act_for(view.unit.id or 0)
                or view.assignment.status in ("done", "cancelled")
                or (not item.incoming.text.strip() and item.incoming.attachment_kind is None)):
            outcome.declined.append(item)
            continue
        plan.append((item, actor, view))
    if not plan:
        return outcome

    rows_later = bulk.collector(session)
    assert rows_later is not None, "ingest_batch runs inside bulk.collecting"
    for item, _actor, _view in plan:
        rows_later.add(ProcessedUpdate, {"update_id": item.update_id, "processed_at": now})
    # All reports in one statement (`_insert_reports` gives the ids the events and buttons refer
    # to). The reading goes in with the verbatim text, so `interpret_report` finds nothing to
    # change on them. A reading that fails sends the whole batch the usual way, where the text is
    # stored first.
    notify_now = app.settings.report_notify == "instant"
    rows = []
    readings = []
    for item, actor, view in plan:
        reading = co.reading_of(item.incoming.text)
        readings.append(reading)
        rows.append({**co.raw_report_values(actor, view, item.incoming, now=now),
                     "parsed_status": reading.status, "parsed_percent": reading.percent,
                     "parse_ok": reading.understood, "review_state": "pending",
                     "notified_at": now if notify_now else None})
    rows = [bulk.with_defaults(ProgressReport, row) for row in rows]
    ids = await _insert_reports(session, connection, rows)
    reports = [SimpleNamespace(**row, id=ids[(row["chat_id"], row["message_id"])]) for row in rows]
    for (item, actor, _view), report, reading in zip(plan, reports, readings, strict=True):
        co.record_received(session, actor, report, now=now)  # type: ignore[arg-type]
        await co.interpret_report(session, actor, report, now=now, notify_now=notify_now,  # type: ignore[arg-type]
                                  reading=reading)
        outcome.accepted.append(item)
    changed = []
    for aid, view in views.items():
        after = [getattr(view.assignment, name) for name in ASSIGNMENT_COLUMNS]
        if after != before[aid]:
            changed.append({"row_id": aid, **dict(zip(ASSIGNMENT_COLUMNS, after, strict=True))})
    if changed:
        await bulk.executemany(session, bulk.update_by_id(Assignment.__table__, ASSIGNMENT_COLUMNS), changed)  # type: ignore[attr-defined]
    return outcome


async def _insert_reports(session: AsyncSession, connection: AsyncConnection,
                          rows: list[dict[str, Any]]) -> dict[tuple[int, int], int]:
    """Inserts the reports; their ids by (chat_id, message_id)."""
    table = ProgressReport.__table__  # type: ignore[attr-defined]
    if connection.dialect.name == "sqlite":
        # INSERT .. RETURNING costs SQLAlchemy three times a plain executemany. SQLite gives a new
        # row the id after the largest, and once this transaction has written, no other connection
        # can write until it commits: the newest len(rows) reports are these. Checked below, not
        # assumed: a mismatch (or two replies with one message id) fails the batch, which then
        # goes the usual way.
        await bulk.executemany(session, bulk.insert_of(table, tuple(rows[0])), rows)
        newest = (await connection.execute(select(table.c.id, table.c.chat_id, table.c.message_id)
                                           .order_by(table.c.id.desc()).limit(len(rows)))).all()
        ids = {(r.chat_id, r.message_id): r.id for r in newest}
    else:
        ids = {(r.chat_id, r.message_id): r.id for r in (await connection.execute(
            insert(table).returning(table.c.id, table.c.chat_id, table.c.message_id), rows)).all()}
    if len(ids) != len(rows) or any((row["chat_id"], row["message_id"]) not in ids for row in rows):
        raise RuntimeError("the inserted progress reports do not match this batch's replies")
    return ids


class ReplyIngest:
    """Collects replies between two getUpdates and commits them as one transaction.

    `fallback` handles one declined reply (or each reply of a batch whose transaction failed) the
    usual way; `on_commit` runs after each commit (the outbox sender's wake-up). A flush that is
    interrupted (cancelled at shutdown) puts back what it had not finished and re-raises, so the
    getUpdates waiting on it is not sent and nothing queued is dropped.
    """

    def __init__(self, app: App, *, fallback: Callable[[QueuedReply], Awaitable[None]],
                 on_commit: Callable[[], None] | None = None, max_pending: int = MAX_PENDING,
                 max_delay: float = MAX_DELAY_SECONDS) -> None:
        self.app = app
        self.fallback = fallback
        self.on_commit = on_commit
        self.max_pending = max_pending
        self.max_delay = max_delay
        self.pending: list[QueuedReply] = []
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._timer_flushing = False
        self.batches = 0  # transactions committed
        self.accepted = 0  # replies those transactions took
        self.failed = 0  # transactions that failed, whose replies went one at a time
        # The highest update id of a batch handled to the end (see `ingest_batch`).
        self.handled_up_to: int | None = None

    def submit(self, item: QueuedReply) -> bool:
        """Queues a reply; True when the queue is full and the caller should flush now."""
        self.pending.append(item)
        if self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._flush_later(), name="ingest-flush")
        return len(self.pending) >= self.max_pending

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.max_delay)
        self._timer_flushing = True
        try:
            await self.flush()
        except Exception:  # no caller to tell; what was not done is queued again
            log.exception("delayed flush of queued replies failed")
        finally:
            self._timer_flushing = False

    async def flush(self) -> None:
        async with self._lock:
            while self.pending:
                items, self.pending = self.pending, []
                await self._commit(items)

    async def _commit(self, items: list[QueuedReply]) -> None:
        try:
            async with self.app.gate(), self.app.sessions() as session:
                async with bulk.collecting(session):
                    outcome = await ingest_batch(session, items, self.app, handled_up_to=self.handled_up_to)
                    await self.app.replan_touched(session, loaded={
                        aid: (view.assignment, view.task, view.policy) for aid, view in outcome.views.items()})
                await session.commit()
        except Exception:
            log.exception("a batch of %d replies failed; handling them one at a time", len(items))
            self.failed += 1
            await self._one_at_a_time(items)
            self._handled(items)
            return
        except BaseException:
            # Cancelled mid-transaction (it may even have committed: the claims make a retry safe).
            self.pending[:0] = items
            raise
        self.batches += 1
        self.accepted += len(outcome.accepted)
        if outcome.accepted and self.on_commit is not None:
            self.on_commit()
        await self._one_at_a_time(outcome.declined)
        self._handled(items)

    def _handled(self, items: list[QueuedReply]) -> None:
        highest = max(item.update_id for item in items)
        if self.handled_up_to is None or highest > self.handled_up_to:
            self.handled_up_to = highest

    async def _one_at_a_time(self, items: list[QueuedReply]) -> None:
        for index, item in enumerate(items):
            try:
                await self.fallback(item)
            except Exception:
                # As when polling hands over one update: logged, and the others still handled.
                log.exception("the reply in update %s could not be handled", item.update_id)
            except BaseException:
                self.pending[:0] = items[index:]
                raise

    async def close(self) -> None:
        """Commits what is queued. A delayed flush already under way is waited for, not cancelled."""
        timer = self._timer
        if timer is not None and not timer.done():
            if self._timer_flushing:
                await asyncio.wait({timer})
            else:
                timer.cancel()
                await asyncio.wait({timer})
        await self.flush()
