"""Dispatch (下发): drafts become assigned tasks, and each unit's contacts get the task message."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import col

from bot.domain.statuses import Status
from bot.services import assignments as asg
from bot.services import outbox
from bot.services.access import unit_contacts
from bot.services.coordination import CoordinationError
from bot.services.uow import UnitOfWork
from bot.views.tasks import render_task_message, task_keyboard
from models import (
    Assignment,
    Contact,
    Measure,
    Policy,
    Task,
    Unit,
)


@dataclass
class DispatchPlan:
    measure_number: int | None
    policy_code: str | None = None
    assignment_ids: list[int] = field(default_factory=list)
    task_ids: set[int] = field(default_factory=set)
    units: dict[str, int] = field(default_factory=dict)  # unit -> assignments
    unbound: list[str] = field(default_factory=list)
    no_due: set[int] = field(default_factory=set)  # tasks handed out without a deadline


async def plan_dispatch(
    uow: UnitOfWork, measure_number: int | None, policy_id: int | None = None
) -> DispatchPlan:
    """The drafts a dispatch would send: all, one policy's, or one measure of one policy."""
    session = uow.session
    code = None
    if policy_id is not None:
        code = await session.scalar(select(col(Policy.code)).where(col(Policy.id) == policy_id))
    elif measure_number is not None:
        owners = (
            await session.scalars(
                select(col(Measure.policy_id)).where(col(Measure.number) == measure_number).distinct()
            )
        ).all()
        if len(owners) > 1:
            raise CoordinationError("ref.ambiguous", ref=measure_number)
    query = (
        select(
            col(Assignment.id), col(Assignment.task_id), col(Unit.id), col(Unit.name), col(Assignment.due_on)
        )
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .join(Unit, col(Unit.id) == col(Assignment.unit_id))
        .where(col(Assignment.status) == Status.DRAFT, col(Task.active).is_(True))
        .order_by(col(Measure.number), col(Task.seq), col(Assignment.id))
    )
    if measure_number is not None:
        query = query.where(col(Measure.number) == measure_number)
    if policy_id is not None:
        query = query.where(col(Task.policy_id) == policy_id)
    plan = DispatchPlan(measure_number=measure_number, policy_code=code)
    unit_ids: dict[str, int] = {}
    for aid, task_id, unit_id, unit_name, due_on in (await uow.session.execute(query)).all():
        assert aid is not None and unit_id is not None  # primary keys of stored rows
        if due_on is None:
            plan.no_due.add(task_id)
        plan.assignment_ids.append(aid)
        plan.task_ids.add(task_id)
        plan.units[unit_name] = plan.units.get(unit_name, 0) + 1
        unit_ids[unit_name] = unit_id
    if unit_ids:
        bound = set(
            (
                await uow.session.scalars(
                    select(col(Contact.unit_id)).where(
                        col(Contact.unit_id).in_(unit_ids.values()),
                        col(Contact.role) == "contact",
                        col(Contact.active).is_(True),
                    )
                )
            ).all()
        )
        plan.unbound = [name for name, uid in unit_ids.items() if uid not in bound]
    return plan


def plan_fingerprint(plan: DispatchPlan) -> str:
    """What the preview showed, so a confirm pressed after the drafts changed is refused."""
    return f"{len(plan.assignment_ids)}.{max(plan.assignment_ids, default=0)}"


def send_task_message(
    uow: UnitOfWork,
    view: asg.AssignmentView,
    contact: Contact,
    purpose: str = "dispatch",
    dedupe_key: str | None = None,
) -> None:
    lang = contact.language
    outbox.enqueue(
        uow.session,
        chat_id=contact.chat_id,
        text=render_task_message(view, lang),
        now=uow.now,
        purpose=purpose,
        assignment_id=view.assignment.id,
        dedupe_key=dedupe_key,
        reply_markup=task_keyboard(
            view.assignment.id or 0, lang, acknowledged=view.assignment.acknowledged_at is not None
        ),
    )


@dataclass
class DispatchResult:
    assignments: int
    messages: int
    unbound: list[str]


async def dispatch(
    uow: UnitOfWork,
    measure_number: int | None,
    *,
    actor: str,
    expect: str | None = None,
    policy_id: int | None = None,
) -> DispatchResult:
    plan = await plan_dispatch(uow, measure_number, policy_id)
    if expect is not None and plan_fingerprint(plan) != expect:
        raise CoordinationError("button.stale")
    contacts_by_unit: dict[int, list[Contact]] = defaultdict(list)
    messages = 0
    for aid in plan.assignment_ids:
        messages += await hand_out(uow, aid, actor=actor, contacts_by_unit=contacts_by_unit)
    return DispatchResult(assignments=len(plan.assignment_ids), messages=messages, unbound=plan.unbound)


async def hand_out(
    uow: UnitOfWork,
    assignment_id: int,
    *,
    actor: str,
    contacts_by_unit: dict[int, list[Contact]] | None = None,
    dedupe: bool = True,
) -> int:
    """交办 of one draft assignment: assigned, and the task message to the unit's contacts. Returns messages."""
    view = await asg.load_view(uow, assignment_id)
    if view is None or view.assignment.status != Status.DRAFT:
        return 0  # dispatched meanwhile by another press: nothing twice
    asg.transition(uow, view.assignment, Status.ASSIGNED, action="dispatch", actor=actor)
    view.assignment.assigned_at = uow.now
    cache = contacts_by_unit if contacts_by_unit is not None else {}
    if view.unit.id not in cache:
        cache[view.unit.id or 0] = await unit_contacts(uow, view.unit.id or 0)
    messages = 0
    for contact in cache[view.unit.id or 0]:
        send_task_message(
            uow, view, contact, dedupe_key=f"dispatch:{assignment_id}:{contact.id}" if dedupe else None
        )
        messages += 1
    return messages
