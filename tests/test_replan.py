"""`replan` reads follow-ups as plain columns and writes its changes as bulk statements: what callers must still see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from bot.app import App
from bot.domain.clock import ManualClock
from bot.jobs import Jobs
from bot.services.followups import PLANNABLE, replan
from models import Assignment, Followup
from tests.test_followups_service import _bind, shanghai


async def _acknowledge_behind_the_planner(app: App, aid: int) -> None:
    """The assignment is acknowledged by a plain UPDATE, so its follow-ups are not re-planned yet."""
    async with app.sessions() as session, session.begin():
        await session.execute(
            update(Assignment)
            .where(Assignment.id == aid)
            .values(status="acknowledged", acknowledged_at=app.clock.now())
        )


async def _followups(app: App) -> set[tuple[Any, ...]]:
    async with app.sessions() as session:
        return {
            tuple(row)
            for row in (
                await session.execute(
                    select(
                        Followup.assignment_id, Followup.kind, Followup.key, Followup.due_at, Followup.state
                    )
                )
            ).all()
        }


async def _open_ids(app: App) -> list[int]:
    async with app.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(Assignment.id).where(Assignment.status.in_(PLANNABLE)).order_by(Assignment.id)
                )
            ).all()
        )


async def test_cancellation_reaches_followups_the_caller_holds(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    await _acknowledge_behind_the_planner(app, aid)
    async with app.sessions() as session, session.begin():
        held = await session.scalar(
            select(Followup).where(Followup.assignment_id == aid, Followup.kind == "ack_reminder")
        )
        assert held is not None and held.state == "pending"
        result = await replan(app.unit_of_work(session), [aid])
        assert result.cancelled == 2 and result.assignments == 1  # the reminder and the escalation
        assert held.state == "cancelled"
        assert held not in session.dirty  # held as written: the ORM has nothing more to send
        in_db = await session.scalar(
            select(Followup.state).where(Followup.id == held.id).execution_options(populate_existing=True)
        )
        assert in_db == "cancelled"
        fid = held.id
    async with app.sessions() as session:
        assert (await session.get(Followup, fid)).state == "cancelled"


async def test_tick_skips_a_due_row_its_replan_cancels(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    async with app.sessions() as session:
        reminder_id = await session.scalar(
            select(Followup.id).where(Followup.assignment_id == aid, Followup.kind == "ack_reminder")
        )
    await _acknowledge_behind_the_planner(app, aid)
    clock.set(shanghai(2025, 9, 24, 10, 1))  # the reminder is due
    total = await Jobs(app).tick()
    assert total.skipped >= 1
    async with app.sessions() as session:
        reminder = await session.get(Followup, reminder_id)
        assert reminder.state == "cancelled" and reminder.fired_at is None
        sent = await session.scalar(
            select(func.count())
            .select_from(Followup)
            .where(Followup.assignment_id == aid, Followup.state == "sent")
        )
        assert sent == 0


async def test_due_at_change_is_written_and_visible(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    async with app.sessions() as session, session.begin():
        await session.execute(
            update(Assignment)
            .where(Assignment.id == aid)
            .values(followup_overrides={"ack_remind_after_wd": 2})
        )
    async with app.sessions() as session, session.begin():
        held = await session.scalar(
            select(Followup).where(Followup.assignment_id == aid, Followup.kind == "ack_reminder")
        )
        assert held.due_at == shanghai(2025, 9, 24, 10)
        result = await replan(app.unit_of_work(session), [aid])
        assert (result.added, result.cancelled) == (0, 0)
        assert held.due_at == shanghai(2025, 9, 25, 10) and held.state == "pending"
        assert held not in session.dirty
        fid = held.id
    async with app.sessions() as session:
        row = await session.get(Followup, fid)
        assert row.due_at == shanghai(2025, 9, 25, 10) and row.state == "pending"


async def test_followup_added_earlier_in_the_session_is_not_duplicated(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    async with app.sessions() as session, session.begin():
        await session.execute(
            delete(Followup).where(Followup.assignment_id == aid, Followup.kind == "ack_reminder")
        )
        session.add(
            Followup(
                assignment_id=aid,
                kind="ack_reminder",
                key=f"{aid}:ack_reminder",
                due_at=shanghai(2025, 9, 24, 10),
                created_at=clock.now(),
            )
        )
        result = await replan(app.unit_of_work(session), [aid])
        assert (result.added, result.cancelled) == (0, 0)
    async with app.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Followup).where(Followup.key == f"{aid}:ack_reminder")
        )
        assert count == 1


async def test_unflushed_orm_change_is_seen_and_set_right(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    async with app.sessions() as session, session.begin():
        held = await session.scalar(
            select(Followup).where(Followup.assignment_id == aid, Followup.kind == "ack_reminder")
        )
        held.due_at = held.due_at + timedelta(hours=3)  # not flushed yet
        await replan(app.unit_of_work(session), [aid])
        assert held.due_at == shanghai(2025, 9, 24, 10) and held not in session.dirty
        fid = held.id
    async with app.sessions() as session:
        assert (await session.get(Followup, fid)).due_at == shanghai(2025, 9, 24, 10)
