"""Shared fixtures: a migrated database, a movable clock, and the bot wired to a fake Bot API."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlmodel import SQLModel

import models  # noqa: F401
from bot.app import App
from bot.domain.clock import ManualClock
from bot.domain.workcal import WorkCalendar
from bot.telegram.sender import Limits, OutboxSender
from config.settings import Settings

SEED = Path(__file__).resolve().parent.parent / "config" / "data" / "seed_ganfuting_2024_15.txt"
# A Tuesday morning in Shanghai, inside working hours.
T0 = datetime(2025, 9, 23, 2, 0, tzinfo=UTC)
PG_URL = os.environ.get("DUBAN_TEST_PG_URL")


@pytest.fixture
async def pg_url() -> str:
    """A fresh database on the PostgreSQL server .ci/run starts; skips the test without one."""
    if not PG_URL:
        pytest.skip("DUBAN_TEST_PG_URL not set (.ci/run starts PostgreSQL and sets it)")
    import asyncpg

    name = f"duban_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture
async def app(tmp_path: Path, clock: ManualClock) -> AsyncIterator[App]:
    async for application in _app(tmp_path / "duban.db", clock):
        yield application


@pytest.fixture
async def other_app(tmp_path: Path, clock: ManualClock) -> AsyncIterator[App]:
    """A second, separate database on the same clock, to run one script two ways."""
    async for application in _app(tmp_path / "other.db", clock):
        yield application


async def _app(path: Path, clock: ManualClock) -> AsyncIterator[App]:
    # The loop's tests read each notice as it happens; tests/test_notice_batches.py covers the window.
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{path}", bot_token=None,
                        notice_window_seconds=0)
    application = App.build(settings, clock=clock)
    async with application.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    yield application
    await application.close()


async def import_seed(app: App) -> None:
    from bot.importer import decompose, read_document
    from bot.services.policies import import_policy
    from bot.services.units import sync_directory

    text = read_document(SEED)
    async with app.work() as uow:
        await sync_directory(uow, app.directory, "test")
        await import_policy(uow, decompose(text, app.directory), source_name="seed", source_text=text, actor="test")


@dataclass
class Harness:
    """The real Dispatcher fed updates made by the fake Bot API; replies go out via the real sender."""

    app: App
    srv: object
    bot: Bot
    dispatcher: Dispatcher
    sender: OutboxSender

    async def deliver(self) -> int:
        updates = self.srv.take_updates()  # type: ignore[attr-defined]
        for raw in updates:
            await self.dispatcher.feed_update(self.bot, Update.model_validate(raw, context={"bot": self.bot}))
        # What the handlers started in the background (a summary asked for) queues its messages.
        assert await self.dispatcher["jobs"].background_idle(seconds=20)
        await self.sender.drain(timeout=20)
        return len(updates)


@pytest.fixture
async def harness(app: App) -> AsyncIterator[Harness]:
    async for h in _harness(app):
        yield h


async def _harness(app: App) -> AsyncIterator[Harness]:
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.telegram.fsm import SqlStorage
    from bot.telegram.transport import AiogramTransport
    from handlers import build_dispatcher
    from tests.botapi import FakeBotAPI

    srv = FakeBotAPI()
    srv.limits.enforce = False
    await srv.start()
    bot = Bot(srv.token, session=AiohttpSession(api=TelegramAPIServer.from_base(srv.base_url)))
    sender = OutboxSender(app.sessions, AiogramTransport(bot), app.clock,
                          Limits(global_per_sec=1000, per_chat_per_sec=1000, per_group_per_min=10000), gate=app.gate)
    dispatcher = build_dispatcher(app, storage=SqlStorage(app.sessions, app.clock, gate=app.gate), sender=sender)
    yield Harness(app=app, srv=srv, bot=bot, dispatcher=dispatcher, sender=sender)
    await bot.session.close()
    await srv.stop()
