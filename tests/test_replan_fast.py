"""`replan` reads follow-ups as plain columns and writes its changes in bulk: what callers must still see."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, event, func, select, update

from bot.app import App
from bot.clock import ManualClock
from bot.jobs import Jobs
from bot.services import bulk
from bot.services.followups import PLANNABLE, replan
from models import Assignment, Followup, Policy, Task
from tests.test_followups_service import _bind, shanghai

ASSIGNMENT_FIELDS = ("id", "status", "assigned_at", "acknowledged_at", "due_on", "last_report_at",
                     "followup_overrides", "task_id", "unit_id")


async def _acknowledge_behind_the_planner(app: App, aid: int) -> None:
    """The assignment is acknowledged by a plain UPDATE, so its follow-ups are not re-planned yet."""
    async with app.sessions() as session, session.begin():
        await session.execute(update(Assignment).where(Assignment.id == aid)
                              .values(status="acknowledged", acknowledged_at=app.clock.now()))


async def _followups(app: App) -> set[tuple[Any, ...]]:
    async with app.sessions() as session:
        return {tuple(row) for row in (await session.execute(
            select(Followup.assignment_id, Followup.kind, Followup.key, Followup.due_at, Followup.state))).all()}


async def _open_ids(app: App) -> list[int]:
    async with app.sessions() as session:
        return list((await session.scalars(select(Assignment.id).where(Assignment.status.in_(PLANNABLE))
                                           .order_by(Assignment.id))).all())


async def _plain(app: App, ids: list[int]) -> dict[int, tuple[Any, Any, Any]]:
    """(assignment, task, policy) as attribute bags, detached from any session."""
    async with app.sessions() as session:
        rows = (await session.execute(
            select(Assignment, Task, Policy).join(Task, Task.id == Assignment.task_id)
            .join(Policy, Policy.id == Task.policy_id).where(Assignment.id.in_(ids)))).all()
        return {a.id: (SimpleNamespace(**{name: getattr(a, name) for name in ASSIGNMENT_FIELDS}),
                       SimpleNamespace(id=t.id, rhythm=t.rhythm, active=t.active,
                                       followup_overrides=t.followup_overrides),
                       SimpleNamespace(id=p.id, followup_overrides=p.followup_overrides))
                for a, t, p in rows}


async def test_cancellation_reaches_followups_the_caller_holds(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    await _acknowledge_behind_the_planner(app, aid)
    async with app.sessions() as session, session.begin():
        held = await session.scalar(select(Followup).where(Followup.assignment_id == aid,
                                                           Followup.kind == "ack_reminder"))
        assert held is not None and held.state == "pending"
        result = await replan(session, [aid], now=clock.now(), calendar=app.calendar, base=app.followup_settings)
        assert result.cancelled == 2 and result.assignments == 1  # the reminder and the escalation
        assert held.state == "cancelled"
        assert held not in session.dirty  # held as written: the ORM has nothing more to send
        in_db = await session.scalar(select(Followup.state).where(Followup.id == held.id)
                                     .execution_options(populate_existing=True))
        assert in_db == "cancelled"
        fid = held.id
    async with app.sessions() as session:
        assert (await session.get(Followup, fid)).state == "cancelled"


async def test_tick_skips_a_due_row_its_replan_cancels(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    async with app.sessions() as session:
        reminder_id = await session.scalar(select(Followup.id).where(Followup.assignment_id == aid,
                                                                     Followup.kind == "ack_reminder"))
    await _acknowledge_behind_the_planner(app, aid)
    clock.set(shanghai(2025, 9, 24, 10, 1))  # the reminder is due
    total = await Jobs(app).tick()
    assert total.skipped >= 1
    async with app.sessions() as session:
        reminder = await session.get(Followup, reminder_id)
        assert reminder.state == "cancelled" and reminder.fired_at is None
        sent = await session.scalar(select(func.count()).select_from(Followup)
                                    .where(Followup.assignment_id == aid, Followup.state == "sent"))
        assert sent == 0


async def test_due_at_change_is_written_and_visible(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    async with app.sessions() as session, session.begin():
        await session.execute(update(Assignment).where(Assignment.id == aid)
                              .values(followup_overrides={"ack_remind_after_wd": 2}))
    async with app.sessions() as session, session.begin():
        held = await session.scalar(select(Followup).where(Followup.assignment_id == aid,
                                                           Followup.kind == "ack_reminder"))
        assert held.due_at == shanghai(2025, 9, 24, 10)
        result = await replan(session, [aid], now=clock.now(), calendar=app.calendar, base=app.followup_settings)
        assert (result.added, result.cancelled) == (0, 0)
        assert held.due_at == shanghai(2025, 9, 25, 10) and held.state == "pending"
        assert held not in session.dirty
        fid = held.id
    async with app.sessions() as session:
        row = await session.get(Followup, fid)
        assert row.due_at == shanghai(2025, 9, 25, 10) and row.state == "pending"


async def _diverge(app: App, ids: list[int]) -> None:
    """The same changes on either database: one acknowledged, one with its own reminder delay."""
    await _acknowledge_behind_the_planner(app, ids[0])
    async with app.sessions() as session, session.begin():
        await session.execute(update(Assignment).where(Assignment.id == ids[1])
                              .values(followup_overrides={"ack_remind_after_wd": 2}))


async def test_loaded_gives_the_same_rows_as_a_query(app: App, other_app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    await _bind(app)
    await _bind(other_app)
    ids = await _open_ids(app)
    assert ids == await _open_ids(other_app) and len(ids) >= 4
    assert await _followups(app) == await _followups(other_app)
    await _diverge(app, ids)
    await _diverge(other_app, ids)
    clock.set(shanghai(2025, 9, 30, 10))  # a week on: new progress requests, the old ones kept
    async with app.sessions() as session, session.begin():
        queried = await replan(session, ids, now=clock.now(), calendar=app.calendar, base=app.followup_settings)
    plain = await _plain(other_app, ids)
    # Half given, half left to the query.
    async with other_app.sessions() as session, session.begin():
        given = await replan(session, ids, now=clock.now(), calendar=other_app.calendar,
                             base=other_app.followup_settings, loaded={a: plain[a] for a in ids[::2]})
    assert queried == given and queried.cancelled >= 2 and queried.added >= 1
    assert await _followups(app) == await _followups(other_app)
    # All given, from objects read before a second week passed.
    clock.set(shanghai(2025, 10, 13, 10))
    async with app.sessions() as session, session.begin():
        queried = await replan(session, ids, now=clock.now(), calendar=app.calendar, base=app.followup_settings)
    plain = await _plain(other_app, ids)
    async with other_app.sessions() as session, session.begin():
        given = await replan(session, ids, now=clock.now(), calendar=other_app.calendar,
                             base=other_app.followup_settings, loaded=plain)
    assert queried == given and queried.added >= 1
    assert await _followups(app) == await _followups(other_app)


async def test_fully_loaded_skips_the_assignment_query_and_uses_the_given_values(
        app: App, other_app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    await _bind(app)
    await _bind(other_app)
    ids = await _open_ids(app)
    await _acknowledge_behind_the_planner(app, ids[0])
    # other_app's database still says "assigned": only the objects handed in know of the acknowledgement.
    plain = await _plain(other_app, ids)
    plain[ids[0]][0].status, plain[ids[0]][0].acknowledged_at = "acknowledged", clock.now()
    statements: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async with app.sessions() as session, session.begin():
        queried = await replan(session, ids, now=clock.now(), calendar=app.calendar, base=app.followup_settings)
    event.listen(other_app.engine.sync_engine, "before_cursor_execute", spy)
    try:
        async with other_app.sessions() as session, session.begin():
            given = await replan(session, ids, now=clock.now(), calendar=other_app.calendar,
                                 base=other_app.followup_settings, loaded=plain)
    finally:
        event.remove(other_app.engine.sync_engine, "before_cursor_execute", spy)
    assert queried == given and given.cancelled == 2
    assert not [s for s in statements if "FROM assignment" in s], statements
    assert await _followups(app) == await _followups(other_app)


async def test_followup_added_earlier_in_the_session_is_not_duplicated(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    # With `loaded` the follow-up query is the first statement replan sends, so it must flush.
    for collecting, given in ((False, False), (True, False), (False, True), (True, True)):
        loaded = await _plain(app, [aid]) if given else None
        async with app.sessions() as session, session.begin():
            await session.execute(delete(Followup).where(Followup.assignment_id == aid,
                                                         Followup.kind == "ack_reminder"))
            session.add(Followup(assignment_id=aid, kind="ack_reminder", key=f"{aid}:ack_reminder",
                                 due_at=shanghai(2025, 9, 24, 10), created_at=clock.now()))
            if collecting:
                async with bulk.collecting(session):
                    result = await replan(session, [aid], now=clock.now(), calendar=app.calendar,
                                          base=app.followup_settings, loaded=loaded)
            else:
                result = await replan(session, [aid], now=clock.now(), calendar=app.calendar,
                                      base=app.followup_settings, loaded=loaded)
            assert (result.added, result.cancelled) == (0, 0), (collecting, given)
        async with app.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Followup)
                                         .where(Followup.key == f"{aid}:ack_reminder"))
            assert count == 1


async def test_unflushed_orm_change_is_seen_and_set_right(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    for given in (False, True):
        loaded = await _plain(app, [aid]) if given else None
        async with app.sessions() as session, session.begin():
            held = await session.scalar(select(Followup).where(Followup.assignment_id == aid,
                                                               Followup.kind == "ack_reminder"))
            held.due_at = held.due_at + timedelta(hours=3)  # not flushed yet
            await replan(session, [aid], now=clock.now(), calendar=app.calendar, base=app.followup_settings,
                         loaded=loaded)
            assert held.due_at == shanghai(2025, 9, 24, 10) and held not in session.dirty
            fid = held.id
        async with app.sessions() as session:
            assert (await session.get(Followup, fid)).due_at == shanghai(2025, 9, 24, 10)
