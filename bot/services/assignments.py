"""An assignment's life: the transitions of the brief, each one recorded as an event."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from bot.services import events
from models import Assignment, Measure, Policy, Task, TaskMessage, Unit

OPEN = ("assigned", "acknowledged", "in_progress", "blocked", "returned", "extended")
CLOSED = ("done", "cancelled")

# Which states an action may start from.
ALLOWED: dict[str, tuple[str, ...]] = {
    "dispatch": ("draft",),
    "acknowledge": ("assigned",),
    "report": (*OPEN,),
    "claim_done": (*OPEN,),
    "approve_done": ("claimed_done",),
    "return": ("claimed_done", *OPEN),
    "extend": (*OPEN, "claimed_done", "draft"),
    "close": (*OPEN, "claimed_done"),
    "reopen": ("done", "claimed_done", "cancelled"),
    "cancel": ("draft", *OPEN, "claimed_done"),
}


class TransitionError(Exception):
    def __init__(self, assignment_id: int, status: str, action: str) -> None:
        super().__init__(f"#{assignment_id}: {action} not allowed from {status}")
        self.assignment_id, self.status, self.action = assignment_id, status, action


def transition(
    session: AsyncSession,
    assignment: Assignment,
    to_state: str,
    *,
    action: str,
    now: datetime,
    actor: str,
    reason: str | None = None,
    data: dict | None = None,
) -> None:
    if assignment.status not in ALLOWED[action]:
        raise TransitionError(assignment.id or 0, assignment.status, action)
    from_state = assignment.status
    assignment.status = to_state
    assignment.updated_at = now
    events.record(session, at=now, actor=actor, kind=f"assignment.{action}", entity="assignment",
                  entity_id=assignment.id, from_state=from_state, to_state=to_state, reason=reason, data=data)


@dataclass
class AssignmentView:
    assignment: Assignment
    task: Task
    measure: Measure
    policy: Policy
    unit: Unit


_VIEW_COLUMNS = (Assignment, Task, Measure, Policy, Unit)


def _view_query():  # type: ignore[no-untyped-def]
    return (select(*_VIEW_COLUMNS)
            .join(Task, Task.id == Assignment.task_id)
            .join(Measure, Measure.id == Task.measure_id)
            .join(Policy, Policy.id == Task.policy_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .options(defer(Policy.source_text)))


async def load_view(session: AsyncSession, assignment_id: int) -> AssignmentView | None:
    # The rows are in the session's identity map, so a view cached for the session stays current.
    cache: dict[int, AssignmentView] = session.info.setdefault("assignment_views", {})
    if assignment_id not in cache:
        await load_views(session, {assignment_id})
    return cache.get(assignment_id)


async def load_views(session: AsyncSession, assignment_ids: set[int]) -> None:
    """Loads many views in one query into the session's cache (for batch work like the tick)."""
    cache: dict[int, AssignmentView] = session.info.setdefault("assignment_views", {})
    missing = [aid for aid in assignment_ids if aid not in cache]
    for start in range(0, len(missing), 500):
        rows = (await session.execute(_view_query().where(Assignment.id.in_(missing[start:start + 500])))).all()
        for row in rows:
            cache[row[0].id] = AssignmentView(*row)


_PLAIN_TABLES = (("assignment", Assignment), ("task", Task), ("measure", Measure), ("policy", Policy), ("unit", Unit))
PlainColumns = tuple[tuple[str, tuple[str, ...]], ...]


@cache
def _plain_views_of_messages(wanted: PlainColumns):  # type: ignore[no-untyped-def]
    """Built once per column choice; the chats and messages are bound when it runs."""
    chosen = dict(wanted)
    columns = [getattr(model, name).label(f"{part}__{name}")
               for part, model in _PLAIN_TABLES for name in chosen[part]]
    return (select(*columns, TaskMessage.chat_id.label("message__chat_id"),
                   TaskMessage.message_id.label("message__message_id"))
            .select_from(Assignment.__table__)
            .join(Task.__table__, Task.id == Assignment.task_id)
            .join(Measure.__table__, Measure.id == Task.measure_id)
            .join(Policy.__table__, Policy.id == Task.policy_id)
            .join(Unit.__table__, Unit.id == Assignment.unit_id)
            .join(TaskMessage.__table__, TaskMessage.assignment_id == Assignment.id)
            .where(TaskMessage.chat_id.in_(bindparam("chats", expanding=True)),
                   TaskMessage.message_id.in_(bindparam("messages", expanding=True)))
            .order_by(Assignment.id)
            .with_for_update(of=Assignment.__table__))


async def load_plain_views_of_messages(session: AsyncSession, chat_ids: Collection[int],
                                       message_ids: Collection[int], columns: PlainColumns
                                       ) -> tuple[dict[tuple[int, int], int], dict[int, AssignmentView]]:
    """Views made of plain objects instead of ORM instances, for the assignments the bot's task
    messages (chat, message id) carry, with which assignment each message carries, in one
    statement. For batch work that writes what it changes itself: building and tracking ORM
    instances costs more than the rest of a progress reply. Each object has only the `columns`
    asked for, per part ("assignment", "task", "measure", "policy", "unit"; each must include
    "id"), so a column the caller forgot fails loudly; nothing flushes them. On PostgreSQL the
    assignments are locked (FOR UPDATE, in id order) as they are read, as `coordination.lock`
    does for one; SQLite has no row locks and a transaction that writes holds the database."""
    out: dict[int, AssignmentView] = {}
    shared: dict[tuple[str, Any], SimpleNamespace] = {}
    carried: dict[tuple[int, int], int] = {}
    if not chat_ids or not message_ids:
        return carried, out
    connection = await session.connection()
    result = await connection.execute(_plain_views_of_messages(columns),
                                      {"chats": list(chat_ids), "messages": list(message_ids)})
    for row, view in _plain_rows(result, out, shared):
        carried[(row.message__chat_id, row.message__message_id)] = view.assignment.id
    return carried, out


def _plain_rows(result: Any, out: dict[int, AssignmentView], shared: dict[tuple[str, Any], SimpleNamespace]
                ) -> Iterator[tuple[Any, AssignmentView]]:
    """Each row with its view; one view (and one object per task, measure, policy, unit) per id."""
    keys = list(result.keys())
    split = [(part, [(n, k.split("__", 1)[1]) for n, k in enumerate(keys) if k.startswith(part + "__")])
             for part, _model in _PLAIN_TABLES]
    assignment_id = keys.index("assignment__id")
    for row in result.all():
        view = out.get(row[assignment_id])
        if view is None:
            parts: dict[str, SimpleNamespace] = {}
            for part, fields in split:
                values = {name: row[n] for n, name in fields}
                if part == "assignment":
                    parts[part] = SimpleNamespace(**values)
                else:  # tasks, measures, policies and units repeat across assignments
                    key = (part, values["id"])
                    if key not in shared:
                        shared[key] = SimpleNamespace(**values)
                    parts[part] = shared[key]
            view = out[row[assignment_id]] = AssignmentView(**parts)  # type: ignore[arg-type]
        yield row, view


async def acknowledge(session: AsyncSession, assignment: Assignment, *, now: datetime, actor: str) -> None:
    transition(session, assignment, "acknowledged", action="acknowledge", now=now, actor=actor)
    assignment.acknowledged_at = now


async def extend(session: AsyncSession, assignment: Assignment, new_due: date, *, now: datetime, actor: str,
                 reason: str | None = None) -> date | None:
    old = assignment.due_on
    if assignment.status not in ALLOWED["extend"]:
        raise TransitionError(assignment.id or 0, assignment.status, "extend")
    if assignment.original_due_on is None:
        assignment.original_due_on = old
    assignment.due_on = new_due
    assignment.updated_at = now
    to_state = assignment.status if assignment.status in ("draft", "claimed_done", "assigned") else "extended"
    events.record(session, at=now, actor=actor, kind="assignment.extend", entity="assignment",
                  entity_id=assignment.id, from_state=assignment.status, to_state=to_state, reason=reason,
                  data={"from": old.isoformat() if old else None, "to": new_due.isoformat()})
    assignment.status = to_state
    return old


async def close(session: AsyncSession, assignment: Assignment, *, now: datetime, actor: str,
                reason: str | None = None) -> None:
    transition(session, assignment, "done", action="close", now=now, actor=actor, reason=reason)
    assignment.done_at = now


async def reopen(session: AsyncSession, assignment: Assignment, *, now: datetime, actor: str,
                 reason: str | None = None) -> None:
    to_state = "in_progress" if assignment.acknowledged_at else "assigned"
    transition(session, assignment, to_state, action="reopen", now=now, actor=actor, reason=reason)
    assignment.done_at = None
    assignment.claimed_done_at = None
