"""Two instances on one database (issue 15 item 3): each due follow-up fires once, a killed
instance's claims fire after their lease, the Monday summary, the review digest and the interval
jobs run once per period, and updates, FSM steps and notices hold across instances.

Each instance is its own App (engine, pool, write gate, instance name) on one database: a real
PostgreSQL server when DUBAN_TEST_PG_URL is set (.ci/run starts one), and one SQLite file, which
several processes may share, where the test means something there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.types import Update
from sqlalchemy import func, select

from bot.app import App
from bot.domain.clock import ManualClock
from bot.jobs import DIGEST_JOB, PLAN_JOB, SUMMARY_JOB, Jobs
from bot.migrate import upgrade
from bot.services import followups, periods
from config.settings import Settings
from models import (
    Contact,
    Event,
    ExtensionRequest,
    Followup,
    JobPeriod,
    OutboxMessage,
    ProgressReport,
    Unit,
)
from tests.conftest import PG_URL, Harness
from tests.test_followups_service import _bind, shanghai

ENGINES = ["sqlite", "postgresql"]


async def _database(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    else:
        if not PG_URL:
            pytest.skip("DUBAN_TEST_PG_URL not set (.ci/run starts PostgreSQL and sets it)")
        import asyncpg

        name = f"duban_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    await asyncio.to_thread(upgrade, url)
    return url


async def _instance(url: str, clock: ManualClock) -> App:
    app = App.build(
        Settings(_env_file=None, database_url=url, bot_token=None, notice_window_seconds=0), clock=clock
    )
    # Connected before the test, so two instances' first statements do not wait on a new connection
    # each and do meet in the database.
    async with app.sessions() as session:
        await session.execute(select(1))
    return app


@pytest.fixture(params=ENGINES)
async def two(
    request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[App, App]]:
    url = await _database(request.param, tmp_path)
    a, b = await _instance(url, clock), await _instance(url, clock)
    assert a.instance != b.instance
    yield a, b
    await a.close()
    await b.close()


async def _fired(app: App) -> dict[int, int]:
    """How often each follow-up fired, from the audit trail."""
    async with app.sessions() as session:
        rows = (await session.scalars(select(Event).where(Event.kind.like("followup.%")))).all()
    counts: dict[int, int] = {}
    for event in rows:
        counts[event.data["followup_id"]] = counts.get(event.data["followup_id"], 0) + 1
    return counts


async def _due(app: App) -> set[int]:
    async with app.sessions() as session:
        return set(
            (
                await session.scalars(
                    select(Followup.id).where(Followup.state == "pending", Followup.due_at <= app.clock.now())
                )
            ).all()
        )


async def _ticks(app: App, batch: int) -> int:
    """The scheduler's tick in small batches, so two instances interleave claims and firings."""
    fired = 0
    while True:
        async with app.work() as uow:
            claimed = await followups.claim_due(uow, app.instance, batch=batch)
        if not claimed:
            return fired
        async with app.work() as uow:
            fired += (await followups.fire_claimed(uow, app.instance, claimed)).fired


async def test_two_instances_fire_each_due_followup_once(two: tuple[App, App], clock: ManualClock) -> None:
    a, b = two
    clock.set(shanghai(2025, 9, 30, 10))
    await _bind(a)
    clock.set(shanghai(2025, 10, 9, 10, 1))  # every assignment's acknowledgement reminder is due
    due = await _due(a)
    assert len(due) > 6
    fired = await asyncio.gather(_ticks(a, batch=3), _ticks(b, batch=3))
    assert sum(fired) == len(due)
    counts = await _fired(a)
    assert set(counts) == due and set(counts.values()) == {1}
    async with a.sessions() as session:
        to_contact = (
            await session.scalars(
                select(OutboxMessage.followup_id).where(OutboxMessage.purpose == "followup")
            )
        ).all()
        claimers = set((await session.scalars(select(Followup.claimed_by).where(Followup.id.in_(due)))).all())
    assert len(to_contact) == len(set(to_contact)) >= 1  # 宜春's contact got its reminder once
    assert claimers <= {a.instance, b.instance}
    # The next day's escalations, through the scheduler's own job on both instances at once.
    clock.set(shanghai(2025, 10, 10, 10, 5))
    due = await _due(a)
    assert due
    results = await asyncio.gather(Jobs(a).tick(), Jobs(b).tick())
    assert sum(r.fired for r in results) == len(due)
    counts = await _fired(a)
    assert due <= set(counts) and set(counts.values()) == {1}
    async with a.sessions() as session:
        escalations = (
            await session.scalars(
                select(OutboxMessage.text).where(
                    OutboxMessage.purpose == "escalation", OutboxMessage.chat_id == 503
                )
            )
        ).all()
    # One list per tick per reader: each escalated assignment is named in exactly one of them.
    named = [line for text in escalations for line in text.split("\n\n")[1:]]
    assert named and len(named) == len(set(named))


async def test_a_killed_instances_claims_fire_after_the_lease(
    two: tuple[App, App], clock: ManualClock
) -> None:
    a, b = two
    clock.set(shanghai(2025, 9, 30, 10))
    await _bind(a)
    clock.set(shanghai(2025, 10, 9, 10, 1))
    due = await _due(a)
    async with a.work() as uow:
        claimed = await followups.claim_due(uow, a.instance, batch=500)
    assert set(claimed) == due
    await a.close()  # killed between claiming and firing: its claims are committed, its firing never comes
    jobs = Jobs(b)
    assert (await jobs.tick()).fired == 0, "still a's to fire while the lease lasts"
    clock.advance(seconds=followups.FOLLOWUP_LEASE.total_seconds() - 5)
    assert (await jobs.tick()).fired == 0
    clock.advance(seconds=10)
    assert (await jobs.tick()).fired == len(due)
    assert (await jobs.tick()).fired == 0
    counts = await _fired(b)
    assert set(counts) == due and set(counts.values()) == {1}
    async with b.sessions() as session:
        rows = (await session.scalars(select(Followup).where(Followup.id.in_(due)))).all()
    assert {(f.state, f.claimed_by, f.lease_until) for f in rows} == {("sent", b.instance, None)}


async def test_a_slow_instance_does_not_fire_what_another_took_over(
    two: tuple[App, App], clock: ManualClock
) -> None:
    a, b = two
    clock.set(shanghai(2025, 9, 30, 10))
    await _bind(a)
    clock.set(shanghai(2025, 10, 9, 10, 1))
    async with a.work() as uow:
        claimed = await followups.claim_due(uow, a.instance, batch=500)
    clock.advance(seconds=followups.FOLLOWUP_LEASE.total_seconds() + 1)
    async with b.work() as uow:  # a's lease ran out: b claims the rows, and has not fired them yet
        taken = await followups.claim_due(uow, b.instance, batch=500)
    assert set(taken) == set(claimed)
    async with a.work() as uow:  # a comes back to the batch it claimed long ago
        late = await followups.fire_claimed(uow, a.instance, claimed)
    assert late.fired == 0 and late.messages == 0
    async with b.work() as uow:
        assert (await followups.fire_claimed(uow, b.instance, taken)).fired == len(claimed)
    counts = await _fired(a)
    assert set(counts) == set(claimed) and set(counts.values()) == {1}


async def _ledger_with_readers(app: App) -> None:
    from tests.test_summary_service import _ledger

    await _ledger(app)
    now = app.clock.now()
    async with app.sessions() as session, session.begin():
        unit = await session.scalar(select(Unit).where(Unit.name == "单位三"))
        session.add(Contact(unit_id=unit.id, role="contact", chat_id=33, telegram_user_id=33, created_at=now))


async def _summary_rows(app: App) -> dict[tuple[int, str, str], int]:
    async with app.sessions() as session:
        rows = (
            await session.execute(
                select(
                    OutboxMessage.chat_id, OutboxMessage.purpose, OutboxMessage.method, func.count()
                ).group_by(OutboxMessage.chat_id, OutboxMessage.purpose, OutboxMessage.method)
            )
        ).all()
    return {(chat, purpose, method): n for chat, purpose, method, n in rows}


async def _events(app: App, kind: str) -> int:
    async with app.sessions() as session:
        return int(
            await session.scalar(select(func.count()).select_from(Event).where(Event.kind == kind)) or 0
        )


async def test_the_monday_summary_run_by_two_instances_at_once_goes_out_once(
    two: tuple[App, App], clock: ManualClock
) -> None:
    a, b = two
    clock.set(datetime(2025, 11, 19, 7, 0, tzinfo=UTC))
    await _ledger_with_readers(a)
    clock.set(datetime(2025, 11, 24, 1, 0, tzinfo=UTC))  # Monday 09:00 in Shanghai
    results = await asyncio.gather(Jobs(a).weekly_summary(), Jobs(b).weekly_summary())
    assert sorted(results, key=str) == ["2025-W47", None]
    rows = await _summary_rows(a)
    # The coordinator (1) and the observer (2): text, chart, ledger and 周报 once each; the unit's digest once.
    assert rows[(1, "summary", "sendPhoto")] == 1 and rows[(1, "summary", "sendDocument")] == 2
    assert rows[(2, "summary", "sendPhoto")] == 1 and rows[(2, "summary", "sendDocument")] == 2
    assert rows[(33, "digest", "sendMessage")] == 1
    assert await _events(a, "summary.generated") == 1 and await _events(a, "summary.sent") == 1
    # A catch-up on a third start, and the Monday job again on both: nothing more.
    assert await Jobs(b).catch_up_summary() is None
    assert await asyncio.gather(Jobs(a).weekly_summary(), Jobs(b).weekly_summary()) == [None, None]
    assert await _summary_rows(a) == rows
    async with a.sessions() as session:
        run = await session.get(JobPeriod, (SUMMARY_JOB, "2025-W47"))
    assert run is not None and run.instance in (a.instance, b.instance)


async def test_a_caught_up_summary_and_the_monday_job_on_another_instance_go_out_once(
    two: tuple[App, App], clock: ManualClock
) -> None:
    a, b = two
    clock.set(datetime(2025, 11, 19, 7, 0, tzinfo=UTC))
    await _ledger_with_readers(a)
    clock.set(datetime(2025, 11, 24, 1, 0, 30, tzinfo=UTC))  # b starts just after 09:00 while a's job runs
    results = await asyncio.gather(Jobs(a).weekly_summary(), Jobs(b).catch_up_summary())
    assert sorted(results, key=str) == ["2025-W47", None]
    assert (await _summary_rows(a))[(1, "summary", "sendPhoto")] == 1


async def test_the_review_digest_run_by_two_instances_goes_out_once(
    two: tuple[App, App], clock: ManualClock
) -> None:
    a, b = two
    clock.set(
        datetime(2025, 11, 19, 7, 0, tzinfo=UTC)
    )  # Wednesday 15:00; the digest's time was Tuesday 16:30
    await _ledger_with_readers(a)
    counts = await asyncio.gather(Jobs(a).review_digest(), Jobs(b).review_digest())
    assert sorted(counts) == [0, 5]
    async with a.sessions() as session:
        digests = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "report_digest"))
        ).all()
        unnotified = await session.scalar(
            select(func.count()).select_from(ProgressReport).where(ProgressReport.notified_at.is_(None))
        )
    buttons = [b["callback_data"] for d in digests for row in d.reply_markup["inline_keyboard"] for b in row]
    assert len(buttons) == 10 and len(set(buttons)) == 10 and unnotified == 0
    # A report that comes in after the digest waits for the next digest time, on whichever instance.
    async with a.sessions() as session, session.begin():
        aid = await session.scalar(select(ProgressReport.assignment_id).limit(1))
        session.add(
            ProgressReport(
                assignment_id=aid, raw_text="完成90%", review_state="pending", created_at=clock.now()
            )
        )
    assert await asyncio.gather(Jobs(a).review_digest(), Jobs(b).review_digest()) == [0, 0]
    clock.set(datetime(2025, 11, 20, 8, 31, tzinfo=UTC))  # Thursday 16:31
    assert sorted(await asyncio.gather(Jobs(a).review_digest(), Jobs(b).review_digest())) == [0, 1]


async def test_an_interval_job_runs_once_per_period_across_instances(
    two: tuple[App, App], clock: ManualClock
) -> None:
    a, b = two
    runs: list[str] = []

    def job(name: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            runs.append(name)

        return run

    every = timedelta(minutes=10)
    clock.set(datetime(2025, 11, 19, 7, 0, 10, tzinfo=UTC))
    ran = await asyncio.gather(
        Jobs(a).once_per(PLAN_JOB, every, job("a")), Jobs(b).once_per(PLAN_JOB, every, job("b"))
    )
    assert sorted(ran) == [False, True] and len(runs) == 1
    clock.advance(minutes=9)  # same ten minutes, on either instance
    assert not await Jobs(a).once_per(PLAN_JOB, every, job("a"))
    assert not await Jobs(b).once_per(PLAN_JOB, every, job("b"))
    clock.advance(minutes=1)
    assert await Jobs(b).once_per(PLAN_JOB, every, job("b"))
    assert len(runs) == 2
    # The purge keeps a week's and a digest's rows, and drops interval rows once their period is long past.
    async with a.work() as uow:
        await periods.claim(uow, SUMMARY_JOB, "2025-W46", a.instance)
        await periods.claim(uow, DIGEST_JOB, "2025-11-18T08:30:00+00:00", a.instance)
    clock.advance(days=2)
    assert await Jobs(a).purge() == 2
    async with a.sessions() as session:
        left = set((await session.execute(select(JobPeriod.job, JobPeriod.period))).all())
    assert left == {(SUMMARY_JOB, "2025-W46"), (DIGEST_JOB, "2025-11-18T08:30:00+00:00")}


def test_periods_are_named_alike_on_every_instance() -> None:
    at = datetime(2025, 11, 19, 7, 4, 59, tzinfo=UTC)
    assert periods.bucket(at, timedelta(minutes=10)) == "2025-11-19T07:00:00+00:00"
    assert periods.bucket(at + timedelta(seconds=61), timedelta(minutes=10)) == "2025-11-19T07:00:00+00:00"
    assert periods.bucket(at + timedelta(minutes=6), timedelta(minutes=10)) == "2025-11-19T07:10:00+00:00"
    # The digest at 16:30 Shanghai: Wednesday 15:00 belongs to Tuesday's, 16:31 to Wednesday's.
    assert periods.cron_period("30 16 * * *", "Asia/Shanghai", at) == "2025-11-18T08:30:00+00:00"
    assert (
        periods.cron_period("30 16 * * *", "Asia/Shanghai", datetime(2025, 11, 19, 8, 31, tzinfo=UTC))
        == "2025-11-19T08:30:00+00:00"
    )


async def test_held_notices_released_by_two_instances_at_once_are_joined_once(
    two: tuple[App, App], clock: ManualClock
) -> None:
    a, b = two
    clock.set(datetime(2025, 11, 19, 7, 0, tzinfo=UTC))
    async with a.sessions() as session, session.begin():
        session.add(Contact(role="coordinator", chat_id=1, telegram_user_id=1, created_at=clock.now()))
        for n in range(3):
            session.add(
                OutboxMessage(
                    chat_id=1,
                    text=f"签收 {n}",
                    purpose="ack_notice",
                    state="held",
                    next_attempt_at=clock.now() - timedelta(minutes=5),
                    created_at=clock.now(),
                )
            )
    if a.engine.url.get_backend_name() == "sqlite":
        # Several processes on one SQLite file read before they take the write lock; one instance
        # per SQLite database is the supported set-up, and its gate puts the releases one after the other.
        b = a
    counts = await asyncio.gather(Jobs(a).release_notices(), Jobs(b).release_notices())
    assert sorted(counts) == [0, 1]
    async with a.sessions() as session:
        rows = (await session.execute(select(OutboxMessage.state, OutboxMessage.text))).all()
    states = sorted(state for state, _ in rows)
    assert states == ["merged", "merged", "merged", "pending"]
    assert all(f"签收 {n}" in next(text for state, text in rows if state == "pending") for n in range(3))


# ---------------------------------------------------------------- updates and FSM across instances


async def _harness_pair(a: App, b: App) -> AsyncIterator[tuple[Harness, Harness]]:
    """Both instances' Dispatchers on one fake Bot API; one sender sends the shared outbox (the
    sender's own claims are tested with it)."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.telegram.fsm import SqlStorage
    from bot.telegram.sender import Limits, OutboxSender
    from bot.telegram.transport import AiogramTransport
    from handlers import build_dispatcher
    from tests.botapi import FakeBotAPI

    srv = FakeBotAPI()
    srv.limits.enforce = False
    await srv.start()
    bots = [
        Bot(srv.token, session=AiohttpSession(api=TelegramAPIServer.from_base(srv.base_url))) for _ in (a, b)
    ]
    sender = OutboxSender(
        a.sessions,
        AiogramTransport(bots[0]),
        a.clock,
        Limits(global_per_sec=1000, per_chat_per_sec=1000, per_group_per_min=10000),
        gate=a.gate,
    )
    pair = tuple(
        Harness(
            app=app,
            srv=srv,
            bot=bot,
            sender=sender,
            dispatcher=build_dispatcher(
                app, storage=SqlStorage(app.sessions, app.clock, gate=app.gate), sender=sender
            ),
        )
        for app, bot in zip((a, b), bots, strict=True)
    )
    try:
        yield pair  # type: ignore[misc]
    finally:
        for bot in bots:
            await bot.session.close()
        await srv.stop()


async def _to_both(pair: tuple[Harness, Harness]) -> None:
    """Every pending update handled by both instances at the same moment (a redelivery that
    reached the other instance)."""
    h_a = pair[0]
    for raw in h_a.srv.take_updates():
        await asyncio.gather(
            *(
                h.dispatcher.feed_update(h.bot, Update.model_validate(raw, context={"bot": h.bot}))
                for h in pair
            )
        )
    await h_a.sender.drain(timeout=20)


async def test_updates_and_flow_steps_hold_across_two_instances(pg_url: str, clock: ManualClock) -> None:
    from tests.test_bot_flow import COORD, YICHUN, dispatch_and_find

    await asyncio.to_thread(upgrade, pg_url)
    a, b = await _instance(pg_url, clock), await _instance(pg_url, clock)
    try:
        async for h_a, h_b in _harness_pair(a, b):
            task_msg = await dispatch_and_find(h_a)
            srv = h_a.srv
            # The same reply delivered to both instances at once: stored once, answered once.
            mark = len(srv.messages_to(YICHUN))
            srv.send_text(YICHUN, "完成40%，已完成选址", reply_to=task_msg)
            await _to_both((h_a, h_b))
            async with a.sessions() as session:
                stored = (
                    await session.scalars(
                        select(ProgressReport).where(ProgressReport.raw_text == "完成40%，已完成选址")
                    )
                ).all()
            assert len(stored) == 1
            answers = [m.text for m in srv.messages_to(YICHUN)[mark:]]
            assert answers and len(answers) == len(set(answers))
            # A flow begun on one instance is finished on the other.
            srv.press_button(YICHUN, task_msg, "申请延期")
            await h_a.deliver()
            srv.send_text(YICHUN, "2025-12-31 用地审批尚未完成")
            await h_b.deliver()
            assert "已提交" in srv.messages_to(YICHUN)[-1].text
            assert "用地审批尚未完成" in srv.messages_to(COORD)[-1].text
            async with b.sessions() as session:
                request = await session.scalar(select(ExtensionRequest))
            assert request is not None and "用地审批尚未完成" in request.reason
    finally:
        await a.close()
        await b.close()


async def test_two_instances_starting_one_chats_flow_at_once_both_commit(
    pg_url: str, clock: ManualClock
) -> None:
    """Each update's FSM step is written in that update's transaction: the second instance writes the
    row the first has inserted and not yet committed, waits for it, and then writes over it instead
    of failing its whole update on the key."""
    from aiogram.fsm.storage.base import StorageKey

    from bot.telegram.fsm import SqlStorage

    await asyncio.to_thread(upgrade, pg_url)
    a, b = await _instance(pg_url, clock), await _instance(pg_url, clock)
    key = StorageKey(bot_id=1, chat_id=2001, user_id=2001)
    written = asyncio.Event()

    async def step(app: App, state: str, first: bool) -> None:
        storage = SqlStorage(app.sessions, app.clock, gate=app.gate)
        async with app.sessions() as session, session.begin():
            if not first:
                await written.wait()
            await storage.bound(session).set_state(key, state)
            await storage.bound(session).set_data(key, {"by": state})
            if first:
                written.set()
                await asyncio.sleep(0.3)  # the other instance's write now waits on this row

    try:
        await asyncio.gather(step(a, "ExtensionFlow:text", True), step(b, "ReportFlow:text", False))
        for app in (a, b):
            storage = SqlStorage(app.sessions, app.clock, gate=app.gate)
            assert await storage.get_state(key) == "ReportFlow:text"  # the later step, seen by both
            assert await storage.get_data(key) == {"by": "ReportFlow:text"}
    finally:
        await a.close()
        await b.close()


async def test_two_schedulers_run_each_interval_job_once_per_period(
    tmp_path: Path, clock: ManualClock
) -> None:
    """The scheduler as `duban run` starts it, on two instances: the re-plan and the purge, due on
    both two seconds after start, run on one."""
    from bot.jobs import PURGE_JOB, start_scheduler

    url = await _database("sqlite", tmp_path)
    apps = [await _instance(url, clock), await _instance(url, clock)]
    jobs = [Jobs(app) for app in apps]
    schedulers = [start_scheduler(app, app_jobs) for app, app_jobs in zip(apps, jobs, strict=True)]
    try:
        started = datetime.now(UTC)
        for _ in range(200):
            # Both instances' first runs are over once each has scheduled its next one.
            if all(
                s.get_job(job).next_run_time > started + timedelta(seconds=30)
                for s in schedulers
                for job in (PLAN_JOB, PURGE_JOB)
            ):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the schedulers did not run their first jobs")
        for _ in range(200):  # the runs themselves finish after the next run is set
            async with apps[0].sessions() as session:
                runs = (await session.execute(select(JobPeriod.job, JobPeriod.instance))).all()
            if len(runs) >= 2 and not any(app_jobs.running.count for app_jobs in jobs):
                break
            await asyncio.sleep(0.1)
        assert sorted(job for job, _ in runs) == sorted([PLAN_JOB, PURGE_JOB])
        assert {instance for _, instance in runs} <= {app.instance for app in apps}
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=False)
        for app in apps:
            await app.close()


async def test_a_reminder_waits_for_an_acknowledgement_being_handled_on_the_other_instance(
    pg_url: str, clock: ManualClock
) -> None:
    """Instance a handles an acknowledgement (its assignment locked, as every act locks it) while
    instance b is about to fire that assignment's reminder: b waits, sees it acknowledged, and the
    reminder is not sent."""
    from models import Assignment

    await asyncio.to_thread(upgrade, pg_url)
    a, b = await _instance(pg_url, clock), await _instance(pg_url, clock)
    try:
        clock.set(shanghai(2025, 9, 30, 10))
        await _bind(a)
        clock.set(shanghai(2025, 10, 9, 10, 1))
        async with b.work() as uow:
            claimed = await followups.claim_due(uow, b.instance, batch=1)
        async with b.sessions() as session:
            aid = (await session.get(Followup, claimed[0])).assignment_id
        locked = asyncio.Event()

        async def acknowledge() -> None:
            async with a.work() as uow:
                assignment = await uow.session.get(Assignment, aid, with_for_update=True)
                locked.set()
                await asyncio.sleep(0.3)  # b's tick reaches the assignment meanwhile
                assignment.status, assignment.acknowledged_at = "acknowledged", uow.now
                uow.touched.add(aid)

        async def fire() -> int:
            await locked.wait()
            async with b.work() as uow:
                return (await followups.fire_claimed(uow, b.instance, claimed)).messages

        _, messages = await asyncio.gather(acknowledge(), fire())
        assert messages == 0
        async with a.sessions() as session:
            assert (await session.get(Followup, claimed[0])).state == "cancelled"
    finally:
        await a.close()
        await b.close()
