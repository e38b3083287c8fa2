"""Throw-away databases on the PostgreSQL server named by DUBAN_TEST_PG_URL (.ci/run starts one).

Migrating a database is slow, copying a migrated template (`CREATE DATABASE ... TEMPLATE`) and
dropping the copy much less so, and emptying a used copy with one TRUNCATE cheaper still: so the
schema is migrated once per session, and each test takes a database from a pool, which empties it
when the test is done with it.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

PG_URL = os.environ.get("DUBAN_TEST_PG_URL")
# The engines the database tests run on: PostgreSQL too when a server is given (.ci/run starts one).
ENGINES = ["sqlite", "pg"] if PG_URL else ["sqlite"]
# The end-to-end tests that start `duban run` processes are the slowest: they run once, on PostgreSQL
# when there is a server (SQLite's own cases -- a full disk, a read-only file -- pin "sqlite"), so the
# suite keeps within CI's time; every service and handler test still runs on both.
E2E_ENGINES = ["pg"] if PG_URL else ["sqlite"]
T = TypeVar("T")


def dsn(database: str | None = None) -> str:
    """asyncpg's DSN for the server's admin database, or for `database` on the same server."""
    assert PG_URL
    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    return dsn if database is None else dsn.rsplit("/", 1)[0] + f"/{database}"


def url_of(database: str) -> str:
    """The SQLAlchemy URL of `database` on the test server."""
    assert PG_URL
    return PG_URL.rsplit("/", 1)[0] + f"/{database}"


def run_blocking(make: Callable[[], Awaitable[T]]) -> T:
    """Runs a coroutine to completion from synchronous code, even when an event loop is running in
    this thread (a sync fixture, or a check polled from inside an async test)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())  # type: ignore[arg-type]
    box: list[Any] = []

    def target() -> None:
        try:
            box.append((True, asyncio.run(make())))  # type: ignore[arg-type]
        except BaseException as exc:
            box.append((False, exc))

    worker = threading.Thread(target=target, name="pg-blocking")
    worker.start()
    worker.join()
    ok, value = box[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


# pytest-xdist's worker (gw0, gw1 ...), or "main" without it: each worker makes its own template and
# pool, and a database left behind names the worker that made it.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def new_name(prefix: str = "duban_t") -> str:
    return f"{prefix}_{WORKER}_{uuid.uuid4().hex[:10]}"


async def create(name: str, template: str | None = None) -> str:
    import asyncpg

    admin = await asyncpg.connect(dsn())
    try:
        clause = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await admin.close()
    return url_of(name)


async def drop(name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(dsn())
    try:
        # FORCE: a test that failed half-way may have left a connection open.
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def migrated_template() -> str:
    """A database at the migrations' head, to be copied; returns its name."""
    from bot.migrate import upgrade

    name = new_name("duban_tpl")
    run_blocking(lambda: create(name))
    upgrade(url_of(name))
    return name


_QMARK = re.compile(r"\?")


def fetch(database: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Runs one read on `database`: `?` placeholders as sqlite3 takes them, for checks written once
    for both engines."""
    import asyncpg

    counter = iter(range(1, len(params) + 1))
    statement = _QMARK.sub(lambda _m: f"${next(counter)}", sql)

    async def go() -> list[tuple[Any, ...]]:
        conn = await asyncpg.connect(dsn(database))
        try:
            return [tuple(row) for row in await conn.fetch(statement, *params)]
        finally:
            await conn.close()

    return run_blocking(go)


class Pool:
    """Migrated databases handed to one test at a time: a test's engine is disposed before its
    database comes back, then the rows are removed and the sequences restarted, as if new."""

    def __init__(self) -> None:
        self.template = migrated_template()
        self.free: list[str] = []
        self.made: list[str] = []

    def take(self) -> str:
        if self.free:
            return url_of(self.free.pop())
        name = new_name()
        run_blocking(lambda: create(name, self.template))
        self.made.append(name)
        return url_of(name)

    def give_back(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        run_blocking(lambda: _empty(name))
        self.free.append(name)

    def close(self) -> None:
        for name in [*self.made, self.template]:
            run_blocking(lambda name=name: drop(name))  # type: ignore[misc]


async def _empty(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn(name))
    try:
        # A test that failed may have left a session open in a transaction, holding locks.
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        tables = [
            row[0]
            for row in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ]
        quoted = ", ".join(f'"{table}"' for table in tables)
        await conn.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
