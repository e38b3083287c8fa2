"""The inline SQLite connection behind SQLAlchemy's aiosqlite dialect (bot/sqlite_inline.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_engine
from bot.sqlite_inline import InlineConnection


async def _driver_of(engine: AsyncEngine) -> object:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        return raw.driver_connection


async def test_file_databases_run_inline_and_the_setting_or_odd_urls_keep_aiosqlite(tmp_path: Path) -> None:
    import aiosqlite

    engines = {
        "default": make_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"),
        "thread": make_engine(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", sqlite_driver="thread"),
        "memory": make_engine("sqlite+aiosqlite://"),
    }
    try:
        drivers = {name: await _driver_of(engine) for name, engine in engines.items()}
    finally:
        for engine in engines.values():
            await engine.dispose()
    assert isinstance(drivers["default"], InlineConnection)
    assert isinstance(drivers["thread"], aiosqlite.Connection)
    assert isinstance(drivers["memory"], aiosqlite.Connection)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncEngine:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    yield engine  # type: ignore[misc]
    await engine.dispose()


async def test_commits_are_durable_rollbacks_are_not_and_pragmas_apply(engine: AsyncEngine, tmp_path: Path) -> None:
    threads = threading.active_count()
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'kept')"))
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (id, v) VALUES (2, 'dropped')"))
        await conn.rollback()
        await conn.exec_driver_sql("INSERT INTO t (id, v) VALUES (?, ?)", [(3, "a"), (4, "b")])  # executemany
        await conn.commit()
    assert threading.active_count() == threads  # no worker thread was started
    with sqlite3.connect(tmp_path / "inline.db") as other:  # what another process would see
        assert other.execute("SELECT id, v FROM t ORDER BY id").fetchall() == [(1, "kept"), (3, "a"), (4, "b")]


async def test_driver_errors_become_sqlalchemy_errors(engine: AsyncEngine) -> None:
    # SessionMiddleware tells a second delivery of an update by this IntegrityError.
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'x')"))
    with pytest.raises(exc.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'again')"))
    with pytest.raises(exc.OperationalError):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT nope FROM t"))


async def test_isolation_level_and_streaming_results(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("INSERT INTO t (id, v) VALUES (7, 'auto')"))
    async with engine.connect() as conn:
        await conn.exec_driver_sql("INSERT INTO t (v) VALUES (?)", [(f"r{n}",) for n in range(250)])
        await conn.commit()
        stream = await conn.stream(text("SELECT v FROM t ORDER BY id"))
        seen = [row.v async for row in stream]
    assert seen[0] == "auto" and len(seen) == 251 and seen[-1] == "r249"


async def test_a_lock_held_elsewhere_is_waited_for_without_stopping_the_loop(engine: AsyncEngine,
                                                                             tmp_path: Path) -> None:
    """Another process's write transaction: the write waits for it and then goes through, and
    meanwhile the event loop keeps running (polling, sending and timers must not stop)."""
    locked, release_after = threading.Event(), 0.4

    def other_writer() -> None:
        with sqlite3.connect(tmp_path / "inline.db", timeout=5) as other:
            other.execute("BEGIN IMMEDIATE")
            other.execute("INSERT INTO t (id, v) VALUES (100, 'other')")
            locked.set()
            time.sleep(release_after)
            other.commit()

    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    worker = threading.Thread(target=other_writer)
    worker.start()
    locked.wait(5)
    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (id, v) VALUES (101, 'mine')"))
    waited = time.monotonic() - started
    ticking.cancel()
    worker.join()
    assert waited >= release_after * 0.5  # it did wait for the other transaction
    assert len(gaps) >= 10 and max(gaps) < 0.2, max(gaps)  # and the loop went on meanwhile
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t WHERE id IN (100, 101)"))).scalar() == 2


async def test_a_lock_held_too_long_fails_as_locked(tmp_path: Path) -> None:
    from bot.sqlite_inline import inline_creator

    path = tmp_path / "held.db"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        connection = await inline_creator(str(path), busy_wait=0.2)()
        cursor = connection.cursor()
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await cursor.execute("INSERT INTO t (id) VALUES (1)")
        assert 0.15 <= time.monotonic() - started < 2
        await connection.close()
    finally:
        holder.rollback()
        holder.close()
