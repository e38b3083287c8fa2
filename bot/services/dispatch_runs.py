"""A confirmed dispatch handed out in the background, a chunk of assignments per transaction.

A province's dispatch is a thousand assignments and their task messages: as one update's
transaction it held the bot (one update at a time, one writer) for seconds. The confirm now only
writes a `DispatchRun` row, the list it confirmed; a background job (`Jobs.dispatch_run`) hands
it out a chunk at a time, each chunk committed with how far the run got, giving way to updates in
between. The row says what is left, so a restart resumes it, and handing out is idempotent (an
assignment no longer a draft is skipped, task messages carry dedupe keys).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

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
