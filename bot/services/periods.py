"""Periodic jobs run once per period however many instances share the database.

A run is a `jobperiod` row (job, period), inserted with ON CONFLICT DO NOTHING: the instance whose
insert lands runs the job, every other one skips it. One mechanism on both engines, chosen over a
PostgreSQL advisory lock because a lock says "not at the same time", not "once": two instances whose
clocks put them a second apart would each send the Monday summary. A unique row says once.

- A job whose writing is one transaction (the weekly summary, the review digest) inserts its row as
  the first statement of that transaction: if the transaction fails the row goes with it and the
  period is still to do; on PostgreSQL a second instance's insert waits for the first transaction
  and then finds the row; on SQLite the insert takes the write lock before anything is read.
- An interval job of several transactions (re-plan, purge, notices, evidence) claims its period in
  a short transaction of its own first. Those jobs only ever catch up with the database, so a period
  whose run was cut short is finished by the next period's run.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import and_, delete, not_, or_, select
from sqlmodel import col

from bot.db import insert_new, rowcount
from bot.services.uow import UnitOfWork
from models import JobPeriod

# Interval buckets only matter while their period lasts; a week's or a digest's row for as long as a
# late instance (or a catch-up after a stop) could still ask for that period.
KEEP_INTERVAL_ROWS = timedelta(days=1)
KEEP_CALENDAR_ROWS = timedelta(days=35)


async def claim(uow: UnitOfWork, job: str, period: str, instance: str) -> bool:
    """Whether this instance runs `job` for `period` (nobody has, and now nobody else will)."""
    inserted = await uow.session.scalar(
        insert_new(uow.session, JobPeriod)
        .values(job=job, period=period, instance=instance, claimed_at=uow.now)
        .returning(col(JobPeriod.job))
    )
    return inserted is not None


async def claimed(uow: UnitOfWork, job: str, period: str) -> bool:
    """Whether some instance has already run `job` for `period` (a cheap look before costly work)."""
    return (
        await uow.session.scalar(
            select(col(JobPeriod.job)).where(col(JobPeriod.job) == job, col(JobPeriod.period) == period)
        )
    ) is not None


def bucket(now: datetime, every: timedelta) -> str:
    """The interval period holding `now`: periods of `every` counted from the Unix epoch, so every
    instance names the same one whenever it started."""
    seconds = max(int(every.total_seconds()), 1)
    stamp = int(now.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, UTC).isoformat(timespec="seconds")


def cron_period(
    crontab: str, tz: tzinfo | str, now: datetime, *, look_back: timedelta = timedelta(days=8)
) -> str | None:
    """The latest time at or before `now` that the crontab fires: the period a cron job run now
    belongs to, whether it runs on time, a little late, or on another instance."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(crontab, timezone=tz)
    previous, cursor = None, now - look_back
    while (fire := trigger.get_next_fire_time(None, cursor)) is not None and fire <= now:
        previous, cursor = fire, fire + timedelta(seconds=1)
    return previous.astimezone(UTC).isoformat(timespec="seconds") if previous is not None else None


async def purge(uow: UnitOfWork, calendar_jobs: tuple[str, ...]) -> int:
    """Deletes the rows of periods no instance can still ask about."""
    long = col(JobPeriod.job).in_(calendar_jobs)
    gone = await uow.session.execute(
        delete(JobPeriod).where(
            or_(
                and_(not_(long), col(JobPeriod.claimed_at) < uow.now - KEEP_INTERVAL_ROWS),
                col(JobPeriod.claimed_at) < uow.now - KEEP_CALENDAR_ROWS,
            )
        )
    )
    return rowcount(gone)
