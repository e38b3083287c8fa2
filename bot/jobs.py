"""The clock: APScheduler 3.x `AsyncIOScheduler` running idempotent jobs over the database.

Jobs hold no schedule of their own. The follow-up tick reads what is due from the `followup`
table; the planner refreshes that table; nothing is lost if the process stops between runs.
Deterministic ids with replace_existing keep one job of each kind however often we start.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.app import App
from bot.services import followups, periods
from bot.telegram.inflight import InFlight

log = logging.getLogger(__name__)

TICK_JOB = "followup-tick"
PLAN_JOB = "followup-plan"
SUMMARY_JOB = "weekly-summary"
DIGEST_JOB = "report-digest"
NOTICES_JOB = "notice-batches"
EVIDENCE_JOB = "evidence-download"
PURGE_JOB = "housekeeping-purge"
# Seconds of handing out per transaction in a background dispatch, and the rest after each turn
# as a share of the turn: the outbox must fill faster than 30 messages/s drain it.
DISPATCH_TURN = 0.1
DISPATCH_REST = 1.0
# How often an instance looks for dispatch runs no live instance holds.
DISPATCH_RESUME_JOB = "dispatch-resume"


async def give_way(busy: float) -> None:
    """Pauses a long background job for as long as its last step kept the event loop busy.

    `sleep(0)` was not enough: a reply needs a few dozen turns of the loop (HTTP, parsing, each
    SQL statement), and with a job always ready to run again each of those turns waited one
    whole step of the job, so at province scale the bot did not answer for the 6 s of a re-plan.
    Resting as long as it worked leaves the loop free half the time."""
    await asyncio.sleep(min(busy, 0.5))


class Jobs:
    """The jobs' bodies. Each step is one unit of work, committed once."""

    def __init__(self, app: App, wake_sender: Callable[[], None] | None = None) -> None:
        self.app = app
        self.wake_sender = wake_sender or (lambda: None)
        self.running = InFlight()
        # Set at shutdown: long jobs stop between their steps (each step is its own transaction,
        # and the next run picks up where this one stopped).
        self.stopping = False
        # Work a handler started and does not wait for (a summary asked for in the chat):
        # shutdown waits for it, and holding the tasks here keeps them from being collected.
        self.background: set[asyncio.Task[None]] = set()
        self.dispatching: set[int] = set()  # dispatch runs this instance is handing out

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self.background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background job %s failed", task.get_name(), exc_info=task.exception())

    async def background_idle(self, seconds: float) -> bool:
        """Waits for the background work started so far; whether it all finished in time."""
        if self.background:
            await asyncio.wait(set(self.background), timeout=seconds)
        return not self.background

    async def summary_on_demand(
        self,
        *,
        week: str,
        contact_id: int,
        actor: str,
        export: bool,
        chat_id: int,
        lang: str,
        policy_ids: list[int] | None = None,
        file_prefix: str = "",
    ) -> None:
        """A coordinator's /summary or /export: read and rendered as the Monday job is, outside
        the write gate and the update that asked (the bot answers at once and keeps handling
        replies), then queued in one unit of work."""
        from bot.i18n import normalise_language
        from bot.services import outbox
        from bot.services.offload import Reader, read_and_render_apart
        from bot.services.summary import ledger_bytes, render_outputs, send_summary
        from models import Contact

        app = self.app
        now = app.clock.now()
        async with app.sessions() as session:
            contact = await session.get(Contact, contact_id)
            if contact is None:
                return
            if not export:
                lang = normalise_language(contact.language)
        # Read as well as rendered in a child process: the ledger's rows never enter this one.
        reader = Reader(app.settings, app.calendar, app.followup_settings, now)
        if export:
            _, ledger = await read_and_render_apart(
                reader, ledger_bytes, lang, week=week, policy_ids=policy_ids
            )
        else:
            data, made = await read_and_render_apart(
                reader, render_outputs, lang, week=week, policy_ids=policy_ids
            )
        async with app.work(now) as uow:
            contact = await uow.session.get(Contact, contact_id)
            if contact is None or not contact.active:
                return
            if export:
                outbox.enqueue_file(
                    uow.session,
                    chat_id=chat_id,
                    method="sendDocument",
                    file_name=f"duban-ledger-{file_prefix}{week}.xlsx",
                    data=ledger,
                    caption=week,
                    now=now,
                    purpose="export",
                )
            else:
                # In the language it was asked in: `data` has no rows to render another from.
                rendered = {normalise_language(contact.language): made}
                await send_summary(uow, data, to=[contact], actor=actor, dedupe=False, rendered=rendered)
        self.wake_sender()

    async def dispatch_run(self, run_id: int) -> None:
        """A confirmed dispatch, a chunk per transaction (bot/services/dispatch_runs.py), giving
        way between chunks; the coordinator hears it is done in the last chunk's transaction.
        Stopped at shutdown between chunks: the next start resumes it."""
        from bot.services import dispatch_runs

        app = self.app
        if run_id in self.dispatching:
            return
        self.dispatching.add(run_id)
        try:
            while not self.stopping:
                began = time.monotonic()
                async with app.work() as uow:
                    # Each turn renews this instance's lease on the run; a run another instance
                    # holds (or finished) is left to it.
                    if not await dispatch_runs.claim(uow, run_id, app.instance):
                        return
                    # Small chunks for as long as one short turn at the write gate: an update that
                    # arrives meanwhile waits no longer than that.
                    while True:
                        step = await dispatch_runs.hand_out_chunk(uow, run_id)
                        if not step.more or time.monotonic() - began > DISPATCH_TURN:
                            break
                self.wake_sender()
                if not step.more:
                    return
                await give_way((time.monotonic() - began) * DISPATCH_REST)
            async with app.work() as uow:  # stopping: the next start takes it over at once
                await dispatch_runs.release(uow, run_id, app.instance)
        finally:
            self.dispatching.discard(run_id)

    async def resume_dispatches(self) -> int:
        """Dispatches confirmed but not finished, and held by no live instance (this one stopped
        before, or another was killed), go on where they were; how many this instance took."""
        from bot.services import dispatch_runs

        taken = []
        async with self.app.work() as uow:
            for run_id in await dispatch_runs.claimable(uow):
                if run_id not in self.dispatching and await dispatch_runs.claim(
                    uow, run_id, self.app.instance
                ):
                    taken.append(run_id)
        for run_id in taken:
            self.spawn(self.dispatch_run(run_id), name=f"dispatch-{run_id}")
        return len(taken)

    async def tick(self) -> followups.TickResult:
        """Fires what is due, a bounded batch per transaction, yielding between batches.

        Each batch is claimed for this instance (committed), then fired: the instances sharing the
        database fire disjoint batches, and a batch whose instance is killed in between is fired
        by another once its lease runs out."""
        app = self.app
        total = followups.TickResult()
        async with self.running.track():
            while True:
                started = time.monotonic()
                async with app.work() as uow:
                    claimed = await followups.claim_due(uow, app.instance)
                async with app.work() as uow:
                    result = await followups.fire_claimed(uow, app.instance, claimed)
                total.fired += result.fired
                total.skipped += result.skipped
                total.messages += result.messages
                if result.messages:
                    self.wake_sender()
                if len(claimed) < followups.TICK_BATCH or self.stopping:
                    return total
                await give_way(time.monotonic() - started)

    async def once_per(self, job: str, every: timedelta, run: Callable[[], Awaitable[object]]) -> bool:
        """Runs an interval job unless another instance already ran it in this period of `every`;
        whether it ran. The period is claimed in its own transaction first (bot/services/periods.py)."""
        app = self.app
        # Tracked as one job from the claim to the end of the run: shutdown waits for the run of a
        # period it claimed instead of cancelling it.
        async with self.running.track():
            async with app.work() as uow:
                mine = await periods.claim(uow, job, periods.bucket(uow.now, every), app.instance)
            if mine:
                await run()
        return mine

    async def release_notices(self) -> int:
        """Coordinators' notices whose window ended, joined per unit (bot/services/batches.py)."""
        from bot.services.batches import release

        app = self.app
        async with self.running.track(), app.work() as uow:
            count = await release(uow)
        if count:
            self.wake_sender()
        return count

    async def fetch_evidence(self, download: Callable[[str, Path], Awaitable[None]], batch: int = 20) -> int:
        """Copies new evidence into EVIDENCE_DIR; a file that fails stays queued for the next run."""
        from bot.services import evidence

        app = self.app
        if not app.settings.evidence_dir:
            return 0
        root = Path(app.settings.evidence_dir)
        async with app.sessions() as session:
            waiting = [
                (a.id, a.report_id, a.file_id, evidence.storage_name(a))
                for a in await evidence.awaiting_download(app.unit_of_work(session), batch)
            ]
        stored = 0
        for attachment_id, report_id, file_id, name in waiting:
            target = root / str(report_id) / name
            try:
                await download(file_id, target)
            except Exception:
                log.warning(
                    "evidence %s not downloaded; retried on the next run", attachment_id, exc_info=True
                )
                continue
            async with self.running.track(), app.work() as uow:
                from models import ReportAttachment

                # Locked and looked at again: a run of the next period on another instance may
                # have stored the same file while this one downloaded it.
                row = await uow.session.get(ReportAttachment, attachment_id, with_for_update=True)
                if row is not None and row.stored_path is None:
                    evidence.stored(uow, row, target)
                    stored += 1
        return stored

    async def review_digest(self) -> int:
        """Once per time of the digest's crontab, however many instances run it."""
        from bot.services.review import send_review_digest

        app = self.app
        now = app.clock.now()
        if not app.calendar.is_working_day(app.calendar.local_date(now)):
            return 0
        period = (
            periods.cron_period(app.settings.digest_cron, app.settings.timezone, now)
            or app.calendar.local_date(now).isoformat()
        )
        async with self.running.track(), app.work(now) as uow:
            if not await periods.claim(uow, DIGEST_JOB, period, app.instance):
                return 0
            count = await send_review_digest(uow)
        if count:
            self.wake_sender()
        return count

    async def weekly_summary(self, week: str | None = None) -> str | None:
        """Last week's summary (or `week`'s), once per week however many instances run it and
        however often it is run: None when another run had it."""
        from bot.services.offload import Reader, read_and_render_apart
        from bot.services.summary import (
            queue_weekly_summary,
            read_unit_digests,
            render_languages,
            render_unit_digests,
            week_of,
        )

        app = self.app
        async with self.running.track():
            # Reading and rendering take seconds at province scale: outside the write gate (and
            # rendering outside any transaction), so replies are not held up.
            now = app.clock.now()
            week = week or week_of(app.calendar.local_date(now) - timedelta(days=7))
            async with app.sessions() as session:
                uow = app.unit_of_work(session, now)
                if await periods.claimed(uow, SUMMARY_JOB, week):
                    return None
                digests = await read_unit_digests(uow, week=week)
            # Read as well as rendered in a child process, as /summary is: the rows never enter
            # this one. A child that fails raises here, before the claim: the run is logged as
            # failed and the next start's catch-up sends the summary.
            reader = Reader(app.settings, app.calendar, app.followup_settings, now)
            data, rendered = await read_and_render_apart(reader, render_languages, week=week)
            await asyncio.to_thread(render_unit_digests, digests)
            async with app.work(now) as uow:
                # The claim is the transaction's first statement: the run that lands it queues
                # the summary; a concurrent one (another instance) finds it and queues nothing.
                if not await periods.claim(uow, SUMMARY_JOB, week, app.instance):
                    return None
                await queue_weekly_summary(uow, data, rendered, digests)
        self.wake_sender()
        return week

    async def catch_up_summary(self) -> str | None:
        """The scheduler keeps no memory across restarts: a summary whose time passed while the
        bot was down goes out now (once: the outbox keys are per week), if that week had work."""
        from bot.services.summary import week_of, weekly_summary_queued, work_assigned_before

        app = self.app
        now = app.clock.now()
        trigger = CronTrigger.from_crontab(app.settings.summary_cron, timezone=app.settings.timezone)
        previous, cursor = None, now - timedelta(days=8)
        while (fire := trigger.get_next_fire_time(None, cursor)) is not None and fire <= now:
            previous, cursor = fire, fire + timedelta(seconds=1)
        if previous is None:
            return None
        week = week_of(app.calendar.local_date(previous) - timedelta(days=7))
        # Tracked as running from its first read: shutdown waits for it instead of cancelling it
        # in the middle of a query.
        async with self.running.track():
            async with app.sessions() as session:
                uow = app.unit_of_work(session, now)
                if await weekly_summary_queued(uow, week):
                    return None
                if not await work_assigned_before(uow, previous):
                    return None
            if self.stopping:
                return None
            return await self.weekly_summary(week)

    async def plan(self, chunk: int = 100) -> followups.PlanResult:
        """Re-plans every open assignment, a chunk per transaction.

        Between chunks the write gate is released and the loop is left alone for as long as the
        chunk took, so replies and the sender keep moving while a province-sized ledger is
        re-planned (it then takes twice as long, in the background).
        """
        from sqlalchemy import select
        from sqlmodel import col

        from models import Assignment

        app = self.app
        total = followups.PlanResult()
        async with self.running.track():
            async with app.sessions() as session:
                ids = [
                    aid
                    for aid in (
                        await session.scalars(
                            select(col(Assignment.id))
                            .where(col(Assignment.status).in_(followups.PLANNABLE))
                            .order_by(col(Assignment.id))
                        )
                    ).all()
                    if aid is not None
                ]
            for start in range(0, len(ids), chunk):
                if self.stopping:
                    break
                began = time.monotonic()
                async with app.work() as uow:
                    part = await followups.replan(uow, ids[start : start + chunk])
                total.added += part.added
                total.cancelled += part.cancelled
                total.assignments += part.assignments
                await give_way(time.monotonic() - began)
        return total

    async def purge(self) -> int:
        """Deletes strangers' rows and finished work no longer needed, a chunk per transaction."""
        from bot.services.housekeeping import purge_chunk

        app = self.app
        deleted = 0
        async with self.running.track():
            while not self.stopping:
                began = time.monotonic()
                async with app.work() as uow:
                    part = await purge_chunk(uow)
                deleted += part.update_claims + part.outbox_rows
                if not part.more:
                    break
                await give_way(time.monotonic() - began)
            async with app.work() as uow:
                deleted += await periods.purge(uow, calendar_jobs=(SUMMARY_JOB, DIGEST_JOB))
        return deleted


def start_scheduler(
    app: App, jobs: Jobs, download: Callable[[str, Path], Awaitable[None]] | None = None
) -> AsyncIOScheduler:
    settings = app.settings
    scheduler = AsyncIOScheduler(timezone=settings.timezone)
    # coalesce: a tick missed while busy or asleep runs once, not once per missed interval;
    # max_instances=1: a slow tick is never overlapped by the next; the grace time lets a
    # tick that fires a little late still run instead of being dropped.
    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 60, "replace_existing": True}
    # Every instance ticks (each fires the follow-ups it claimed); the other interval jobs run once
    # per period of their interval across all instances (Jobs.once_per).
    scheduler.add_job(jobs.tick, "interval", seconds=settings.scheduler_tick_seconds, id=TICK_JOB, **common)

    def every(job: str, seconds: float, run: Callable[[], Awaitable[object]]) -> None:
        scheduler.add_job(
            jobs.once_per,
            "interval",
            seconds=seconds,
            args=[job, timedelta(seconds=seconds), run],
            id=job,
            next_run_time=_soon(app),
            **common,
        )

    every(PLAN_JOB, 600, jobs.plan)
    if settings.evidence_dir and download is not None:
        every(EVIDENCE_JOB, 60, functools.partial(jobs.fetch_evidence, download))
    if settings.notice_window_seconds:
        every(NOTICES_JOB, min(settings.scheduler_tick_seconds, 15.0), jobs.release_notices)
    every(PURGE_JOB, 6 * 3600, jobs.purge)
    # A run whose instance was killed is taken over once its lease has run out.
    scheduler.add_job(
        jobs.resume_dispatches,
        "interval",
        seconds=10,
        id=DISPATCH_RESUME_JOB,
        next_run_time=_soon(app),
        **common,
    )
    if settings.report_notify == "digest":
        scheduler.add_job(
            jobs.review_digest,
            CronTrigger.from_crontab(settings.digest_cron, timezone=settings.timezone),
            id=DIGEST_JOB,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
            replace_existing=True,
        )
    # A summary missed while down still goes out when the bot comes back the same day.
    scheduler.add_job(
        jobs.weekly_summary,
        CronTrigger.from_crontab(settings.summary_cron, timezone=settings.timezone),
        id=SUMMARY_JOB,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
        replace_existing=True,
    )
    scheduler.add_job(
        jobs.catch_up_summary,
        "date",
        run_date=_soon(app),
        id="summary-catch-up",
        replace_existing=True,
        misfire_grace_time=3600,
    )
    scheduler.start()
    return scheduler


def _soon(app: App) -> datetime:
    # APScheduler runs on the wall clock, whatever speed Duban's own clock runs at.
    return datetime.now(UTC) + timedelta(seconds=2)
