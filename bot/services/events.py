"""The audit trail: every state change goes through `record`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_without_ids
from bot.services.uow import UnitOfWork
from models import Event


def record(
    uow: UnitOfWork,
    *,
    actor: str,
    kind: str,
    entity: str,
    entity_id: int | None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    add(
        uow.session,
        at=uow.now,
        actor=actor,
        kind=kind,
        entity=entity,
        entity_id=entity_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data,
    )
    if entity == "assignment" and entity_id is not None:
        # Whoever commits this unit of work re-plans these assignments' follow-ups.
        uow.touched.add(entity_id)


def add(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    kind: str,
    entity: str,
    entity_id: int | None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """The event row alone, for the transport (the outbox sender), which changes no assignment."""
    session.add(
        Event(
            at=at,
            actor=actor,
            kind=kind,
            entity=entity,
            entity_id=entity_id,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            data=data,
        )
    )


async def write_added(session: AsyncSession) -> None:
    """Writes the events added since the session last flushed in one statement, not one INSERT
    each (`insert_without_ids`): nobody needs an event's id. The session middleware calls this
    before it commits an update."""
    added = [obj for obj in session.new if isinstance(obj, Event)]  # in the order they were added
    if len(added) < 2:
        return
    for obj in added:
        session.expunge(obj)
    await insert_without_ids(session, added)
