"""A confirmed dispatch handed out in the background, a chunk of assignments per transaction.

A province's dispatch is a thousand assignments and their task messages: as one update's
transaction it held the bot (one update at a time, one writer) for seconds. The confirm now only
writes a `DispatchRun` row, the list it confirmed; a background job (`Jobs.dispatch_run`) hands
it out a chunk at a time, each chunk committed with how far the run got, giving way to updates in
between. The row says what is left, so a restart resumes it, and handing out is idempotent (an
assignment no longer a draft is skipped, task messages carry dedupe keys).

Instances sharing the database hand a run out one at a time: the one that claims it holds a lease
(`claimed_by`, `lease_until`), renewed in each turn's transaction; a run whose instance was
killed goes to the next instance that looks for runs once the lease has run out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlmodel import col

from bot.db import rowcount
from bot.domain.statuses import Status
from bot.services import assignments as asg
from bot.services import events, outbox
from bot.services.access import preload_unit_contacts
from bot.services.coordination import CoordinationError
from bot.services.dispatch import hand_out, plan_dispatch, plan_fingerprint
from bot.services.uow import UnitOfWork
from bot.views.tasks import render_dispatch_done
from models import Contact, DispatchRun

# Assignments per step; the job takes as many steps per transaction as fit in a short turn.
CHUNK = 5
# How long a claimed run stays its instance's without a renewal (a turn renews it).
LEASE = timedelta(seconds=20)


async def start(
    uow: UnitOfWork,
    measure_number: int | None,
    *,
    actor: str,
    chat_id: int,
    language: str,
    expect: str | None = None,
    policy_id: int | None = None,
) -> DispatchRun | None:
    """The confirmed plan as a run to hand out; None when nothing is left to dispatch."""
    plan = await plan_dispatch(uow, measure_number, policy_id)
    if expect is not None and plan_fingerprint(plan) != expect:
        raise CoordinationError("button.stale")
    if not plan.assignment_ids:
        return None
    wanted = set(plan.assignment_ids)
    for running in await unfinished(uow):
        if wanted & set(running.assignment_ids[running.position :]):
            raise CoordinationError("dispatch.running")  # a second press while the first hands out
    run = DispatchRun(
        actor=actor,
        chat_id=chat_id,
        language=language,
        assignment_ids=plan.assignment_ids,
        unbound=plan.unbound,
        created_at=uow.now,
    )
    uow.session.add(run)
    await uow.session.flush()
    events.record(
        uow,
        actor=actor,
        kind="dispatch.confirmed",
        entity="dispatchrun",
        entity_id=run.id,
        data={"assignments": len(plan.assignment_ids), "measure": measure_number, "policy": policy_id},
    )
    return run


async def unfinished(uow: UnitOfWork) -> list[DispatchRun]:
    return list(
        (
            await uow.session.scalars(
                select(DispatchRun)
                .where(col(DispatchRun.finished_at).is_(None))
                .order_by(col(DispatchRun.id))
            )
        ).all()
    )


async def claim(uow: UnitOfWork, run_id: int, owner: str) -> bool:
    """Takes (or renews) the run for `owner` until now + LEASE, unless another instance holds a
    lease that has not run out or the run is finished. One statement, so two instances claiming
    at once cannot both win: on PostgreSQL the second waits for the first's row lock and then finds
    the lease taken; on SQLite writers take turns."""
    result = await uow.session.execute(
        update(DispatchRun)
        .where(
            col(DispatchRun.id) == run_id,
            col(DispatchRun.finished_at).is_(None),
            or_(
                col(DispatchRun.claimed_by).is_(None),
                col(DispatchRun.claimed_by) == owner,
                col(DispatchRun.lease_until) <= uow.now,
            ),
        )
        .values(claimed_by=owner, lease_until=uow.now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def release(uow: UnitOfWork, run_id: int, owner: str) -> None:
    """Gives the run back at a clean stop, so the next start resumes it at once."""
    await uow.session.execute(
        update(DispatchRun)
        .where(col(DispatchRun.id) == run_id, col(DispatchRun.claimed_by) == owner)
        .values(claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


async def claimable(uow: UnitOfWork) -> list[int]:
    """Unfinished runs no live instance holds."""
    return [
        run_id
        for run_id in (
            await uow.session.scalars(
                select(col(DispatchRun.id))
                .where(
                    col(DispatchRun.finished_at).is_(None),
                    or_(col(DispatchRun.claimed_by).is_(None), col(DispatchRun.lease_until) <= uow.now),
                )
                .order_by(col(DispatchRun.id))
            )
        ).all()
        if run_id is not None
    ]


@dataclass
class Step:
    run: DispatchRun | None
    more: bool


async def hand_out_chunk(uow: UnitOfWork, run_id: int, size: int = CHUNK) -> Step:
    """Hands out the run's next `size` assignments. With the last chunk the run is finished and
    the coordinator told, in the same transaction."""
    run = await uow.session.get(DispatchRun, run_id)
    if run is None or run.finished_at is not None:
        return Step(run=run, more=False)
    ids = [int(aid) for aid in run.assignment_ids[run.position : run.position + size]]
    await asg.load_views(uow, set(ids))
    # The units' contacts in one read: a read per assignment would flush the chunk's rows so far
    # each time (autoflush), which cost most of a chunk's time.
    await preload_unit_contacts(
        uow, {view.assignment.unit_id for aid in ids if (view := uow.views.get(aid)) is not None}
    )
    contacts: dict[int, list[Contact]] = {}
    for aid in ids:
        view = await asg.load_view(uow, aid)
        if view is None or view.assignment.status != Status.DRAFT:
            continue  # handed out meanwhile (an earlier attempt of this chunk, or another way)
        run.messages += await hand_out(uow, aid, actor=run.actor, contacts_by_unit=contacts)
        run.handed_out += 1
    run.position += len(ids)
    more = run.position < len(run.assignment_ids)
    if not more:
        run.finished_at = uow.now
        run.claimed_by, run.lease_until = None, None
        events.record(
            uow,
            actor=run.actor,
            kind="dispatch.finished",
            entity="dispatchrun",
            entity_id=run.id,
            data={"assignments": run.handed_out, "messages": run.messages},
        )
        outbox.enqueue(
            uow.session,
            chat_id=run.chat_id,
            now=uow.now,
            purpose="reply",
            text=render_dispatch_done(run.handed_out, run.messages, run.unbound, run.language),
        )
    uow.session.add(run)
    return Step(run=run, more=more)
