"""Ad-hoc items (立项): a leader's instruction, a meeting decision, a key work item, registered by hand.

An item is stored as a Policy of its kind with one measure and one task, so dispatch, follow-ups,
reports, lights, the summary and the ledger treat it as a one-task policy; its code is J1, H1 …
The chat's /new flow and `duban new` both end here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlmodel import col

from bot.domain import due_sources
from bot.domain.statuses import Status
from bot.services import events, policy_codes
from bot.services.units import find_unit
from bot.services.uow import UnitOfWork
from models import Assignment, Measure, Policy, Task, Unit, UnitAlias

RHYTHMS = ("weekly", "monthly", "quarterly")
MAX_TITLE = 200
MAX_TEXT = 4000


class ItemError(ValueError):
    """What is wrong with an item; `key` picks the text (bot/i18n "new.err.*"), `values` fill it."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


@dataclass
class NewItem:
    kind: str  # instruction | meeting | key_work | other
    title: str
    text: str
    lead: list[str]
    co: list[str] = field(default_factory=list)
    due_on: date | None = None
    rhythm: str | None = None  # weekly | monthly | quarterly | None


@dataclass
class Created:
    policy: Policy
    task: Task
    assignments: list[Assignment]


async def search_units(uow: UnitOfWork, text: str, limit: int = 8) -> list[Unit]:
    """Units whose name or short name contains the text, exact matches first."""
    needle = text.strip()
    if not needle:
        return []
    exact = await find_unit(uow, needle)
    found: list[Unit] = [exact] if exact is not None else []
    by_name = (
        await uow.session.scalars(
            select(Unit)
            .where(col(Unit.name).contains(needle, autoescape=True))
            .order_by(col(Unit.id))
            .limit(limit)
        )
    ).all()
    by_alias = (
        await uow.session.scalars(
            select(Unit)
            .join(UnitAlias, col(UnitAlias.unit_id) == col(Unit.id))
            .where(col(UnitAlias.alias).contains(needle, autoescape=True))
            .order_by(col(Unit.id))
            .limit(limit)
        )
    ).all()
    for unit in (*by_name, *by_alias):
        if unit.id not in {u.id for u in found}:
            found.append(unit)
    return found[:limit]


async def resolve_units(uow: UnitOfWork, names: list[str]) -> list[Unit]:
    """Every name to exactly one known unit, or ItemError naming the first that is not one."""
    units: list[Unit] = []
    for name in names:
        unit = await find_unit(uow, name.strip())
        if unit is None:
            suggestions = [u.name for u in await search_units(uow, name, limit=5)]
            raise ItemError("new.err.unit", name=name, suggestions="、".join(suggestions) or "—")
        if unit.id not in {u.id for u in units}:
            units.append(unit)
    return units


def check(item: NewItem, today: date) -> None:
    if item.kind not in policy_codes.AD_HOC_KINDS:
        raise ItemError("new.err.kind")
    if not item.title.strip() or len(item.title) > MAX_TITLE:
        raise ItemError("new.err.title", limit=MAX_TITLE)
    if not item.text.strip() or len(item.text) > MAX_TEXT:
        raise ItemError("new.err.text", limit=MAX_TEXT)
    if not item.lead:
        raise ItemError("new.err.no_lead")
    if item.due_on is None:
        raise ItemError("new.err.no_due")
    if item.due_on < today:
        raise ItemError("new.err.past", date=item.due_on.isoformat(), today=today.isoformat())
    if item.rhythm is not None and item.rhythm not in RHYTHMS:
        raise ItemError("new.err.rhythm")


async def create_item(uow: UnitOfWork, item: NewItem, *, actor: str) -> Created:
    """Checks the item, then writes it as a one-task policy with draft assignments (dispatched
    like any other: /dispatch J1)."""
    now = uow.now
    check(item, uow.calendar.local_date(now))
    leads = await resolve_units(uow, item.lead)
    cos = [u for u in await resolve_units(uow, item.co) if u.id not in {x.id for x in leads}]
    title, text = item.title.strip(), item.text.strip()
    digest = hashlib.sha256(f"{item.kind}\n{title}\n{text}\n{now.isoformat()}".encode()).hexdigest()[:16]
    policy = Policy(
        code="",
        kind=item.kind,
        title=title,
        short_title=title,
        horizon=item.due_on,
        fingerprint=f"item:{digest}",
        source_name="立项",
        source_text=text,
        created_at=now,
        updated_at=now,
    )
    await policy_codes.assign_code(uow.session, policy)
    uow.session.add(policy)
    await uow.session.flush()
    events.record(
        uow,
        actor=actor,
        kind="item.created",
        entity="policy",
        entity_id=policy.id,
        to_state="created",
        data={
            "code": policy.code,
            "kind": item.kind,
            "title": title,
            "lead": [u.name for u in leads],
            "co": [u.name for u in cos],
            "due": item.due_on.isoformat() if item.due_on else None,
            "rhythm": item.rhythm,
        },
    )
    measure = Measure(policy_id=policy.id or 0, number=1, label="一", title=title, text=text)
    uow.session.add(measure)
    await uow.session.flush()
    task = Task(
        policy_id=policy.id or 0,
        measure_id=measure.id or 0,
        seq=1,
        text=text,
        due_on=item.due_on,
        due_source=due_sources.ITEM,
        rhythm=item.rhythm,
        targets=[],
        created_at=now,
    )
    uow.session.add(task)
    await uow.session.flush()
    assignments = [
        Assignment(
            task_id=task.id or 0,
            unit_id=unit.id or 0,
            role=role,
            status=Status.DRAFT,
            due_on=item.due_on,
            created_at=now,
            updated_at=now,
        )
        for role, group in (("lead", leads), ("co", cos))
        for unit in group
    ]
    uow.session.add_all(assignments)
    await uow.session.flush()
    for assignment, unit in zip(assignments, [*leads, *cos], strict=True):
        events.record(
            uow,
            actor=actor,
            kind="assignment.created",
            entity="assignment",
            entity_id=assignment.id,
            to_state=Status.DRAFT,
            data={"unit": unit.name, "role": assignment.role},
        )
    return Created(policy=policy, task=task, assignments=assignments)


async def unit_by_id(uow: UnitOfWork, unit_id: int) -> Unit | None:
    return await uow.session.get(Unit, unit_id)
