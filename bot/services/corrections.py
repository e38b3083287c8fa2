"""Corrections of live tasks (after the import's confirm, before or after dispatch).

A change records an event with who, when and the values before and after; a unit that loses a
task is told and its assignment cancelled; a unit that gains one gets the task message through the
dispatch path; follow-ups are re-planned for every assignment an event touched.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Unit, UnitAlias


async def search_units(session: AsyncSession, text: str, limit: int = 8) -> list[tuple[int, str]]:
    """Units whose name or a short name contains `text` (the coordinator types part of a name)."""
    text = text.strip()
    if not text:
        return []
    pattern = f"%{text}%"
    rows = (await session.execute(
        select(Unit.id, Unit.name).outerjoin(UnitAlias, UnitAlias.unit_id == Unit.id)
        .where(or_(Unit.name.like(pattern), UnitAlias.alias.like(pattern)))
        .distinct().order_by(Unit.id).limit(limit))).all()
    return [(uid, name) for uid, name in rows]
