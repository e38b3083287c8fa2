"""What the coordination use cases share: the refusal a user reads, access to one
assignment, notices to a unit's contacts."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from bot.services import assignments as asg
from bot.services import outbox
from bot.services.access import Actor, unit_contacts
from bot.services.uow import UnitOfWork
from bot.views import notices

log = logging.getLogger(__name__)


class CoordinationError(Exception):
    """A refusal the user should read: `key` and `values` pick the text in their language."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


async def lock(uow: UnitOfWork, row: object) -> None:
    """Re-reads a row under FOR UPDATE on PostgreSQL, so two simultaneous presses take turns.
    SQLite needs nothing: it has one writer, and the WriteGate serialises updates."""
    if uow.session.bind is not None and uow.session.bind.dialect.name == "postgresql":
        await uow.session.refresh(row, with_for_update=True)


async def assignment_for_actor(
    uow: UnitOfWork, actor: Actor, assignment_id: int, *, act: bool
) -> asg.AssignmentView:
    view = await asg.load_view(uow, assignment_id)
    if view is None:
        raise CoordinationError("task.not_found", aid=assignment_id)
    allowed = actor.may_act_for(view.unit.id or 0) if act else actor.may_see_unit(view.unit.id or 0)
    if not allowed:
        raise CoordinationError("denied.unit")
    if act:
        await lock(uow, view.assignment)
    return view


def hold_until(uow: UnitOfWork) -> datetime | None:
    """Until when a coordinator's notice waits for its window's companions (None: sent at once)."""
    window = uow.settings.notice_window_seconds
    return uow.now + timedelta(seconds=window) if window else None


async def tell_unit(
    uow: UnitOfWork,
    view: asg.AssignmentView,
    key: str,
    *,
    purpose: str,
    extra_key: str | None = None,
    with_task_buttons: bool = False,
    **values: object,
) -> int:
    sent = 0
    for contact in await unit_contacts(uow, view.unit.id or 0):
        text, markup = notices.unit_notice(
            contact.language, view, key, extra_key=extra_key, with_task_buttons=with_task_buttons, **values
        )
        outbox.enqueue(
            uow.session,
            chat_id=contact.chat_id,
            now=uow.now,
            purpose=purpose,
            reply_markup=markup,
            assignment_id=view.assignment.id if with_task_buttons else None,
            text=text,
        )
        sent += 1
    return sent


def require_coordinator(actor: Actor) -> None:
    if not actor.is_coordinator:
        raise CoordinationError("denied")


def refuse_past(new_due: date, today: date) -> None:
    """A deadline set or approved now cannot lie before today (the office's calendar day)."""
    if new_due < today:
        raise CoordinationError("date.past", today=today.isoformat())


def reasonable_due(new_due: date, now: datetime) -> bool:
    """Deadlines within ten years: far enough for any plan, near enough for date arithmetic."""
    return now.date() - timedelta(days=366) <= new_due <= now.date() + timedelta(days=3653)
