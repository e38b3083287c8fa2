"""The unit directory in the database: canonical names and their aliases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from bot.services import events
from bot.services.uow import UnitOfWork
from config.directory import Directory
from models import Assignment, Unit, UnitAlias


async def sync_directory(uow: UnitOfWork, directory: Directory, actor: str) -> int:
    """Adds the bundled units and aliases that are missing. Returns how many units were added."""
    existing = {u.name: u for u in (await uow.session.scalars(select(Unit))).all()}
    taken_aliases = set((await uow.session.scalars(select(UnitAlias.alias))).all())
    added = 0
    for info in directory.units:
        unit = existing.get(info.name)
        if unit is None:
            unit = Unit(name=info.name, kind=info.kind, known=True, in_seed=info.in_seed, created_at=uow.now)
            uow.session.add(unit)
            await uow.session.flush()
            events.record(uow, actor=actor, kind="unit.created", entity="unit",
                          entity_id=unit.id, to_state="known", data={"name": info.name})
            existing[info.name] = unit
            added += 1
        elif not unit.known:
            # A name first met as unknown is now in the directory: it stops needing review.
            unit.known, unit.needs_review, unit.kind = True, False, info.kind
        for alias in info.aliases:
            if alias not in taken_aliases and alias != info.name:
                uow.session.add(UnitAlias(unit_id=unit.id, alias=alias))
                taken_aliases.add(alias)
    await uow.session.flush()
    return added


async def find_unit(uow: UnitOfWork, name: str) -> Unit | None:
    name = name.strip()
    if not name:
        return None
    unit = await uow.session.scalar(select(Unit).where(Unit.name == name))
    if unit is not None:
        return unit
    unit = await uow.session.scalar(
        select(Unit).join(UnitAlias, UnitAlias.unit_id == Unit.id).where(UnitAlias.alias == name)
    )
    if unit is not None:
        return unit
    if name.startswith("江西省"):
        return await find_unit(uow, "省" + name[3:])
    # A city may be named by its short form alone ("宜春").
    if not name.endswith(("市", "政府")):
        city = await uow.session.scalar(select(Unit).where(Unit.name == f"{name}市人民政府"))
        if city is not None:
            return city
    # People type fragments ("工信厅"): accept one only when it points at a single unit.
    pattern = f"%{name}%"
    ids = set((await uow.session.scalars(select(Unit.id).where(Unit.name.like(pattern)))).all())
    ids |= set((await uow.session.scalars(select(UnitAlias.unit_id).where(UnitAlias.alias.like(pattern)))).all())
    if len(ids) == 1:
        return await uow.session.get(Unit, ids.pop())
    return None


async def ensure_unit(uow: UnitOfWork, name: str, kind: str, known: bool,
                      actor: str) -> Unit:
    unit = await find_unit(uow, name)
    if unit is not None:
        return unit
    unit = Unit(name=name, kind=kind, known=known, needs_review=not known, created_at=uow.now)
    uow.session.add(unit)
    await uow.session.flush()
    events.record(uow, actor=actor, kind="unit.created", entity="unit", entity_id=unit.id,
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


async def list_units(uow: UnitOfWork) -> list[UnitListing]:
    alias_rows = (await uow.session.execute(select(UnitAlias.unit_id, UnitAlias.alias).order_by(UnitAlias.id))).all()
    aliases: dict[int, list[str]] = {}
    for unit_id, alias in alias_rows:
        aliases.setdefault(unit_id, []).append(alias)
    open_case = func.sum(case((Assignment.status.not_in(("done", "cancelled", "draft")), 1), else_=0))
    counts_q = (
        select(Assignment.unit_id, func.count(Assignment.id), open_case)
        .where(Assignment.status != "cancelled")
        .group_by(Assignment.unit_id)
    )
    counts = {row[0]: (row[1], row[2] or 0) for row in (await uow.session.execute(counts_q)).all()}
    units = (await uow.session.scalars(select(Unit).order_by(Unit.id))).all()
    return [
        UnitListing(
            id=u.id or 0, name=u.name, kind=u.kind, known=u.known, aliases=aliases.get(u.id or 0, []),
            assignments=counts.get(u.id, (0, 0))[0], open_assignments=int(counts.get(u.id, (0, 0))[1]),
        )
        for u in units
    ]
