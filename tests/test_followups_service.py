"""Follow-ups through the database and the tick, on China's calendar, with a hand-moved clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from bot.app import App
from bot.domain.clock import ManualClock
from bot.jobs import Jobs
from bot.services import acknowledge, dispatch, reports
from bot.services.access import resolve_actor
from bot.services.units import find_unit
from models import Assignment, Contact, Followup, OutboxMessage, Task
from tests.conftest import import_seed

YICHUN_CONTACT = 501
YICHUN_LEADER = 502
COORDINATOR = 503


def shanghai(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return (
        datetime(y, m, d, hh - 8, mm, tzinfo=UTC)
        if hh >= 8
        else datetime(y, m, d - 1, hh + 16, mm, tzinfo=UTC)
    )


async def _bind(app: App) -> int:
    """宜春 gets a contact and a leader; measure 二 is dispatched. Returns 宜春's own assignment (2.2)."""
    await import_seed(app)
    now = app.clock.now()
    async with app.work() as uow:
        session = uow.session
        unit = await find_unit(uow, "宜春市人民政府")
        session.add_all(
            [
                Contact(
                    unit_id=unit.id,
                    role="contact",
                    chat_id=YICHUN_CONTACT,
                    telegram_user_id=YICHUN_CONTACT,
                    created_at=now,
                ),
                Contact(
                    unit_id=unit.id,
                    role="leader",
                    chat_id=YICHUN_LEADER,
                    telegram_user_id=YICHUN_LEADER,
                    created_at=now,
                ),
                Contact(
                    role="coordinator", chat_id=COORDINATOR, telegram_user_id=COORDINATOR, created_at=now
                ),
            ]
        )
        await session.flush()
        await dispatch.dispatch(uow, 2, actor="test")
        aid = await session.scalar(
            select(Assignment.id)
            .join(Task, Task.id == Assignment.task_id)
            .where(Assignment.unit_id == unit.id, Task.text.like("宜春做大做强%"))
        )
    return aid


async def _outbox_to(app: App, chat_id: int) -> list[OutboxMessage]:
    async with app.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
                )
            ).all()
        )


async def test_ack_reminder_waits_out_national_day_and_escalates(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 30, 10))  # the last working day before the 2025 National Day break
    aid = await _bind(app)
    jobs = Jobs(app)
    async with app.sessions() as session:
        rows = {
            f.kind: f
            for f in (await session.scalars(select(Followup).where(Followup.assignment_id == aid))).all()
        }
    # Oct 1-8 are off, so one working day after 09-30 10:00 is 10-09 10:00 (Shanghai).
    assert rows["ack_reminder"].due_at == shanghai(2025, 10, 9, 10)
    assert rows["ack_escalation"].due_at == shanghai(2025, 10, 10, 10)
    before = len(await _outbox_to(app, YICHUN_CONTACT))
    clock.set(shanghai(2025, 10, 3, 10))
    assert (await jobs.tick()).fired == 0
    clock.set(shanghai(2025, 10, 9, 10, 1))
    assert (await jobs.tick()).fired >= 1
    reminders = [m for m in (await _outbox_to(app, YICHUN_CONTACT))[before:] if m.assignment_id == aid]
    assert len(reminders) == 1 and "签收提醒" in reminders[0].text
    assert (await jobs.tick()).fired == 0  # nothing twice
    # 10-10 10:00: still not acknowledged -> the unit's leader and the coordinator hear of it.
    clock.set(shanghai(2025, 10, 10, 10, 5))
    await jobs.tick()
    assert any("仍未签收" in m.text and f"#{aid}" in m.text for m in await _outbox_to(app, YICHUN_LEADER))
    assert any("仍未签收" in m.text and f"#{aid}" in m.text for m in await _outbox_to(app, COORDINATOR))
    async with app.sessions() as session:
        assignment = await session.get(Assignment, aid)
        assert assignment.reminders_count == 1 and assignment.escalations_count == 1


async def test_quiet_hours_hold_followups_until_the_next_working_morning(
    app: App, clock: ManualClock
) -> None:
    clock.set(shanghai(2025, 10, 9, 17, 30))
    aid = await _bind(app)
    jobs = Jobs(app)
    async with app.sessions() as session:
        reminder = await session.scalar(
            select(Followup).where(Followup.assignment_id == aid, Followup.kind == "ack_reminder")
        )
    # Sent Thursday 17:30; one working day later is Friday 17:30.
    assert reminder.due_at == shanghai(2025, 10, 10, 17, 30)
    clock.set(shanghai(2025, 10, 10, 20, 0))  # due, but after hours
    assert (await jobs.tick()).fired == 0
    clock.set(shanghai(2025, 10, 11, 9, 0))  # Saturday 10-11 2025 is a make-up working day
    result = await jobs.tick()
    assert result.fired >= 1


async def test_acknowledgement_and_report_cancel_pending_followups(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    async with app.work() as uow:
        actor = await resolve_actor(
            uow, user_id=YICHUN_CONTACT, chat_id=YICHUN_CONTACT, name="c", default_language="zh"
        )
        await acknowledge.acknowledge(uow, actor, aid)
    async with app.sessions() as session:
        states = {
            f.kind: f.state
            for f in (await session.scalars(select(Followup).where(Followup.assignment_id == aid))).all()
        }
    assert states["ack_reminder"] == "cancelled" and states["ack_escalation"] == "cancelled"
    # Next week's progress request is planned; a report in that week silences it.
    clock.set(shanghai(2025, 9, 29, 8, 0))
    async with app.work() as uow:
        from bot.services.followups import replan

        await replan(uow, [aid])
    async with app.sessions() as session:
        request = await session.scalar(
            select(Followup).where(Followup.assignment_id == aid, Followup.kind == "progress_request")
        )
    assert request is not None and request.state == "pending"
    async with app.work() as uow:
        actor = await resolve_actor(
            uow, user_id=YICHUN_CONTACT, chat_id=YICHUN_CONTACT, name="c", default_language="zh"
        )
        await reports.receive_report(
            uow,
            actor,
            aid,
            reports.IncomingReport(chat_id=YICHUN_CONTACT, message_id=77, text="完成40%", author="c"),
        )
    async with app.sessions() as session:
        assert (await session.get(Followup, request.id)).state == "cancelled"


async def test_overdue_chasing_after_downtime_sends_once(app: App, clock: ManualClock) -> None:
    clock.set(shanghai(2025, 9, 23, 10))
    aid = await _bind(app)
    async with app.sessions() as session, session.begin():
        assignment = await session.get(Assignment, aid)
        assignment.due_on = date(2025, 9, 26)
        assignment.acknowledged_at = clock.now()
        assignment.status = "in_progress"
        assignment.last_report_at = clock.now()
    jobs = Jobs(app)
    # The bot was down from before the deadline until 10-10: overdue days 09-29, 09-30, 10-09 were missed.
    clock.set(shanghai(2025, 10, 10, 9, 30))
    await jobs.plan()
    await jobs.tick()
    await jobs.tick()
    chases = [
        m for m in await _outbox_to(app, YICHUN_CONTACT) if "已逾期" in m.text and m.assignment_id == aid
    ]
    assert len(chases) == 1
    # Overdue by 10-10 for 4 working days (09-28 was a Sunday make-up day but before the deadline).
    escalations = [
        m for m in await _outbox_to(app, COORDINATOR) if "逾期督办" in m.text and f"#{aid}" in m.text
    ]
    assert len(escalations) == 1
    async with app.sessions() as session:
        pending_due = await session.scalar(
            select(func.count(Followup.id)).where(
                Followup.assignment_id == aid, Followup.state == "pending", Followup.due_at <= clock.now()
            )
        )
    assert pending_due == 0
