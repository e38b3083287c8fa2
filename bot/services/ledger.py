"""Read-side queries over the ledger: tasks with their units, for the terminal and the bot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlmodel import col

from bot.domain.statuses import Status
from bot.services.uow import UnitOfWork
from models import Assignment, Measure, Policy, Task, Unit


@dataclass
class TaskRow:
    task_id: int
    policy_id: int
    policy_short: str
    measure_number: int
    measure_title: str
    seq: int
    text: str
    due_on: date | None
    rhythm: str | None
    targets: list[str]
    lead: list[str] = field(default_factory=list)
    co: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)  # unit -> status
    policy_code: str = ""


async def task_rows(
    uow: UnitOfWork,
    *,
    policy_id: int | None = None,
    measure_number: int | None = None,
    unit_id: int | None = None,
) -> list[TaskRow]:
    query = (
        select(Task, Measure, Policy)
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .join(Policy, col(Policy.id) == col(Task.policy_id))
        .where(col(Task.active).is_(True))
        .order_by(col(Policy.id), col(Measure.number), col(Task.seq))
    )
    if policy_id is not None:
        query = query.where(col(Task.policy_id) == policy_id)
    if measure_number is not None:
        query = query.where(col(Measure.number) == measure_number)
    if unit_id is not None:
        query = query.where(
            col(Task.id).in_(
                select(col(Assignment.task_id)).where(
                    col(Assignment.unit_id) == unit_id, col(Assignment.status) != Status.CANCELLED
                )
            )
        )
    rows: dict[int, TaskRow] = {}
    for task, measure, policy in (await uow.session.execute(query)).all():
        rows[task.id or 0] = TaskRow(
            task_id=task.id or 0,
            policy_id=policy.id or 0,
            policy_short=policy.short_title or policy.title,
            measure_number=measure.number,
            measure_title=measure.title,
            seq=task.seq,
            text=task.text,
            due_on=task.due_on or policy.horizon,
            rhythm=task.rhythm,
            targets=list(task.targets or []),
            policy_code=policy.code,
        )
    if not rows:
        return []
    assignment_q = (
        select(col(Assignment.task_id), col(Assignment.role), col(Assignment.status), col(Unit.name))
        .join(Unit, col(Unit.id) == col(Assignment.unit_id))
        .where(col(Assignment.task_id).in_(rows), col(Assignment.status) != Status.CANCELLED)
        .order_by(col(Assignment.id))
    )
    for task_id, role, status, unit_name in (await uow.session.execute(assignment_q)).all():
        row = rows[task_id]
        getattr(row, role).append(unit_name)
        row.statuses[unit_name] = status
    return list(rows.values())
