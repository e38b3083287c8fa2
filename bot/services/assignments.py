"""An assignment's life: the transitions allowed from each status, each one recorded as an event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import defer
from sqlmodel import col

from bot.domain.statuses import Status
from bot.services import events
from bot.services.uow import UnitOfWork
from models import Assignment, Measure, Policy, Task, TaskMessage, Unit

OPEN = (
    Status.ASSIGNED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.BLOCKED,
    Status.RETURNED,
    Status.EXTENDED,
)
CLOSED = (Status.DONE, Status.CANCELLED)

# Which states an action may start from.
ALLOWED: dict[str, tuple[str, ...]] = {
    "dispatch": (Status.DRAFT,),
    "acknowledge": (Status.ASSIGNED,),
    "report": (*OPEN,),
    "claim_done": (*OPEN,),
    "approve_done": (Status.CLAIMED_DONE,),
    "return": (Status.CLAIMED_DONE, *OPEN),
    "extend": (*OPEN, Status.CLAIMED_DONE, Status.DRAFT),
    "close": (*OPEN, Status.CLAIMED_DONE),
    "reopen": (Status.DONE, Status.CLAIMED_DONE, Status.CANCELLED),
    # A unit no longer responsible (a revised document, a correction): even a finished assignment.
    "cancelled": (Status.DRAFT, *OPEN, Status.CLAIMED_DONE, Status.DONE),
}


class TransitionError(Exception):
    def __init__(self, assignment_id: int, status: str, action: str) -> None:
        super().__init__(f"#{assignment_id}: {action} not allowed from {status}")
        self.assignment_id, self.status, self.action = assignment_id, status, action


def transition(
    uow: UnitOfWork,
    assignment: Assignment,
    to_state: str,
    *,
    action: str,
    actor: str,
    reason: str | None = None,
    data: dict | None = None,
) -> None:
    if assignment.status not in ALLOWED[action]:
        raise TransitionError(assignment.id or 0, assignment.status, action)
    from_state = assignment.status
    assignment.status = to_state
    assignment.updated_at = uow.now
    events.record(
        uow,
        actor=actor,
        kind=f"assignment.{action}",
        entity="assignment",
        entity_id=assignment.id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data,
    )


@dataclass
class AssignmentView:
    assignment: Assignment
    task: Task
    measure: Measure
    policy: Policy
    unit: Unit


_VIEW_COLUMNS = (Assignment, Task, Measure, Policy, Unit)


def _view_query() -> Select[Assignment, Task, Measure, Policy, Unit]:
    return (
        select(*_VIEW_COLUMNS)
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .join(Policy, col(Policy.id) == col(Task.policy_id))
        .join(Unit, col(Unit.id) == col(Assignment.unit_id))
        # SQLModel types the column as str; at run time it is the mapped attribute defer() takes.
        .options(defer(Policy.source_text))  # type: ignore[arg-type]
    )


async def load_view(uow: UnitOfWork, assignment_id: int) -> AssignmentView | None:
    # The rows are in the session's identity map, so a view kept by the unit of work stays current.
    if assignment_id not in uow.views:
        await load_views(uow, {assignment_id})
    return uow.views.get(assignment_id)


async def load_views(uow: UnitOfWork, assignment_ids: set[int]) -> None:
    """Loads many views in one query into the unit of work (for batch work like the tick)."""
    cache = uow.views
    missing = [aid for aid in assignment_ids if aid not in cache]
    for start in range(0, len(missing), 500):
        rows = (
            await uow.session.execute(
                _view_query().where(col(Assignment.id).in_(missing[start : start + 500]))
            )
        ).all()
        for row in rows:
            cache[row[0].id or 0] = AssignmentView(*row)


async def load_view_of_message(uow: UnitOfWork, chat_id: int, message_id: int) -> AssignmentView | None:
    """The view of the assignment a task message (the one a reply answers) belongs to, read in the
    same query as the message, and kept by the unit of work like `load_view`'s."""
    row = (
        await uow.session.execute(
            _view_query()
            .join(TaskMessage, col(TaskMessage.assignment_id) == col(Assignment.id))
            .where(col(TaskMessage.chat_id) == chat_id, col(TaskMessage.message_id) == message_id)
        )
    ).first()
    if row is None:
        return None
    return uow.views.setdefault(row[0].id or 0, AssignmentView(*row))


async def acknowledge(uow: UnitOfWork, assignment: Assignment, *, actor: str) -> None:
    transition(uow, assignment, Status.ACKNOWLEDGED, action="acknowledge", actor=actor)
    assignment.acknowledged_at = uow.now


async def extend(
    uow: UnitOfWork, assignment: Assignment, new_due: date, *, actor: str, reason: str | None = None
) -> date | None:
    old = assignment.due_on
    if assignment.status not in ALLOWED["extend"]:
        raise TransitionError(assignment.id or 0, assignment.status, "extend")
    if assignment.original_due_on is None:
        assignment.original_due_on = old
    assignment.due_on = new_due
    assignment.updated_at = uow.now
    to_state = (
        assignment.status
        if assignment.status in (Status.DRAFT, Status.CLAIMED_DONE, Status.ASSIGNED)
        else Status.EXTENDED
    )
    events.record(
        uow,
        actor=actor,
        kind="assignment.extend",
        entity="assignment",
        entity_id=assignment.id,
        from_state=assignment.status,
        to_state=to_state,
        reason=reason,
        data={"from": old.isoformat() if old else None, "to": new_due.isoformat()},
    )
    assignment.status = to_state
    return old


async def close(uow: UnitOfWork, assignment: Assignment, *, actor: str, reason: str | None = None) -> None:
    transition(uow, assignment, Status.DONE, action="close", actor=actor, reason=reason)
    assignment.done_at = uow.now


async def reopen(uow: UnitOfWork, assignment: Assignment, *, actor: str, reason: str | None = None) -> None:
    to_state = Status.IN_PROGRESS if assignment.acknowledged_at else Status.ASSIGNED
    transition(uow, assignment, to_state, action="reopen", actor=actor, reason=reason)
    assignment.done_at = None
    assignment.claimed_done_at = None
