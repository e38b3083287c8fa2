"""Follow-ups (催办) in the database: planned from the rules, fired by the scheduler's tick.

The `followup` table is the only schedule. Planning is idempotent (keys are deterministic),
firing happens in the same transaction as the outbox rows it creates, and every row is
re-checked against a fresh plan before it fires, so a report, acknowledgement, extension
or closing that came in meanwhile silences it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, inspect, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import col

from bot.db import insert_new
from bot.domain.followup_rules import AssignmentFacts, FollowupSettings, PlannedFollowup, plan_followups
from bot.domain.statuses import Status
from bot.services import events, outbox
from bot.services.access import coordinators, preload_unit_contacts, unit_contacts
from bot.services.assignments import AssignmentView, load_view, load_views
from bot.services.uow import UnitOfWork
from bot.views import followups as texts
from models import Assignment, Contact, Followup, Policy, Task

PLANNABLE = (
    Status.ASSIGNED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.BLOCKED,
    Status.RETURNED,
    Status.EXTENDED,
)
HORIZON_DAYS = 21  # covers the longest holiday break with room to spare


def settings_for(
    base: FollowupSettings, policy: Policy | None, task: Task | None, assignment: Assignment | None
) -> FollowupSettings:
    merged = base
    for source in (policy, task, assignment):
        # An attribute, not getattr with a default: a plain view that lacks the column must fail,
        # not silently drop the office's overrides.
        overrides = source.followup_overrides if source is not None else None
        if overrides:
            merged = merged.merged(overrides)
    return merged


def facts_of(assignment: Assignment, task: Task) -> AssignmentFacts:
    return AssignmentFacts(
        assignment_id=assignment.id or 0,
        status=assignment.status,
        assigned_at=assignment.assigned_at,
        acknowledged_at=assignment.acknowledged_at,
        due_on=assignment.due_on,
        last_report_at=assignment.last_report_at,
        rhythm=task.rhythm,
    )


@dataclass
class PlanResult:
    added: int = 0
    cancelled: int = 0
    assignments: int = 0


async def replan(uow: UnitOfWork, assignment_ids: Iterable[int] | None) -> PlanResult:
    """Brings the pending follow-ups of these assignments (all open ones if None) in line with the rules."""
    query = (
        select(Assignment, Task, Policy)
        .join(Task, col(Task.id) == col(Assignment.task_id))
        .join(Policy, col(Policy.id) == col(Task.policy_id))
    )
    conditions: list[ColumnElement[bool]]
    by_id: dict[int, tuple[Assignment, Task, Policy]] = {}
    if assignment_ids is None:
        conditions = [col(Assignment.status).in_(PLANNABLE)]
    else:
        wanted = set(assignment_ids)
        # What the unit of work holds is current (the session's identity map): not read again.
        for aid in wanted:
            view = uow.views.get(aid)
            if view is not None and _loaded(view.assignment, view.task, view.policy):
                by_id[aid] = (view.assignment, view.task, view.policy)
        # In chunks: an import re-plans every assignment it touched, more than one statement may bind.
        conditions = [col(Assignment.id).in_(chunk) for chunk in _chunks(sorted(wanted - set(by_id)), 500)]
    for condition in conditions:
        for a, task, policy in (await uow.session.execute(query.where(condition))).all():
            by_id[a.id or 0] = (a, task, policy)
    result = PlanResult()
    # assignment id -> key -> (follow-up id, due_at) of its pending follow-ups (typed as the model's)
    pending: dict[int, dict[str, tuple[int | None, datetime | None]]] = {}
    existing_keys: set[str] = set()
    # Cancelled (never sent) rows, which a plan wanting the same occurrence again brings back.
    dropped: dict[int, dict[str, int | None]] = {}
    if by_id:
        for chunk in _chunks(sorted(by_id), 500):
            # One query by assignment: filtering on state in SQL lets SQLite pick the (state,
            # due_at) index and walk every pending row of the province.
            # Plain columns, not entities; the session autoflushes first (the statement is
            # ORM-enabled), so follow-ups added or changed earlier in this session are seen.
            for fid, aid, key, state, due_at in (
                await uow.session.execute(
                    select(
                        col(Followup.id),
                        col(Followup.assignment_id),
                        col(Followup.key),
                        col(Followup.state),
                        col(Followup.due_at),
                    ).where(col(Followup.assignment_id).in_(chunk))
                )
            ).all():
                existing_keys.add(key)
                if state == "pending":
                    pending.setdefault(aid, {})[key] = (fid, due_at)
                elif state == "cancelled":
                    dropped.setdefault(aid, {})[key] = fid
    added: list[dict[str, Any]] = []
    cancelled: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    revived: list[dict[str, Any]] = []
    for aid in sorted(by_id):
        assignment, task, policy = by_id[aid]
        result.assignments += 1
        planned: list[PlannedFollowup] = []
        if assignment.status in PLANNABLE and task.active:
            planned = plan_followups(
                facts_of(assignment, task),
                settings_for(uow.followup_settings, policy, task, assignment),
                uow.calendar,
                uow.now,
                horizon_days=HORIZON_DAYS,
            )
        planned_keys = {p.key for p in planned}
        current = pending.get(aid, {})
        for key, (fid, _due_at) in current.items():
            if key not in planned_keys:
                cancelled.append({"id": fid, "state": "cancelled"})
                result.cancelled += 1
        for p in planned:
            if p.key not in existing_keys:
                added.append(
                    {
                        "assignment_id": aid,
                        "kind": p.kind,
                        "key": p.key,
                        "due_at": p.due_at,
                        "state": "pending",
                        "payload": p.payload,
                        "created_at": uow.now,
                    }
                )
                existing_keys.add(p.key)
                result.added += 1
            elif p.key in current and current[p.key][1] != p.due_at:
                moved.append({"id": current[p.key][0], "due_at": p.due_at})
            elif p.key not in current and p.key in dropped.get(aid, {}):
                # E.g. a period's request cancelled by a completion claim, wanted again once the
                # claim is returned: it was never sent, so it goes out after all.
                revived.append({"id": dropped[aid].pop(p.key), "state": "pending", "due_at": p.due_at})
                result.added += 1
    # A full re-plan touches every open assignment of a province: rows go in as one
    # executemany per statement rather than one ORM object each.
    if added:
        # Another instance re-planning the same assignment at the same moment adds the same keys:
        # its rows stand, and this transaction goes on instead of failing on the unique key.
        await uow.session.execute(insert_new(uow.session, Followup), added)
    for column, changes in (("state", cancelled), ("due_at", moved)):
        if changes:
            await uow.session.execute(update(Followup), changes)
            _sync_loaded(uow, column, changes)
    if revived:
        await uow.session.execute(update(Followup), revived)
        _sync_loaded(uow, "state", revived)
        _sync_loaded(uow, "due_at", revived)
    return result


def _loaded(*rows: object) -> bool:
    """Rows with nothing expired (a rolled-back savepoint expires what it changed)."""
    return all(not inspect(row).expired_attributes for row in rows)


def _sync_loaded(uow: UnitOfWork, column: str, changes: list[dict[str, Any]]) -> None:
    """Follow-ups the session holds (a tick's due rows) take the values just written, as written."""
    identity_map = uow.session.sync_session.identity_map
    if not identity_map:
        return
    for change in changes:
        obj = identity_map.get(identity_key(Followup, change["id"]))
        if obj is not None:
            set_committed_value(obj, column, change[column])


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class TickResult:
    fired: int = 0
    skipped: int = 0
    messages: int = 0


# Small enough that one tick's transaction stays within tens of milliseconds at province scale;
# the job runs ticks back to back while a full batch keeps coming.
TICK_BATCH = 25


# How long a claimed follow-up is its instance's to fire: far longer than a tick's transaction,
# short enough that what a killed instance had claimed still goes out within minutes.
FOLLOWUP_LEASE = timedelta(minutes=2)


async def tick(uow: UnitOfWork, *, batch: int = TICK_BATCH, instance: str = "local") -> TickResult:
    """Claims and fires the follow-ups that are due, in one transaction. Reminders go out only in
    working time. The scheduler claims and fires in two (bot/jobs.py `Jobs.tick`)."""
    return await fire_claimed(uow, instance, await claim_due(uow, instance, batch=batch))


async def claim_due(
    uow: UnitOfWork, instance: str, *, batch: int = TICK_BATCH, lease: timedelta = FOLLOWUP_LEASE
) -> list[int]:
    """Claims up to `batch` due follow-ups for this instance until the lease ends.

    FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite has one writer and ignores it): rows another instance
    is claiming at this moment are passed over, not waited for, so instances share the due rows
    instead of queueing for the same ones. A row still leased to another instance is left to it; its
    lease running out (the instance was killed between claiming and firing) frees it again."""
    if not uow.calendar.is_working_time(uow.now):
        return []
    free = or_(
        col(Followup.lease_until).is_(None),
        col(Followup.lease_until) <= uow.now,
        col(Followup.claimed_by) == instance,
    )
    ids = list(
        (
            await uow.session.scalars(
                select(col(Followup.id))
                .where(col(Followup.state) == "pending", col(Followup.due_at) <= uow.now, free)
                .order_by(col(Followup.due_at), col(Followup.id))
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )
    if not ids:
        return []
    # The condition again, in the write: SQLite reads the rows before its transaction takes the
    # write lock, so another process may have claimed some in between; only what is still free is
    # claimed, and what this returns is this instance's.
    claimed = await uow.session.scalars(
        update(Followup)
        .where(col(Followup.id).in_(ids), col(Followup.state) == "pending", free)
        .values(claimed_by=instance, lease_until=uow.now + lease)
        .returning(col(Followup.id))
        .execution_options(synchronize_session=False)
    )
    return [fid for fid in claimed if fid is not None]


async def fire_claimed(uow: UnitOfWork, instance: str, ids: list[int]) -> TickResult:
    """Fires the follow-ups this instance claimed and still holds.

    The rows are locked (waiting, this time) and read again: one whose lease ran out and that
    another instance claimed, or fired, meanwhile is not this instance's any more."""
    result = TickResult()
    if not ids:
        return result
    # Their assignments first, locked in id order (as a reply's handling locks its assignment before
    # it re-plans): two instances firing two follow-ups of one assignment, or a tick and a report,
    # take turns with its counters and its plan instead of overwriting each other or deadlocking.
    assignment_ids = sorted(
        set(
            (
                await uow.session.scalars(
                    select(col(Followup.assignment_id)).where(col(Followup.id).in_(ids))
                )
            ).all()
        )
    )
    await uow.session.execute(
        select(col(Assignment.id))
        .where(col(Assignment.id).in_(assignment_ids))
        .order_by(col(Assignment.id))
        .with_for_update()
    )
    due = list(
        (
            await uow.session.scalars(
                select(Followup)
                .where(
                    col(Followup.id).in_(ids),
                    col(Followup.state) == "pending",
                    col(Followup.claimed_by) == instance,
                )
                .order_by(col(Followup.due_at), col(Followup.id))
                .with_for_update()
            )
        ).all()
    )
    if not due:
        return result
    # A fresh plan decides whether each due row still stands (a report may have come in).
    await replan(uow, {f.assignment_id for f in due})
    escalations: dict[int, tuple[Contact, list[_Escalation]]] = {}
    live = [f for f in due if f.state == "pending"]
    result.skipped = len(due) - len(live)
    # The whole batch's rows in three queries, then no autoflush while messages are queued.
    await load_views(uow, {f.assignment_id for f in live})
    views = {f.assignment_id: await load_view(uow, f.assignment_id) for f in live}
    await preload_unit_contacts(uow, {v.unit.id for v in views.values() if v is not None and v.unit.id})
    await coordinators(uow)
    with uow.session.no_autoflush:
        for followup in live:
            view = views[followup.assignment_id]
            if view is None:
                followup.state = "cancelled"
                continue
            result.messages += await _fire(uow, followup, view, escalations)
            followup.state, followup.fired_at, followup.lease_until = "sent", uow.now, None
            result.fired += 1
    # A leader or coordinator gets one message per tick listing every escalation, not one each.
    for contact, entries in escalations.values():
        lang = contact.language
        outbox.enqueue(
            uow.session,
            chat_id=contact.chat_id,
            now=uow.now,
            purpose="escalation",
            text=texts.escalation_digest(
                lang, [texts.escalation(lang, e.key, e.views, e.payload) for e in entries]
            ),
        )
        result.messages += 1
    return result


@dataclass
class _Escalation:
    """One item of a reader's escalation digest: a follow-up's escalation (`key` its kind), or the
    units of one task that no message can reach (`key` "undelivered"), told as one item."""

    key: str
    views: list[AssignmentView]
    payload: dict[str, Any]


async def _fire(
    uow: UnitOfWork,
    followup: Followup,
    view: AssignmentView,
    escalations: dict[int, tuple[Contact, list[_Escalation]]],
) -> int:
    a = view.assignment
    kind = followup.kind
    payload = followup.payload or {}
    escalation = kind in ("ack_escalation", "overdue_escalation")
    if escalation:
        a.escalations_count += 1
    else:
        a.reminders_count += 1
    events.record(
        uow,
        actor="system:scheduler",
        kind=f"followup.{kind}",
        entity="assignment",
        entity_id=a.id,
        data={"followup_id": followup.id, "key": followup.key, **payload},
    )
    messages = 0
    if escalation:
        recipients = [*await unit_contacts(uow, view.unit.id or 0, role="leader"), *await coordinators(uow)]
        # Never received is not the same as received and ignored: say which (issue 14 item 5).
        key = kind
        if (
            kind == "ack_escalation"
            and a.acknowledged_at is None
            and not any(c.paused_at is None for c in await unit_contacts(uow, view.unit.id or 0))
        ):
            key = "undelivered"
        for contact in recipients:
            entries = escalations.setdefault(contact.id or 0, (contact, []))[1]
            # The units of one task that no message reaches are one item.
            group = (
                next((e for e in entries if e.key == key and e.views[0].task.id == view.task.id), None)
                if key == "undelivered"
                else None
            )
            if group is None:
                entries.append(_Escalation(key, [view], payload))
            else:
                group.views.append(view)
        return 0
    for contact in await unit_contacts(uow, view.unit.id or 0):
        text, markup = texts.reminder(contact.language, kind, view, payload)
        outbox.enqueue(
            uow.session,
            chat_id=contact.chat_id,
            now=uow.now,
            purpose="followup",
            followup_id=followup.id,
            assignment_id=a.id,
            dedupe_key=f"fu:{followup.id}:{contact.id}",
            reply_markup=markup,
            text=text,
        )
        messages += 1
    return messages


@dataclass
class FollowupLine:
    id: int | None
    assignment_id: int
    unit: str
    kind: str
    due_at: datetime | None
    state: str


async def listing(uow: UnitOfWork, *, due_only: bool, limit: int = 50) -> tuple[list[FollowupLine], int]:
    from models import Unit

    base_query = select(col(Followup.id)).where(col(Followup.state) == "pending")
    if due_only:
        base_query = base_query.where(col(Followup.due_at) <= uow.now)
    from sqlalchemy import func

    total = await uow.session.scalar(select(func.count()).select_from(base_query.subquery()))
    query = (
        select(
            col(Followup.id),
            col(Followup.assignment_id),
            col(Unit.name),
            col(Followup.kind),
            col(Followup.due_at),
            col(Followup.state),
        )
        .join(Assignment, col(Assignment.id) == col(Followup.assignment_id))
        .join(Unit, col(Unit.id) == col(Assignment.unit_id))
        .where(col(Followup.state) == "pending")
        .order_by(col(Followup.due_at), col(Followup.id))
        .limit(limit)
    )
    if due_only:
        query = query.where(col(Followup.due_at) <= uow.now)
    return [FollowupLine(*row) for row in (await uow.session.execute(query)).all()], int(total or 0)
