"""What one progress reply costs the database: statements are what a reply waits for (each one a
hand-over to the driver's thread), so their number per reply is bounded here, not timed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiogram.types import Update
from sqlalchemy import event, select

from models import Assignment, Event, OutboxMessage, ProgressReport
from tests.conftest import Harness
from tests.test_bot_flow import COORD, YICHUN, dispatch_and_find


@dataclass
class Tally:
    statements: list[str] = field(default_factory=list)
    commits: int = 0


@contextmanager
def counted(h: Harness) -> Iterator[Tally]:
    tally = Tally()
    engine = h.app.engine.sync_engine

    def on_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        tally.statements.append(" ".join(statement.split())[:80])

    def on_commit(conn: Any) -> None:
        tally.commits += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    try:
        yield tally
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)


async def one_reply(h: Harness, text: str, task_msg: Any) -> Tally:
    """Handles one reply (the update path only: the sender is drained afterwards, uncounted)."""
    h.srv.send_text(YICHUN, text, reply_to=task_msg)  # type: ignore[attr-defined]
    (raw,) = h.srv.take_updates()  # type: ignore[attr-defined]
    with counted(h) as tally:
        await h.dispatcher.feed_update(h.bot, Update.model_validate(raw, context={"bot": h.bot}))
    await h.sender.drain(timeout=60)
    return tally


async def test_a_progress_reply_is_handled_in_few_statements(harness: Harness) -> None:
    h = harness
    task_msg = await dispatch_and_find(h)
    aid = int(task_msg.text.split("#")[1].split()[0])

    first = await one_reply(h, "本周完成选址，完成30%", task_msg)  # moves the task to in progress
    second = await one_reply(h, "本周完成可研，完成60%", task_msg)  # the status stays

    # Both were handled in full: stored, read, the task moved, both answered, the coordinator told.
    async with h.app.sessions() as session:
        reports = (await session.scalars(select(ProgressReport).order_by(ProgressReport.id))).all()
        assignment = await session.get(Assignment, aid)
        kinds = (await session.scalars(select(Event.kind).order_by(Event.id))).all()
        purposes = (await session.scalars(select(OutboxMessage.purpose))).all()
    assert [(r.parsed_status, r.parsed_percent) for r in reports] == [("progress", 30), ("progress", 60)]
    assert assignment is not None and assignment.status == "in_progress" and assignment.percent == 60
    assert kinds.count("report.received") == 2 and kinds.count("assignment.report") == 1
    assert kinds.index("report.received") < kinds.index("assignment.report")  # in the order they happened
    assert purposes.count("report_ack") == 2 and purposes.count("report_notice") == 2
    assert len([s for s in h.srv.messages_to(YICHUN) if "已收到" in (s.text or "")]) == 2  # type: ignore[attr-defined]
    assert len([s for s in h.srv.messages_to(COORD) if "📨" in (s.text or "")]) == 2  # type: ignore[attr-defined]

    # One transaction each. A reply that leaves the status as it was: the claim, one read of who
    # is writing (with the coordinators and the chat's flow state), one of the task replied to
    # (with its assignment's view), the report, its event, the assignment, both messages in one
    # insert. A status change adds its event to the same insert and re-plans the follow-ups (here
    # a read and an update). PostgreSQL also locks the assignment's row (FOR UPDATE), by the
    # handler's check and by the service's.
    locks = 2 if h.app.engine.dialect.name == "postgresql" else 0
    assert first.commits == 1 and second.commits == 1
    assert len(second.statements) <= 7 + locks, second.statements
    assert len(first.statements) <= 9 + locks, first.statements
