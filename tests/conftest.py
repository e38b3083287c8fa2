"""Shared fixtures: a migrated database, a movable clock, and the bot wired to a fake Bot API."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import models  # noqa: F401
from bot.app import App
from bot.db import make_engine
from bot.domain.clock import ManualClock
from bot.domain.workcal import WorkCalendar
from bot.telegram.sender import Limits, OutboxSender
from config.settings import Settings
from tests import pgserver

SEED = Path(__file__).resolve().parent.parent / "config" / "data" / "seed_ganfuting_2024_15.txt"
# A Tuesday morning in Shanghai, inside working hours.
T0 = datetime(2025, 9, 23, 2, 0, tzinfo=UTC)
PG_URL = pgserver.PG_URL
ENGINES = pgserver.ENGINES


# How `make test` spreads the suite over pytest-xdist's workers (`--dist loadgroup`): a group runs on
# one worker, in order. The tests that hold the sender to Telegram's rates in time (the fan-out over
# two instances, the crash mid-fan-out, fair sending, group pacing, answers first) are marked `rates`:
# they measure time, so `make test` runs them after the parallel part, alone on the machine, where no
# other worker's load can push them past their bounds. Each other process module is one group so
# that its module-scoped `duban init` runs once. Everything else goes to whichever worker is free.
RATE_MODULES = {
    "test_two_instances",
    "test_crash_recovery",
    "test_fair_sending",
    "test_outbox_sender",
    "test_answer_first",
}
PROCESS_MODULES = {"test_e2e_process", "test_failed_updates_e2e", "test_webhook", "test_settings"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: xdist reads the group marks in its own hook of this name.
    for item in items:
        module = item.path.stem
        if module in RATE_MODULES:
            item.add_marker(pytest.mark.rates)
        elif module in PROCESS_MODULES:
            item.add_marker(pytest.mark.xdist_group(module))


@pytest.fixture(scope="session")
def pg_pool() -> Iterator[pgserver.Pool]:
    """Migrated databases on the test server, one at a time to each test that runs on PostgreSQL."""
    pool = pgserver.Pool()
    yield pool
    pool.close()


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest) -> str:
    """The database engine of the test: `sqlite`, and `pg` when DUBAN_TEST_PG_URL is set. A test that
    holds for SQLite alone says so with `@pytest.mark.parametrize("db", ["sqlite"], indirect=True)`."""
    return str(request.param)


def new_database(request: pytest.FixtureRequest, db: str, path: Path) -> str:
    """The URL of an empty-of-rows database with the current schema: an SQLite file at `path` (the
    caller creates its tables) or an empty migrated PostgreSQL database, emptied again after the test."""
    if db == "sqlite":
        return f"sqlite+aiosqlite:///{path}"
    pool: pgserver.Pool = request.getfixturevalue("pg_pool")
    url = pool.take()
    request.addfinalizer(lambda: pool.give_back(url))
    return url


@pytest.fixture
def database_url(request: pytest.FixtureRequest, db: str, tmp_path: Path) -> str:
    return new_database(request, db, tmp_path / "duban.db")


@pytest.fixture(params=pgserver.E2E_ENGINES)
def run_db(request: pytest.FixtureRequest) -> str | None:
    """For a test that starts `duban run` processes: None (an SQLite file in the working directory)
    or the name of an empty migrated PostgreSQL database."""
    if request.param == "sqlite":
        return None
    url = new_database(request, "pg", Path())
    return url.rsplit("/", 1)[1]


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the PostgreSQL server .ci/run starts; skips the test without one."""
    if not PG_URL:
        pytest.skip("DUBAN_TEST_PG_URL not set (.ci/run starts PostgreSQL and sets it)")
    name = pgserver.new_name()
    url = pgserver.run_blocking(lambda: pgserver.create(name))
    request.addfinalizer(lambda: pgserver.run_blocking(lambda: pgserver.drop(name)))
    return url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with every table and no rows, made once per worker: copying it is much cheaper
    than creating the tables again for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "duban.db"

    async def make() -> None:
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        await engine.dispose()  # the last connection out folds the WAL into the file

    pgserver.run_blocking(make)
    return path


@pytest.fixture
async def app(database_url: str, clock: ManualClock, sqlite_template: Path) -> AsyncIterator[App]:
    async for application in _app(database_url, clock, sqlite_template):
        yield application


@pytest.fixture
async def other_app(
    request: pytest.FixtureRequest, db: str, tmp_path: Path, clock: ManualClock, sqlite_template: Path
) -> AsyncIterator[App]:
    """A second, separate database on the same engine and clock, to run one script two ways."""
    async for application in _app(new_database(request, db, tmp_path / "other.db"), clock, sqlite_template):
        yield application


def _tables_from_template(database_url: str, sqlite_template: Path) -> bool:
    """A new SQLite file starts as a copy of the template (PostgreSQL databases are copies of a
    migrated template already); False for an SQLite file that exists already."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return True
    if url.database and url.database != ":memory:" and not Path(url.database).exists():
        shutil.copyfile(sqlite_template, url.database)
        return True
    return False


async def _app(database_url: str, clock: ManualClock, sqlite_template: Path) -> AsyncIterator[App]:
    copied = _tables_from_template(database_url, sqlite_template)
    # The loop's tests read each notice as it happens; tests/test_notice_batches.py covers the window.
    settings = Settings(_env_file=None, database_url=database_url, bot_token=None, notice_window_seconds=0)
    application = App.build(settings, clock=clock)
    if not copied:
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
        await import_policy(
            uow, decompose(text, app.directory), source_name="seed", source_text=text, actor="test"
        )


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
        # Bounds for a machine busy with the other test worker, not expected durations.
        assert await self.dispatcher["jobs"].background_idle(seconds=60)
        await self.sender.drain(timeout=60)
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
    sender = OutboxSender(
        app.sessions,
        AiogramTransport(bot),
        app.clock,
        Limits(global_per_sec=1000, per_chat_per_sec=1000, per_group_per_min=10000),
        gate=app.gate,
    )
    dispatcher = build_dispatcher(
        app, storage=SqlStorage(app.sessions, app.clock, gate=app.gate), sender=sender
    )
    yield Harness(app=app, srv=srv, bot=bot, dispatcher=dispatcher, sender=sender)
    await bot.session.close()
    await srv.stop()
