"""Engine and sessions. Built by whoever starts the process; never at import time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Result, event, insert, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def make_engine(database_url: str, sqlite_synchronous: str = "FULL", echo: bool = False) -> AsyncEngine:
    url = make_url(database_url)
    kwargs: dict[str, Any] = {"echo": echo}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
        # Every connection comes back through a session or `engine.begin()`/`connect()` block, which
        # has already committed or rolled back; the pool's own ROLLBACK on return would be a second
        # round trip to aiosqlite's thread for nothing.
        kwargs["pool_reset_on_return"] = None
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _tune_sqlite(engine, sqlite_synchronous, SQLITE_BUSY_TIMEOUT)
    return engine


SQLITE_BUSY_TIMEOUT = 30


def _tune_sqlite(engine: AsyncEngine, synchronous: str, busy_timeout: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets the sender read while a handler writes. The default FULL syncs the WAL at every
        # commit: once getUpdates has moved past a reply, Telegram no longer has it, so a commit
        # the disk has not kept would lose it at a power cut (NORMAL in WAL survives only a
        # process crash).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout * 1000}")
        cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched. Executing DML gives a CursorResult, which counts them;
    `session.execute` is typed as returning the general Result."""
    return cast("CursorResult[Any]", result).rowcount or 0


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.url.get_backend_name() == "sqlite"


class WriteGate:
    """One writer at a time inside this process when the database is SQLite.

    SQLite allows a single writer; without this, concurrent updates each take the write lock
    and the others sleep in SQLite's busy handler, which under a burst is slower than taking
    turns and can end in "database is locked". PostgreSQL needs no gate.
    """

    def __init__(self, enabled: bool) -> None:
        self._lock = asyncio.Lock() if enabled else None

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        if self._lock is None:
            yield
            return
        async with self._lock:
            yield


async def insert_without_ids(session: AsyncSession, rows: list[Any]) -> None:
    """Writes new ORM objects of one table in one statement (an executemany), at once.

    Flushed by the session they would go in one INSERT each: SQLite cannot return the new ids of a
    multi-row INSERT in order, and the session wants them. Only for rows whose ids nobody reads.
    """
    if not rows:
        return
    table = type(rows[0])
    columns = [key for key in inspect(table).columns.keys() if key != "id"]
    # render_nulls: a None is sent as NULL, not left out, so that the rows' columns agree.
    await session.execute(
        insert(table).execution_options(render_nulls=True),
        [{key: getattr(row, key) for key in columns} for row in rows],
    )


def insert_new(session: AsyncSession, table: Any) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING` on either engine: a row another transaction (another
    instance) inserted first is left as it is instead of failing this one. On PostgreSQL the
    insert waits for that transaction and does nothing if it committed."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()
