"""Corrections of live tasks (after the import's confirm, before or after dispatch).

A change records an event with who, when and the values before and after; a unit that loses a
task is told and its assignment cancelled; a unit that gains one gets the task message through the
dispatch path; follow-ups are re-planned for every assignment an event touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.domain import due_sources, refs
from bot.domain.statuses import Status
from bot.services import assignments as asg
from bot.services import dispatch, events, outbox
from bot.services.access import unit_contacts
from bot.services.uow import UnitOfWork
from bot.views import corrections as texts
from models import Assignment, Measure, Policy, Task, Unit, UnitAlias


async def search_units(uow: UnitOfWork, text: str, limit: int = 8) -> list[tuple[int, str]]:
    """Units whose name or a short name contains `text` (the coordinator types part of a name)."""
    session = uow.session
    text = text.strip()
    if not text:
        return []
    pattern = f"%{text}%"
    rows = (
        await session.execute(
            select(col(Unit.id), col(Unit.name))
            .outerjoin(UnitAlias, col(UnitAlias.unit_id) == col(Unit.id))
            .where(or_(col(Unit.name).like(pattern), col(UnitAlias.alias).like(pattern)))
            .distinct()
            .order_by(col(Unit.id))
            .limit(limit)
        )
    ).all()
    return [(uid, name) for uid, name in rows if uid is not None]


# ---------------------------------------------------------------- live tasks

CLOSED = (Status.DONE, Status.CANCELLED)


class CorrectionError(Exception):
    """A refusal the handler words in the user's language (`key` is an i18n key)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def task_label(code: str | None, measure_number: int, seq: int) -> str:
    """How a live task is written in correction messages: the one reference format (P1-2.1)."""
    return refs.format_task(code, measure_number, seq)


@dataclass
class Correction:
    task_id: int
    label: str
    messages: int = 0  # notices and task messages queued to units
    lost: list[str] = field(default_factory=list)  # units that no longer hold the task
    gained: list[str] = field(default_factory=list)
    new_task_id: int | None = None


@dataclass
class _Ctx:
    uow: UnitOfWork
    actor: str

    @property
    def session(self) -> AsyncSession:
        return self.uow.session

    @property
    def now(self) -> datetime:
        return self.uow.now


async def live_task(uow: UnitOfWork, task_id: int) -> Task:
    """A pressed button or typed reference names a task: it must exist and be active."""
    session = uow.session
    task = await session.get(Task, task_id)
    if task is None or not task.active:
        raise CorrectionError("fix.no_task", ref=str(task_id))
    return task


async def task_units(uow: UnitOfWork, task_id: int) -> list[tuple[str, str, str]]:
    """(role, status, unit name) of each assignment of the task still held, in the order given."""
    rows = (
        await uow.session.execute(
            select(col(Assignment.role), col(Assignment.status), col(Unit.name))
            .join(Unit, col(Unit.id) == col(Assignment.unit_id))
            .where(col(Assignment.task_id) == task_id, col(Assignment.status) != Status.CANCELLED)
            .order_by(col(Assignment.id))
        )
    ).all()
    return [(role, status, name) for role, status, name in rows]


async def merge_candidates(uow: UnitOfWork, task: Task) -> list[Task]:
    """The other live tasks of the task's measure, which it may be merged into."""
    return list(
        (
            await uow.session.scalars(
                select(Task)
                .where(
                    col(Task.measure_id) == task.measure_id,
                    col(Task.active).is_(True),
                    col(Task.id) != task.id,
                )
                .order_by(col(Task.seq))
            )
        ).all()
    )


async def label_of(uow: UnitOfWork, task: Task) -> str:
    session = uow.session
    measure = await session.get(Measure, task.measure_id)
    policy = await session.get(Policy, task.policy_id)
    return task_label(policy.code if policy else None, measure.number if measure else 0, task.seq)


def _parse(text: str) -> refs.Ref | None:
    try:
        return refs.parse_ref(text)
    except refs.RefError:
        return None


def _in_policy(query: Any, code: str | None, selected: int | None = None) -> Any:
    """A reference's own code wins; without one, the coordinator's selected policy (if any) scopes it."""
    if code:
        return query.join(Policy, Policy.id == Task.policy_id).where(Policy.code == code)
    return query.where(Task.policy_id == selected) if selected else query


async def find_task(uow: UnitOfWork, ref: str, selected: int | None = None) -> list[Task]:
    """Tasks a typed reference may mean: "P1-2.1", "2.1" (also 2·1, 2-1) or "#71" (the task of
    assignment 71). More than one result means the reference is ambiguous: the caller asks."""
    session = uow.session
    parsed = _parse(ref)
    if parsed is None:
        return []
    if parsed.kind == "assignment":
        assignment = await session.get(Assignment, parsed.assignment)
        task = await session.get(Task, assignment.task_id) if assignment else None
        return [task] if task is not None and task.active else []
    if parsed.kind != "task":
        return []
    query = (
        select(Task)
        .join(Measure, col(Measure.id) == col(Task.measure_id))
        .where(col(Measure.number) == parsed.measure, col(Task.seq) == parsed.seq, col(Task.active).is_(True))
    )
    return list(
        (await session.scalars(_in_policy(query, parsed.code, selected).order_by(Task.policy_id))).all()
    )


async def scope_tasks(uow: UnitOfWork, ref: str, selected: int | None = None) -> list[Task]:
    """The tasks of a deadline's scope: a task ("P1-2.1"), a measure ("P1-2", "2") or a policy ("P1")."""
    session = uow.session
    parsed = _parse(ref)
    if parsed is None:
        raise CorrectionError("fix.no_task", ref=ref)
    if parsed.kind == "policy":
        query = _in_policy(select(Task).where(col(Task.active).is_(True)), parsed.code)
        tasks = list((await session.scalars(query.order_by(Task.id))).all())
    elif parsed.kind == "measure":
        query = (
            select(Task)
            .join(Measure, col(Measure.id) == col(Task.measure_id))
            .where(col(Measure.number) == parsed.measure, col(Task.active).is_(True))
        )
        tasks = list(
            (await session.scalars(_in_policy(query, parsed.code, selected).order_by(Task.id))).all()
        )
    else:
        tasks = await find_task(uow, ref, selected)
    if len({t.policy_id for t in tasks}) > 1 or (parsed.kind == "task" and len(tasks) > 1):
        # A number two policies share is never guessed.
        raise CorrectionError("fix.ambiguous", ref=ref)
    if not tasks:
        raise CorrectionError("fix.no_task", ref=ref)
    return tasks


async def _assignments(uow: UnitOfWork, task: Task) -> list[Assignment]:
    session = uow.session
    return list(
        (
            await session.scalars(
                select(Assignment).where(col(Assignment.task_id) == task.id).order_by(col(Assignment.id))
            )
        ).all()
    )


def _dispatched(assignments: list[Assignment]) -> bool:
    return any(a.status not in (Status.DRAFT, Status.CANCELLED) for a in assignments)


def _record(ctx: _Ctx, task: Task, what: str, before: Any, after: Any) -> None:
    events.record(
        ctx.uow,
        actor=ctx.actor,
        kind=f"task.corrected.{what}",
        entity="task",
        entity_id=task.id,
        data={"before": before, "after": after},
    )


# A notice of bot/views/corrections.py, worded in the language it is given (each recipient's own).
Notice = Callable[[str], str]


def _queue_notice(ctx: _Ctx, chat_id: int, text: str) -> None:
    outbox.enqueue(ctx.session, chat_id=chat_id, now=ctx.now, purpose="control_notice", text=text)


async def _notify(ctx: _Ctx, unit_id: int, notice: Notice) -> int:
    """Each of the unit's contacts gets the notice in their language."""
    contacts = await unit_contacts(ctx.uow, unit_id)
    for contact in contacts:
        _queue_notice(ctx, contact.chat_id, notice(contact.language))
    return len(contacts)


async def _cancel(ctx: _Ctx, task: Task, label: str, assignment: Assignment, reason: str) -> int:
    """The unit loses the task: its assignment is cancelled (an event) and, if it had it, it is told."""
    was = assignment.status
    asg.transition(ctx.uow, assignment, Status.CANCELLED, action="cancelled", actor=ctx.actor, reason=reason)
    if was == "draft":
        return 0
    return await _notify(
        ctx, assignment.unit_id, partial(texts.lost, aid=assignment.id, label=label, task_text=task.text)
    )


async def _gain(
    ctx: _Ctx, task: Task, unit_id: int, role: str, current: dict[int, Assignment], hand_out: bool
) -> int:
    """The unit gains the task: a new (or restored) assignment, handed out at once if the task was."""
    assignment = current.get(unit_id)
    policy = await ctx.session.get(Policy, task.policy_id)
    due = task.due_on or (policy.horizon if policy else None)
    if assignment is None:
        assignment = Assignment(
            task_id=task.id or 0,
            unit_id=unit_id,
            role=role,
            status=Status.DRAFT,
            due_on=due,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.session.add(assignment)
        await ctx.session.flush()
        events.record(
            ctx.uow,
            actor=ctx.actor,
            kind="assignment.created",
            entity="assignment",
            entity_id=assignment.id,
            to_state=Status.DRAFT,
            data={"role": role, "by": "correction"},
        )
        current[unit_id] = assignment
    else:
        events.record(
            ctx.uow,
            actor=ctx.actor,
            kind="assignment.restored",
            entity="assignment",
            entity_id=assignment.id,
            from_state=Status.CANCELLED,
            to_state=Status.DRAFT,
        )
        assignment.status, assignment.role, assignment.due_on = Status.DRAFT, role, due
        assignment.acknowledged_at = assignment.assigned_at = None
        assignment.updated_at = ctx.now
    if not hand_out:
        return 0
    await ctx.session.flush()
    return await dispatch.hand_out(ctx.uow, assignment.id or 0, actor=ctx.actor, dedupe=False)


async def _unit_name(uow: UnitOfWork, unit_id: int) -> str:
    session = uow.session
    unit = await session.get(Unit, unit_id)
    return unit.name if unit else str(unit_id)


async def set_units(uow: UnitOfWork, task: Task, role: str, unit_ids: list[int], *, actor: str) -> Correction:
    """The task's lead (role "lead") or co units ("co") become exactly `unit_ids`."""
    now = uow.now
    ctx = _Ctx(uow, actor)
    label = await label_of(uow, task)
    result = Correction(task_id=task.id or 0, label=label)
    rows = await _assignments(uow, task)
    current = {a.unit_id: a for a in rows}
    holding = {a.unit_id: a for a in rows if a.status != Status.CANCELLED}
    handed = _dispatched(rows)
    wanted = list(dict.fromkeys(unit_ids))
    in_role = [u for u, a in holding.items() if (a.role == "lead") == (role == "lead")]
    before = [await _unit_name(uow, u) for u in in_role]
    for unit_id in in_role:
        if unit_id not in wanted:
            result.messages += await _cancel(ctx, task, label, holding[unit_id], "correction: unit removed")
            result.lost.append(await _unit_name(uow, unit_id))
    for unit_id in wanted:
        a = holding.get(unit_id)
        if a is None:
            result.messages += await _gain(ctx, task, unit_id, role, current, handed)
            result.gained.append(await _unit_name(uow, unit_id))
        elif (a.role == "lead") != (role == "lead"):
            events.record(
                uow,
                actor=actor,
                kind="assignment.role_changed",
                entity="assignment",
                entity_id=a.id,
                data={"from": a.role, "to": role},
            )
            old_role, a.role, a.updated_at = a.role, role, now
            if a.status != Status.DRAFT:
                result.messages += await _notify(
                    ctx,
                    a.unit_id,
                    partial(texts.role_changed, aid=a.id, label=label, before=old_role, after=role),
                )
    after = [await _unit_name(uow, u) for u in wanted]
    _record(ctx, task, role, before, after)
    return result


async def _resend(ctx: _Ctx, task: Task, label: str) -> int:
    """Units holding the task get a notice and its corrected message (their replies to it still find
    the task)."""
    sent = 0
    for a in await _assignments(ctx.uow, task):
        if a.status in (Status.DRAFT, Status.CANCELLED, Status.DONE):
            continue
        view = await asg.load_view(ctx.uow, a.id or 0)
        if view is None:
            continue
        for contact in await unit_contacts(ctx.uow, a.unit_id):
            _queue_notice(ctx, contact.chat_id, texts.text_corrected(contact.language, a.id, label))
            dispatch.send_task_message(ctx.uow, view, contact)
            sent += 2
    return sent


async def set_text(uow: UnitOfWork, task: Task, text: str, *, actor: str) -> Correction:
    text = text.strip()
    if not text:
        raise CorrectionError("fix.empty")
    ctx = _Ctx(uow, actor)
    label = await label_of(uow, task)
    before, task.text = task.text, text
    _record(ctx, task, "text", before, text)
    return Correction(task_id=task.id or 0, label=label, messages=await _resend(ctx, task, label))


def check_due(due: date, today: date) -> None:
    """A deadline set today cannot lie before today."""
    if due < today:
        raise CorrectionError("date.past", today=today.isoformat())


async def set_due(uow: UnitOfWork, tasks: list[Task], due: date, *, today: date, actor: str) -> Correction:
    """The due date of tasks (one, a measure's, a whole policy's) and of their open assignments."""
    now = uow.now
    check_due(due, today)
    if not tasks:
        raise CorrectionError("fix.no_task", ref="—")
    ctx = _Ctx(uow, actor)
    result = Correction(task_id=tasks[0].id or 0, label=await label_of(uow, tasks[0]))
    for task in tasks:
        label = await label_of(uow, task)
        before, task.due_on, task.due_source = task.due_on, due, due_sources.COORDINATOR
        _record(ctx, task, "due", before.isoformat() if before else None, due.isoformat())
        for a in await _assignments(uow, task):
            if a.status in CLOSED or a.due_on == due:
                continue
            events.record(
                uow,
                actor=actor,
                kind="assignment.due_corrected",
                entity="assignment",
                entity_id=a.id,
                data={"from": a.due_on.isoformat() if a.due_on else None, "to": due.isoformat()},
            )
            a.due_on, a.updated_at = due, now
            if a.status != Status.DRAFT:
                result.messages += await _notify(
                    ctx, a.unit_id, partial(texts.due_moved, aid=a.id, label=label, due=due)
                )
    return result


async def set_rhythm(uow: UnitOfWork, task: Task, rhythm: str | None, *, actor: str) -> Correction:
    ctx = _Ctx(uow, actor)
    label = await label_of(uow, task)
    before, task.rhythm = task.rhythm, rhythm
    _record(ctx, task, "rhythm", before, rhythm)
    result = Correction(task_id=task.id or 0, label=label)
    for a in await _assignments(uow, task):
        if a.status in CLOSED:
            continue
        # The progress requests follow the rhythm: the event re-plans this assignment's follow-ups.
        events.record(
            uow,
            actor=actor,
            kind="assignment.rhythm_changed",
            entity="assignment",
            entity_id=a.id,
            data={"from": before, "to": rhythm},
        )
        if a.status != Status.DRAFT:
            result.messages += await _notify(
                ctx, a.unit_id, partial(texts.rhythm_changed, aid=a.id, label=label, rhythm=rhythm)
            )
    return result


async def split(
    uow: UnitOfWork, task: Task, *, after: int | None = None, first: str | None = None, actor: str
) -> Correction:
    """Two tasks from one: the first keeps the number and the assignments, the second gets the next free
    number in the measure and the same units (handed out at once if the first was)."""
    session, now = uow.session, uow.now
    from bot.services.import_drafts import DraftError, split_text

    try:
        head, tail = split_text(task.text, after=after, first=first)
    except DraftError as exc:
        raise CorrectionError(exc.key) from exc
    ctx = _Ctx(uow, actor)
    label = await label_of(uow, task)
    last = (
        await session.scalar(select(func.max(col(Task.seq))).where(col(Task.measure_id) == task.measure_id))
        or 0
    )
    second = Task(
        policy_id=task.policy_id,
        measure_id=task.measure_id,
        seq=last + 1,
        text=tail,
        due_on=task.due_on,
        due_source=task.due_source,
        rhythm=task.rhythm,
        unit_clause=task.unit_clause,
        created_at=now,
    )
    session.add(second)
    await session.flush()
    before, task.text = task.text, head
    new_label = await label_of(uow, second)
    _record(
        ctx, task, "split", before, {"first": head, "second": tail, "new_task": second.id, "label": new_label}
    )
    events.record(
        uow,
        actor=actor,
        kind="task.added",
        entity="task",
        entity_id=second.id,
        to_state="active",
        data={"text": tail, "split_from": task.id},
    )
    result = Correction(task_id=task.id or 0, label=label, new_task_id=second.id)
    rows = await _assignments(uow, task)
    handed = _dispatched(rows)
    result.messages += await _resend(ctx, task, label)
    current: dict[int, Assignment] = {}
    for a in rows:
        if a.status != Status.CANCELLED:
            result.messages += await _gain(ctx, second, a.unit_id, a.role, current, handed)
            result.gained.append(await _unit_name(uow, a.unit_id))
    return result


async def merge(uow: UnitOfWork, task: Task, other: Task, *, actor: str) -> Correction:
    """`other` (same measure) is folded into `task`: its text appended, its units added, itself retired."""
    if other.id == task.id or other.measure_id != task.measure_id or not other.active:
        raise CorrectionError("fix.merge_bad")
    ctx = _Ctx(uow, actor)
    label, other_label = await label_of(uow, task), await label_of(uow, other)
    before, task.text = task.text, task.text.rstrip() + other.text.lstrip()
    _record(ctx, task, "merge", {"text": before, "merged": other.id, "label": other_label}, task.text)
    result = Correction(task_id=task.id or 0, label=label)
    rows = await _assignments(uow, task)
    current = {a.unit_id: a for a in rows}
    holding = {a.unit_id for a in rows if a.status != Status.CANCELLED}
    handed = _dispatched(rows)
    result.messages += await _resend(ctx, task, label)
    other_rows = await _assignments(uow, other)
    for a in other_rows:
        if a.status != Status.CANCELLED and a.unit_id not in holding:
            result.messages += await _gain(ctx, task, a.unit_id, a.role, current, handed)
            result.gained.append(await _unit_name(uow, a.unit_id))
    for a in other_rows:
        if a.status not in CLOSED:
            result.messages += await _cancel(ctx, other, other_label, a, f"correction: merged into {label}")
    other.active = False
    events.record(
        uow,
        actor=actor,
        kind="task.retired",
        entity="task",
        entity_id=other.id,
        from_state="active",
        to_state="retired",
        reason=f"merged into {label}",
    )
    return result


async def drop(uow: UnitOfWork, task: Task, *, actor: str) -> Correction:
    ctx = _Ctx(uow, actor)
    label = await label_of(uow, task)
    result = Correction(task_id=task.id or 0, label=label)
    for a in await _assignments(uow, task):
        if a.status not in CLOSED:
            result.messages += await _cancel(ctx, task, label, a, "correction: task dropped")
            result.lost.append(await _unit_name(uow, a.unit_id))
    task.active = False
    events.record(
        uow,
        actor=actor,
        kind="task.retired",
        entity="task",
        entity_id=task.id,
        from_state="active",
        to_state="retired",
        reason="dropped by coordinator",
    )
    return result


# ---------------------------------------------------------------- units under review, after the confirm


async def review_units(uow: UnitOfWork) -> list[Unit]:
    session = uow.session
    return list(
        (
            await session.scalars(select(Unit).where(col(Unit.needs_review).is_(True)).order_by(col(Unit.id)))
        ).all()
    )


async def accept_unit(uow: UnitOfWork, unit: Unit, *, actor: str) -> None:
    unit.needs_review, unit.known = False, True
    events.record(
        uow,
        actor=actor,
        kind="unit.accepted",
        entity="unit",
        entity_id=unit.id,
        from_state="needs_review",
        to_state="known",
        data={"name": unit.name},
    )


async def map_unit(uow: UnitOfWork, unit: Unit, target: Unit, *, actor: str) -> Correction:
    """A unit under review is `target` after all: its tasks move to `target` (handed out to it where they
    were), its name becomes one of target's aliases, so the next import finds it."""
    session = uow.session
    if unit.id == target.id:
        raise CorrectionError("fix.merge_bad")
    ctx = _Ctx(uow, actor)
    result = Correction(task_id=0, label=unit.name)
    rows = list(
        (
            await session.scalars(
                select(Assignment).where(
                    col(Assignment.unit_id) == unit.id, col(Assignment.status) != Status.CANCELLED
                )
            )
        ).all()
    )
    for a in rows:
        task = await session.get(Task, a.task_id)
        if task is None:
            continue
        label = await label_of(uow, task)
        current = {x.unit_id: x for x in await _assignments(uow, task)}
        handed = a.status != Status.DRAFT
        result.messages += await _cancel(ctx, task, label, a, f"correction: unit is {target.name}")
        held = current.get(target.id or 0)
        if held is None or held.status == "cancelled":
            result.messages += await _gain(ctx, task, target.id or 0, a.role, current, handed)
            result.gained.append(label)
    session.add(UnitAlias(unit_id=target.id or 0, alias=unit.name))
    unit.needs_review = False
    events.record(
        uow,
        actor=actor,
        kind="unit.mapped",
        entity="unit",
        entity_id=unit.id,
        from_state="needs_review",
        to_state="mapped",
        data={"name": unit.name, "to": target.name, "to_id": target.id},
    )
    return result
