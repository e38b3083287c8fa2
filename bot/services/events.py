"""The audit trail: every state change goes through `record`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import Event


def record(
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
    session.add(Event(at=at, actor=actor, kind=kind, entity=entity, entity_id=entity_id,
                      from_state=from_state, to_state=to_state, reason=reason, data=data))
    if entity == "assignment" and entity_id is not None:
        # Whoever commits this session re-plans these assignments' follow-ups.
        session.info.setdefault("touched_assignments", set()).add(entity_id)
