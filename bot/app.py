"""The process-wide dependencies, built once at start-up and passed down explicitly."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.db import WriteGate, is_sqlite, make_engine, make_sessionmaker
from bot.domain.clock import Clock, ScaledClock, SystemClock
from bot.domain.followup_rules import FollowupSettings
from bot.domain.workcal import WorkCalendar
from bot.services.uow import UnitOfWork
from config.directory import Directory, load_directory
from config.settings import Settings


def instance_name() -> str:
    """This process among the instances sharing one database: claims and job periods say who."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def office_directory(settings: Settings) -> Directory:
    """The office's unit directory: its province's (or the central one), the central units and
    the rows the office loaded with `duban units import`."""
    from bot.importer.unit_files import read_office_units

    path = settings.office_units_path()
    own = read_office_units(path) if path is not None else []
    return load_directory(province=settings.office_province, office_units=own)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=SystemClock)
    directory: Directory = field(default_factory=load_directory)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    followup_settings: FollowupSettings = field(default_factory=FollowupSettings)
    gate: WriteGate = field(default_factory=lambda: WriteGate(enabled=False))
    instance: str = field(default_factory=instance_name)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> App:
        engine = make_engine(settings.database_url, settings.sqlite_synchronous)
        if clock is None and (settings.clock_speed != 1.0 or settings.clock_start is not None):
            clock = ScaledClock(settings.clock_speed, settings.clock_start)
        calendar = WorkCalendar(
            tz=settings.timezone,
            work_start=time.fromisoformat(settings.work_start),
            work_end=time.fromisoformat(settings.work_end),
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            clock=clock or SystemClock(),
            calendar=calendar,
            directory=office_directory(settings),
            followup_settings=FollowupSettings().merged(settings.followups),
            gate=WriteGate(enabled=is_sqlite(engine)),
        )

    async def load_holiday_notices(self) -> int:
        """Adds the official schedules the office loaded (`duban holidays import`) to the calendar."""
        from sqlalchemy import select

        from bot.domain.workcal import OfficeNotice
        from models import HolidayNotice

        async with self.sessions() as session:
            rows = (await session.scalars(select(HolidayNotice))).all()
        for row in rows:
            self.calendar.add_notice(
                OfficeNotice.from_dict(
                    {
                        "year": row.year,
                        "source": row.source,
                        "holidays": row.holidays,
                        "workdays": row.workdays,
                    }
                )
            )
        return len(rows)

    def unit_of_work(self, session: AsyncSession, now: datetime | None = None) -> UnitOfWork:
        return UnitOfWork(
            session=session,
            now=now or self.clock.now(),
            settings=self.settings,
            calendar=self.calendar,
            followup_settings=self.followup_settings,
        )

    @contextlib.asynccontextmanager
    async def work(self, now: datetime | None = None) -> AsyncIterator[UnitOfWork]:
        """A unit of work in its own session and turn at the write gate, committed when the
        block ends without an error and rolled back otherwise."""
        async with self.gate(), self.sessions() as session:
            uow = self.unit_of_work(session, now)
            yield uow
            await uow.commit()

    async def close(self) -> None:
        await self.engine.dispose()
