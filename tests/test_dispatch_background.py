"""A confirmed dispatch is answered at once and handed out in the background, a chunk per
transaction; what a stop leaves unfinished is resumed, nothing is handed out twice."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import App
from bot.jobs import Jobs
from bot.services import dispatch_runs
from bot.services.invites import add_coordinator, create_invite, redeem_invite
from bot.services.units import find_unit
from models import Assignment, DispatchRun, Event, OutboxMessage
from tests.conftest import Harness, import_seed

COORD = 1001


async def _counts(app: App) -> tuple[int, int, int]:
    async with app.sessions() as session:
        drafts = await session.scalar(select(func.count(Assignment.id)).where(Assignment.status == "draft"))
        assigned = await session.scalar(
            select(func.count(Assignment.id)).where(Assignment.status == "assigned")
        )
        dispatch_events = await session.scalar(
            select(func.count(Event.id)).where(Event.kind == "assignment.dispatch")
        )
    return drafts or 0, assigned or 0, dispatch_events or 0


async def test_confirm_answers_at_once_and_the_job_hands_everything_out(harness: Harness) -> None:
    h = harness
    await import_seed(h.app)
    async with h.app.work() as uow:
        await add_coordinator(uow, user_id=COORD, name="督办人", actor="test")
    h.srv.user(COORD, first_name="Coord")
    h.srv.command(COORD, "/dispatch all")
    await h.deliver()
    drafts, assigned, _ = await _counts(h.app)
    assert drafts > dispatch_runs.CHUNK * 2 and assigned == 0
    h.srv.press_button(COORD, h.srv.messages_to(COORD)[-1], "确认")
    # The update alone: its transaction writes the run, not the assignments.
    for raw in h.srv.take_updates():
        from aiogram.types import Update

        await h.dispatcher.feed_update(h.bot, Update.model_validate(raw, context={"bot": h.bot}))
        async with h.app.sessions() as session:
            run = (await session.scalars(select(DispatchRun))).one()
            assert run.assignment_ids and run.finished_at is None
    assert await h.dispatcher["jobs"].background_idle(seconds=60)
    await h.sender.drain(timeout=20)
    texts = [m.text for m in h.srv.messages_to(COORD)]
    assert any(f"正在交办 {drafts} 个分配" in text for text in texts)
    assert any(f"已交办：{drafts} 个分配" in text for text in texts)
    assert await _counts(h.app) == (0, drafts, drafts)
    async with h.app.sessions() as session:
        run = (await session.scalars(select(DispatchRun))).one()
        assert run.finished_at is not None and run.position == run.handed_out == drafts


async def test_a_second_press_while_it_runs_is_refused(app: App) -> None:
    await import_seed(app)
    async with app.work() as uow:
        first = await dispatch_runs.start(uow, None, actor="test", chat_id=COORD, language="zh")
    assert first is not None
    async with app.work() as uow:
        try:
            await dispatch_runs.start(uow, None, actor="test", chat_id=COORD, language="zh")
        except dispatch_runs.CoordinationError as exc:
            assert exc.key == "dispatch.running"
        else:
            raise AssertionError("a second run over the same drafts was started")


async def _bind(app: App, unit_name: str, user_id: int) -> None:
    async with app.work() as uow:
        unit = await find_unit(uow, unit_name)
        invite = await create_invite(uow, unit=unit, role="contact", ttl_hours=72, actor="test")
        await redeem_invite(
            uow,
            code=invite.code,
            chat_id=user_id,
            user_id=user_id,
            is_group=False,
            name=unit_name,
            language="zh",
        )


async def test_a_run_stopped_half_way_is_resumed_without_doubles(app: App) -> None:
    await import_seed(app)
    for user_id, unit_name in ((2001, "宜春市人民政府"), (2002, "省工信厅"), (2003, "南昌")):
        await _bind(app, unit_name, user_id)
    async with app.work() as uow:
        run = await dispatch_runs.start(uow, None, actor="test", chat_id=COORD, language="zh")
    assert run is not None and run.id is not None
    total = len(run.assignment_ids)
    async with app.work() as uow:
        step = await dispatch_runs.hand_out_chunk(uow, run.id)
    assert step.more
    # A chunk that fails mid-way is rolled back whole: the run's position did not move.
    try:
        async with app.work() as uow:
            await dispatch_runs.hand_out_chunk(uow, run.id)
            raise RuntimeError("killed")
    except RuntimeError:
        pass
    drafts, assigned, _ = await _counts(app)
    assert assigned == dispatch_runs.CHUNK and drafts == total - dispatch_runs.CHUNK
    # The next start: a fresh Jobs finds the unfinished run and finishes it.
    jobs = Jobs(app)
    assert await jobs.resume_dispatches() == 1
    assert await jobs.background_idle(seconds=60)
    assert await _counts(app) == (0, total, total)
    async with app.sessions() as session:
        keys = (
            await session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.purpose == "dispatch"))
        ).all()
        done = (await session.scalars(select(OutboxMessage.text).where(OutboxMessage.chat_id == COORD))).all()
    assert len(keys) == len(set(keys)) > 0
    assert len(done) == 1 and f"已交办：{total} 个分配" in done[0]
    assert await Jobs(app).resume_dispatches() == 0


async def test_two_instances_starting_together_resume_a_run_once(app: App) -> None:
    """Both look for unfinished runs at the same moment: one takes the run, the other leaves it."""
    import asyncio
    import dataclasses

    await import_seed(app)
    await _bind(app, "宜春市人民政府", 2001)
    async with app.work() as uow:
        run = await dispatch_runs.start(uow, None, actor="test", chat_id=COORD, language="zh")
    assert run is not None
    total = len(run.assignment_ids)
    # Another instance on the same database: same engine, its own name.
    first, second = Jobs(app), Jobs(dataclasses.replace(app, instance="the-other-instance"))
    taken = await asyncio.gather(first.resume_dispatches(), second.resume_dispatches())
    assert sorted(taken) == [0, 1]
    assert await first.background_idle(seconds=60) and await second.background_idle(seconds=60)
    assert await _counts(app) == (0, total, total)
    async with app.sessions() as session:
        done = (await session.scalars(select(OutboxMessage.text).where(OutboxMessage.chat_id == COORD))).all()
        finished = (await session.scalars(select(DispatchRun))).one()
    assert len(done) == 1 and f"已交办：{total} 个分配" in done[0]
    assert finished.claimed_by is None and finished.finished_at is not None


async def test_a_killed_instances_run_is_taken_over_after_its_lease(app: App) -> None:
    import dataclasses

    await import_seed(app)
    async with app.work() as uow:
        run = await dispatch_runs.start(uow, None, actor="test", chat_id=COORD, language="zh")
    assert run is not None and run.id is not None
    total = len(run.assignment_ids)
    # An instance claimed the run, handed out a chunk and was killed (its lease left as it was).
    async with app.work() as uow:
        assert await dispatch_runs.claim(uow, run.id, "killed-instance")
        await dispatch_runs.hand_out_chunk(uow, run.id)
    survivor = Jobs(dataclasses.replace(app, instance="survivor"))
    assert await survivor.resume_dispatches() == 0, "taken while the killed instance's lease held"
    app.clock.advance(seconds=dispatch_runs.LEASE.total_seconds() - 1)  # type: ignore[attr-defined]
    assert await survivor.resume_dispatches() == 0
    app.clock.advance(seconds=2)  # type: ignore[attr-defined]
    assert await survivor.resume_dispatches() == 1
    assert await survivor.background_idle(seconds=60)
    assert await _counts(app) == (0, total, total)
    async with app.sessions() as session:
        finished = (await session.scalars(select(DispatchRun))).one()
    assert finished.finished_at is not None and finished.position == total
    assert await survivor.resume_dispatches() == 0
