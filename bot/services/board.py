"""The coordinator's views: board, measure, task, unit, overdue. All aggregation happens in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlmodel import col

from bot.domain.refs import format_task
from bot.domain.statuses import Status
from bot.services.lights import LightEdges, light_expression, worst
from bot.services.uow import UnitOfWork
from models import Assignment, Measure, Policy, Task, Unit


@dataclass
class MeasureLine:
    policy_id: int
    policy_title: str
    number: int
    title: str
    counts: dict[str, int] = field(default_factory=dict)  # light -> n
    policy_code: str = ""

    @property
    def total(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "draft")

    @property
    def light(self) -> str:
        return worst([k for k, v in self.counts.items() if v])


async def board(uow: UnitOfWork, policy_id: int | None = None) -> tuple[list[MeasureLine], int]:
    """Every active policy's measures, grouped by policy; `policy_id` narrows it to one."""
    light = light_expression(LightEdges.at(uow.now, uow.calendar))
    query = (
        select(
            col(Policy.id),
            col(Policy.short_title),
            col(Measure.number),
            col(Measure.title),
            light,
            func.count(col(Assignment.id)),
            col(Policy.code),
        )
        .select_from(Assignment)
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .join(Policy, col(Policy.id) == col(Task.policy_id))
        .where(col(Task.active).is_(True), col(Assignment.status) != Status.CANCELLED)
        .group_by(
            col(Policy.id),
            col(Policy.short_title),
            col(Measure.number),
            col(Measure.title),
            light,
            col(Policy.code),
        )
        .order_by(col(Policy.id), col(Measure.number))
    )
    if policy_id is not None:
        query = query.where(col(Policy.id) == policy_id)
    lines: dict[tuple[int, int], MeasureLine] = {}
    for pid, ptitle, number, title, lt, n, code in (await uow.session.execute(query)).all():
        assert pid is not None  # the primary key of a stored row
        line = lines.setdefault((pid, number), MeasureLine(pid, ptitle, number, title, policy_code=code))
        line.counts[lt] = line.counts.get(lt, 0) + n
    overdue_query = (
        select(func.count(col(Assignment.id)))
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .where(
            col(Task.active).is_(True),
            col(Assignment.status).in_(
                (
                    Status.ASSIGNED,
                    Status.ACKNOWLEDGED,
                    Status.IN_PROGRESS,
                    Status.BLOCKED,
                    Status.RETURNED,
                    Status.EXTENDED,
                )
            ),
            col(Assignment.due_on) < uow.calendar.local_date(uow.now),
        )
    )
    if policy_id is not None:
        overdue_query = overdue_query.where(col(Task.policy_id) == policy_id)
    overdue = await uow.session.scalar(overdue_query)
    return list(lines.values()), int(overdue or 0)


def rolled(counts: dict[str, int]) -> str:
    return worst([k for k, v in counts.items() if v])


@dataclass
class AssignmentLine:
    assignment_id: int
    measure_number: int
    seq: int
    text: str
    unit: str
    role: str
    status: str
    due_on: date | None
    percent: int | None
    light: str
    reminders: int
    task_id: int = 0
    policy_code: str = ""
    policy_id: int = 0

    @property
    def task_ref(self) -> str:
        return format_task(self.policy_code or None, self.measure_number, self.seq)


def _assignment_query(light: ColumnElement[str]) -> Select[*tuple[Any, ...]]:
    return (
        select(
            col(Assignment.id),
            col(Measure.number),
            col(Task.seq),
            col(Task.text),
            col(Unit.name),
            col(Assignment.role),
            col(Assignment.status),
            col(Assignment.due_on),
            col(Assignment.percent),
            light,
            col(Assignment.reminders_count),
            col(Task.id),
            col(Policy.code),
            col(Policy.id),
        )
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .join(Policy, col(Policy.id) == col(Task.policy_id))
        .join(Unit, col(Unit.id) == col(Assignment.unit_id))
        .where(col(Task.active).is_(True), col(Assignment.status) != Status.CANCELLED)
    )


async def assignment_lines(
    uow: UnitOfWork,
    *,
    measure_number: int | None = None,
    unit_ids: set[int] | None = None,
    overdue_only: bool = False,
    open_only: bool = False,
    policy_id: int | None = None,
) -> list[AssignmentLine]:
    light = light_expression(LightEdges.at(uow.now, uow.calendar))
    query = _assignment_query(light).order_by(
        col(Policy.id), col(Measure.number), col(Task.seq), col(Assignment.id)
    )
    if policy_id is not None:
        query = query.where(col(Task.policy_id) == policy_id)
    if measure_number is not None:
        query = query.where(col(Measure.number) == measure_number)
    if unit_ids is not None:
        query = query.where(col(Assignment.unit_id).in_(unit_ids))
    if open_only or overdue_only:
        query = query.where(col(Assignment.status).not_in((Status.DONE, Status.DRAFT)))
    if overdue_only:
        query = query.where(
            col(Assignment.due_on) < uow.calendar.local_date(uow.now),
            col(Assignment.status) != Status.CLAIMED_DONE,
        )
    return [AssignmentLine(*row) for row in (await uow.session.execute(query)).all()]


async def measure_title(uow: UnitOfWork, number: int, policy_id: int | None = None) -> str | None:
    query = select(col(Measure.title)).where(col(Measure.number) == number)
    if policy_id is not None:
        query = query.where(col(Measure.policy_id) == policy_id)
    return await uow.session.scalar(query.order_by(col(Measure.id)).limit(1))


async def light_of(uow: UnitOfWork, assignment_id: int) -> str:
    light = light_expression(LightEdges.at(uow.now, uow.calendar))
    value = await uow.session.scalar(
        select(light)
        .select_from(Assignment)
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .where(col(Assignment.id) == assignment_id)
    )
    return value or "draft"


ROLLUP_KEYS = {
    "task": col(Task.id),
    "measure": col(Measure.id),
    "unit": col(Assignment.unit_id),
    "policy": col(Task.policy_id),
}


async def rollup(uow: UnitOfWork, level: str, **filters: int) -> dict[int, dict[str, int]]:
    """Light counts per task, measure, unit or policy, aggregated by the database.

    Returns {key id: {light: count}}; `worst` of the lights present gives the rolled-up light.
    Filters: measure_number, policy_id, unit_id.
    """
    key = ROLLUP_KEYS[level]
    light = light_expression(LightEdges.at(uow.now, uow.calendar))
    query = (
        select(key, light, func.count(col(Assignment.id)))
        .select_from(Assignment)
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .where(col(Task.active).is_(True), col(Assignment.status) != Status.CANCELLED)
        .group_by(key, light)
    )
    if "measure_number" in filters:
        query = query.where(col(Measure.number) == filters["measure_number"])
    if "policy_id" in filters:
        query = query.where(col(Task.policy_id) == filters["policy_id"])
    if "unit_id" in filters:
        query = query.where(col(Assignment.unit_id) == filters["unit_id"])
    counts: dict[int, dict[str, int]] = {}
    for key_id, lt, n in (await uow.session.execute(query)).all():
        if key_id is not None:  # a unit's id is empty for no row; the others are primary keys
            counts.setdefault(key_id, {})[lt] = n
    return counts
