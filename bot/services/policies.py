"""Persisting a decomposition: a new policy, the same one again, or a revised version."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlmodel import col

from bot.domain.refs import format_task
from bot.domain.statuses import Status
from bot.importer import Decomposition, DecompositionDiff
from bot.importer import Task as ParsedTask
from bot.services import assignments as asg
from bot.services import events, policy_codes
from bot.services.units import ensure_unit
from bot.services.uow import UnitOfWork
from models import Assignment, Measure, Policy, Task, Unit

# Two texts this alike are the same task reworded rather than one removed and one added.
REWORD_SIMILARITY = 0.6


@dataclass
class ImportOutcome:
    policy_id: int
    created: bool
    unchanged: bool
    measures: int = 0
    tasks: int = 0
    assignments: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    reworded: list[str] = field(default_factory=list)
    units_changed: list[str] = field(default_factory=list)
    code: str = ""


def _short_title(title: str) -> str:
    # 《…》 holds the measures' own name inside the 通知 title.
    if "《" in title and "》" in title:
        return title[title.index("《") + 1 : title.index("》")]
    return title


def _roles(task: ParsedTask) -> list[tuple[str, str]]:
    seen: set[str] = set()
    roles: list[tuple[str, str]] = []
    # support: a non-executing unit (数据提供单位) that gets the task to provide data, not to lead it
    for role, names in (
        ("lead", task.lead),
        ("co", task.co),
        ("local", task.local),
        ("support", task.support),
    ):
        for name in names:
            if name not in seen:
                seen.add(name)
                roles.append((name, role))
    return roles


def _label(code: str | None, measure_number: int, seq: int, text: str) -> str:
    snippet = text if len(text) <= 40 else text[:40] + "…"
    return f"{format_task(code, measure_number, seq)} {snippet}"


async def _find_existing(uow: UnitOfWork, decomposition: Decomposition) -> Policy | None:
    same = await uow.session.scalar(
        select(Policy).where(col(Policy.fingerprint) == decomposition.fingerprint)
    )
    if same is not None:
        return same
    info = decomposition.policy
    if info.doc_number:
        return await uow.session.scalar(select(Policy).where(col(Policy.doc_number) == info.doc_number))
    return await uow.session.scalar(select(Policy).where(col(Policy.title) == info.title))


async def import_policy(
    uow: UnitOfWork,
    decomposition: Decomposition,
    *,
    source_name: str,
    source_text: str,
    actor: str,
    horizon: date | None = None,
) -> ImportOutcome:
    """Writes the decomposition. Importing the same document again changes nothing."""
    existing = await _find_existing(uow, decomposition)
    if existing is not None and existing.fingerprint == decomposition.fingerprint:
        if horizon is not None and existing.horizon != horizon:
            await set_horizon(uow, existing, horizon, actor=actor)
            return ImportOutcome(
                policy_id=existing.id or 0, created=False, unchanged=False, code=existing.code
            )
        return ImportOutcome(policy_id=existing.id or 0, created=False, unchanged=True, code=existing.code)

    unit_kinds = {u.name: (u.kind, u.known) for u in decomposition.units}
    units: dict[str, Unit] = {}

    async def unit_for(name: str) -> Unit:
        if name not in units:
            kind, known = unit_kinds.get(name, ("other", False))
            units[name] = await ensure_unit(uow, name, kind, known, actor)
        return units[name]

    info = decomposition.policy
    if existing is None:
        policy = Policy(
            code="",
            title=info.title,
            short_title=_short_title(info.title),
            doc_number=info.doc_number,
            issued_on=info.issued_on,
            horizon=horizon or info.horizon,
            fingerprint=decomposition.fingerprint,
            source_name=source_name,
            source_text=source_text,
            created_at=uow.now,
            updated_at=uow.now,
        )
        await policy_codes.assign_code(uow.session, policy)
        uow.session.add(policy)
        await uow.session.flush()
        events.record(
            uow,
            actor=actor,
            kind="policy.imported",
            entity="policy",
            entity_id=policy.id,
            to_state="imported",
            data={"source": source_name, "doc_number": info.doc_number, "code": policy.code},
        )
        outcome = ImportOutcome(policy_id=policy.id or 0, created=True, unchanged=False)
    else:
        policy = existing
        policy.title, policy.short_title = info.title, _short_title(info.title)
        policy.issued_on, policy.fingerprint = info.issued_on, decomposition.fingerprint
        policy.source_name, policy.source_text, policy.updated_at = source_name, source_text, uow.now
        if horizon is not None:
            policy.horizon = horizon
        outcome = ImportOutcome(policy_id=policy.id or 0, created=False, unchanged=False)

    measures = {
        m.number: m
        for m in (await uow.session.scalars(select(Measure).where(col(Measure.policy_id) == policy.id))).all()
    }
    old_tasks = list(
        (
            await uow.session.scalars(
                select(Task).where(col(Task.policy_id) == policy.id, col(Task.active).is_(True))
            )
        ).all()
    )
    old_by_measure: dict[int, list[Task]] = {}
    number_of = {m.id: m.number for m in measures.values()}
    old_labels = {t.id: _label(policy.code, number_of.get(t.measure_id, 0), t.seq, t.text) for t in old_tasks}
    for task in old_tasks:
        old_by_measure.setdefault(task.measure_id, []).append(task)
    matched: set[int] = set()

    assignments_by_task: dict[int, dict[int, Assignment]] = {}
    if not outcome.created:
        for a in (
            await uow.session.scalars(
                select(Assignment)
                .join(Task, col(Task.id) == col(Assignment.task_id))
                .where(col(Task.policy_id) == policy.id)
            )
        ).all():
            assignments_by_task.setdefault(a.task_id, {})[a.unit_id] = a
    created: list[tuple[Assignment, str, str]] = []

    for parsed_measure in decomposition.measures:
        measure = measures.get(parsed_measure.number)
        if measure is None:
            measure = Measure(policy_id=policy.id or 0, number=parsed_measure.number)
            uow.session.add(measure)
        measure.label, measure.title, measure.text = (
            parsed_measure.label,
            parsed_measure.title,
            parsed_measure.text,
        )
        await uow.session.flush()
        outcome.measures += 1
        candidates = [t for t in old_by_measure.get(measure.id or 0, []) if t.id not in matched]
        pairs: list[tuple[ParsedTask, Task, str, bool]] = []
        for parsed in parsed_measure.tasks:
            matched_task = _match(parsed.text, candidates) if candidates else None
            label = _label(policy.code, parsed_measure.number, parsed.seq, parsed.text)
            is_new = matched_task is None
            if matched_task is None:
                if not outcome.created:
                    # seq is unique within a measure; a retired task may still hold the number.
                    await _free_seq(uow, measure.id or 0, parsed.seq)
                task = Task(
                    policy_id=policy.id or 0,
                    measure_id=measure.id or 0,
                    seq=parsed.seq,
                    text=parsed.text,
                    created_at=uow.now,
                )
                uow.session.add(task)
            else:
                task = matched_task
                candidates.remove(task)
                matched.add(task.id or 0)
                if task.text != parsed.text:
                    outcome.reworded.append(label)
                    events.record(
                        uow,
                        actor=actor,
                        kind="task.reworded",
                        entity="task",
                        entity_id=task.id,
                        data={"old": task.text, "new": parsed.text},
                    )
                    task.text = parsed.text
                if task.seq != parsed.seq:
                    await _free_seq(uow, measure.id or 0, parsed.seq)
                    task.seq = parsed.seq
            task.due_on, task.due_source, task.rhythm = parsed.due, parsed.due_source, parsed.rhythm
            task.targets, task.unit_clause = list(parsed.targets), parsed.unit_clause
            pairs.append((parsed, task, label, is_new))
        await uow.session.flush()  # one round trip gives every new task of the measure its id
        for parsed, task, label, is_new in pairs:
            if is_new and not outcome.created:
                outcome.added.append(label)
                events.record(
                    uow,
                    actor=actor,
                    kind="task.added",
                    entity="task",
                    entity_id=task.id,
                    to_state="active",
                    data={"text": parsed.text},
                )
            outcome.tasks += 1
            count, notes = await _sync_assignments(
                uow,
                task,
                _roles(parsed),
                unit_for,
                policy,
                actor,
                assignments_by_task.get(task.id or 0, {}),
                created,
            )
            outcome.assignments += count
            if notes and not outcome.created:
                outcome.units_changed.append(f"{label}（{notes}）")

    await uow.session.flush()
    for assignment, unit_name, role in created:
        events.record(
            uow,
            actor=actor,
            kind="assignment.created",
            entity="assignment",
            entity_id=assignment.id,
            to_state=Status.DRAFT,
            data={"unit": unit_name, "role": role},
        )

    for task in old_tasks:
        if task.id not in matched and task.active:
            await retire_task(uow, task, actor=actor, reason="removed in revised document")
            outcome.removed.append(old_labels[task.id])
    await uow.session.flush()
    outcome.code = policy.code or ""
    return outcome


async def _free_seq(uow: UnitOfWork, measure_id: int, seq: int) -> None:
    clash = await uow.session.scalar(
        select(Task).where(col(Task.measure_id) == measure_id, col(Task.seq) == seq)
    )
    if clash is not None:
        # Retired and renumbered tasks move out of the way to negative numbers.
        clash.seq = -(clash.id or 0)
        await uow.session.flush()


def _match(text: str, candidates: list[Task]) -> Task | None:
    for task in candidates:
        if task.text == text:
            return task
    best, best_ratio = None, REWORD_SIMILARITY
    for task in candidates:
        ratio = difflib.SequenceMatcher(None, task.text, text, autojunk=False).ratio()
        if ratio >= best_ratio:
            best, best_ratio = task, ratio
    return best


async def _sync_assignments(
    uow: UnitOfWork,
    task: Task,
    roles: list[tuple[str, str]],
    unit_for: Callable[[str], Awaitable[Unit]],
    policy: Policy,
    actor: str,
    current: dict[int, Assignment],
    created: list[tuple[Assignment, str, str]],
) -> tuple[int, str]:
    """Adds, restores, re-roles and cancels this task's assignments to match `roles`."""
    wanted: dict[int, str] = {}
    names: dict[int, str] = {}
    for name, role in roles:
        unit = await unit_for(name)
        wanted[unit.id or 0] = role
        names[unit.id or 0] = name
    notes: list[str] = []
    for unit_id, role in wanted.items():
        assignment = current.get(unit_id)
        if assignment is None:
            assignment = Assignment(
                task_id=task.id or 0,
                unit_id=unit_id,
                role=role,
                status=Status.DRAFT,
                due_on=task.due_on or policy.horizon,
                created_at=uow.now,
                updated_at=uow.now,
            )
            uow.session.add(assignment)
            created.append((assignment, names[unit_id], role))
            if current:
                notes.append(f"+{names[unit_id]}")
            continue
        if assignment.status == Status.CANCELLED:
            events.record(
                uow,
                actor=actor,
                kind="assignment.restored",
                entity="assignment",
                entity_id=assignment.id,
                from_state=Status.CANCELLED,
                to_state=Status.DRAFT,
            )
            assignment.status = Status.DRAFT
            notes.append(f"+{names[unit_id]}")
        if assignment.role != role:
            events.record(
                uow,
                actor=actor,
                kind="assignment.role_changed",
                entity="assignment",
                entity_id=assignment.id,
                data={"from": assignment.role, "to": role},
            )
            notes.append(f"{names[unit_id]}:{assignment.role}→{role}")
            assignment.role = role
        if assignment.status == Status.DRAFT and assignment.due_on != (task.due_on or policy.horizon):
            assignment.due_on = task.due_on or policy.horizon
    for unit_id, assignment in current.items():
        if unit_id not in wanted and assignment.status != Status.CANCELLED:
            asg.transition(
                uow,
                assignment,
                Status.CANCELLED,
                action="cancelled",
                actor=actor,
                reason="unit no longer responsible in revised document",
            )
            gone = await uow.session.get(Unit, unit_id)
            notes.append(f"-{gone.name if gone else unit_id}")
    return len(wanted), "，".join(notes)


async def retire_task(uow: UnitOfWork, task: Task, *, actor: str, reason: str) -> None:
    task.active = False
    events.record(
        uow,
        actor=actor,
        kind="task.retired",
        entity="task",
        entity_id=task.id,
        from_state="active",
        to_state="retired",
        reason=reason,
    )
    for assignment in (
        await uow.session.scalars(select(Assignment).where(col(Assignment.task_id) == task.id))
    ).all():
        if assignment.status not in (Status.CANCELLED, Status.DONE):
            asg.transition(uow, assignment, Status.CANCELLED, action="cancelled", actor=actor, reason=reason)


async def set_horizon(uow: UnitOfWork, policy: Policy, horizon: date, *, actor: str) -> int:
    """Moves the due date of every task without its own deadline. Returns assignments moved."""
    old = policy.horizon
    policy.horizon, policy.updated_at = horizon, uow.now
    events.record(
        uow,
        actor=actor,
        kind="policy.horizon_set",
        entity="policy",
        entity_id=policy.id,
        data={"from": old.isoformat() if old else None, "to": horizon.isoformat()},
    )
    rows = (
        (
            await uow.session.execute(
                select(Assignment)
                .join(Task, col(Task.id) == col(Assignment.task_id))
                .where(
                    col(Task.policy_id) == policy.id,
                    col(Task.due_on).is_(None),
                    col(Assignment.original_due_on).is_(None),
                    col(Assignment.status).not_in((Status.DONE, Status.CANCELLED)),
                )
            )
        )
        .scalars()
        .all()
    )
    for assignment in rows:
        assignment.due_on, assignment.updated_at = horizon, uow.now
    return len(rows)


# ---------------------------------------------------------------- preview (import in chat, `duban import --dry-run`)


@dataclass
class ImportPreview:
    """What confirming a decomposition would do, computed without writing anything."""

    existing_policy_id: int | None
    same_document: bool
    diff: DecompositionDiff | None = None  # a revision's changes (bot/views/imports.py words them)
    existing_code: str | None = None
    # The code the policy has, or will be given on confirm, so a preview writes its tasks as P3-2.1.
    code: str | None = None


async def find_existing(uow: UnitOfWork, decomposition: Decomposition) -> Policy | None:
    """The imported policy this decomposition is (same fingerprint) or revises (same 文号, else same title)."""
    return await _find_existing(uow, decomposition)


async def stored_decomposition(uow: UnitOfWork, policy: Policy) -> Decomposition:
    """The policy as it stands in the database (active tasks, current responsible units), for a diff."""
    from bot.importer import Measure as ParsedMeasure
    from bot.importer import PolicyInfo

    session = uow.session
    measures = list(
        (
            await session.scalars(
                select(Measure).where(col(Measure.policy_id) == policy.id).order_by(col(Measure.number))
            )
        ).all()
    )
    tasks = list(
        (
            await session.scalars(
                select(Task)
                .where(col(Task.policy_id) == policy.id, col(Task.active).is_(True))
                .order_by(col(Task.seq))
            )
        ).all()
    )
    rows = (
        await session.execute(
            select(col(Assignment.task_id), col(Assignment.role), col(Unit.name))
            .join(Unit, col(Unit.id) == col(Assignment.unit_id))
            .join(Task, col(Task.id) == col(Assignment.task_id))
            .where(col(Task.policy_id) == policy.id, col(Assignment.status) != Status.CANCELLED)
            .order_by(col(Assignment.id))
        )
    ).all()
    roles: dict[int, list[tuple[str, str]]] = {}
    for task_id, role, name in rows:
        roles.setdefault(task_id, []).append((role, name))
    parsed: dict[int, ParsedMeasure] = {
        m.id or 0: ParsedMeasure(number=m.number, label=m.label, title=m.title, text=m.text) for m in measures
    }
    for task in tasks:
        held = roles.get(task.id or 0, [])
        parsed[task.measure_id].tasks.append(
            ParsedTask(
                seq=task.seq,
                text=task.text,
                lead=[n for r, n in held if r == "lead"],
                co=[n for r, n in held if r != "lead"],
                due=task.due_on,
                rhythm=task.rhythm,
            )
        )
    info = PolicyInfo(
        title=policy.title, doc_number=policy.doc_number, issued_on=policy.issued_on, horizon=policy.horizon
    )
    return Decomposition(
        policy=info, measures=list(parsed.values()), units=[], warnings=[], fingerprint=policy.fingerprint
    )


async def preview_import(uow: UnitOfWork, decomposition: Decomposition) -> ImportPreview:
    """Decompose + diff without saving: the same lookup `import_policy` makes, then what would change."""
    from bot.importer import diff_decompositions

    existing = await _find_existing(uow, decomposition)
    if existing is None:
        return ImportPreview(
            existing_policy_id=None,
            same_document=False,
            code=await policy_codes.next_code(uow.session, "document"),
        )
    if existing.fingerprint == decomposition.fingerprint:
        return ImportPreview(
            existing_policy_id=existing.id,
            same_document=True,
            existing_code=existing.code,
            code=existing.code,
        )
    diff = diff_decompositions(await stored_decomposition(uow, existing), decomposition)
    return ImportPreview(
        existing_policy_id=existing.id,
        same_document=False,
        diff=diff,
        existing_code=existing.code,
        code=existing.code,
    )
