"""Acknowledgement (签收): a contact confirms the unit has the task."""

from __future__ import annotations

from bot.domain.statuses import Status
from bot.i18n import status_name
from bot.services import assignments as asg
from bot.services import outbox
from bot.services.access import Actor, coordinators
from bot.services.coordination import CoordinationError, assignment_for_actor, hold_until
from bot.services.uow import UnitOfWork
from bot.views import notices


async def acknowledge(uow: UnitOfWork, actor: Actor, assignment_id: int) -> asg.AssignmentView:
    view = await assignment_for_actor(uow, actor, assignment_id, act=True)
    a = view.assignment
    if a.acknowledged_at is not None:
        raise CoordinationError("ack.already", aid=a.id)
    if a.status != Status.ASSIGNED:
        raise CoordinationError("ack.closed", aid=a.id, status=status_name(actor.language, a.status))
    await asg.acknowledge(uow, a, actor=actor.tag)
    # In a group anyone may press 签收: the coordinator is told who did (the event's actor is that person).
    person = actor.name if actor.in_group else None
    for coordinator in await coordinators(uow):
        outbox.enqueue(
            uow.session,
            chat_id=coordinator.chat_id,
            now=uow.now,
            purpose="ack_notice",
            hold_until=hold_until(uow),
            text=notices.ack_notice(coordinator.language, view, person),
        )
    return view
