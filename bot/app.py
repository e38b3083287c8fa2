"""The process-wide dependencies, built once at start-up and passed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.db import make_engine, make_sessionmaker
from config.directory import Directory, load_directory
from config.settings import Settings


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=SystemClock)
    directory: Directory = field(default_factory=load_directory)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> App:
        engine = make_engine(settings.database_url, settings.sqlite_synchronous)
        return cls(settings=settings, engine=engine, sessions=make_sessionmaker(engine),
                   clock=clock or SystemClock())

    async def close(self) -> None:
        await self.engine.dispose()
