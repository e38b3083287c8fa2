"""The unit directory in the database: canonical names and their aliases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import events
from config.directory import Directory
from models import Assignment, Unit, UnitAlias


async def sync_directory(session: AsyncSession, directory: Directory, now: datetime, actor: str) -> int:
    """Adds the bundled units and aliases that are missing. Returns how many units were added."""
    existing = {u.name: u for u in (await session.scalars(select(Unit))).all()}
    taken_aliases = set((await session.scalars(select(UnitAlias.alias))).all())
    added = 0
    for info in directory.units:
        unit = existing.get(info.name)
        if unit is None:
            unit = Unit(name=info.name, kind=info.kind, known=True, in_seed=info.in_seed, created_at=now)
            session.add(unit)
            await session.flush()
            events.record(session, at=now, actor=actor, kind="unit.created", entity="unit",
                          entity_id=unit.id, to_state="known", data={"name": info.name})
            existing[info.name] = unit
            added += 1
        elif not unit.known:
            # A name first met as unknown is now in the directory: it stops needing review.
            unit.known, unit.needs_review, unit.kind = True, False, info.kind
        for alias in info.aliases:
            if alias not in taken_aliases and alias != info.name:
                session.add(UnitAlias(unit_id=unit.id, alias=alias))
                taken_aliases.add(alias)
    await session.flush()
    return added


async def find_unit(session: AsyncSession, name: str) -> Unit | None:
    name = name.strip()
    if not name:
        return None
    unit = await session.scalar(select(Unit).where(Unit.name == name))
    if unit is not None:
        return unit
    unit = await session.scalar(
        select(Unit).join(UnitAlias, UnitAlias.unit_id == Unit.id).where(UnitAlias.alias == name)
    )
    if unit is not None:
        return unit
    if name.startswith("江西省"):
        return await find_unit(session, "省" + name[3:])
    # A city may be named by its short form alone ("宜春").
    if not name.endswith(("市", "政府")):
        city = await session.scalar(select(Unit).where(Unit.name == f"{name}市人民政府"))
        if city is not None:
            return city
    # People type fragments ("工信厅"): accept one only when it points at a single unit.
    pattern = f"%{name}%"
    ids = set((await session.scalars(select(Unit.id).where(Unit.name.like(pattern)))).all())
    ids |= set((await session.scalars(select(UnitAlias.unit_id).where(UnitAlias.alias.like(pattern)))).all())
    if len(ids) == 1:
        return await session.get(Unit, ids.pop())
    return None


async def ensure_unit(session: AsyncSession, name: str, kind: str, known: bool, now: datetime,
                      actor: str) -> Unit:
    unit = await find_unit(session, name)
    if unit is not None:
        return unit
    unit = Unit(name=name, kind=kind, known=known, needs_review=not known, created_at=now)
    session.add(unit)
    await session.flush()
    events.record(session, at=now, actor=actor, kind="unit.created", entity="unit", entity_id=unit.id,
                  to_state="known" if known else "needs_review", data={"name": name})
    return unit


@dataclass(frozen=True)
class UnitListing:
    id: int
    name: str
    kind: str
    known: bool
    aliases: list[str]
    assignments: int
    open_assignments: int


async def list_units(session: AsyncSession) -> list[UnitListing]:
    alias_rows = (await session.execute(select(UnitAlias.unit_id, UnitAlias.alias).order_by(UnitAlias.id))).all()
    aliases: dict[int, list[str]] = {}
    for unit_id, alias in alias_rows:
        aliases.setdefault(unit_id, []).append(alias)
    open_case = func.sum(case((Assignment.status.not_in(("done", "cancelled", "draft")), 1), else_=0))
    counts_q = (
        select(Assignment.unit_id, func.count(Assignment.id), open_case)
        .where(Assignment.status != "cancelled")
        .group_by(Assignment.unit_id)
    )
    counts = {row[0]: (row[1], row[2] or 0) for row in (await session.execute(counts_q)).all()}
    units = (await session.scalars(select(Unit).order_by(Unit.id))).all()
    return [
        UnitListing(
            id=u.id or 0, name=u.name, kind=u.kind, known=u.known, aliases=aliases.get(u.id or 0, []),
            assignments=counts.get(u.id, (0, 0))[0], open_assignments=int(counts.get(u.id, (0, 0))[1]),
        )
        for u in units
    ]
