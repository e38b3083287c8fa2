"""Coordinator controls: extend, close, reopen, remind (催办), and the counts they look at."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from bot.domain.statuses import Status
from bot.i18n import status_name
from bot.services import assignments as asg
from bot.services import events, outbox
from bot.services.access import Actor, unit_contacts
from bot.services.coordination import (
    CoordinationError,
    assignment_for_actor,
    reasonable_due,
    refuse_past,
    require_coordinator,
    tell_unit,
)
from bot.services.uow import UnitOfWork
from bot.views import notices
from models import (
    Assignment,
    Contact,
)


async def _coordinator_action(
    uow: UnitOfWork,
    actor: Actor,
    assignment_id: int,
    change: Callable[..., Awaitable[object]],
    *,
    notice: str,
    with_task_buttons: bool = False,
    **values: Any,
) -> asg.AssignmentView:
    require_coordinator(actor)
    view = await assignment_for_actor(uow, actor, assignment_id, act=False)
    try:
        await change(uow, view.assignment, actor=actor.tag)
    except asg.TransitionError as exc:
        raise CoordinationError(
            "transition.bad", aid=assignment_id, status=status_name(actor.language, exc.status)
        ) from exc
    await tell_unit(
        uow, view, notice, purpose="control_notice", with_task_buttons=with_task_buttons, **values
    )
    return view


async def coordinator_extend(
    uow: UnitOfWork, actor: Actor, assignment_id: int, new_due: date
) -> asg.AssignmentView:
    if not reasonable_due(new_due, uow.now):
        raise CoordinationError("date.unreasonable")
    refuse_past(new_due, uow.calendar.local_date(uow.now))

    async def change(u: UnitOfWork, a: Assignment, *, actor: str) -> None:
        await asg.extend(u, a, new_due, actor=actor, reason="coordinator")

    return await _coordinator_action(
        uow, actor, assignment_id, change, notice="notify.extended", due=new_due.isoformat()
    )


async def coordinator_close(uow: UnitOfWork, actor: Actor, assignment_id: int) -> asg.AssignmentView:
    return await _coordinator_action(uow, actor, assignment_id, asg.close, notice="notify.closed")


async def coordinator_reopen(uow: UnitOfWork, actor: Actor, assignment_id: int) -> asg.AssignmentView:
    return await _coordinator_action(
        uow, actor, assignment_id, asg.reopen, notice="notify.reopened", with_task_buttons=True
    )


async def remind(
    uow: UnitOfWork,
    actor: Actor | None,
    assignment_ids: list[int],
    *,
    actor_tag: str,
    purpose: str = "remind",
    followup_id: int | None = None,
) -> tuple[int, int]:
    """An immediate, recorded 催办: the task message again, with its buttons, to every contact."""
    reminded = messages = 0
    for aid in assignment_ids:
        view = await asg.load_view(uow, aid)
        if view is None or view.assignment.status in (*asg.CLOSED, Status.DRAFT, Status.CLAIMED_DONE):
            continue
        view.assignment.reminders_count += 1
        events.record(
            uow,
            actor=actor_tag,
            kind="assignment.reminded",
            entity="assignment",
            entity_id=aid,
            data={"purpose": purpose, "count": view.assignment.reminders_count},
        )
        reminded += 1
        key = remind_key(view.assignment, uow.calendar.local_date(uow.now))
        for contact in await unit_contacts(uow, view.unit.id or 0):
            text, markup = notices.reminder(contact.language, key, view)
            outbox.enqueue(
                uow.session,
                chat_id=contact.chat_id,
                now=uow.now,
                purpose=purpose,
                assignment_id=aid,
                followup_id=followup_id,
                text=text,
                reply_markup=markup,
            )
            messages += 1
    return reminded, messages


def remind_key(a: Assignment, today: date) -> str:
    """A 催办 asks for what is missing: the acknowledgement, a report, or action on an overdue task."""
    if a.due_on is not None and a.due_on < today:
        return "remind.overdue"
    if a.acknowledged_at is None:
        return "remind.message"
    return "remind.progress"


async def open_assignment_ids_for_unit(uow: UnitOfWork, unit_id: int) -> list[int]:
    return [
        aid
        for aid in (
            await uow.session.scalars(
                select(col(Assignment.id))
                .where(col(Assignment.unit_id) == unit_id, col(Assignment.status).in_(asg.OPEN))
                .order_by(col(Assignment.id))
            )
        ).all()
        if aid is not None
    ]


async def contact_counts(uow: UnitOfWork) -> dict[int, int]:
    rows = (
        await uow.session.execute(
            select(col(Contact.unit_id), func.count(col(Contact.id)))
            .where(
                col(Contact.role) == "contact",
                col(Contact.active).is_(True),
                col(Contact.unit_id).is_not(None),
            )
            .group_by(col(Contact.unit_id))
        )
    ).all()
    return {unit_id: n for unit_id, n in rows if unit_id is not None}
