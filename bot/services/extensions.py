"""Extensions: a unit asks for a later deadline, a coordinator agrees or refuses."""

from __future__ import annotations

from datetime import date

from bot.i18n import status_name
from bot.services import assignments as asg
from bot.services import events, outbox
from bot.services.access import Actor, coordinators
from bot.services.coordination import (
    CoordinationError,
    assignment_for_actor,
    lock,
    reasonable_due,
    refuse_past,
    tell_unit,
)
from bot.services.uow import UnitOfWork
from bot.views import notices
from models import (
    ExtensionRequest,
)


async def request_extension(
    uow: UnitOfWork, actor: Actor, assignment_id: int, new_due: date, reason: str
) -> ExtensionRequest:
    view = await assignment_for_actor(uow, actor, assignment_id, act=True)
    a = view.assignment
    if a.status in asg.CLOSED:
        raise CoordinationError("report.closed", aid=a.id, status=status_name(actor.language, a.status))
    if a.due_on is not None and new_due <= a.due_on:
        raise CoordinationError("ext.past", due=a.due_on.isoformat())
    if not reasonable_due(new_due, uow.now):
        raise CoordinationError("date.unreasonable")
    refuse_past(new_due, uow.calendar.local_date(uow.now))
    if not reason.strip():
        raise CoordinationError("ext.no_reason")
    contact = next((c for c in actor.contacts if c.unit_id == view.unit.id), None)
    request = ExtensionRequest(
        assignment_id=a.id or 0,
        contact_id=contact.id if contact else None,
        reason=reason.strip(),
        requested_due=new_due,
        previous_due=a.due_on,
        created_at=uow.now,
    )
    uow.session.add(request)
    await uow.session.flush()
    events.record(
        uow,
        actor=actor.tag,
        kind="extension.requested",
        entity="extension",
        entity_id=request.id,
        to_state="pending",
        data={"assignment_id": a.id, "to": new_due.isoformat()},
        reason=reason,
    )
    for coordinator in await coordinators(uow):
        text, markup = notices.extension_notice(coordinator.language, view, request.id, new_due, reason)
        outbox.enqueue(
            uow.session,
            chat_id=coordinator.chat_id,
            now=uow.now,
            purpose="extension_notice",
            text=text,
            reply_markup=markup,
        )
    return request


async def decide_extension(uow: UnitOfWork, actor: Actor, request_id: int, approve: bool) -> ExtensionRequest:
    if not actor.is_coordinator:
        raise CoordinationError("denied")
    request = await uow.session.get(ExtensionRequest, request_id)
    if request is None:
        raise CoordinationError("button.stale")
    await lock(uow, request)
    if request.state != "pending":
        raise CoordinationError("ext.already", eid=request.id, state=request.state)
    view = await asg.load_view(uow, request.assignment_id)
    assert view is not None
    if approve:
        refuse_past(
            request.requested_due, uow.calendar.local_date(uow.now)
        )  # an extension approved today cannot end before today
    if approve and (
        view.assignment.status not in asg.ALLOWED["extend"] or view.assignment.due_on != request.previous_due
    ):
        # The task was closed, or its deadline moved since the request: approving would rewind it.
        raise CoordinationError("button.stale")
    request.state = "approved" if approve else "refused"
    request.decided_by, request.decided_at = actor.tag, uow.now
    events.record(
        uow,
        actor=actor.tag,
        kind=f"extension.{request.state}",
        entity="extension",
        entity_id=request.id,
        from_state="pending",
        to_state=request.state,
    )
    if approve:
        await asg.extend(uow, view.assignment, request.requested_due, actor=actor.tag, reason=request.reason)
        await tell_unit(
            uow,
            view,
            "notify.ext.approved",
            purpose="extension_notice",
            due=request.requested_due.isoformat(),
        )
    else:
        due = view.assignment.due_on.isoformat() if view.assignment.due_on else "—"
        await tell_unit(uow, view, "notify.ext.refused", purpose="extension_notice", due=due)
    return request
