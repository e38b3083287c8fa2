"""SQLite on the event loop's own thread, for SQLAlchemy's aiosqlite dialect.

aiosqlite runs each connection in a worker thread and hands every call across: SQLAlchemy makes
four calls per statement (cursor, execute, fetch, close), about 0.1 ms each on a small VM, while
SQLite itself answers a small query in a few microseconds. A batch of progress replies spends
more time in those hand-offs than in SQLite. This module gives the dialect (through
`create_async_engine(async_creator=...)`) a connection whose coroutines run the stdlib `sqlite3`
call directly and return.

Waiting for a lock must not stop the loop. SQLite's own busy handler sleeps in the calling
thread, which here is the loop's: polling, the sender and the timers would all stop while, say, a
`duban import` in another process holds the write lock. So these connections have no busy
timeout; a call that finds the database locked (SQLITE_BUSY) is retried after an `asyncio.sleep`,
with a growing pause, until `busy_wait` seconds have passed, and only then fails as "database is
locked", as aiosqlite's connection would have after its busy timeout. Writers inside this process
take turns through the app's `WriteGate` anyway. `SQLITE_DRIVER=thread` selects aiosqlite.

The members mirror what SQLAlchemy's aiosqlite adapter uses of `aiosqlite.Connection` and
`aiosqlite.Cursor` (see sqlalchemy/dialects/sqlite/aiosqlite.py); the exceptions are sqlite3's
own, which aiosqlite re-exports, so SQLAlchemy maps them the same way.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any


async def _when_unlocked(call: Callable[[], Any], busy_wait: float) -> Any:
    """Runs `call`; while the database is locked by another connection, retries it after a pause
    that lets the event loop run, for at most `busy_wait` seconds."""
    deadline: float | None = None
    pause = 0.001
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            # Only a plain lock is worth waiting for: SQLITE_BUSY_SNAPSHOT (a read snapshot that
            # another writer overtook) cannot succeed on retry within the same transaction.
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            now = asyncio.get_running_loop().time()
            deadline = now + busy_wait if deadline is None else deadline
            if now >= deadline:
                raise
            await asyncio.sleep(min(pause, deadline - now))
            pause = min(pause * 2, 0.05)


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor, busy_wait: float) -> None:
        self._cursor = cursor
        self._busy_wait = busy_wait

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        await _when_unlocked(lambda: self._cursor.execute(sql, parameters), self._busy_wait)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]) -> InlineCursor:
        rows = parameters if isinstance(parameters, list | tuple) else list(parameters)  # a retry needs them again
        await _when_unlocked(lambda: self._cursor.executemany(sql, rows), self._busy_wait)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's request queue, which SQLAlchemy feeds directly to set the
    isolation level: runs the function at once and settles the future."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)
        else:
            future.set_result(result)


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection, busy_wait: float) -> None:
        self._conn = connection
        self._tx = _RunNow(connection)
        self._open = True
        self._busy_wait = busy_wait

    @property
    def _connection(self) -> sqlite3.Connection | None:
        # SQLAlchemy's adapter checks this to see whether the connection is still open.
        return self._conn if self._open else None

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor(), self._busy_wait)

    async def commit(self) -> None:
        await _when_unlocked(self._conn.commit, self._busy_wait)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._open:
            self._open = False
            self._conn.close()

    def stop(self) -> None:
        if self._open:
            self._open = False
            self._conn.close()

    async def create_function(self, name: str, num_params: int, func: Callable[..., Any],
                              deterministic: bool = False) -> None:
        self._conn.create_function(name, num_params, func, deterministic=deterministic)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level


def inline_creator(database: str, *, busy_wait: float, uri: bool = False) -> Callable[[], Any]:
    """The `async_creator` for `create_async_engine`: one sqlite3 connection per call. The engine
    must not set a busy timeout on them (see the module's docstring)."""

    async def connect() -> InlineConnection:
        # timeout=0: never sleep in SQLite's busy handler on the loop's thread.
        # check_same_thread=False: the pool may close a connection from a finaliser elsewhere.
        connection = sqlite3.connect(database, timeout=0, uri=uri, check_same_thread=False)
        return InlineConnection(connection, busy_wait)

    return connect
