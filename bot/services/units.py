"""The unit directory in the database: canonical names and their aliases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlmodel import col

from bot.domain.statuses import Status
from bot.services import events
from bot.services.uow import UnitOfWork
from config.directory import Directory, UnitInfo
from models import Assignment, Unit, UnitAlias


async def sync_directory(uow: UnitOfWork, directory: Directory, actor: str, correct: bool = False) -> int:
    """Adds the directory's listed units and aliases that are missing. Returns how many units were added.

    Reserve units (the central ones of a provincial office, counties) are created only when a
    document names them; those already in the database get their aliases here. With ``correct``
    (the office loaded its own rows) the directory also wins over the database: a unit first met
    under one of a row's names takes the row's name, an alias moves to the unit that now claims it,
    and the kind follows the row.
    """
    existing = {u.name: u for u in (await uow.session.scalars(select(Unit))).all()}
    alias_rows = {a.alias: a for a in (await uow.session.scalars(select(UnitAlias))).all()}
    added = 0

    async def place(info: UnitInfo, create: bool) -> None:
        nonlocal added
        unit = existing.get(info.name)
        if unit is None and correct:
            for alias in info.aliases:
                old = existing.get(alias)
                if old is not None:
                    # The office has named a unit a document brought in: it keeps its history.
                    existing.pop(old.name)
                    events.record(
                        uow,
                        actor=actor,
                        kind="unit.renamed",
                        entity="unit",
                        entity_id=old.id,
                        data={"from": old.name, "to": info.name},
                    )
                    old.name = info.name
                    existing[info.name] = unit = old
                    break
        if unit is None:
            if not create:
                return
            unit = Unit(name=info.name, kind=info.kind, known=True, in_seed=info.in_seed, created_at=uow.now)
            uow.session.add(unit)
            await uow.session.flush()
            events.record(
                uow,
                actor=actor,
                kind="unit.created",
                entity="unit",
                entity_id=unit.id,
                to_state="known",
                data={"name": info.name},
            )
            existing[info.name] = unit
            added += 1
        elif not unit.known:
            # A name first met as unknown is now in the directory: it stops needing review.
            unit.known, unit.needs_review, unit.kind = True, False, info.kind
            events.record(
                uow,
                actor=actor,
                kind="unit.reviewed",
                entity="unit",
                entity_id=unit.id,
                from_state="needs_review",
                to_state="known",
                data={"name": info.name},
            )
        elif correct and unit.kind != info.kind:
            unit.kind = info.kind
        for alias in info.aliases:
            if alias == info.name:
                continue
            row = alias_rows.get(alias)
            if row is None:
                row = UnitAlias(unit_id=unit.id or 0, alias=alias)
                uow.session.add(row)
                alias_rows[alias] = row
            elif correct and row.unit_id != unit.id:
                row.unit_id = unit.id or 0

    for info in directory.units:
        await place(info, create=True)
    for info in directory.reserve:
        await place(info, create=False)
    await uow.session.flush()
    return added


async def find_unit(uow: UnitOfWork, name: str) -> Unit | None:
    name = name.strip()
    if not name:
        return None
    unit = await uow.session.scalar(select(Unit).where(col(Unit.name) == name))
    if unit is not None:
        return unit
    unit = await uow.session.scalar(
        select(Unit)
        .join(UnitAlias, col(UnitAlias.unit_id) == col(Unit.id))
        .where(col(UnitAlias.alias) == name)
    )
    if unit is not None:
        return unit
    if name.startswith("江西省"):
        return await find_unit(uow, "省" + name[3:])
    # A city may be named by its short form alone ("宜春").
    if not name.endswith(("市", "政府")):
        city = await uow.session.scalar(select(Unit).where(col(Unit.name) == f"{name}市人民政府"))
        if city is not None:
            return city
    # People type fragments ("工信厅"): accept one only when it points at a single unit.
    pattern = f"%{name}%"
    ids = set((await uow.session.scalars(select(col(Unit.id)).where(col(Unit.name).like(pattern)))).all())
    ids |= set(
        (
            await uow.session.scalars(
                select(col(UnitAlias.unit_id)).where(col(UnitAlias.alias).like(pattern))
            )
        ).all()
    )
    if len(ids) == 1:
        return await uow.session.get(Unit, ids.pop())
    return None


async def unit_by_id(uow: UnitOfWork, unit_id: int) -> Unit | None:
    """The unit a button names, or None when it no longer exists."""
    return await uow.session.get(Unit, unit_id)


async def ensure_unit(uow: UnitOfWork, name: str, kind: str, known: bool, actor: str) -> Unit:
    unit = await find_unit(uow, name)
    if unit is not None:
        return unit
    unit = Unit(name=name, kind=kind, known=known, needs_review=not known, created_at=uow.now)
    uow.session.add(unit)
    await uow.session.flush()
    events.record(
        uow,
        actor=actor,
        kind="unit.created",
        entity="unit",
        entity_id=unit.id,
        to_state="known" if known else "needs_review",
        data={"name": name},
    )
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
    alias_rows = (
        await uow.session.execute(
            select(col(UnitAlias.unit_id), col(UnitAlias.alias)).order_by(col(UnitAlias.id))
        )
    ).all()
    aliases: dict[int, list[str]] = {}
    for unit_id, alias in alias_rows:
        aliases.setdefault(unit_id, []).append(alias)
    closed = (Status.DONE, Status.CANCELLED, Status.DRAFT)
    open_case = func.sum(case((col(Assignment.status).not_in(closed), 1), else_=0))
    counts_q = (
        select(col(Assignment.unit_id), func.count(col(Assignment.id)), open_case)
        .where(col(Assignment.status) != Status.CANCELLED)
        .group_by(col(Assignment.unit_id))
    )
    counts = {row[0]: (row[1], row[2] or 0) for row in (await uow.session.execute(counts_q)).all()}
    units = (await uow.session.scalars(select(Unit).order_by(col(Unit.id)))).all()
    return [
        UnitListing(
            id=u.id or 0,
            name=u.name,
            kind=u.kind,
            known=u.known,
            aliases=aliases.get(u.id or 0, []),
            assignments=counts.get(u.id, (0, 0))[0],
            open_assignments=int(counts.get(u.id, (0, 0))[1]),
        )
        for u in units
    ]
